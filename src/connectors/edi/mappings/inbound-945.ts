/**
 * X12 945 (warehouse shipping advice, from a 3PL) → the `order.shipped` data of the canonical model
 * (docs/edi.md).
 *
 * | X12 | canonical |
 * |---|---|
 * | W06-02 (depositor order number): the order id as is, else `<partner>-<W06-02>` (looked up by the engine) | `orderId` |
 * | the partner system's `locations[0]` (config) | `location` |
 * | W12-03 (number of units shipped; a line with 0 is left out: partial shipments) | `lines[].quantity` (summed per order line) |
 * | W12-07/W12-08 item id (the partner's item table (docs/edi.md#item-ids), else `VN`, `SK`, `BP`, or an unqualified id) → the order line with that SKU; else LX01 (the line number) → the order line with that `lineId` | `lines[].lineId` |
 * | W27-02 (SCAC) | `carrier` |
 * | N9 or REF with qualifier `CN` (carrier's reference / PRO), else `BM` (bill of lading) | `tracking` |
 *
 * Pure: a transaction set and the order it ships in, the data or the problems (with the X12 position) out.
 */
import { type TransactionSet, valueAt } from '../x12/model.js';
import type { MappingProblem, MappingResult } from './inbound-850.js';
import { type ItemLookup, skuOf } from './item-ids.js';

/** The order id W06-02 names, as sent, or the problem. */
export function orderReference945(set: TransactionSet): MappingResult<string> {
  const w06 = set.segments.find((s) => s.id === 'W06');
  const value = w06 ? valueAt(w06, 2) : '';
  if (w06 && value) return { ok: true, data: value };
  return {
    ok: false,
    problems: [
      {
        segment: 'W06',
        ordinal: w06?.ordinal ?? set.header.ordinal,
        ...(w06 ? { element: 2 } : {}),
        detail: w06 ? 'W06-02 (depositor order number) is empty' : 'no W06 segment',
      },
    ],
  };
}

export interface ShippingAdviceContext {
  /** The order the advice is about (found by `orderReference945`). */
  order: { orderId: string; lines: readonly { lineId: string; sku: string }[] };
  /** The location the partner ships from. */
  location: string;
  /** The partner's item ids → SKUs. */
  items?: ItemLookup;
}

/**
 * The order lines a shipment's items ship, summed per line. An item names its line by SKU (a line of that
 * SKU not matched yet first, so two lines of one SKU fill in turn), else by the line id the set gives.
 * Shared by the 945 (W12 lines) and the 856 (LIN/SN1 items).
 */
export class ShippedLines {
  private readonly quantities = new Map<string, number>();
  private readonly used = new Set<string>();

  constructor(private readonly order: ShippingAdviceContext['order']) {}

  /** Adds `quantity` to the line the item names; false when no line of the order matches. */
  add(sku: string | undefined, lineId: string, quantity: number): boolean {
    const lines = this.order.lines;
    const line =
      (sku &&
        (lines.find((l) => l.sku === sku && !this.used.has(l.lineId)) ?? lines.find((l) => l.sku === sku))) ||
      lines.find((l) => lineId !== '' && l.lineId === lineId);
    if (!line) return false;
    this.used.add(line.lineId);
    this.quantities.set(line.lineId, (this.quantities.get(line.lineId) ?? 0) + quantity);
    return true;
  }

  get size(): number {
    return this.quantities.size;
  }

  /** `order.shipped` lines, in the order they were first shipped. */
  lines(): { lineId: string; quantity: number }[] {
    return [...this.quantities].map(([lineId, quantity]) => ({ lineId, quantity }));
  }
}

/** Maps one 945 set to `order.shipped` data. */
export function map945(
  set: TransactionSet,
  context: ShippingAdviceContext,
): MappingResult<Record<string, unknown>> {
  const problems: MappingProblem[] = [];
  const shipped = new ShippedLines(context.order);
  let lineNumber = '';
  let w12Count = 0;
  for (const segment of set.segments) {
    if (segment.id === 'LX') {
      lineNumber = valueAt(segment, 1);
      continue;
    }
    if (segment.id !== 'W12') continue;
    w12Count += 1;
    const text = valueAt(segment, 3);
    const quantity = Number(text);
    if (text === '' || !Number.isInteger(quantity) || quantity < 0) {
      problems.push({
        segment: 'W12',
        ordinal: segment.ordinal,
        element: 3,
        detail: `W12-03 units shipped '${text}' is not a whole number >= 0`,
      });
      continue;
    }
    if (quantity === 0) continue; // nothing of this line left the warehouse
    const qualifier = valueAt(segment, 7);
    const id = valueAt(segment, 8);
    const sku = id ? skuOf([[qualifier || 'VN', id]], context.items) : undefined;
    if (!shipped.add(sku, lineNumber, quantity)) {
      problems.push({
        segment: 'W12',
        ordinal: segment.ordinal,
        element: 8,
        detail: `no line of order ${context.order.orderId} matches item '${id}'${lineNumber ? ` or line number ${lineNumber}` : ''}`,
      });
    }
  }
  if (problems.length === 0 && shipped.size === 0) {
    problems.push({
      segment: 'ST',
      ordinal: set.header.ordinal,
      detail: w12Count === 0 ? 'the shipping advice has no W12 lines' : 'no W12 line ships any unit',
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  const w27 = set.segments.find((s) => s.id === 'W27');
  const carrier = w27 ? valueAt(w27, 2) : '';
  const references = set.segments.filter((s) => s.id === 'N9' || s.id === 'REF');
  const tracking = ['CN', 'BM']
    .map((q) => references.find((s) => valueAt(s, 1) === q && valueAt(s, 2) !== ''))
    .find(Boolean);
  return {
    ok: true,
    data: {
      orderId: context.order.orderId,
      location: context.location,
      lines: shipped.lines(),
      ...(carrier ? { carrier } : {}),
      ...(tracking ? { tracking: valueAt(tracking, 2) } : {}),
    },
  };
}
