/**
 * X12 856 (ship notice, from a 3PL shipping an order it was sent) → the `order.shipped` data of the
 * canonical model (docs/edi.md). One order per notice (one `HL*O`); its items are read wherever they sit
 * (under the order, under packs).
 *
 * | X12 | canonical |
 * |---|---|
 * | PRF01 (purchase order number) in the HL O: the order id as is, else `<partner>-<PRF01>` (looked up by the engine) | `orderId` |
 * | the partner system's `locations[0]` (config) | `location` |
 * | SN102 (units shipped) of each item's SN1, SN103 `EA` or blank; an item with 0 is left out | `lines[].quantity` (summed per order line) |
 * | LIN02/03, LIN04/05 … item ids (the partner's item map, else `VN`, `SK`, `BP`) → the order line with that SKU; else LIN01 (assigned id) → the order line with that `lineId` | `lines[].lineId` |
 * | TD503 (the SCAC, TD502 `2`) | `carrier` |
 * | REF `CN` (carrier's reference), else MAN `CP` (carrier-assigned package id), else REF `BM` (bill of lading) | `tracking` |
 *
 * Pure: a transaction set and the order it ships in, the data or the problems (with the X12 position) out.
 */
import { type Segment, type TransactionSet, valueAt } from '../x12/model.js';
import type { MappingProblem, MappingResult } from './inbound-850.js';
import { ShippedLines, type ShippingAdviceContext } from './inbound-945.js';
import { skuOf } from './item-ids.js';

/** The order PRF01 names, as sent, or the problem (no PRF, several orders in one notice). */
export function orderReference856(set: TransactionSet): MappingResult<string> {
  const orders = set.segments.filter((s) => s.id === 'HL' && valueAt(s, 3) === 'O');
  const prfs = set.segments.filter((s) => s.id === 'PRF');
  const problem = (
    segment: Segment | undefined,
    detail: string,
    element?: number,
  ): MappingResult<string> => ({
    ok: false,
    problems: [
      {
        segment: segment?.id ?? 'ST',
        ordinal: segment?.ordinal ?? set.header.ordinal,
        ...(element === undefined ? {} : { element }),
        detail,
      },
    ],
  });
  if (orders.length > 1)
    return problem(orders[1], 'the ship notice names several orders (HL O); send one per order');
  const prf = prfs[0];
  if (!prf) return problem(orders[0], 'no PRF (purchase order reference) names the order');
  const value = valueAt(prf, 1);
  return value ? { ok: true, data: value } : problem(prf, 'PRF01 (purchase order number) is empty', 1);
}

/** Maps one 856 set to `order.shipped` data. */
export function map856(
  set: TransactionSet,
  context: ShippingAdviceContext,
): MappingResult<Record<string, unknown>> {
  const problems: MappingProblem[] = [];
  const shipped = new ShippedLines(context.order);
  let lin: Segment | undefined;
  let sn1Count = 0;
  for (const segment of set.segments) {
    if (segment.id === 'HL') lin = undefined;
    if (segment.id === 'LIN') lin = segment;
    if (segment.id !== 'SN1') continue;
    sn1Count += 1;
    const text = valueAt(segment, 2);
    const quantity = Number(text);
    const unit = valueAt(segment, 3);
    if (text === '' || !Number.isInteger(quantity) || quantity < 0) {
      problems.push({
        segment: 'SN1',
        ordinal: segment.ordinal,
        element: 2,
        detail: `SN102 units shipped '${text}' is not a whole number >= 0`,
      });
      continue;
    }
    if (unit !== '' && unit !== 'EA') {
      problems.push({
        segment: 'SN1',
        ordinal: segment.ordinal,
        element: 3,
        detail: `SN103 unit '${unit}' is not EA (eaches)`,
      });
      continue;
    }
    if (quantity === 0) continue;
    const pairs: Array<[string, string]> = [];
    for (let position = 2; lin && position < lin.elements.length + 1; position += 2) {
      const id = valueAt(lin, position + 1);
      if (id) pairs.push([valueAt(lin, position) || 'VN', id]);
    }
    const sku = pairs.length > 0 ? skuOf(pairs, context.items) : undefined;
    const lineId = lin ? valueAt(lin, 1) : '';
    if (!shipped.add(sku, lineId, quantity)) {
      problems.push({
        segment: lin ? 'LIN' : 'SN1',
        ordinal: (lin ?? segment).ordinal,
        ...(lin ? { element: 3 } : {}),
        detail: `no line of order ${context.order.orderId} matches ${lin ? `item '${pairs.map(([, id]) => id).join("', '")}'${lineId ? ` or line ${lineId}` : ''}` : 'an SN1 without LIN'}`,
      });
    }
  }
  if (problems.length === 0 && shipped.size === 0) {
    problems.push({
      segment: 'ST',
      ordinal: set.header.ordinal,
      detail: sn1Count === 0 ? 'the ship notice has no SN1 items' : 'no SN1 item ships any unit',
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  const td5 = set.segments.find((s) => s.id === 'TD5' && valueAt(s, 3) !== '');
  const byQualifier = (id: string, qualifier: string) =>
    set.segments.find((s) => s.id === id && valueAt(s, 1) === qualifier && valueAt(s, 2) !== '');
  const tracking = byQualifier('REF', 'CN') ?? byQualifier('MAN', 'CP') ?? byQualifier('REF', 'BM');
  return {
    ok: true,
    data: {
      orderId: context.order.orderId,
      location: context.location,
      lines: shipped.lines(),
      ...(td5 ? { carrier: valueAt(td5, 3) } : {}),
      ...(tracking ? { tracking: valueAt(tracking, 2) } : {}),
    },
  };
}
