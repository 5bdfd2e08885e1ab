import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AllocationPolicy,
  type AllocationRequest,
  allocateUnsplit,
  allocationPolicy,
  type Coordinates,
  distanceKm,
  firstThatFills,
  type LineAllocation,
  nearestFirst,
  shipComplete,
  shipToCoordinates,
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

/** Where the test locations are (north has none: it sorts last for `nearest`). */
const PLACES: Record<string, Coordinates> = {
  east: { lat: 40.7, lon: -74.0 },
  west: { lat: 34.05, lon: -118.25 },
};
const coordinatesOf = (location: string) => PLACES[location];
/** A ship-to near the west location. */
const NEAR_WEST: Coordinates = { lat: 37.77, lon: -122.42 };

/** Every policy: what any of them must keep. Add a new policy here. */
const POLICIES: AllocationPolicy[] = [
  firstThatFills,
  shipComplete,
  allocationPolicy({ policy: 'first-fit', shipComplete: false }),
  allocationPolicy({ policy: 'first-fit', shipComplete: true }),
  allocationPolicy({ policy: 'nearest', shipComplete: false }, NEAR_WEST, coordinatesOf),
  allocationPolicy({ policy: 'nearest', shipComplete: true }, NEAR_WEST, coordinatesOf),
];

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

describe('ship-complete', () => {
  const complete = [
    shipComplete,
    allocationPolicy({ policy: 'nearest', shipComplete: true }, NEAR_WEST, coordinatesOf),
  ];
  it.each(complete)('$name never splits an order: all of it at one location, or nothing', (policy) => {
    fc.assert(
      fc.property(requests, (request) => {
        const answer = policy.allocate(request);
        const locations = new Set(answer.filter((a) => a.commit > 0).map((a) => a.location));
        expect(locations.size).toBeLessThanOrEqual(1);
        const all = answer.every((a) => a.backorder === 0);
        const none = answer.every((a) => a.commit === 0);
        expect(all || none).toBe(true);
        // It commits when, and only when, some serving location covers every SKU's demand.
        const demand = new Map<string, number>();
        for (const l of request.lines) demand.set(l.sku, (demand.get(l.sku) ?? 0) + l.quantity);
        const some = request.locations.some((loc) =>
          [...demand].every(([sku, n]) => request.free(sku, loc) >= n),
        );
        expect(all).toBe(some);
      }),
      RUNS,
    );
  });

  it('takes the first location in preference order that has every line', () => {
    const free: Record<string, number> = { 'A@east': 5, 'B@west': 5, 'A@north': 2, 'B@north': 2 };
    const answer = shipComplete.allocate({
      lines: [
        { lineId: '1', sku: 'A', quantity: 2 },
        { lineId: '2', sku: 'B', quantity: 2 },
      ],
      locations: ['east', 'west', 'north'],
      free: (sku, location) => free[`${sku}@${location}`] ?? 0,
    });
    expect(answer.map((a) => [a.location, a.commit])).toEqual([
      ['north', 2],
      ['north', 2],
    ]);
    // Split would have used east and west.
    expect(
      firstThatFills
        .allocate({
          lines: [
            { lineId: '1', sku: 'A', quantity: 2 },
            { lineId: '2', sku: 'B', quantity: 2 },
          ],
          locations: ['east', 'west', 'north'],
          free: (sku, location) => free[`${sku}@${location}`] ?? 0,
        })
        .map((a) => a.location),
    ).toEqual(['east', 'west']);
  });
});

describe('nearest', () => {
  it('is first-fit over the locations sorted by distance to the ship-to', () => {
    const nearest = allocationPolicy({ policy: 'nearest', shipComplete: false }, NEAR_WEST, coordinatesOf);
    fc.assert(
      fc.property(requests, (request) => {
        const sorted = nearestFirst(request.locations, NEAR_WEST, coordinatesOf);
        expect(nearest.allocate(request)).toEqual(firstThatFills.allocate({ ...request, locations: sorted }));
      }),
      RUNS,
    );
  });

  it('puts the nearest location first, those without coordinates last, config order without an origin', () => {
    expect(nearestFirst(['north', 'east', 'west'], NEAR_WEST, coordinatesOf)).toEqual([
      'west',
      'east',
      'north',
    ]);
    expect(nearestFirst(['north', 'east', 'west'], { lat: 42.36, lon: -71.06 }, coordinatesOf)).toEqual([
      'east',
      'west',
      'north',
    ]);
    expect(nearestFirst(['north', 'east', 'west'], undefined, coordinatesOf)).toEqual([
      'north',
      'east',
      'west',
    ]);
  });

  it('measures great-circle distance', () => {
    // New York to Los Angeles is about 3,940 km.
    expect(distanceKm(PLACES.east as Coordinates, PLACES.west as Coordinates)).toBeGreaterThan(3900);
    expect(distanceKm(PLACES.east as Coordinates, PLACES.west as Coordinates)).toBeLessThan(3980);
    expect(distanceKm(NEAR_WEST, NEAR_WEST)).toBe(0);
  });

  it('places a ship-to by its own coordinates, else the most specific matching hint', () => {
    const hints = [
      { country: 'US', lat: 39, lon: -98 },
      { country: 'US', region: 'CA', lat: 36.7, lon: -119.4 },
      { country: 'US', postalPrefix: '10', lat: 40.7, lon: -74 },
      { country: 'US', postalPrefix: '100', lat: 40.75, lon: -73.99 },
      { country: 'DE', lat: 51.1, lon: 10.4 },
    ];
    expect(shipToCoordinates({ country: 'US', postalCode: '10001', region: 'NY' }, hints)).toEqual({
      lat: 40.75,
      lon: -73.99,
    });
    expect(shipToCoordinates({ country: 'US', postalCode: '94110', region: 'ca' }, hints)).toEqual({
      lat: 36.7,
      lon: -119.4,
    });
    expect(shipToCoordinates({ country: 'US', postalCode: '60601', region: 'IL' }, hints)).toEqual({
      lat: 39,
      lon: -98,
    });
    expect(shipToCoordinates({ country: 'FR', postalCode: '75001' }, hints)).toBeUndefined();
    expect(
      shipToCoordinates({ country: 'US', postalCode: '10001', coordinates: { lat: 1, lon: 2 } }, hints),
    ).toEqual({ lat: 1, lon: 2 });
  });
});

describe('allocateUnsplit: a line with a location is committed there only', () => {
  const stock: Record<string, number> = { 'A@east': 1, 'A@west': 10, 'B@west': 5 };
  const request: AllocationRequest = {
    lines: [
      { lineId: '1', sku: 'A', quantity: 2 },
      { lineId: '2', sku: 'A', quantity: 3 },
      { lineId: '3', sku: 'B', quantity: 2 },
    ],
    locations: ['east', 'west'],
    free: (sku, location) => stock[`${sku}@${location}`] ?? 0,
  };

  it('keeps a pinned line at its location (what is free there, the rest backordered); others use the policy', () => {
    const pinned = (lineId: string) => (lineId === '1' ? 'east' : undefined);
    expect(allocateUnsplit(firstThatFills, request, pinned)).toEqual([
      { lineId: '1', sku: 'A', location: 'east', commit: 1, backorder: 1 },
      { lineId: '2', sku: 'A', location: 'west', commit: 3, backorder: 0 },
      { lineId: '3', sku: 'B', location: 'west', commit: 2, backorder: 0 },
    ]);
  });

  it('commits nothing for a line whose location does not serve the order', () => {
    const answer = allocateUnsplit(firstThatFills, request, (lineId) =>
      lineId === '2' ? 'north' : undefined,
    );
    expect(answer[1]).toEqual({ lineId: '2', sku: 'A', commit: 0, backorder: 3 });
  });

  it('never commits more than is free at a location over all its groups, nor a pinned line elsewhere', () => {
    fc.assert(
      fc.property(
        requests,
        fc.array(fc.option(fc.constantFrom(...LOCATIONS)), { minLength: 6, maxLength: 6 }),
        (r, pins) => {
          const pinned = (lineId: string) => pins[Number(lineId) - 1] ?? undefined;
          for (const policy of [firstThatFills, shipComplete]) {
            const answer = allocateUnsplit(policy, r, pinned);
            expect(answer.map((a) => a.lineId)).toEqual(r.lines.map((l) => l.lineId));
            const used = new Map<string, number>();
            for (const a of answer) {
              const at = pinned(a.lineId);
              if (a.commit > 0 && at !== undefined) expect(a.location).toBe(at);
              if (a.commit > 0)
                used.set(`${a.sku}@${a.location}`, (used.get(`${a.sku}@${a.location}`) ?? 0) + a.commit);
            }
            for (const [key, n] of used) {
              const [sku, location] = key.split('@') as [string, string];
              expect(n).toBeLessThanOrEqual(Math.max(0, r.free(sku, location)));
            }
          }
        },
      ),
      RUNS,
    );
  });
});
