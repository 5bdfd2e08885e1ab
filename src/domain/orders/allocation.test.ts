import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AllocationPolicy,
  type AllocationRequest,
  firstThatFills,
  type LineAllocation,
} from './allocation.js';

const RUNS = { numRuns: 500 };
const SKUS = ['A', 'B', 'C'];
const LOCATIONS = ['east', 'west', 'north'];

/** An order of 1–6 lines over a few SKUs, the serving locations in some order, and free stock (may be negative). */
const requests = fc
  .record({
    lines: fc.array(fc.record({ sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 20 }) }), {
      minLength: 1,
      maxLength: 6,
    }),
    locations: fc.shuffledSubarray(LOCATIONS),
    stock: fc.dictionary(
      fc.constantFrom(...SKUS.flatMap((s) => LOCATIONS.map((l) => `${s}@${l}`))),
      fc.integer({ min: -5, max: 40 }),
    ),
  })
  .map(
    ({ lines, locations, stock }): AllocationRequest => ({
      lines: lines.map((l, i) => ({ lineId: String(i + 1), ...l })),
      locations,
      free: (sku, location) => stock[`${sku}@${location}`] ?? 0,
    }),
  );

const sum = (xs: number[]) => xs.reduce((n, x) => n + x, 0);

/** Every policy: what any of them must keep. Add a new policy here. */
const POLICIES: AllocationPolicy[] = [firstThatFills];

describe.each(POLICIES)('allocation policy $name: what every policy keeps', (policy) => {
  it('answers every line once, committing and backordering exactly what was ordered', () => {
    fc.assert(
      fc.property(requests, (request) => {
        const answer = policy.allocate(request);
        expect(answer.map((a) => a.lineId).sort()).toEqual(request.lines.map((l) => l.lineId).sort());
        for (const a of answer) {
          const line = request.lines.find((l) => l.lineId === a.lineId);
          expect(a.sku).toBe(line?.sku);
          expect(a.commit).toBeGreaterThanOrEqual(0);
          expect(a.backorder).toBeGreaterThanOrEqual(0);
          expect(a.commit + a.backorder).toBe(line?.quantity);
        }
      }),
      RUNS,
    );
  });

  it('never commits more than is free at a location, nor anywhere but the serving locations', () => {
    fc.assert(
      fc.property(requests, (request) => {
        const answer = policy.allocate(request);
        const committed = new Map<string, number>();
        for (const a of answer.filter((x) => x.commit > 0)) {
          expect(request.locations).toContain(a.location);
          const key = `${a.sku}@${a.location}`;
          committed.set(key, (committed.get(key) ?? 0) + a.commit);
        }
        for (const [key, units] of committed) {
          const [sku, location] = key.split('@') as [string, string];
          expect(units).toBeLessThanOrEqual(Math.max(0, request.free(sku, location)));
        }
      }),
      RUNS,
    );
  });

  it('is deterministic: the same request gets the same answer', () => {
    fc.assert(
      fc.property(requests, (request) => {
        expect(policy.allocate(request)).toEqual(policy.allocate(request));
      }),
      RUNS,
    );
  });
});

describe('allocation policy first-that-fills', () => {
  it('ships a SKU from one location, the first in preference order that fills it when there is one', () => {
    fc.assert(
      fc.property(requests, (request) => {
        const answer = firstThatFills.allocate(request);
        for (const sku of new Set(request.lines.map((l) => l.sku))) {
          const ofSku = answer.filter((a) => a.sku === sku);
          expect(new Set(ofSku.map((a) => a.location)).size).toBeLessThanOrEqual(1);
          const demand = sum(request.lines.filter((l) => l.sku === sku).map((l) => l.quantity));
          const fills = request.locations.find((loc) => request.free(sku, loc) >= demand);
          if (fills !== undefined) {
            expect(ofSku.every((a: LineAllocation) => a.location === fills && a.backorder === 0)).toBe(true);
          } else {
            // Nowhere fills it: the fullest location gives all it has.
            const most = Math.max(0, ...request.locations.map((loc) => request.free(sku, loc)));
            expect(sum(ofSku.map((a) => a.commit))).toBe(Math.min(most, demand));
          }
        }
      }),
      RUNS,
    );
  });

  it('backorders everything when no location serves the order', () => {
    const answer = firstThatFills.allocate({
      lines: [{ lineId: '1', sku: 'A', quantity: 3 }],
      locations: [],
      free: () => 100,
    });
    expect(answer).toEqual([{ lineId: '1', sku: 'A', commit: 0, backorder: 3 }]);
  });

  it('prefers config order on a tie and fills lines in order from the fullest', () => {
    const free: Record<string, number> = { 'A@east': 4, 'A@west': 4 };
    const answer = firstThatFills.allocate({
      lines: [
        { lineId: '1', sku: 'A', quantity: 3 },
        { lineId: '2', sku: 'A', quantity: 3 },
      ],
      locations: ['west', 'east'],
      free: (sku, location) => free[`${sku}@${location}`] ?? 0,
    });
    expect(answer).toEqual([
      { lineId: '1', sku: 'A', location: 'west', commit: 3, backorder: 0 },
      { lineId: '2', sku: 'A', location: 'west', commit: 1, backorder: 2 },
    ]);
  });
});
