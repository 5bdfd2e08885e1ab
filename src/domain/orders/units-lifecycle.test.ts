/**
 * Orders in mixed units of measure through the lifecycle (docs/orders.md#units-of-measure): lines are
 * taken in EA, CA or PL, converted to eaches at acceptance, and execution events (picked, shipped,
 * cancelled) come in eaches or, with a `uom`, in the line's unit, converted by `inputOf`. Whatever the
 * sequence, the stock buckets the effects move stay consistent in eaches and no line is over-committed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inputOf } from './event-inputs.js';
import { active, apply, effective, newOrder, type OrderEffect, type OrderState } from './lifecycle.js';
import { factorOf, toBase, type UnitTable } from './units.js';

const RUNS = { numRuns: 300 };
const LOCATION = 'DC1';

/** Per SKU its own case size; pallets only through '*'. */
const tables: fc.Arbitrary<UnitTable> = fc.record({
  '*': fc.record({ CA: fc.integer({ min: 2, max: 24 }), PL: fc.integer({ min: 25, max: 200 }) }),
  'SKU-1': fc.record({ CA: fc.integer({ min: 2, max: 12 }) }),
});

interface Line {
  sku: string;
  uom: string;
  quantity: number;
}

const lines = fc.array(
  fc.oneof(
    fc.record({
      sku: fc.constant('SKU-1'),
      uom: fc.constantFrom('EA', 'CA'),
      quantity: fc.integer({ min: 1, max: 5 }),
    }),
    fc.record({
      sku: fc.constantFrom('SKU-2', 'SKU-3'),
      uom: fc.constantFrom('EA', 'CA', 'PL'),
      quantity: fc.integer({ min: 1, max: 3 }),
    }),
  ),
  { minLength: 1, maxLength: 4 },
);

/** One execution event: stage, line index, quantity, whether it is said in the line's unit. */
const steps = fc.array(
  fc.record({
    type: fc.constantFrom('picked', 'packed', 'shipped', 'cancelled'),
    line: fc.nat({ max: 3 }),
    quantity: fc.integer({ min: 1, max: 40 }),
    inUnit: fc.boolean(),
  }),
  { maxLength: 12 },
);

interface Buckets {
  on_hand: number;
  committed: number;
  in_transit: number;
}

function move(stock: Map<string, Buckets>, effect: OrderEffect): void {
  const at = (sku: string) => {
    const b = stock.get(sku) ?? { on_hand: 0, committed: 0, in_transit: 0 };
    stock.set(sku, b);
    return b;
  };
  switch (effect.kind) {
    case 'ship': {
      const b = at(effect.sku);
      b.on_hand -= effect.quantity;
      b.committed -= effect.committed;
      b.in_transit += effect.quantity;
      break;
    }
    case 'releaseCommitment':
      at(effect.sku).committed -= effect.quantity;
      break;
    case 'deliver':
      at(effect.sku).in_transit -= effect.quantity;
      break;
    default:
      break;
  }
}

describe('orders in mixed units through the lifecycle', () => {
  it('keeps stock buckets consistent in eaches and never over-commits a line', () => {
    fc.assert(
      fc.property(
        tables,
        lines,
        steps,
        fc.integer({ min: 0, max: 2000 }),
        (table, ordered, events, onHand) => {
          // Acceptance: each line's base quantity (lines in a unit the SKU lacks become eaches).
          const accepted = ordered.map((l: Line, i) => {
            const uom = factorOf(table, l.sku, l.uom) === undefined ? 'EA' : l.uom;
            const base = toBase(table, l.sku, l.quantity, uom);
            if (!base.ok) throw new Error(base.detail);
            return { lineId: `L${i + 1}`, sku: l.sku, uom, quantity: l.quantity, base: base.base };
          });
          let state: OrderState = newOrder(
            'o-u',
            'web',
            accepted.map((l) => ({ lineId: l.lineId, sku: l.sku, quantity: l.base })),
          );
          // Commit what the stock has, per SKU, in eaches.
          const stock = new Map<string, Buckets>();
          const free = new Map<string, number>();
          const commit: { lineId: string; location: string; quantity: number }[] = [];
          const backordered: { lineId: string; quantity: number }[] = [];
          for (const l of accepted) {
            if (!stock.has(l.sku)) stock.set(l.sku, { on_hand: onHand, committed: 0, in_transit: 0 });
            const left = free.get(l.sku) ?? onHand;
            const take = Math.min(left, l.base);
            free.set(l.sku, left - take);
            (stock.get(l.sku) as Buckets).committed += take;
            if (take > 0) commit.push({ lineId: l.lineId, location: LOCATION, quantity: take });
            if (l.base > take) backordered.push({ lineId: l.lineId, quantity: l.base - take });
          }
          state = apply(state, { kind: 'committed', lines: commit, backordered }).state;
          const released = commit.map((c) => ({ lineId: c.lineId, quantity: c.quantity }));
          if (released.length > 0)
            state = apply(state, { kind: 'released', location: LOCATION, lines: released }).state;

          for (const e of events) {
            const line = accepted[e.line % accepted.length] as (typeof accepted)[number];
            const entry = {
              lineId: line.lineId,
              quantity: e.quantity,
              ...(e.inUnit ? { uom: line.uom } : {}),
            };
            const data =
              e.type === 'cancelled'
                ? { orderId: 'o-u', reason: 'test', lines: [entry] }
                : { orderId: 'o-u', location: LOCATION, lines: [entry] };
            const outcome = inputOf(`com.manifold.order.${e.type}.v1`, data, state, () => undefined, table);
            expect(outcome.kind).toBe('input');
            if (outcome.kind !== 'input') continue;
            // The input the lifecycle sees is in eaches.
            const input = outcome.input as { lines?: { quantity: number }[] };
            const factor = e.inUnit ? (factorOf(table, line.sku, line.uom) as number) : 1;
            expect(input.lines?.[0]?.quantity).toBe(e.quantity * factor);
            const t = apply(state, outcome.input);
            for (const effect of t.effects) move(stock, effect);
            state = t.state;
          }

          // Stock: per SKU, the committed bucket is the lines' open commitments; units shipped left on hand.
          for (const [sku, b] of stock) {
            const skuLines = state.lines.filter((l) => l.sku === sku);
            const open = skuLines.reduce(
              (n, l) => n + Object.values(l.committedAt ?? {}).reduce((m, q) => m + q, 0),
              0,
            );
            const shipped = skuLines.reduce((n, l) => n + effective(l, 'shipped'), 0);
            expect(b.committed).toBe(open);
            expect(b.committed).toBeGreaterThanOrEqual(0);
            expect(b.in_transit).toBe(shipped);
            expect(b.on_hand).toBe(onHand - shipped);
          }
          // No line is over-committed: commitments and cancellations stay within its eaches.
          for (const l of state.lines) {
            const base = accepted.find((a) => a.lineId === l.lineId)?.base as number;
            expect(l.ordered).toBe(base);
            expect(l.committed).toBeLessThanOrEqual(l.ordered);
            expect(l.cancelled).toBeLessThanOrEqual(l.ordered);
            const openAt = Object.values(l.committedAt ?? {}).reduce((m, q) => m + q, 0);
            expect(openAt).toBeLessThanOrEqual(Math.max(0, active(l) - effective(l, 'shipped')));
            expect(effective(l, 'shipped')).toBeLessThanOrEqual(active(l) + l.cancelled);
          }
        },
      ),
      RUNS,
    );
  });

  it('refuses an execution line in a unit the line SKU does not have', () => {
    const state = newOrder('o-u', 'web', [{ lineId: '1', sku: 'SKU-1', quantity: 12 }]);
    const outcome = inputOf(
      'com.manifold.order.picked.v1',
      { orderId: 'o-u', location: LOCATION, lines: [{ lineId: '1', quantity: 1, uom: 'PL' }] },
      state,
      () => undefined,
      { '*': { PL: 100 }, 'SKU-1': { CA: 12 } },
    );
    expect(outcome).toEqual({
      kind: 'unknown-unit',
      detail: "line 1: unit 'PL' is not in the unit table for SKU SKU-1 (known: EA, CA)",
    });
  });
});
