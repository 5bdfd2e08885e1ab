/**
 * `order.invoiced.v1` (with the order's lines, for the SKUs) → an X12 810 invoice (docs/edi.md).
 *
 * | canonical | X12 |
 * |---|---|
 * | `invoiceDate`, else the time of the document | BIG01 (CCYYMMDD) |
 * | `invoiceNumber` | BIG02 |
 * | `order.date` (context: the order's `orderedAt`, the 850's BEG05), when known; else empty | BIG03 |
 * | `orderId` without the `<partner>-` prefix (or `poNumber`) | BIG04 (PO number) |
 * | `currency`, else the order's (context `order.currency`) | CUR*SE*<currency> |
 * | `lines[].lineId` | IT101 |
 * | `lines[].quantity` (eaches) | IT102, IT103 in the unit ordered (the order line's `uom`, in the partner's code); `EA` when not a whole number of it |
 * | `lines[].unitPrice` (per each) | IT104 (decimal, e.g. `12.5`), per the IT103 unit (× the unit's eaches) |
 * | `lines[].lineId` → the order line's `sku` | IT106 `VN`, IT107 |
 * | context `remitTo` (config `edi: {remitTo}`) | N1*RE (N102 name, N103/N104 id), N3, N4 |
 * | `terms` `{discountPercent, discountDays, netDays, description}` | ITD01 `08` with a discount, else `05`; ITD02 `3` (invoice date); ITD03, ITD05, ITD07, ITD12 |
 * | `total` | TDS01, implied 2 decimals (38.00 → `3800`, 12.5 → `1250`) |
 * | `charges[]`, else the order's (context `order.charges`) | SAC*C, SAC02 `D240` freight, `D500` handling, `D980` insurance, else `ZZZZ`; SAC05 (2 implied decimals); SAC15 |
 * | `allowances[]`, else the order's discounts | SAC*A, SAC02 the code when it is an X12 one (`C310`), else `C310` (discount); SAC05; SAC15 |
 * | — | CTT01 number of IT1, CTT02 sum of IT102 |
 *
 * Pure: an invoiced line whose `lineId` is not on the order is a problem.
 */
import type { OrderInvoicedData } from '../../../contracts/order-schemas.js';
import type { RemitTo } from '../config-section.js';
import type { SegmentInput, SetInput } from '../x12/index.js';
import {
  decimal,
  impliedDecimal,
  inPartnerUnit,
  type OrderedUnit,
  type OutboundContext,
  type OutboundProblem,
  type OutboundResult,
  orderedLine,
  poNumberOf,
  seg,
  x12Date,
} from './outbound-common.js';

/** A charge or allowance as the canonical model has it. */
type Amounted = { type?: string; code?: string; amount: number; description?: string };

export interface InvoiceContext extends OutboundContext {
  /**
   * The invoiced order: SKUs by line id, the PO date (`YYYY-MM-DD` or RFC 3339) when known, and its
   * charges and discounts (sent when the invoice states none of its own).
   */
  order: {
    lines: readonly ({ lineId: string; sku: string } & OrderedUnit)[];
    date?: string;
    /** The order's currency (ISO 4217), written when the invoice names none. */
    currency?: string;
    charges?: readonly Amounted[];
    discounts?: readonly Amounted[];
  };
  /** The hub's remit-to party (config `edi: {remitTo}`): N1*RE. */
  remitTo?: RemitTo;
}

/** SAC02 (X12 element 1300) of a canonical charge type. */
const CHARGE_CODES: Record<string, string> = { freight: 'D240', handling: 'D500', insurance: 'D980' };
/** SAC02 of an allowance whose code is not an X12 one: discount. */
const DISCOUNT_CODE = 'C310';

/** The header and summary segments of the commercial fields: N1*RE loop, ITD, and the SACs. */
function commercial810(data: OrderInvoicedData, context: InvoiceContext) {
  const remit: SegmentInput[] = [];
  const r = context.remitTo;
  if (r) {
    remit.push(seg('N1', 'RE', r.name, ...(r.id ? [r.idQualifier ?? '91', r.id] : [])));
    if (r.line1) remit.push(seg('N3', r.line1, ...(r.line2 ? [r.line2] : [])));
    if (r.city && r.postalCode)
      remit.push(seg('N4', r.city, r.region ?? '', r.postalCode, ...(r.country ? [r.country] : [])));
  }
  const terms: SegmentInput[] = [];
  const t = data.terms;
  if (t) {
    const discounted = t.discountPercent !== undefined && t.discountPercent > 0;
    terms.push(
      trimmed(
        seg(
          'ITD',
          discounted ? '08' : '05',
          '3',
          t.discountPercent === undefined ? '' : decimal(t.discountPercent),
          '',
          t.discountDays === undefined ? '' : String(t.discountDays),
          '',
          t.netDays === undefined ? '' : String(t.netDays),
          '',
          '',
          '',
          '',
          t.description ?? '',
        ),
      ),
    );
  }
  const sac: SegmentInput[] = [];
  for (const c of data.charges ?? context.order.charges ?? []) {
    sac.push(sacOf('C', CHARGE_CODES[c.type ?? ''] ?? 'ZZZZ', c.amount, c.description));
  }
  for (const a of data.allowances ?? context.order.discounts ?? []) {
    const code = a.code && /^[A-Z]\d{3}$/.test(a.code) ? a.code : DISCOUNT_CODE;
    sac.push(sacOf('A', code, a.amount, a.description ?? (code === a.code ? undefined : a.code)));
  }
  return { remit, terms, sac };
}

function sacOf(indicator: 'A' | 'C', code: string, amount: number, description?: string): SegmentInput {
  const elements = [indicator, code, '', '', impliedDecimal(amount)];
  if (description) elements.push('', '', '', '', '', '', '', '', '', description);
  return seg('SAC', ...elements);
}

/** The segment without its trailing empty elements. */
function trimmed(segment: SegmentInput): SegmentInput {
  const elements = [...segment.elements];
  while (elements.length > 0 && elements[elements.length - 1] === '') elements.pop();
  return { id: segment.id, elements };
}

/** Maps an invoice to an 810. */
export function map810(data: OrderInvoicedData, context: InvoiceContext): OutboundResult<SetInput> {
  const problems: OutboundProblem[] = [];
  const lines: SegmentInput[] = [];
  let hash = 0;
  data.lines.forEach((line, index) => {
    const ordered = orderedLine(context.order, line, index, data.orderId, problems);
    if (!ordered) return;
    const said = inPartnerUnit(ordered, line.quantity, context.units);
    hash += said.quantity;
    lines.push(
      seg(
        'IT1',
        line.lineId,
        String(said.quantity),
        said.unit,
        decimal(line.unitPrice * said.factor),
        '',
        'VN',
        ordered.sku,
      ),
    );
  });
  const invoiceDate = x12Date(data.invoiceDate ?? context.date);
  if (!invoiceDate) problems.push({ field: 'invoiceDate', detail: 'not a date' });
  const currency = data.currency ?? context.order.currency;
  const poDate = context.order.date ? x12Date(context.order.date) : '';
  if (poDate === undefined) problems.push({ field: 'order.date', detail: 'not a date' });
  if (problems.length > 0) return { ok: false, problems };
  const { remit, terms, sac } = commercial810(data, context);
  return {
    ok: true,
    data: {
      id: '810',
      segments: [
        seg('BIG', invoiceDate ?? '', data.invoiceNumber, poDate ?? '', poNumberOf(data.orderId, context)),
        ...(currency ? [seg('CUR', 'SE', currency)] : []),
        ...remit,
        ...terms,
        ...lines,
        seg('TDS', impliedDecimal(data.total)),
        ...sac,
        seg('CTT', String(lines.length), String(hash)),
      ],
    },
  };
}
