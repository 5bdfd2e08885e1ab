/**
 * `order.shipped.v1` (with the order's lines, for the SKUs) → an X12 856 ship notice / manifest
 * (docs/edi.md). Hierarchy: shipment → order → (one pack) → items.
 *
 * | canonical | X12 |
 * |---|---|
 * | — | BSN01 `00` (original) |
 * | `shipmentId` (context), else `<orderId>-<location>` | BSN02 |
 * | the time of the notice | BSN03 (CCYYMMDD), BSN04 (HHMM), UTC; DTM*011 (shipped) in HL S |
 * | — | BSN05 `0001` (shipment, order, packaging, item) with a pack, else `0004` (shipment, order, item) |
 * | — | HL*1**S (shipment) |
 * | `carrier` (SCAC) | TD5 `**2*<SCAC>` (TD502 `2`: SCAC) |
 * | `billOfLading` (context), else the shipment id | REF*BM |
 * | `tracking` | REF*CN in HL S (default), or MAN*CP (`trackingAs: 'MAN'`) in HL P, else in HL S |
 * | — | HL*2*1*O (order) |
 * | `orderId` without the `<partner>-` prefix (or `poNumber`) | PRF01 (PO number) |
 * | `pack` (context) | HL*3*2*P (one pack holding every item; MAN*GM with `pack.marks`, an SSCC-18) |
 * | one per `lines[]` | HL*n*<order or pack>*I |
 * | `lines[].lineId` → the order line's `sku` | LIN01 line id, LIN02 `VN`, LIN03 SKU |
 * | `lines[].quantity` | SN101 line id, SN102 units shipped, SN103 `EA` |
 * | — | CTT01 number of HL segments, CTT02 sum of SN102 |
 *
 * Pure: a shipped line whose `lineId` is not on the order is a problem.
 */
import type { OrderExecutionData } from '../../../contracts/order-schemas.js';
import type { SegmentInput, SetInput } from '../x12/index.js';
import {
  type OutboundContext,
  type OutboundProblem,
  type OutboundResult,
  orderedLine,
  poNumberOf,
  seg,
  x12Date,
  x12Time,
} from './outbound-common.js';

export interface ShipNoticeContext extends OutboundContext {
  /** The shipped order's lines: SKUs by line id. */
  order: { lines: readonly { lineId: string; sku: string }[] };
  /** BSN02; default `<orderId>-<location>`. */
  shipmentId?: string;
  /** REF*BM; default the shipment id. */
  billOfLading?: string;
  /** Where the tracking number goes: `REF` (REF*CN, default) or `MAN` (MAN*CP). */
  trackingAs?: 'REF' | 'MAN';
  /** Adds one pack level (HL P) holding every item; `marks` becomes MAN*GM. */
  pack?: { marks?: string };
}

/** Maps a shipment to an 856. */
export function map856(data: OrderExecutionData, context: ShipNoticeContext): OutboundResult<SetInput> {
  const problems: OutboundProblem[] = [];
  const items: { lineId: string; sku: string; quantity: number }[] = [];
  data.lines.forEach((line, index) => {
    const ordered = orderedLine(context.order, line, index, data.orderId, problems);
    if (!ordered) return;
    items.push({ lineId: line.lineId, sku: ordered.sku, quantity: line.quantity });
  });
  if (problems.length > 0) return { ok: false, problems };

  const shipmentId = context.shipmentId ?? `${data.orderId}-${data.location}`;
  const trackingInMan = context.trackingAs === 'MAN';
  const segments: SegmentInput[] = [
    seg(
      'BSN',
      '00',
      shipmentId,
      x12Date(context.date) ?? '',
      x12Time(context.date),
      context.pack ? '0001' : '0004',
    ),
  ];
  let hl = 0;
  const open = (parent: number | undefined, level: string): number => {
    hl += 1;
    segments.push(seg('HL', String(hl), parent === undefined ? '' : String(parent), level));
    return hl;
  };

  const shipment = open(undefined, 'S');
  if (data.carrier) segments.push(seg('TD5', '', '2', data.carrier));
  segments.push(seg('REF', 'BM', context.billOfLading ?? shipmentId));
  if (data.tracking && !trackingInMan) segments.push(seg('REF', 'CN', data.tracking));
  if (data.tracking && trackingInMan && !context.pack) segments.push(seg('MAN', 'CP', data.tracking));
  segments.push(seg('DTM', '011', x12Date(context.date) ?? ''));

  const order = open(shipment, 'O');
  segments.push(seg('PRF', poNumberOf(data.orderId, context)));

  let parent = order;
  if (context.pack) {
    parent = open(order, 'P');
    if (context.pack.marks) segments.push(seg('MAN', 'GM', context.pack.marks));
    if (data.tracking && trackingInMan) segments.push(seg('MAN', 'CP', data.tracking));
  }

  let hash = 0;
  for (const item of items) {
    open(parent, 'I');
    segments.push(seg('LIN', item.lineId, 'VN', item.sku));
    segments.push(seg('SN1', item.lineId, String(item.quantity), 'EA'));
    hash += item.quantity;
  }
  segments.push(seg('CTT', String(hl), String(hash)));
  return { ok: true, data: { id: '856', segments } };
}
