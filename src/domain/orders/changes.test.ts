import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planChange } from './changes.js';
import { isHeld, placeHold, releaseHold, unallocated, unreleased } from './holds.js';
import {
  active,
  apply,
  effective,
  newOrder,
  type OrderEffect,
  type OrderHold,
  type OrderInput,
  type OrderState,
} from './lifecycle.js';

const hold = (kind: OrderHold['kind']): OrderHold => ({ kind, reason: 'r', by: 'erp', since: 't' });

/**
 * The hub in small, as the engine drives the domain: one location, stock per SKU, the WMS's view of what
 * it was asked to pick per line (releases minus release-cancelled).
 */
class Hub {
  onHand = new Map<string, number>();
  committed = new Map<string, number>();
  wms = new Map<string, number>();
  releasedWhileHeld = 0;
  exceptions: string[] = [];
  constructor(public state: OrderState) {}

  private bump(map: Map<string, number>, key: string, by: number) {
    map.set(key, (map.get(key) ?? 0) + by);
  }
  effects(effects: readonly OrderEffect[]) {
    for (const e of effects) {
      if (e.kind === 'releaseCommitment') this.bump(this.committed, e.sku, -e.quantity);
      else if (e.kind === 'ship') {
        this.bump(this.onHand, e.sku, -e.quantity);
        this.bump(this.committed, e.sku, -e.committed);
      } else if (e.kind === 'cancelRelease')
        for (const l of e.lines) this.bump(this.wms, l.lineId, -l.quantity);
      else if (e.kind === 'exception') this.exceptions.push(e.code);
    }
  }
  input(i: OrderInput) {
    const t = apply(this.state, i);
    this.state = t.state;
    this.effects(t.effects);
  }
  releaseOpen() {
    for (const { location, lines } of unreleased(this.state)) {
      if (isHeld(this.state)) this.releasedWhileHeld += 1;
      for (const l of lines) this.bump(this.wms, l.lineId, l.quantity);
      this.input({ kind: 'released', location, lines });
    }
  }
  commit(lines: { lineId: string; sku: string; quantity: number }[]) {
    const committed: { lineId: string; location: string; quantity: number }[] = [];
    const backordered: { lineId: string; quantity: number }[] = [];
    for (const l of lines) {
      const free = (this.onHand.get(l.sku) ?? 0) - (this.committed.get(l.sku) ?? 0);
      const take = Math.max(0, Math.min(free, l.quantity));
      if (take > 0) {
        this.bump(this.committed, l.sku, take);
        committed.push({ lineId: l.lineId, location: 'DC1', quantity: take });
      }
      if (l.quantity > take) backordered.push({ lineId: l.lineId, quantity: l.quantity - take });
    }
    this.input({ kind: 'committed', lines: committed, backordered });
    if (isHeld(this.state) || committed.length === 0) return;
    for (const c of committed) this.bump(this.wms, c.lineId, c.quantity);
    this.input({ kind: 'released', location: 'DC1', lines: committed });
  }
}

type Op =
  | { op: 'change'; line: number; to: number }
  | { op: 'add'; sku: number; quantity: number }
  | { op: 'remove'; line: number }
  | { op: 'hold'; kind: OrderHold['kind'] }
  | { op: 'unhold'; kind: OrderHold['kind'] }
  | { op: 'pick' | 'ship'; line: number }
  | { op: 'cancel'; line: number; quantity: number };

const kinds = fc.constantFrom<OrderHold['kind']>('payment', 'fraud', 'credit', 'manual');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('change' as const), line: fc.nat(4), to: fc.nat(8) }),
  fc.record({ op: fc.constant('add' as const), sku: fc.nat(2), quantity: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ op: fc.constant('remove' as const), line: fc.nat(4) }),
  fc.record({ op: fc.constant('hold' as const), kind: kinds }),
  fc.record({ op: fc.constant('unhold' as const), kind: kinds }),
  fc.record({ op: fc.constantFrom('pick' as const, 'ship' as const), line: fc.nat(4) }),
  fc.record({
    op: fc.constant('cancel' as const),
    line: fc.nat(4),
    quantity: fc.integer({ min: 1, max: 4 }),
  }),
);

function step(hub: Hub, o: Op, added: { n: number }) {
  const lines = hub.state.lines;
  const at = (i: number) => lines[i % lines.length]!;
  switch (o.op) {
    case 'change':
    case 'remove': {
      const l = at(o.line);
      const outcome = planChange(hub.state, {
        lines: [
          o.op === 'remove'
            ? { lineId: l.lineId, action: 'remove' }
            : { lineId: l.lineId, action: 'update', quantity: o.to },
        ],
      });
      if (outcome.kind === 'refused') {
        // Refused as a whole: only for picked units (or a finished order), and nothing moves.
        const to = o.op === 'remove' ? 0 : o.to;
        expect(to < effective(l, 'picked') || ['cancelled', 'returned'].includes(hub.state.milestone)).toBe(
          true,
        );
        return;
      }
      hub.state = outcome.transition.state;
      hub.effects(outcome.transition.effects);
      if (outcome.commit.length > 0) hub.commit(outcome.commit);
      return;
    }
    case 'add': {
      added.n += 1;
      const outcome = planChange(hub.state, {
        lines: [{ lineId: `N${added.n}`, action: 'add', sku: `SKU-${o.sku}`, quantity: o.quantity }],
      });
      if (outcome.kind === 'refused') return;
      hub.state = outcome.transition.state;
      hub.commit(outcome.commit);
      return;
    }
    case 'hold': {
      const placed = placeHold(hub.state, hold(o.kind));
      hub.state = placed.state;
      hub.effects(placed.effects);
      return;
    }
    case 'unhold': {
      const r = releaseHold(hub.state, o.kind);
      hub.state = r.state;
      if (!r.resume) return;
      hub.releaseOpen();
      const open = hub.state.lines
        .map((l) => ({ lineId: l.lineId, sku: l.sku, quantity: unallocated(l) }))
        .filter((l) => l.quantity > 0);
      if (open.length > 0) hub.commit(open);
      return;
    }
    case 'pick': {
      // The WMS picks everything it was asked to and has not picked.
      const l = at(o.line);
      const q = l.released - effective(l, 'picked');
      if (q > 0) hub.input({ kind: 'picked', location: 'DC1', lines: [{ lineId: l.lineId, quantity: q }] });
      return;
    }
    case 'ship': {
      const l = at(o.line);
      const q = effective(l, 'picked') - effective(l, 'shipped');
      if (q > 0) hub.input({ kind: 'shipped', location: 'DC1', lines: [{ lineId: l.lineId, quantity: q }] });
      return;
    }
    case 'cancel': {
      const l = at(o.line);
      hub.input({
        kind: 'cancelled',
        lines: [{ lineId: l.lineId, quantity: Math.min(o.quantity, active(l)) }],
      });
      return;
    }
  }
}

function consistent(hub: Hub) {
  const committedBySku = new Map<string, number>();
  for (const l of hub.state.lines) {
    // No line over-committed: committed and backordered units are active ones, released ones committed.
    expect(l.committed + l.backordered, l.lineId).toBeLessThanOrEqual(active(l) + 0);
    expect(l.released).toBeLessThanOrEqual(l.committed);
    expect(l.cancelled).toBeLessThanOrEqual(l.ordered);
    // What the WMS was told equals what the hub counts as released (or what it already picked).
    expect(hub.wms.get(l.lineId) ?? 0, `wms ${l.lineId}`).toBe(l.released);
    const open = Object.values(l.committedAt ?? {}).reduce((n, q) => n + q, 0);
    expect(open).toBe(l.committed - Math.min(l.committed, effective(l, 'shipped')));
    committedBySku.set(l.sku, (committedBySku.get(l.sku) ?? 0) + open);
  }
  // The stock's committed bucket is exactly the open commitments of the order's lines; never negative.
  for (const [sku, committed] of hub.committed) {
    expect(committed, sku).toBe(committedBySku.get(sku) ?? 0);
    expect(committed).toBeGreaterThanOrEqual(0);
    expect(hub.onHand.get(sku) ?? 0).toBeGreaterThanOrEqual(0);
  }
  expect(hub.releasedWhileHeld).toBe(0);
}

describe('order changes and holds, property', () => {
  it('any sequence of accept/change/hold/release/pick/ship/cancel keeps stock and lines consistent', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 3, maxLength: 3 }),
        fc.array(op, { maxLength: 25 }),
        (quantities, stock, ops) => {
          const order = newOrder(
            'o-c',
            'web',
            quantities.map((quantity, i) => ({ lineId: `L${i}`, sku: `SKU-${i % 3}`, quantity })),
          );
          const hub = new Hub(order);
          stock.forEach((q, i) => {
            hub.onHand.set(`SKU-${i}`, q);
          });
          hub.commit(order.lines.map((l) => ({ lineId: l.lineId, sku: l.sku, quantity: l.ordered })));
          consistent(hub);
          const added = { n: 0 };
          for (const o of ops) {
            step(hub, o, added);
            consistent(hub);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('planChange', () => {
  const released = (): OrderState => {
    const hub = new Hub(
      newOrder('o-1', 'web', [
        { lineId: '1', sku: 'A', quantity: 5 },
        { lineId: '2', sku: 'B', quantity: 2 },
      ]),
    );
    hub.onHand.set('A', 10).set('B', 10);
    hub.commit(hub.state.lines.map((l) => ({ lineId: l.lineId, sku: l.sku, quantity: l.ordered })));
    return hub.state;
  };

  it('lowers a quantity as a partial cancellation: commitment given back, released units withdrawn', () => {
    const outcome = planChange(released(), { lines: [{ lineId: '1', action: 'update', quantity: 2 }] });
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    const line = outcome.transition.state.lines[0]!;
    expect(line).toMatchObject({ ordered: 5, cancelled: 3, committed: 2, released: 2 });
    expect(outcome.transition.effects).toContainEqual({
      kind: 'releaseCommitment',
      lineId: '1',
      sku: 'A',
      location: 'DC1',
      quantity: 3,
    });
    expect(outcome.transition.effects).toContainEqual({
      kind: 'cancelRelease',
      location: 'DC1',
      lines: [{ lineId: '1', sku: 'A', quantity: 3 }],
    });
    expect(outcome.commit).toEqual([]);
  });

  it('raises a quantity and adds a line: ordered grows, the extra units are to commit', () => {
    const outcome = planChange(released(), {
      lines: [
        { lineId: '2', action: 'update', quantity: 4 },
        { lineId: '3', action: 'add', sku: 'C', quantity: 1, unitPrice: 2 },
      ],
    });
    if (outcome.kind !== 'applied') throw new Error(outcome.reason);
    expect(outcome.commit).toEqual([
      { lineId: '2', sku: 'B', quantity: 2 },
      { lineId: '3', sku: 'C', quantity: 1 },
    ]);
    expect(outcome.transition.state.lines.map((l) => [l.lineId, l.ordered])).toEqual([
      ['1', 5],
      ['2', 4],
      ['3', 1],
    ]);
    expect(outcome.transition.status).toBe('partially_released');
  });

  it('refuses a change below the picked units as a whole: nothing applied, every line rejected', () => {
    const picked = apply(released(), {
      kind: 'picked',
      location: 'DC1',
      lines: [{ lineId: '1', quantity: 5 }],
    }).state;
    const outcome = planChange(picked, {
      lines: [
        { lineId: '2', action: 'update', quantity: 1 },
        { lineId: '1', action: 'update', quantity: 3 },
      ],
    });
    expect(outcome.kind).toBe('refused');
    if (outcome.kind !== 'refused') return;
    expect(outcome.reason).toMatch(/line 1 \(A\) has 5 picked/);
    expect(outcome.lines.map((l) => l.accepted)).toEqual([false, false]);
    expect(outcome.lines[1]?.reason).toMatch(/5 picked/);
  });

  it('refuses removing a picked line, a second add of a line, an unknown line and a change of a cancelled order', () => {
    const picked = apply(released(), {
      kind: 'picked',
      location: 'DC1',
      lines: [{ lineId: '2', quantity: 1 }],
    }).state;
    expect(planChange(picked, { lines: [{ lineId: '2', action: 'remove' }] }).kind).toBe('refused');
    expect(planChange(picked, { lines: [{ lineId: '1', action: 'add', sku: 'A', quantity: 1 }] }).kind).toBe(
      'refused',
    );
    expect(planChange(picked, { lines: [{ lineId: '9', action: 'update', quantity: 1 }] }).kind).toBe(
      'refused',
    );
    const cancelled = apply(released(), { kind: 'cancelled' }).state;
    expect(planChange(cancelled, { lines: [{ lineId: '1', action: 'update', quantity: 9 }] })).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/cancelled/),
    });
  });

  it('a new ship-to re-releases released, unpicked units; refused while picked units have not shipped', () => {
    const outcome = planChange(released(), { shipTo: true });
    if (outcome.kind !== 'applied') throw new Error(outcome.reason);
    expect(outcome.rerelease).toEqual([
      {
        location: 'DC1',
        lines: [
          { lineId: '1', sku: 'A', quantity: 5 },
          { lineId: '2', sku: 'B', quantity: 2 },
        ],
      },
    ]);
    const picked = apply(released(), {
      kind: 'picked',
      location: 'DC1',
      lines: [{ lineId: '2', quantity: 2 }],
    }).state;
    expect(planChange(picked, { shipTo: true }).kind).toBe('refused');
  });
});

describe('holds', () => {
  it('the first hold withdraws released, unpicked units; the last release resumes with what is committed', () => {
    const hub = new Hub(newOrder('o-h', 'web', [{ lineId: '1', sku: 'A', quantity: 4 }]));
    hub.onHand.set('A', 10);
    hub.commit([{ lineId: '1', sku: 'A', quantity: 4 }]);
    hub.input({ kind: 'picked', location: 'DC1', lines: [{ lineId: '1', quantity: 4 }] });
    const partly = apply(hub.state, { kind: 'cancelled', lines: [] }).state;
    const first = placeHold(
      { ...partly, lines: partly.lines.map((l) => ({ ...l, picked: 1 })) },
      hold('fraud'),
    );
    expect(first.placed).toBe(true);
    expect(first.effects).toEqual([
      { kind: 'cancelRelease', location: 'DC1', lines: [{ lineId: '1', sku: 'A', quantity: 3 }] },
    ]);
    expect(first.state.lines[0]).toMatchObject({ committed: 4, released: 1 });
    const second = placeHold(first.state, hold('payment'));
    expect(second.effects).toEqual([]);
    const one = releaseHold(second.state, 'fraud');
    expect(one).toMatchObject({ released: true, resume: false });
    const last = releaseHold(one.state, 'payment');
    expect(last).toMatchObject({ released: true, resume: true });
    expect(unreleased(last.state)).toEqual([
      { location: 'DC1', lines: [{ lineId: '1', sku: 'A', quantity: 3 }] },
    ]);
    expect(releaseHold(last.state, 'payment')).toMatchObject({ released: false });
  });
});
