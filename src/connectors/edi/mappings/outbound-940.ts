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
 * | `customerPo` (else the order id without `<partner>-`, or `poNumber`) | W0503 (PO number) |
 * | `billTo`, `markFor` | N1*BT, N1*Z7 (N103 `92` + N104 with an id; N3/N4 with an address) |
 * | `department` | N9*DP |
 * | `requestedShipDate`, `shipNotBefore`, `shipNoLater`, `requestedDeliveryDate`, `cancelAfter` | G62*10, G62*37, G62*38, G62*02, G62*01 (CCYYMMDD) |
 * | `notes` | NTE*WHI (warehouse instruction), 80 characters each |
 * | `shipVia.carrier` | W6605 when the context gives W66's payment and transport (a context `scac` wins) |
 * | one per `lines[]`, numbered from 1 | LX01 |
 * | `lines[].quantity`, `lines[].sku` | W0101 quantity, W0102 `EA`, W0104 `VN`, W0105 SKU |
 * | `lines[].gtin` of 12 digits (U.P.C.) | W0103 |
 * | `lines[].customerItemId`; else a 13- or 14-digit `gtin` | W0106 `BP`, W0107; else W0106 `EN`/`UK`, W0107 |
 * | `lines[].description` | G69 (45 characters) |
 * | `lines[].lineId` | N9*LI*<lineId> (in the LX loop) |
 * | — | W7601 total units |
 *
 * Pure.
 */
import type { OrderReleasedData } from '../../../contracts/order-hub-schemas.js';
import type { SegmentInput, SetInput } from '../x12/index.js';
import { type OutboundContext, type OutboundResult, poNumberOf, seg, x12Date } from './outbound-common.js';

export interface ShippingOrderContext extends OutboundContext {
  /** W66: payment method (`PP` prepaid, `CC` collect …), transport (`M` motor, `U` parcel …), SCAC. */
  shipping?: { payment: string; mode: string; scac?: string };
}

/** Maps a release to a 940. */
export function map940(data: OrderReleasedData, context: ShippingOrderContext): OutboundResult<SetInput> {
  const { shipTo } = data;
  const segments: SegmentInput[] = [
    seg(
      'W05',
      'N',
      data.orderId,
      poNumberOf(data.orderId, { ...context, poNumber: context.poNumber ?? data.customerPo }),
    ),
    seg('N1', 'ST', shipTo.name),
    seg('N3', shipTo.line1, shipTo.line2 ?? ''),
    seg('N4', shipTo.city, shipTo.region ?? '', shipTo.postalCode, shipTo.country),
    seg('N1', 'WH', data.location),
    ...partyLoop('BT', data.billTo),
    ...partyLoop('Z7', data.markFor),
    ...(data.department ? [seg('N9', 'DP', data.department)] : []),
    ...dates(data),
    ...noteLines(data.notes),
  ];
  if (context.shipping) {
    const { payment, mode, scac } = context.shipping;
    segments.push(seg('W66', payment, mode, '', '', scac ?? data.shipVia?.carrier ?? ''));
  }
  let total = 0;
  data.lines.forEach((line, index) => {
    total += line.quantity;
    const gtin = line.gtin ?? '';
    const buyer: string[] = line.customerItemId
      ? ['BP', line.customerItemId]
      : gtin.length === 13 || gtin.length === 14
        ? [gtin.length === 13 ? 'EN' : 'UK', gtin]
        : [];
    segments.push(
      seg('LX', String(index + 1)),
      seg('W01', String(line.quantity), 'EA', gtin.length === 12 ? gtin : '', 'VN', line.sku, ...buyer),
      ...(line.description ? [seg('G69', line.description.slice(0, 45))] : []),
      seg('N9', 'LI', line.lineId),
    );
  });
  segments.push(seg('W76', String(total)));
  return { ok: true, data: { id: '940', segments } };
}

/** An N1 loop of a party: N1 (with its id as N103 `92`, N104), N3 and N4 when it has an address. */
function partyLoop(code: string, party: OrderReleasedData['billTo']): SegmentInput[] {
  if (!party) return [];
  const loop = [seg('N1', code, party.name, ...(party.id ? ['92', party.id] : []))];
  if (party.line1) loop.push(seg('N3', party.line1, ...(party.line2 ? [party.line2] : [])));
  if (party.city && party.postalCode)
    loop.push(seg('N4', party.city, party.region ?? '', party.postalCode, party.country ?? ''));
  return loop;
}

/** G62 qualifiers (X12 element 432) of the ship window and cancel date. */
const G62_DATES = [
  ['requestedShipDate', '10'],
  ['shipNotBefore', '37'],
  ['shipNoLater', '38'],
  ['requestedDeliveryDate', '02'],
  ['cancelAfter', '01'],
] as const;

function dates(data: OrderReleasedData): SegmentInput[] {
  return G62_DATES.flatMap(([field, qualifier]) => {
    const day = data[field] ? x12Date(data[field]) : undefined;
    return day ? [seg('G62', qualifier, day)] : [];
  });
}

/** The notes as NTE*WHI segments of at most 80 characters (NTE02), one per line of text. */
function noteLines(notes: string | undefined): SegmentInput[] {
  if (!notes) return [];
  return notes
    .split(/\r?\n/)
    .flatMap((line) => line.match(/.{1,80}/g) ?? [])
    .map((chunk) => seg('NTE', 'WHI', chunk));
}
