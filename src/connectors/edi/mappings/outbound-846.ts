/**
 * `inventory.availability.v1` (one or several, of one channel) → an X12 846 inventory inquiry/advice
 * (docs/edi.md): what the partner's channel may sell.
 *
 * | canonical | X12 |
 * |---|---|
 * | — | BIA01 `00` (original), BIA02 `MM` (manufacturer/distributor inventory report) |
 * | `reference` (context), else `<channel>-<CCYYMMDDHHMM>` | BIA03 |
 * | the time of the advice | BIA04 (CCYYMMDD), BIA05 (HHMM), UTC |
 * | `sku` (one LIN per SKU, first appearance order; the last availability of a SKU wins) | LIN01 position, LIN02 `VN`, LIN03 SKU |
 * | `available` | QTY01 `33` (quantity available for sale), QTY02, QTY03 `EA` |
 * | — | CTT01 number of LIN, CTT02 sum of QTY02 |
 *
 * Pure: an empty list, or availabilities of several channels, are problems.
 */
import type { InventoryAvailabilityData } from '../../../contracts/inventory-schemas.js';
import type { SegmentInput, SetInput } from '../x12/index.js';
import { type OutboundContext, type OutboundResult, seg, x12Date, x12Time } from './outbound-common.js';

export interface InventoryAdviceContext extends OutboundContext {
  /** BIA03; default `<channel>-<CCYYMMDDHHMM>`. */
  reference?: string;
}

/** Maps availabilities to an 846. */
export function map846(
  data: InventoryAvailabilityData | readonly InventoryAvailabilityData[],
  context: InventoryAdviceContext,
): OutboundResult<SetInput> {
  const list: readonly InventoryAvailabilityData[] = Array.isArray(data)
    ? data
    : [data as InventoryAvailabilityData];
  const first = list[0];
  if (!first) return { ok: false, problems: [{ field: '', detail: 'no availability to advise' }] };
  const channels = [...new Set(list.map((a) => a.channel))];
  if (channels.length > 1) {
    return {
      ok: false,
      problems: [{ field: 'channel', detail: `one 846 per channel, got ${channels.join(', ')}` }],
    };
  }
  const available = new Map<string, number>();
  for (const availability of list) available.set(availability.sku, availability.available);
  const date = x12Date(context.date) ?? '';
  const time = x12Time(context.date);
  const items: SegmentInput[] = [];
  let position = 0;
  let hash = 0;
  for (const [sku, quantity] of available) {
    position += 1;
    hash += quantity;
    items.push(seg('LIN', String(position), 'VN', sku), seg('QTY', '33', String(quantity), 'EA'));
  }
  return {
    ok: true,
    data: {
      id: '846',
      segments: [
        seg('BIA', '00', 'MM', context.reference ?? `${first.channel}-${date}${time}`, date, time),
        ...items,
        seg('CTT', String(available.size), String(hash)),
      ],
    },
  };
}
