/**
 * The order's `order.milestone.v1` at `committed` or `released` (or an explicit acknowledgement) → an
 * X12 855 purchase order acknowledgement (docs/edi.md).
 *
 * | canonical | X12 |
 * |---|---|
 * | — | BAK01 `00` (original) |
 * | every line fully committed | BAK02 `AD` (acknowledge, no detail or change); else `AC` (acknowledge with detail and change) |
 * | `orderId` without the `<partner>-` prefix (or `poNumber`) | BAK03 (PO number) |
 * | the time of the acknowledgement | BAK04 (CCYYMMDD, UTC) |
 * | `lines[].lineId` | PO101 |
 * | `lines[].ordered` (eaches), in the unit ordered (the order line's `uom`, in the partner's code) | PO102, PO103 |
 * | `lines[].unitPrice` (the acknowledgement's, else the order's line) | PO104 (left out when unknown) |
 * | `lines[].sku` (the acknowledgement's, else the order's line) | PO106 `VN`, PO107; PO108 `BP`, PO109 the partner's item id when its item table has the SKU |
 * | `lines[].committed` (default: ordered − backordered − rejected) | ACK01 `IA` (item accepted), ACK02, ACK03 (in the unit ordered when whole, else `EA`) |
 * | `lines[].backordered` | ACK01 `IB` (item backordered), ACK02, ACK03 (in the unit ordered when whole, else `EA`) |
 * | `lines[].rejected` (the milestone's `cancelled`), plus any unit neither committed nor backordered | ACK01 `IR` (item rejected), ACK02, ACK03 (in the unit ordered when whole, else `EA`) |
 * | — | CTT01 number of PO1, CTT02 sum of PO102 |
 *
 * A line gets one ACK per non-zero quantity (a line with nothing gets `IR` 0). Quantities are eaches in the
 * hub; each is written in the unit the partner ordered, or in `EA` when it is not a whole number of that
 * unit (docs/orders.md#units-of-measure). Pure.
 */
import type { OrderMilestoneData } from '../../../contracts/order-hub-schemas.js';
import type { SegmentInput, SetInput } from '../x12/index.js';
import {
  decimal,
  inPartnerUnit,
  type OrderedUnit,
  type OutboundContext,
  type OutboundProblem,
  type OutboundResult,
  poNumberOf,
  seg,
  x12Date,
} from './outbound-common.js';

/** One acknowledged line. */
export interface AcknowledgementLine {
  lineId: string;
  sku?: string;
  ordered: number;
  committed?: number;
  backordered?: number;
  rejected?: number;
  unitPrice?: number;
}

/** An explicit acknowledgement (when not derived from a milestone). */
export interface AcknowledgementInput {
  orderId: string;
  poNumber?: string;
  lines: readonly AcknowledgementLine[];
}

export interface AcknowledgementContext extends OutboundContext {
  /** The order's lines (from `order.accepted`): SKUs and unit prices the milestone lacks. */
  order?: { lines: readonly ({ lineId: string; sku?: string; unitPrice?: number } & OrderedUnit)[] };
}

/** Milestones at which an 855 is sent. */
export const ACKNOWLEDGED_MILESTONES = ['committed', 'released'] as const;

/** The acknowledgement a milestone event describes, or the problem (another milestone). */
export function acknowledgementFromMilestone(data: OrderMilestoneData): OutboundResult<AcknowledgementInput> {
  if (!(ACKNOWLEDGED_MILESTONES as readonly string[]).includes(data.milestone)) {
    return {
      ok: false,
      problems: [
        {
          field: 'milestone',
          detail: `an 855 is sent at committed or released, not at ${data.milestone}`,
        },
      ],
    };
  }
  return {
    ok: true,
    data: {
      orderId: data.orderId,
      lines: data.lines.map((line) => ({
        lineId: line.lineId,
        ...(line.sku ? { sku: line.sku } : {}),
        ordered: line.ordered,
        committed: line.committed ?? 0,
        backordered: line.backordered ?? 0,
        rejected: line.cancelled ?? 0,
      })),
    },
  };
}

/** Maps an acknowledgement (or a milestone event) to an 855. */
export function map855(
  input: AcknowledgementInput | OrderMilestoneData,
  context: AcknowledgementContext,
): OutboundResult<SetInput> {
  let acknowledgement: AcknowledgementInput;
  if ('milestone' in input) {
    const derived = acknowledgementFromMilestone(input);
    if (!derived.ok) return derived;
    acknowledgement = derived.data;
  } else {
    acknowledgement = input;
  }
  const problems: OutboundProblem[] = [];
  if (acknowledgement.lines.length === 0) problems.push({ field: 'lines', detail: 'no line to acknowledge' });
  const body: SegmentInput[] = [];
  let changed = false;
  let hash = 0;
  acknowledgement.lines.forEach((line, index) => {
    const known = context.order?.lines.find((l) => l.lineId === line.lineId);
    const sku = line.sku ?? known?.sku;
    const unitPrice = line.unitPrice ?? known?.unitPrice;
    const backordered = line.backordered ?? 0;
    const rejected = line.rejected ?? 0;
    const committed = line.committed ?? Math.max(0, line.ordered - backordered - rejected);
    const unaccounted = Math.max(0, line.ordered - committed - backordered - rejected);
    const quantities = [line.ordered, committed, backordered, rejected];
    if (quantities.some((q) => !Number.isInteger(q) || q < 0)) {
      problems.push({ field: `lines[${index}]`, detail: 'quantities must be whole numbers >= 0' });
      return;
    }
    if (!sku) {
      problems.push({ field: `lines[${index}].sku`, detail: `line ${line.lineId} has no SKU` });
      return;
    }
    const ordered = inPartnerUnit(known, line.ordered, context.units);
    hash += ordered.quantity;
    body.push(
      seg(
        'PO1',
        line.lineId,
        String(ordered.quantity),
        ordered.unit,
        unitPrice === undefined ? '' : decimal(unitPrice),
        '',
        'VN',
        sku,
        ...(context.partnerItems?.[sku] !== undefined ? ['BP', context.partnerItems[sku]] : []),
      ),
    );
    const acks: [string, number][] = [
      ['IA', committed],
      ['IB', backordered],
      ['IR', rejected + unaccounted],
    ];
    const written = acks.filter(([, quantity]) => quantity > 0);
    if (written.length === 0) written.push(['IR', 0]);
    for (const [code, quantity] of written) {
      const said = inPartnerUnit(known, quantity, context.units);
      body.push(seg('ACK', code, String(said.quantity), said.unit));
    }
    if (committed !== line.ordered || written.some(([code]) => code !== 'IA')) changed = true;
  });
  if (problems.length > 0) return { ok: false, problems };
  const poNumber = poNumberOf(acknowledgement.orderId, {
    ...context,
    ...(acknowledgement.poNumber ? { poNumber: acknowledgement.poNumber } : {}),
  });
  return {
    ok: true,
    data: {
      id: '855',
      segments: [
        seg('BAK', '00', changed ? 'AC' : 'AD', poNumber, x12Date(context.date) ?? ''),
        ...body,
        seg('CTT', String(acknowledgement.lines.length), String(hash)),
      ],
    },
  };
}
