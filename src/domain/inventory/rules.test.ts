import { describe, expect, it } from 'vitest';
import { INVENTORY_BUCKETS } from './buckets.js';
import {
  applyDeltas,
  available,
  BUCKETS,
  type BucketDeltas,
  emptyPosition,
  type Position,
} from './position.js';
import {
  adjusted,
  allocate,
  commit,
  commitReservation,
  counted,
  deliver,
  incoming,
  moved,
  type RuleResult,
  received,
  releaseCommitment,
  releaseReservation,
  reserve,
  restock,
  returnReceived,
  scrap,
  ship,
} from './rules.js';

const at = (buckets: BucketDeltas): Position => applyDeltas(emptyPosition(), buckets);

/** The position after an accepted rule; fails the test on a refusal. */
function settle(position: Position, result: RuleResult): Position {
  if (!result.ok) throw new Error(`refused: ${result.code} ${result.detail}`);
  return applyDeltas(position, result.deltas);
}

describe('position', () => {
  it('has the buckets of the v1 contract, in order', () => {
    expect(BUCKETS).toEqual(INVENTORY_BUCKETS);
  });

  it('derives available from on hand minus promised and unsellable units', () => {
    const position = at({ on_hand: 20, reserved: 1, committed: 2, allocated: 2, quarantined: 3 });
    expect(available(applyDeltas(position, { damaged: 4, returned: 5, incoming: 9, in_transit: 9 }))).toBe(5);
  });

  it('applies deltas without touching the input', () => {
    const position = at({ on_hand: 5 });
    expect(applyDeltas(position, { on_hand: -2, reserved: 1 })).toEqual({
      ...position,
      on_hand: 3,
      reserved: 1,
    });
    expect(position.on_hand).toBe(5);
  });
});

describe('quantities', () => {
  const movements = [
    ['received', (p: Position, q: number) => received(p, q)],
    ['moved', (p: Position, q: number) => moved(p, 'available', 'damaged', q, 'damaged')],
    ['reserve', reserve],
    ['releaseReservation', (p: Position, q: number) => releaseReservation(p, q)],
    ['commitReservation', commitReservation],
    ['commit', commit],
    ['releaseCommitment', releaseCommitment],
    ['allocate', allocate],
    ['ship', ship],
    ['deliver', deliver],
    ['returnReceived', returnReceived],
    ['restock', restock],
    ['scrap', scrap],
  ] as const;
  const full = at({ on_hand: 50, reserved: 10, committed: 10, returned: 10, in_transit: 10 });

  for (const [name, rule] of movements) {
    it(`${name} refuses zero, negative, fractional and non-finite quantities`, () => {
      for (const quantity of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(rule(full, quantity)).toMatchObject({ ok: false, code: 'invalid-quantity' });
      }
    });
  }

  it('counted and incoming take absolute levels: zero allowed, negative or fractional refused', () => {
    for (const rule of [counted, incoming]) {
      expect(rule(full, 0).ok).toBe(true);
      expect(rule(full, -1)).toMatchObject({ ok: false, code: 'invalid-quantity' });
      expect(rule(full, 2.5)).toMatchObject({ ok: false, code: 'invalid-quantity' });
    }
  });

  it('adjusted refuses a zero or fractional delta', () => {
    expect(adjusted(full, 0, 'correction')).toMatchObject({ ok: false, code: 'invalid-quantity' });
    expect(adjusted(full, 0.5, 'correction')).toMatchObject({ ok: false, code: 'invalid-quantity' });
  });
});

describe('counted', () => {
  it('sets on_hand to the count with reason cycle_count', () => {
    expect(counted(at({ on_hand: 7 }), 10)).toEqual({
      ok: true,
      deltas: { on_hand: 3 },
      reason: 'cycle_count',
    });
    expect(counted(at({ on_hand: 7 }), 7)).toEqual({
      ok: true,
      deltas: { on_hand: 0 },
      reason: 'cycle_count',
    });
  });

  it('may leave the location oversold and reports the shortfall', () => {
    const position = at({ on_hand: 10, reserved: 3, committed: 4 });
    expect(counted(position, 5)).toEqual({
      ok: true,
      deltas: { on_hand: -5 },
      reason: 'cycle_count',
      effects: { oversold: { shortfall: 2 } },
    });
  });
});

describe('adjusted', () => {
  it('adds the signed delta to on_hand with the given reason', () => {
    expect(adjusted(at({ on_hand: 4 }), -3, 'shrinkage')).toEqual({
      ok: true,
      deltas: { on_hand: -3 },
      reason: 'shrinkage',
    });
    expect(adjusted(at({ on_hand: 4 }), 2, 'correction')).toMatchObject({ ok: true, deltas: { on_hand: 2 } });
  });

  it('refuses to take on_hand below zero', () => {
    expect(adjusted(at({ on_hand: 4 }), -5, 'shrinkage')).toMatchObject({
      ok: false,
      code: 'bucket-underflow',
    });
  });

  it('may oversell and reports the shortfall', () => {
    const result = adjusted(at({ on_hand: 4, committed: 4 }), -3, 'shrinkage');
    expect(result).toMatchObject({ ok: true, effects: { oversold: { shortfall: 3 } } });
  });
});

describe('received', () => {
  it('puts units on hand', () => {
    expect(received(emptyPosition(), 5)).toEqual({ ok: true, deltas: { on_hand: 5 }, reason: 'received' });
  });

  it('puts units on quality hold when quarantined', () => {
    const result = received(emptyPosition(), 5, true);
    expect(result).toEqual({ ok: true, deltas: { on_hand: 5, quarantined: 5 }, reason: 'received' });
    expect(available(settle(emptyPosition(), result))).toBe(0);
  });
});

describe('moved', () => {
  it('moves free stock into quality hold', () => {
    const result = moved(at({ on_hand: 5 }), 'available', 'quarantined', 2, 'quality_hold');
    expect(result).toEqual({ ok: true, deltas: { quarantined: 2 }, reason: 'quality_hold' });
  });

  it('releases units from quality hold back to free stock', () => {
    const result = moved(
      at({ on_hand: 5, quarantined: 3 }),
      'quarantined',
      'available',
      3,
      'quality_release',
    );
    expect(result).toEqual({ ok: true, deltas: { quarantined: -3 }, reason: 'quality_release' });
  });

  it('moves between two stored buckets', () => {
    const result = moved(at({ on_hand: 5, returned: 3 }), 'returned', 'damaged', 2, 'damaged');
    expect(result).toEqual({ ok: true, deltas: { returned: -2, damaged: 2 }, reason: 'damaged' });
  });

  it('accepts damage beyond free stock as a physical fact and reports the shortfall', () => {
    const result = moved(at({ on_hand: 5, committed: 4 }), 'available', 'damaged', 3, 'damaged');
    expect(result).toEqual({
      ok: true,
      deltas: { damaged: 3 },
      reason: 'damaged',
      effects: { oversold: { shortfall: 2 } },
    });
  });

  it('refuses moving more than a stored bucket holds', () => {
    for (const from of ['quarantined', 'damaged', 'returned'] as const) {
      const result = moved(at({ on_hand: 5, [from]: 1 }), from, 'available', 2, 'correction');
      expect(result).toMatchObject({ ok: false, code: 'bucket-underflow' });
    }
  });

  it('refuses a move to the same bucket', () => {
    const result = moved(at({ on_hand: 5, damaged: 2 }), 'damaged', 'damaged', 1, 'damaged');
    expect(result).toMatchObject({ ok: false, code: 'same-bucket' });
  });
});

describe('incoming', () => {
  it('takes the expected quantity as absolute, so a re-sent PO does not double count', () => {
    const first = settle(emptyPosition(), incoming(emptyPosition(), 40));
    expect(first.incoming).toBe(40);
    expect(incoming(first, 40)).toEqual({ ok: true, deltas: { incoming: 0 }, reason: 'reconciliation' });
    expect(settle(first, incoming(first, 25)).incoming).toBe(25);
    expect(settle(first, incoming(first, 0)).incoming).toBe(0);
  });
});

describe('reserve', () => {
  it('holds units out of free stock', () => {
    expect(reserve(at({ on_hand: 5, committed: 2 }), 3)).toEqual({
      ok: true,
      deltas: { reserved: 3 },
      reason: 'reservation_created',
    });
  });

  it('refuses more than is available and says what is', () => {
    expect(reserve(at({ on_hand: 5, committed: 2 }), 4)).toEqual({
      ok: false,
      code: 'insufficient-stock',
      detail: 'reserve 4: only 3 available',
      available: 3,
    });
  });
});

describe('releaseReservation', () => {
  it('returns held units to free stock, by release or expiry', () => {
    const position = at({ on_hand: 5, reserved: 3 });
    expect(releaseReservation(position, 2)).toEqual({
      ok: true,
      deltas: { reserved: -2 },
      reason: 'reservation_released',
    });
    expect(releaseReservation(position, 3, 'reservation_expired')).toMatchObject({
      ok: true,
      reason: 'reservation_expired',
    });
  });

  it('refuses releasing more than is reserved', () => {
    expect(releaseReservation(at({ on_hand: 5, reserved: 3 }), 4)).toMatchObject({
      ok: false,
      code: 'bucket-underflow',
    });
  });
});

describe('commitReservation', () => {
  it('moves reserved units to committed', () => {
    expect(commitReservation(at({ on_hand: 5, reserved: 3 }), 3)).toEqual({
      ok: true,
      deltas: { reserved: -3, committed: 3 },
      reason: 'reservation_committed',
    });
  });

  it('refuses committing more than is reserved', () => {
    expect(commitReservation(at({ on_hand: 5, reserved: 3 }), 4)).toMatchObject({
      ok: false,
      code: 'bucket-underflow',
    });
  });
});

describe('commit', () => {
  it('commits units out of free stock', () => {
    expect(commit(at({ on_hand: 5 }), 5)).toEqual({
      ok: true,
      deltas: { committed: 5 },
      reason: 'order_committed',
    });
  });

  it('refuses more than is available', () => {
    expect(commit(at({ on_hand: 5, reserved: 5 }), 1)).toMatchObject({
      ok: false,
      code: 'insufficient-stock',
      available: 0,
    });
  });

  it('refuses at an oversold location, stating zero available', () => {
    expect(commit(at({ on_hand: 1, committed: 3 }), 1)).toMatchObject({
      ok: false,
      code: 'insufficient-stock',
      detail: 'commit 1: only 0 available',
      available: -2,
    });
  });
});

describe('releaseCommitment', () => {
  it('releases committed units and their allocation, keeping allocated ≤ committed', () => {
    const position = at({ on_hand: 9, committed: 5, allocated: 5 });
    const result = releaseCommitment(position, 2);
    expect(result).toEqual({
      ok: true,
      deltas: { committed: -2, allocated: -2 },
      reason: 'order_cancelled',
    });
    expect(settle(position, result)).toMatchObject({ committed: 3, allocated: 3 });
  });

  it('releases no more allocation than there is', () => {
    expect(releaseCommitment(at({ on_hand: 9, committed: 5, allocated: 1 }), 3)).toMatchObject({
      deltas: { committed: -3, allocated: -1 },
    });
    expect(releaseCommitment(at({ on_hand: 9, committed: 5 }), 3)).toMatchObject({
      deltas: { committed: -3 },
    });
  });

  it('refuses releasing more than is committed', () => {
    expect(releaseCommitment(at({ on_hand: 9, committed: 2 }), 3)).toMatchObject({
      ok: false,
      code: 'bucket-underflow',
    });
  });
});

describe('allocate', () => {
  it('allocates committed units', () => {
    expect(allocate(at({ on_hand: 5, committed: 3, allocated: 1 }), 2)).toEqual({
      ok: true,
      deltas: { allocated: 2 },
      reason: 'allocated',
    });
  });

  it('refuses allocating beyond what is committed', () => {
    expect(allocate(at({ on_hand: 5, committed: 3, allocated: 1 }), 3)).toMatchObject({
      ok: false,
      code: 'allocation-exceeds-commitment',
    });
  });
});

describe('ship', () => {
  it('takes units off hand and out of committed and allocated, into transit', () => {
    const position = at({ on_hand: 10, committed: 4, allocated: 3 });
    const result = ship(position, 4);
    expect(result).toEqual({
      ok: true,
      deltas: { on_hand: -4, committed: -4, allocated: -3, in_transit: 4 },
      reason: 'shipped',
    });
    expect(available(settle(position, result))).toBe(available(position));
  });

  it('refuses shipping more than is committed', () => {
    expect(ship(at({ on_hand: 10, committed: 2 }), 3)).toMatchObject({ ok: false, code: 'bucket-underflow' });
  });

  it('refuses shipping more than is on hand', () => {
    expect(ship(at({ on_hand: 2, committed: 3 }), 3)).toMatchObject({ ok: false, code: 'bucket-underflow' });
  });
});

describe('deliver', () => {
  it('takes units out of transit', () => {
    expect(deliver(at({ in_transit: 3 }), 3)).toEqual({
      ok: true,
      deltas: { in_transit: -3 },
      reason: 'delivered',
    });
  });

  it('refuses delivering more than is in transit', () => {
    expect(deliver(at({ in_transit: 3 }), 4)).toMatchObject({ ok: false, code: 'bucket-underflow' });
  });
});

describe('returns', () => {
  it('receives a return on hand but not available', () => {
    const result = returnReceived(emptyPosition(), 2);
    expect(result).toEqual({ ok: true, deltas: { on_hand: 2, returned: 2 }, reason: 'return_received' });
    expect(available(settle(emptyPosition(), result))).toBe(0);
  });

  it('restocks returned units into free stock', () => {
    expect(restock(at({ on_hand: 2, returned: 2 }), 2)).toEqual({
      ok: true,
      deltas: { returned: -2 },
      reason: 'return_restocked',
    });
  });

  it('scraps returned units off hand', () => {
    expect(scrap(at({ on_hand: 2, returned: 2 }), 1)).toEqual({
      ok: true,
      deltas: { returned: -1, on_hand: -1 },
      reason: 'return_scrapped',
    });
  });

  it('refuses restocking or scrapping more than was returned', () => {
    expect(restock(at({ on_hand: 2, returned: 1 }), 2)).toMatchObject({
      ok: false,
      code: 'bucket-underflow',
    });
    expect(scrap(at({ on_hand: 2, returned: 1 }), 2)).toMatchObject({ ok: false, code: 'bucket-underflow' });
  });

  it('refuses scrapping more than is on hand after a count lowered it', () => {
    expect(scrap(at({ on_hand: 1, returned: 2 }), 2)).toMatchObject({ ok: false, code: 'bucket-underflow' });
  });
});
