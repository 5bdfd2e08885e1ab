/**
 * `order.invoiced.v1` (with the order's lines, for the SKUs) → an X12 810 invoice (docs/edi.md).
 *
 * | canonical | X12 |
 * |---|---|
 * | `invoiceDate`, else the time of the document | BIG01 (CCYYMMDD) |
 * | `invoiceNumber` | BIG02 |
 * | `order.date` (context: the PO date), when known | BIG03 |
 * | `orderId` without the `<partner>-` prefix (or `poNumber`) | BIG04 (PO number) |
 * | `currency` | CUR*SE*<currency> |
 * | `lines[].lineId` | IT101 |
 * | `lines[].quantity` (eaches) | IT102, IT103 in the unit ordered (the order line's `uom`, in the partner's code); `EA` when not a whole number of it |
 * | `lines[].unitPrice` (per each) | IT104 (decimal, e.g. `12.5`), per the IT103 unit (× the unit's eaches) |
 * | `lines[].lineId` → the order line's `sku` | IT106 `VN`, IT107 |
 * | `total` | TDS01, implied 2 decimals (38.00 → `3800`, 12.5 → `1250`) |
 * | — | CTT01 number of IT1, CTT02 sum of IT102 |
 *
 * Pure: an invoiced line whose `lineId` is not on the order is a problem.
 */
import type { OrderInvoicedData } from '../../../contracts/order-schemas.js';
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

export interface InvoiceContext extends OutboundContext {
  /** The invoiced order: SKUs by line id, and the PO date (`YYYY-MM-DD` or RFC 3339) when known. */
  order: { lines: readonly ({ lineId: string; sku: string } & OrderedUnit)[]; date?: string };
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
  const poDate = context.order.date ? x12Date(context.order.date) : '';
  if (poDate === undefined) problems.push({ field: 'order.date', detail: 'not a date' });
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    data: {
      id: '810',
      segments: [
        seg('BIG', invoiceDate ?? '', data.invoiceNumber, poDate ?? '', poNumberOf(data.orderId, context)),
        ...(data.currency ? [seg('CUR', 'SE', data.currency)] : []),
        ...lines,
        seg('TDS', impliedDecimal(data.total)),
        seg('CTT', String(lines.length), String(hash)),
      ],
    },
  };
}
