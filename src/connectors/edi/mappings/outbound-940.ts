/**
 * `order.released.v1` → an X12 940 warehouse shipping order to a 3PL's WMS (docs/edi.md).
 *
 * | canonical | X12 |
 * |---|---|
 * | — | W0501 `N` (original) |
 * | `orderId` | W0502 (depositor order number: a 945 answering with it finds the order as is) |
 * | `orderId` without the `<partner>-` prefix (or `poNumber`) | W0503 (PO number) |
 * | `shipTo.name` | N1*ST*<name> |
 * | `shipTo.line1`, `shipTo.line2` | N301, N302 |
 * | `shipTo.city`, `region`, `postalCode`, `country` | N401, N402, N403, N404 |
 * | `location` | N1*WH*<location> (the warehouse asked to ship) |
 * | `shipping` (context) `{payment, mode, scac}` | W66 (W6601 payment, e.g. `PP`; W6602 transport, e.g. `M`; W6605 SCAC); left out without it |
 * | one per `lines[]`, numbered from 1 | LX01 |
 * | `lines[].quantity`, `lines[].sku` | W0101 quantity, W0102 `EA`, W0104 `VN`, W0105 SKU |
 * | `lines[].lineId` | N9*LI*<lineId> (in the LX loop) |
 * | — | W7601 total units |
 *
 * Pure.
 */
import type { OrderReleasedData } from '../../../contracts/order-hub-schemas.js';
import type { SegmentInput, SetInput } from '../x12/index.js';
import { type OutboundContext, type OutboundResult, poNumberOf, seg } from './outbound-common.js';

export interface ShippingOrderContext extends OutboundContext {
  /** W66: payment method (`PP` prepaid, `CC` collect …), transport (`M` motor, `U` parcel …), SCAC. */
  shipping?: { payment: string; mode: string; scac?: string };
}

/** Maps a release to a 940. */
export function map940(data: OrderReleasedData, context: ShippingOrderContext): OutboundResult<SetInput> {
  const { shipTo } = data;
  const segments: SegmentInput[] = [
    seg('W05', 'N', data.orderId, poNumberOf(data.orderId, context)),
    seg('N1', 'ST', shipTo.name),
    seg('N3', shipTo.line1, shipTo.line2 ?? ''),
    seg('N4', shipTo.city, shipTo.region ?? '', shipTo.postalCode, shipTo.country),
    seg('N1', 'WH', data.location),
  ];
  if (context.shipping) {
    const { payment, mode, scac } = context.shipping;
    segments.push(seg('W66', payment, mode, '', '', scac ?? ''));
  }
  let total = 0;
  data.lines.forEach((line, index) => {
    total += line.quantity;
    segments.push(
      seg('LX', String(index + 1)),
      seg('W01', String(line.quantity), 'EA', '', 'VN', line.sku),
      seg('N9', 'LI', line.lineId),
    );
  });
  segments.push(seg('W76', String(total)));
  return { ok: true, data: { id: '940', segments } };
}
