import { describe, expect, it } from 'vitest';
import { apply, newOrder } from './lifecycle.js';
import { backorderedLines, backorderedSkus, cancelDeadline, unpickedLines } from './open-work.js';

describe('cancelDeadline', () => {
  it('lets the whole date pass (UTC) and takes a date-time as the instant it names', () => {
    expect(cancelDeadline('2026-03-31')).toBe('2026-04-01T00:00:00.000Z');
    expect(cancelDeadline('2026-12-31')).toBe('2027-01-01T00:00:00.000Z');
    expect(cancelDeadline('2026-03-31T12:00:00+02:00')).toBe('2026-03-31T10:00:00.000Z');
    expect(cancelDeadline('2026-03-31T10:00:00Z')).toBe('2026-03-31T10:00:00.000Z');
    expect(cancelDeadline('2026-03-31t10:00:00.5z')).toBe('2026-03-31T10:00:00.500Z');
  });
  it('refuses what is neither', () => {
    expect(cancelDeadline('2026-02-30')).toBeUndefined();
    expect(cancelDeadline('next week')).toBeUndefined();
    expect(cancelDeadline('1700000000')).toBeUndefined();
  });
});

describe('open work of an order', () => {
  it('backorders what was not committed, and a later commitment takes it off the backorder', () => {
    let state = newOrder('O', 'web', [
      { lineId: '1', sku: 'A', quantity: 5 },
      { lineId: '2', sku: 'B', quantity: 2 },
    ]);
    state = apply(state, {
      kind: 'committed',
      lines: [{ lineId: '1', location: 'east', quantity: 2 }],
      backordered: [
        { lineId: '1', quantity: 3 },
        { lineId: '2', quantity: 2 },
      ],
    }).state;
    expect(backorderedLines(state)).toEqual([
      { lineId: '1', sku: 'A', quantity: 3 },
      { lineId: '2', sku: 'B', quantity: 2 },
    ]);
    expect(backorderedSkus(state)).toEqual(['A', 'B']);
    state = apply(state, {
      kind: 'committed',
      lines: [{ lineId: '1', location: 'west', quantity: 3 }],
      backordered: [],
    }).state;
    expect(state.lines[0]).toMatchObject({ committed: 5, backordered: 0, committedAt: { east: 2, west: 3 } });
    expect(backorderedSkus(state)).toEqual(['B']);
    // Picked units are no longer cancellable by a cancelAfter.
    state = apply(state, { kind: 'released', location: 'east', lines: [{ lineId: '1', quantity: 2 }] }).state;
    state = apply(state, { kind: 'picked', location: 'east', lines: [{ lineId: '1', quantity: 2 }] }).state;
    expect(unpickedLines(state)).toEqual([
      { lineId: '1', sku: 'A', quantity: 3 },
      { lineId: '2', sku: 'B', quantity: 2 },
    ]);
  });
});
