/**
 * X12 846 (inventory inquiry/advice) → data of the canonical model (docs/edi.md), one per LIN item, read
 * one of two ways:
 *
 * - **from a supplier** (`reading: 'incoming'`): QTY01 `33` (quantity available for sale) is read as the
 *   units to expect at our location → `inventory.incoming`. QTY01 `17` (quantity on hand) is the
 *   supplier's own stock, not committed to us, and is not mapped.
 * - **from a 3PL** that owns the on-hand of its warehouse (`reading: 'on-hand'`): QTY01 `17` (quantity on
 *   hand) is the count of the units in that warehouse → `inventory.counted` (`onHand`, 0 included: an
 *   empty bin is a count). Its `33` (what it would sell) is not mapped: the hub works out what is
 *   available from the on-hand and its own commitments.
 *
 * An item without the qualifier its reading needs is a problem (the set is rejected), so that a partner
 * sending other qualifiers is noticed, not silently ignored.
 *
 * | X12 | canonical |
 * |---|---|
 * | LIN-02/03, LIN-04/05 … item id pairs: the partner's item table (docs/edi.md#item-ids), else `VN`, `SK`, `BP` | `sku` |
 * | the partner system's `locations[0]` (config) | `location` |
 * | QTY-02 of the item's QTY with QTY-01 `33` (summed when several) | `quantity` (whole units; an item with 0 is left out: the canonical `incoming` carries at least 1, so a 0 does not clear an earlier figure) |
 * | the item's DTM with DTM-01 `018` (available), `017` (estimated delivery), `067` (current schedule delivery) or `002` (delivery requested), DTM-02/03; else BIA-04 (the report's date); else the time of receipt | `expectedAt` (UTC) |
 *
 * Pure: a transaction set in, the data or the problems (with the X12 position) out.
 */
import { type Segment, type TransactionSet, valueAt } from '../x12/model.js';
import type { MappingProblem, MappingResult } from './inbound-850.js';
import { type ItemLookup, readX12DateTime, skuOf } from './item-ids.js';

/** QTY-01 read as the units to expect. */
export const INCOMING_QUANTITY_QUALIFIER = '33';
/** QTY-01 read as the units on hand in a 3PL's warehouse. */
export const ON_HAND_QUANTITY_QUALIFIER = '17';
/** DTM-01 qualifiers read as the expected date, in order of preference. */
const EXPECTED_DATE_QUALIFIERS = ['018', '017', '067', '002'];

export interface InventoryAdviceContext {
  /** The location the units are expected at. */
  location: string;
  /** The partner's item ids → SKUs. */
  items?: ItemLookup;
  /** The time of receipt, for `expectedAt` when the set gives no date. */
  receivedAt: string;
  /** `incoming` (a supplier's advice, the default) or `on-hand` (a 3PL's count of its warehouse). */
  reading?: 'incoming' | 'on-hand';
}

/** Maps one 846 set to `inventory.incoming` (or, read `on-hand`, `inventory.counted`) data, one per LIN item. */
export function map846(
  set: TransactionSet,
  context: InventoryAdviceContext,
): MappingResult<Record<string, unknown>[]> {
  const problems: MappingProblem[] = [];
  const bia = set.segments.find((s) => s.id === 'BIA');
  const reportRead = bia ? readX12DateTime(valueAt(bia, 4)) : { ok: true as const };
  if (!reportRead.ok && bia) {
    problems.push({
      segment: 'BIA',
      ordinal: bia.ordinal,
      element: 4,
      detail: `BIA04: ${reportRead.detail}`,
    });
  }
  const reportDate = reportRead.ok ? reportRead.at : undefined;
  // The LIN loops: each LIN and the segments up to the next LIN (or CTT).
  const items: { lin: Segment; body: Segment[] }[] = [];
  for (const segment of set.segments) {
    if (segment.id === 'LIN') items.push({ lin: segment, body: [] });
    else if (segment.id === 'CTT') break;
    else items.at(-1)?.body.push(segment);
  }
  const data: Record<string, unknown>[] = [];
  for (const { lin, body } of items) {
    const pairs: [string, string][] = [];
    for (let position = 2; position + 1 <= lin.elements.length; position += 2) {
      pairs.push([valueAt(lin, position), valueAt(lin, position + 1)]);
    }
    const sku = skuOf(pairs, context.items);
    if (!sku) {
      problems.push({
        segment: 'LIN',
        ordinal: lin.ordinal,
        element: 3,
        detail: `no item id maps to a SKU (item table, VN, SK or BP); ids: ${pairs.map((p) => p.join(' ')).join(', ') || 'none'}`,
      });
      continue;
    }
    const onHand = context.reading === 'on-hand';
    const qualifier = onHand ? ON_HAND_QUANTITY_QUALIFIER : INCOMING_QUANTITY_QUALIFIER;
    const quantities = body.filter((s) => s.id === 'QTY' && valueAt(s, 1) === qualifier);
    if (quantities.length === 0) {
      problems.push({
        segment: 'LIN',
        ordinal: lin.ordinal,
        detail: `item ${sku} has no QTY with QTY01 ${qualifier} (${onHand ? 'quantity on hand' : 'quantity available'})`,
      });
      continue;
    }
    let quantity = 0;
    for (const qty of quantities) {
      const value = Number(valueAt(qty, 2));
      if (valueAt(qty, 2) === '' || !Number.isInteger(value) || value < 0) {
        problems.push({
          segment: 'QTY',
          ordinal: qty.ordinal,
          element: 2,
          detail: `QTY02 '${valueAt(qty, 2)}' is not a whole number >= 0`,
        });
      }
      quantity += value;
    }
    if (onHand) {
      // A count: every item is one, 0 included (the bin is empty).
      data.push({ sku, location: context.location, onHand: quantity });
      continue;
    }
    const dates = body.filter((s) => s.id === 'DTM');
    let expected: string | undefined;
    for (const dtm of EXPECTED_DATE_QUALIFIERS.map((q) => dates.find((d) => valueAt(d, 1) === q))) {
      if (dtm === undefined) continue;
      const read = readX12DateTime(valueAt(dtm, 2), valueAt(dtm, 3));
      if (!read.ok) {
        const element = read.element === 'date' ? 2 : 3;
        problems.push({
          segment: 'DTM',
          ordinal: dtm.ordinal,
          element,
          detail: `DTM0${element}: ${read.detail}`,
        });
      } else expected ??= read.at;
    }
    if (quantity === 0) continue; // nothing to expect: `inventory.incoming` carries at least 1 unit
    data.push({
      sku,
      location: context.location,
      quantity,
      expectedAt: expected ?? reportDate ?? context.receivedAt,
    });
  }
  if (items.length === 0) {
    problems.push({
      segment: 'ST',
      ordinal: set.header.ordinal,
      detail: 'the inventory advice has no LIN item',
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, data };
}
