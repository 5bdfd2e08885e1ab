import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Milestone } from '../event-catalogue.js';
import { applyDeltas, BUCKETS, emptyPosition, type Position } from '../inventory/position.js';
import {
  commit,
  deliver,
  type RuleResult,
  releaseCommitment,
  returnReceived,
  ship,
} from '../inventory/rules.js';
import {
  active,
  apply,
  CHAIN,
  derive,
  effective,
  type LineState,
  newLine,
  newOrder,
  type OrderEffect,
  type OrderInput,
  type OrderState,
  RANK,
  REPORTED_STAGES,
  type Transition,
} from './lifecycle.js';

const RUNS = { numRuns: 400 };

/** The seed's order: two lines, nothing done yet. */
const seedOrder = (): OrderState =>
  newOrder('o-1', 'web', [
    { lineId: 'L1', sku: 'SKU-A', quantity: 2, unitPrice: 9.5 },
    { lineId: 'L2', sku: 'SKU-B', quantity: 3 },
  ]);

/** One line of five units. */
const fiveUnits = (): OrderState => newOrder('o-5', 'web', [{ lineId: 'L1', sku: 'SKU-A', quantity: 5 }]);

const commitAll = (state: OrderState, location = 'DC1'): OrderInput => ({
  kind: 'committed',
  lines: state.lines.map((l) => ({ lineId: l.lineId, location, quantity: l.ordered })),
  backordered: [],
});

const releaseAll = (state: OrderState, location = 'DC1'): OrderInput => ({
  kind: 'released',
  location,
  lines: state.lines.map((l) => ({ lineId: l.lineId, quantity: l.committed })),
});

/** Applies inputs in turn; returns every transition (the last one's state is the order now). */
function run(state: OrderState, inputs: readonly OrderInput[]): Transition[] {
  const transitions: Transition[] = [];
  let current = state;
  for (const input of inputs) {
    const t = apply(current, input);
    transitions.push(t);
    current = t.state;
  }
  return transitions;
}

const last = (transitions: readonly Transition[]): Transition => transitions[transitions.length - 1]!;

/** An order committed and released in full at DC1. */
function released(state: OrderState): OrderState {
  const committed = apply(state, commitAll(state)).state;
  return apply(committed, releaseAll(committed)).state;
}

const lineOf = (state: OrderState, lineId: string): LineState =>
  state.lines.find((l) => l.lineId === lineId)!;

const effectsOf = <K extends OrderEffect['kind']>(
  transitions: readonly Transition[],
  kind: K,
): Extract<OrderEffect, { kind: K }>[] =>
  transitions
    .flatMap((t) => t.effects)
    .filter((e): e is Extract<OrderEffect, { kind: K }> => e.kind === kind);

const exceptionCodes = (t: Transition): string[] =>
  t.effects.flatMap((e) => (e.kind === 'exception' ? [e.code] : []));

/** Sum of a numeric field of ship/deliver effects, per `lineId@location`. */
function totals(transitions: readonly Transition[], kind: 'ship' | 'deliver'): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const e of effectsOf(transitions, kind)) {
    const key = `${e.lineId}@${e.location}`;
    sums[key] = (sums[key] ?? 0) + e.quantity;
  }
  return sums;
}

/** Freezes a state deeply, so an `apply` that mutated its input would throw. */
function frozen(state: OrderState): OrderState {
  for (const l of state.lines) Object.freeze(l);
  Object.freeze(state.lines);
  Object.freeze(state.reached);
  return Object.freeze(state);
}

describe('newOrder, effective and derive', () => {
  it('starts at accepted with every quantity at zero', () => {
    const order = seedOrder();
    expect(order.milestone).toBe('accepted');
    expect(order.reached).toEqual(['accepted']);
    expect(order.lines[0]).toEqual({
      ...newLine({ lineId: 'L1', sku: 'SKU-A', quantity: 2 }),
      unitPrice: 9.5,
    });
    expect(order.lines[1]).not.toHaveProperty('unitPrice');
    for (const l of order.lines) {
      for (const field of [...CHAIN, 'backordered', 'cancelled', 'returned', 'invoiced'] as const) {
        expect(l[field]).toBe(0);
      }
    }
    expect(derive(order.lines)).toEqual({ milestone: 'accepted', status: 'accepted' });
  });

  it('lets a later stage imply the earlier ones, capped at the active units', () => {
    const line: LineState = { ...newLine({ lineId: 'L1', sku: 'S', quantity: 5 }), picked: 1, shipped: 3 };
    expect(effective(line, 'committed')).toBe(3);
    expect(effective(line, 'picked')).toBe(3);
    expect(effective(line, 'packed')).toBe(3);
    expect(effective(line, 'shipped')).toBe(3);
    expect(effective(line, 'delivered')).toBe(0);
    expect(effective({ ...line, cancelled: 3 }, 'picked')).toBe(2);
    expect(active({ ...line, cancelled: 3 })).toBe(2);
  });

  it('keeps the physical milestone when an invoice precedes shipping', () => {
    const line: LineState = { ...newLine({ lineId: 'L1', sku: 'S', quantity: 4 }), released: 4, invoiced: 4 };
    expect(derive([line])).toEqual({ milestone: 'released', status: 'released' });
    expect(derive([{ ...line, shipped: 4 }])).toEqual({ milestone: 'invoiced', status: 'invoiced' });
    expect(derive([{ ...line, shipped: 4, invoiced: 1 }])).toEqual({
      milestone: 'invoiced',
      status: 'partially_invoiced',
    });
  });

  it('orders the milestones along the chain', () => {
    for (let i = 1; i < CHAIN.length; i += 1) expect(RANK[CHAIN[i]!]).toBeGreaterThan(RANK[CHAIN[i - 1]!]);
    expect(RANK.accepted).toBeLessThan(RANK.committed);
    expect(RANK.invoiced).toBeGreaterThan(RANK.shipped);
    expect(REPORTED_STAGES).toEqual(['picked', 'packed', 'shipped', 'delivered']);
  });
});

describe("the seed's scenario", () => {
  it('commits, releases, accepts shipped ahead of picked/packed, keeps late reports late, delivers, invoices', () => {
    const order = frozen(seedOrder());
    const [committed, releasedT, shipped, picked, packed, delivered, invoiced] = run(order, [
      {
        kind: 'committed',
        lines: [
          { lineId: 'L1', location: 'DC1', quantity: 2 },
          { lineId: 'L2', location: 'DC1', quantity: 3 },
        ],
        backordered: [],
      },
      {
        kind: 'released',
        location: 'DC1',
        lines: [
          { lineId: 'L1', quantity: 2 },
          { lineId: 'L2', quantity: 3 },
        ],
      },
      {
        kind: 'shipped',
        location: 'DC1',
        lines: [
          { lineId: 'L1', quantity: 2 },
          { lineId: 'L2', quantity: 3 },
        ],
      },
      {
        kind: 'picked',
        location: 'DC1',
        lines: [
          { lineId: 'L1', quantity: 2 },
          { lineId: 'L2', quantity: 3 },
        ],
      },
      {
        kind: 'packed',
        location: 'DC1',
        lines: [
          { lineId: 'L1', quantity: 2 },
          { lineId: 'L2', quantity: 3 },
        ],
      },
      { kind: 'delivered' },
      {
        kind: 'invoiced',
        lines: [
          { lineId: 'L1', quantity: 2 },
          { lineId: 'L2', quantity: 3 },
        ],
      },
    ]).map((t) => ({ ...t, state: frozen(t.state) }));

    expect(committed).toMatchObject({ previous: 'accepted', milestone: 'committed', status: 'committed' });
    expect(committed!.inferred).toEqual([]);
    expect(committed!.effects).toEqual([]);
    expect(lineOf(committed!.state, 'L1')).toMatchObject({ location: 'DC1', committed: 2 });

    expect(releasedT).toMatchObject({
      previous: 'committed',
      milestone: 'released',
      inferred: [],
      effects: [],
    });

    expect(shipped).toMatchObject({
      previous: 'released',
      milestone: 'shipped',
      status: 'shipped',
      inferred: ['picked', 'packed'],
      late: false,
    });
    expect(shipped!.effects).toEqual([
      { kind: 'ship', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 2, committed: 2 },
      { kind: 'ship', lineId: 'L2', sku: 'SKU-B', location: 'DC1', quantity: 3, committed: 3 },
    ]);

    for (const late of [picked!, packed!]) {
      expect(late).toMatchObject({
        previous: 'shipped',
        milestone: 'shipped',
        status: 'shipped',
        late: true,
      });
      expect(late.inferred).toEqual([]);
      expect(late.effects).toEqual([]); // no short pick, no second ship
    }
    // The late reports stay on record.
    expect(lineOf(packed!.state, 'L2')).toMatchObject({ picked: 3, packed: 3, shipped: 3 });

    expect(delivered).toMatchObject({
      previous: 'shipped',
      milestone: 'delivered',
      inferred: [],
      late: false,
    });
    expect(delivered!.effects).toEqual([
      { kind: 'deliver', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 2 },
      { kind: 'deliver', lineId: 'L2', sku: 'SKU-B', location: 'DC1', quantity: 3 },
    ]);

    expect(invoiced).toMatchObject({
      previous: 'delivered',
      milestone: 'invoiced',
      status: 'invoiced',
      inferred: [],
      effects: [],
    });
    expect(invoiced!.state.reached).toEqual([
      'accepted',
      'committed',
      'released',
      'picked',
      'packed',
      'shipped',
      'delivered',
      'invoiced',
    ]);
  });

  it('ships exactly once when delivered arrives before shipped, and the late shipped report moves nothing', () => {
    const order = released(seedOrder());
    const all = [
      { lineId: 'L1', quantity: 2 },
      { lineId: 'L2', quantity: 3 },
    ];
    const transitions = run(order, [
      { kind: 'delivered', lines: all },
      { kind: 'shipped', location: 'DC1', lines: all },
      { kind: 'picked', location: 'DC1', lines: all },
      { kind: 'delivered' },
    ]);
    const [delivered, shipped, picked, again] = transitions;
    expect(delivered).toMatchObject({
      previous: 'released',
      milestone: 'delivered',
      inferred: ['picked', 'packed', 'shipped'],
      late: false,
    });
    expect(delivered!.effects).toEqual([
      { kind: 'ship', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 2, committed: 2 },
      { kind: 'deliver', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 2 },
      { kind: 'ship', lineId: 'L2', sku: 'SKU-B', location: 'DC1', quantity: 3, committed: 3 },
      { kind: 'deliver', lineId: 'L2', sku: 'SKU-B', location: 'DC1', quantity: 3 },
    ]);
    expect(shipped).toMatchObject({ milestone: 'delivered', late: true, effects: [] });
    expect(picked).toMatchObject({ milestone: 'delivered', late: true, effects: [] });
    // A delivery without lines when everything shipped is delivered: nothing to do.
    expect(again).toMatchObject({ milestone: 'delivered', effects: [] });
    expect(totals(transitions, 'ship')).toEqual({ 'L1@DC1': 2, 'L2@DC1': 3 });
    expect(totals(transitions, 'deliver')).toEqual({ 'L1@DC1': 2, 'L2@DC1': 3 });
  });

  it('treats a report as late only for the units a later stage already implied', () => {
    const order = released(seedOrder());
    const [shipped, picked] = run(order, [
      { kind: 'shipped', location: 'DC1', lines: [{ lineId: 'L2', quantity: 1 }] },
      { kind: 'picked', location: 'DC1', lines: [{ lineId: 'L2', quantity: 3 }] },
    ]);
    expect(shipped).toMatchObject({ milestone: 'shipped', status: 'partially_shipped' });
    expect(picked).toMatchObject({ previous: 'shipped', milestone: 'shipped', late: false, effects: [] });
    expect(effective(lineOf(picked!.state, 'L2'), 'picked')).toBe(3);
  });

  it('records no short pick for a partial pick report arriving after the shipment', () => {
    const order = released(fiveUnits());
    const [, picked] = run(order, [
      { kind: 'shipped', location: 'DC1', lines: [{ lineId: 'L1', quantity: 5 }] },
      { kind: 'picked', location: 'DC1', lines: [{ lineId: 'L1', quantity: 2 }] },
    ]);
    expect(picked).toMatchObject({ late: true, effects: [] });
  });

  it('infers nothing the invoice does not imply: invoiced after shipped skips no delivery', () => {
    const order = released(seedOrder());
    const [, invoiced, delivered] = run(order, [
      {
        kind: 'shipped',
        location: 'DC1',
        lines: [
          { lineId: 'L1', quantity: 2 },
          { lineId: 'L2', quantity: 3 },
        ],
      },
      {
        kind: 'invoiced',
        lines: [
          { lineId: 'L1', quantity: 2 },
          { lineId: 'L2', quantity: 3 },
        ],
      },
      { kind: 'delivered' },
    ]);
    expect(invoiced).toMatchObject({ previous: 'shipped', milestone: 'invoiced', inferred: [] });
    // Delivery after the invoice still moves stock, and the order stays invoiced.
    expect(delivered).toMatchObject({ previous: 'invoiced', milestone: 'invoiced', late: false });
    expect(effectsOf([delivered!], 'deliver').map((e) => e.quantity)).toEqual([2, 3]);
  });

  it('infers the shipment when an invoice arrives before it', () => {
    const order = released(fiveUnits());
    const [invoiced, shipped] = run(order, [
      { kind: 'invoiced', lines: [{ lineId: 'L1', quantity: 5 }] },
      { kind: 'shipped', location: 'DC1', lines: [{ lineId: 'L1', quantity: 5 }] },
    ]);
    expect(invoiced).toMatchObject({ previous: 'released', milestone: 'released', late: false });
    expect(shipped).toMatchObject({
      previous: 'released',
      milestone: 'invoiced',
      inferred: ['picked', 'packed', 'shipped'],
    });
  });
});

describe('partial states', () => {
  it('is partially_shipped at 3 of 5 units, shipped with the rest', () => {
    const order = released(fiveUnits());
    const [first, rest] = run(order, [
      { kind: 'shipped', location: 'DC1', lines: [{ lineId: 'L1', quantity: 3 }] },
      { kind: 'shipped', location: 'DC1', lines: [{ lineId: 'L1', quantity: 2 }] },
    ]);
    expect(first).toMatchObject({ previous: 'released', milestone: 'shipped', status: 'partially_shipped' });
    expect(first!.effects).toEqual([
      { kind: 'ship', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 3, committed: 3 },
    ]);
    expect(rest).toMatchObject({
      previous: 'shipped',
      milestone: 'shipped',
      status: 'shipped',
      inferred: [],
    });
    expect(rest!.effects).toEqual([
      { kind: 'ship', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 2, committed: 2 },
    ]);
  });

  it('counts units across lines: one line shipped of two is partially shipped', () => {
    const order = released(seedOrder());
    const t = apply(order, { kind: 'shipped', location: 'DC1', lines: [{ lineId: 'L2', quantity: 3 }] });
    expect(t).toMatchObject({ milestone: 'shipped', status: 'partially_shipped' });
    const d = apply(t.state, { kind: 'delivered' });
    expect(d).toMatchObject({ milestone: 'delivered', status: 'partially_delivered' });
    expect(d.effects).toEqual([
      { kind: 'deliver', lineId: 'L2', sku: 'SKU-B', location: 'DC1', quantity: 3 },
    ]);
  });

  it('ships backordered units without a commitment: the effect says how many were committed', () => {
    const order = fiveUnits();
    const [, , shipped] = run(order, [
      {
        kind: 'committed',
        lines: [{ lineId: 'L1', location: 'DC1', quantity: 3 }],
        backordered: [{ lineId: 'L1', quantity: 2 }],
      },
      { kind: 'released', location: 'DC1', lines: [{ lineId: 'L1', quantity: 3 }] },
      { kind: 'shipped', location: 'DC1', lines: [{ lineId: 'L1', quantity: 5 }] },
    ]);
    expect(shipped!.effects).toEqual([
      { kind: 'ship', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 5, committed: 3 },
    ]);
  });
});

describe('cancellation', () => {
  it('before pick: releases commitments, cancels the WMS release, ends cancelled', () => {
    // L1 committed and released, L2 committed only.
    const committed = apply(seedOrder(), commitAll(seedOrder())).state;
    const order = apply(committed, {
      kind: 'released',
      location: 'DC1',
      lines: [{ lineId: 'L1', quantity: 2 }],
    }).state;
    const t = apply(frozen(order), { kind: 'cancelled' });
    expect(t).toMatchObject({
      previous: 'released',
      milestone: 'cancelled',
      status: 'cancelled',
      inferred: [],
    });
    expect(t.effects).toEqual([
      { kind: 'releaseCommitment', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 2 },
      { kind: 'releaseCommitment', lineId: 'L2', sku: 'SKU-B', location: 'DC1', quantity: 3 },
      { kind: 'cancelRelease', location: 'DC1', lines: [{ lineId: 'L1', sku: 'SKU-A', quantity: 2 }] },
    ]);
    for (const l of t.state.lines) {
      expect(l).toMatchObject({ cancelled: l.ordered, committed: 0, released: 0, backordered: 0 });
    }
    expect(t.state.reached).toEqual(['accepted', 'committed', 'released', 'cancelled']);
  });

  it('of one line: the other line carries on, and the milestone follows what is left', () => {
    const committed = apply(seedOrder(), commitAll(seedOrder())).state;
    const order = apply(committed, {
      kind: 'released',
      location: 'DC1',
      lines: [{ lineId: 'L1', quantity: 2 }],
    }).state;
    const keepL1 = apply(order, { kind: 'cancelled', lines: [{ lineId: 'L2', quantity: 3 }] });
    expect(keepL1).toMatchObject({ previous: 'released', milestone: 'released', status: 'released' });
    expect(keepL1.effects).toEqual([
      { kind: 'releaseCommitment', lineId: 'L2', sku: 'SKU-B', location: 'DC1', quantity: 3 },
    ]);
    expect(lineOf(keepL1.state, 'L1')).toMatchObject({ cancelled: 0, committed: 2, released: 2 });

    // Cancelling the released line is a compensation: the order goes back to what L2 is at.
    const keepL2 = apply(order, { kind: 'cancelled', lines: [{ lineId: 'L1', quantity: 2 }] });
    expect(keepL2).toMatchObject({ previous: 'released', milestone: 'committed', status: 'committed' });
    expect(keepL2.effects).toEqual([
      { kind: 'releaseCommitment', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 2 },
      { kind: 'cancelRelease', location: 'DC1', lines: [{ lineId: 'L1', sku: 'SKU-A', quantity: 2 }] },
    ]);
  });

  it('of part of a line: backordered units go first, then unreleased commitments, then released ones', () => {
    const order = fiveUnits();
    const [, , first, second, third] = run(order, [
      {
        kind: 'committed',
        lines: [{ lineId: 'L1', location: 'DC1', quantity: 3 }],
        backordered: [{ lineId: 'L1', quantity: 2 }],
      },
      { kind: 'released', location: 'DC1', lines: [{ lineId: 'L1', quantity: 2 }] },
      { kind: 'cancelled', lines: [{ lineId: 'L1', quantity: 2 }] },
      { kind: 'cancelled', lines: [{ lineId: 'L1', quantity: 1 }] },
      { kind: 'cancelled', lines: [{ lineId: 'L1', quantity: 1 }] },
    ]);
    expect(first!.effects).toEqual([]);
    expect(lineOf(first!.state, 'L1')).toMatchObject({
      cancelled: 2,
      backordered: 0,
      committed: 3,
      released: 2,
    });
    expect(first).toMatchObject({ milestone: 'released', status: 'partially_released' });
    expect(second!.effects).toEqual([
      { kind: 'releaseCommitment', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 1 },
    ]);
    expect(second).toMatchObject({ milestone: 'released', status: 'released' });
    expect(third!.effects).toEqual([
      { kind: 'releaseCommitment', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 1 },
      { kind: 'cancelRelease', location: 'DC1', lines: [{ lineId: 'L1', sku: 'SKU-A', quantity: 1 }] },
    ]);
    expect(lineOf(third!.state, 'L1')).toMatchObject({ cancelled: 4, committed: 1, released: 1 });
  });

  it('after pick: an exception for an operator and no quantity change', () => {
    const order = apply(released(seedOrder()), {
      kind: 'picked',
      location: 'DC1',
      lines: [{ lineId: 'L1', quantity: 2 }],
    }).state;
    const t = apply(frozen(order), { kind: 'cancelled', lines: [{ lineId: 'L1', quantity: 2 }] });
    expect(t.state.lines).toEqual(order.lines);
    expect(t).toMatchObject({ previous: 'picked', milestone: 'picked', late: false });
    expect(t.effects).toHaveLength(1);
    expect(t.effects[0]).toMatchObject({ kind: 'exception', code: 'cancel_after_pick' });
    expect(t.effects[0]).toHaveProperty('detail', expect.stringContaining('L1'));
  });

  it('of a whole order with a short-picked line: the unpicked units are cancelled, the picked ones raised', () => {
    const order = apply(released(fiveUnits()), {
      kind: 'picked',
      location: 'DC1',
      lines: [{ lineId: 'L1', quantity: 3 }],
    }).state;
    const t = apply(order, { kind: 'cancelled' });
    expect(t.effects).toEqual([
      expect.objectContaining({ kind: 'exception', code: 'cancel_after_pick' }),
      { kind: 'releaseCommitment', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 2 },
      { kind: 'cancelRelease', location: 'DC1', lines: [{ lineId: 'L1', sku: 'SKU-A', quantity: 2 }] },
    ]);
    expect(lineOf(t.state, 'L1')).toMatchObject({ cancelled: 2, committed: 3, released: 3, picked: 3 });
    expect(t).toMatchObject({ milestone: 'picked', status: 'picked' });
  });

  it('of more than is active: cancels what is left and raises quantity_exceeded', () => {
    const t = apply(released(seedOrder()), { kind: 'cancelled', lines: [{ lineId: 'L1', quantity: 7 }] });
    expect(lineOf(t.state, 'L1')).toMatchObject({ cancelled: 2, committed: 0, released: 0 });
    expect(exceptionCodes(t)).toEqual(['quantity_exceeded']);
  });

  it('of a shipped order: nothing is left to cancel', () => {
    const order = apply(released(fiveUnits()), {
      kind: 'shipped',
      location: 'DC1',
      lines: [{ lineId: 'L1', quantity: 5 }],
    }).state;
    const t = apply(order, { kind: 'cancelled' });
    expect(t.state).toEqual(order);
    expect(t.effects).toEqual([]);
  });
});

describe('short pick', () => {
  it('released 5, picked 3: a shortPick of 2 at the location', () => {
    const t = apply(released(fiveUnits()), {
      kind: 'picked',
      location: 'DC1',
      lines: [{ lineId: 'L1', quantity: 3 }],
    });
    expect(t.effects).toEqual([
      { kind: 'shortPick', lineId: 'L1', sku: 'SKU-A', location: 'DC1', shortfall: 2 },
    ]);
    expect(t).toMatchObject({ previous: 'released', milestone: 'picked', status: 'partially_picked' });
  });

  it('cannot tell a pick split across reports from a short one: the first part looks short', () => {
    // The lifecycle assumes the WMS confirms each released quantity's pick in one report.
    const [first, second] = run(released(fiveUnits()), [
      { kind: 'picked', location: 'DC1', lines: [{ lineId: 'L1', quantity: 3 }] },
      { kind: 'picked', location: 'DC1', lines: [{ lineId: 'L1', quantity: 2 }] },
    ]);
    expect(effectsOf([first!], 'shortPick')).toHaveLength(1);
    expect(second!.effects).toEqual([]);
    expect(second).toMatchObject({ milestone: 'picked', status: 'picked' });
  });

  it('a full pick is not short', () => {
    const t = apply(released(fiveUnits()), {
      kind: 'picked',
      location: 'DC1',
      lines: [{ lineId: 'L1', quantity: 5 }],
    });
    expect(t.effects).toEqual([]);
    expect(t).toMatchObject({ milestone: 'picked', status: 'picked' });
  });
});

describe('returns', () => {
  const shippedAndDelivered = (): OrderState =>
    run(released(seedOrder()), [
      { kind: 'shipped', location: 'DC1', lines: [{ lineId: 'L2', quantity: 3 }] },
      { kind: 'delivered' },
    ]).at(-1)!.state;

  it('moves to returned with a returnReceived effect at the receiving location', () => {
    const [first, second] = run(shippedAndDelivered(), [
      { kind: 'returned', location: 'RET1', lines: [{ lineId: 'L2', quantity: 1 }] },
      { kind: 'returned', location: 'RET1', lines: [{ lineId: 'L2', quantity: 2 }] },
    ]);
    expect(first).toMatchObject({
      previous: 'delivered',
      milestone: 'returned',
      status: 'partially_returned',
      inferred: [],
    });
    expect(first!.effects).toEqual([
      { kind: 'returnReceived', lineId: 'L2', sku: 'SKU-B', location: 'RET1', quantity: 1 },
    ]);
    expect(second).toMatchObject({ previous: 'returned', milestone: 'returned', status: 'returned' });
  });

  it('never returns more than was shipped; the effect moves only the accepted units', () => {
    const t = apply(shippedAndDelivered(), {
      kind: 'returned',
      location: 'RET1',
      lines: [
        { lineId: 'L2', quantity: 5 },
        { lineId: 'L1', quantity: 1 },
      ],
    });
    expect(lineOf(t.state, 'L2').returned).toBe(3);
    expect(lineOf(t.state, 'L1').returned).toBe(0);
    expect(effectsOf([t], 'returnReceived')).toEqual([
      { kind: 'returnReceived', lineId: 'L2', sku: 'SKU-B', location: 'RET1', quantity: 3 },
    ]);
    expect(exceptionCodes(t)).toEqual(['quantity_exceeded', 'quantity_exceeded']);
  });

  it('does not infer a delivery for a return of units only shipped', () => {
    const order = apply(released(fiveUnits()), {
      kind: 'shipped',
      location: 'DC1',
      lines: [{ lineId: 'L1', quantity: 5 }],
    }).state;
    const t = apply(order, { kind: 'returned', location: 'DC1', lines: [{ lineId: 'L1', quantity: 5 }] });
    expect(t).toMatchObject({ previous: 'shipped', milestone: 'returned', status: 'returned', inferred: [] });
  });
});

describe('bad input never throws', () => {
  const unknown = [{ lineId: 'NOPE', quantity: 1 }];
  const inputs: OrderInput[] = [
    { kind: 'committed', lines: [{ lineId: 'NOPE', location: 'DC1', quantity: 1 }], backordered: [] },
    { kind: 'committed', lines: [], backordered: unknown },
    { kind: 'released', location: 'DC1', lines: unknown },
    ...REPORTED_STAGES.map((kind): OrderInput => ({ kind, location: 'DC1', lines: unknown })),
    { kind: 'invoiced', lines: unknown },
    { kind: 'cancelled', lines: unknown },
    { kind: 'returned', location: 'DC1', lines: unknown },
  ];

  it.each(inputs.map((input) => [input.kind, input] as const))(
    '%s of an unknown line: unknown_line',
    (_, input) => {
      const order = frozen(released(seedOrder()));
      const t = apply(order, input);
      expect(t.state).toEqual(order);
      expect(t).toMatchObject({ previous: 'released', milestone: 'released', late: false, inferred: [] });
      expect(exceptionCodes(t)).toEqual(['unknown_line']);
      expect(t.effects[0]).toHaveProperty('detail', expect.stringContaining('NOPE'));
    },
  );

  it('an over-report is capped at the active units with quantity_exceeded', () => {
    const t = apply(released(seedOrder()), {
      kind: 'shipped',
      location: 'DC1',
      lines: [{ lineId: 'L1', quantity: 9 }],
    });
    expect(lineOf(t.state, 'L1').shipped).toBe(2);
    expect(exceptionCodes(t)).toEqual(['quantity_exceeded']);
    expect(effectsOf([t], 'ship')).toEqual([
      { kind: 'ship', lineId: 'L1', sku: 'SKU-A', location: 'DC1', quantity: 2, committed: 2 },
    ]);
  });

  it('a repeated report beyond the ordered units is refused, not late', () => {
    const all = [{ lineId: 'L1', quantity: 2 }];
    const [, again] = run(released(seedOrder()), [
      { kind: 'picked', location: 'DC1', lines: all },
      { kind: 'picked', location: 'DC1', lines: all },
    ]);
    expect(again).toMatchObject({
      late: false,
      effects: [expect.objectContaining({ code: 'quantity_exceeded' })],
    });
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'a quantity of %s is refused: invalid_quantity',
    (q) => {
      const order = released(seedOrder());
      for (const input of [
        { kind: 'shipped', location: 'DC1', lines: [{ lineId: 'L1', quantity: q }] },
        { kind: 'cancelled', lines: [{ lineId: 'L1', quantity: q }] },
        { kind: 'invoiced', lines: [{ lineId: 'L1', quantity: q }] },
        { kind: 'returned', location: 'DC1', lines: [{ lineId: 'L1', quantity: q }] },
      ] satisfies OrderInput[]) {
        const t = apply(order, input);
        expect(t.state).toEqual(order);
        expect(exceptionCodes(t)).toEqual(['invalid_quantity']);
      }
    },
  );

  it('units shipped with no known location raise location_unknown instead of vanishing', () => {
    const t = apply(seedOrder(), { kind: 'shipped', lines: [{ lineId: 'L1', quantity: 1 }] });
    expect(t).toMatchObject({ milestone: 'shipped', status: 'partially_shipped' });
    expect(exceptionCodes(t)).toEqual(['location_unknown']);
    expect(effectsOf([t], 'ship')).toEqual([]);
    // With a location on the report, the line takes it.
    const located = apply(seedOrder(), {
      kind: 'shipped',
      location: 'DC2',
      lines: [{ lineId: 'L1', quantity: 1 }],
    });
    expect(effectsOf([located], 'ship')).toEqual([
      { kind: 'ship', lineId: 'L1', sku: 'SKU-A', location: 'DC2', quantity: 1, committed: 0 },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties

interface LinePlan {
  ordered: number;
  committed: number;
  released: number;
  /** Partial reports per stage, their total at most `ordered`. */
  reports: Record<(typeof REPORTED_STAGES)[number], number[]>;
  invoiced: number[];
}

/** Parts of 1–3 units, kept while their running total fits `max`. */
const parts = (max: number): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 }).map((xs) => {
    const kept: number[] = [];
    let sum = 0;
    for (const x of xs) {
      if (sum + x > max) break;
      kept.push(x);
      sum += x;
    }
    return kept;
  });

const linePlan: fc.Arbitrary<LinePlan> = fc.integer({ min: 1, max: 6 }).chain((ordered) =>
  fc.integer({ min: 0, max: ordered }).chain((committed) =>
    fc.record({
      ordered: fc.constant(ordered),
      committed: fc.constant(committed),
      released: fc.integer({ min: 0, max: committed }),
      reports: fc.record({
        picked: parts(ordered),
        packed: parts(ordered),
        shipped: parts(ordered),
        delivered: parts(ordered),
      }),
      invoiced: parts(ordered),
    }),
  ),
);

interface Scenario {
  order: OrderState;
  /** The hub's own steps, always first. */
  setup: OrderInput[];
  /** The owners' reports, in any order. */
  reports: OrderInput[];
}

const scenario: fc.Arbitrary<Scenario> = fc.array(linePlan, { minLength: 1, maxLength: 3 }).map((plans) => {
  const order = newOrder(
    'o-p',
    'web',
    plans.map((p, i) => ({ lineId: `L${i + 1}`, sku: `SKU-${i + 1}`, quantity: p.ordered })),
  );
  const id = (i: number) => `L${i + 1}`;
  const setup: OrderInput[] = [
    {
      kind: 'committed',
      lines: plans.flatMap((p, i) =>
        p.committed > 0 ? [{ lineId: id(i), location: 'DC1', quantity: p.committed }] : [],
      ),
      backordered: plans.flatMap((p, i) =>
        p.ordered > p.committed ? [{ lineId: id(i), quantity: p.ordered - p.committed }] : [],
      ),
    },
    {
      kind: 'released',
      location: 'DC1',
      lines: plans.flatMap((p, i) => (p.released > 0 ? [{ lineId: id(i), quantity: p.released }] : [])),
    },
  ];
  const reports: OrderInput[] = plans.flatMap((p, i) => [
    ...REPORTED_STAGES.flatMap((kind) =>
      p.reports[kind].map(
        (quantity): OrderInput => ({ kind, location: 'DC1', lines: [{ lineId: id(i), quantity }] }),
      ),
    ),
    ...p.invoiced.map((quantity): OrderInput => ({ kind: 'invoiced', lines: [{ lineId: id(i), quantity }] })),
  ]);
  return { order, setup, reports };
});

/** A scenario with two arrival orders of its reports. */
const twoArrivals = scenario.chain((s) =>
  fc.tuple(
    fc.constant(s),
    fc.shuffledSubarray(s.reports, { minLength: s.reports.length, maxLength: s.reports.length }),
    fc.shuffledSubarray(s.reports, { minLength: s.reports.length, maxLength: s.reports.length }),
  ),
);

/** What must not depend on the arrival order. */
function outcome(s: Scenario, reports: readonly OrderInput[]) {
  const transitions = run(s.order, [...s.setup, ...reports]);
  const end = last(transitions);
  const committedParts: Record<string, number> = {};
  for (const e of effectsOf(transitions, 'ship')) {
    committedParts[e.lineId] = (committedParts[e.lineId] ?? 0) + e.committed;
  }
  return {
    lines: end.state.lines,
    milestone: end.state.milestone,
    status: end.status,
    shipped: totals(transitions, 'ship'),
    committedParts,
    delivered: totals(transitions, 'deliver'),
    exceptions: transitions.flatMap(exceptionCodes),
  };
}

describe('lifecycle properties', () => {
  it('ends in the same state, milestone, status and inventory totals for any arrival order', () => {
    fc.assert(
      fc.property(twoArrivals, ([s, one, other]) => {
        const a = outcome(s, one);
        const b = outcome(s, other);
        expect(b).toEqual(a);
        expect(a.exceptions).toEqual([]);
        // The totals are the effective quantities: every unit ships and delivers exactly once.
        for (const l of a.lines) {
          expect(a.shipped[`${l.lineId}@DC1`] ?? 0).toBe(effective(l, 'shipped'));
          expect(a.delivered[`${l.lineId}@DC1`] ?? 0).toBe(effective(l, 'delivered'));
          expect(a.committedParts[l.lineId] ?? 0).toBe(Math.min(effective(l, 'shipped'), l.committed));
        }
        expect({ milestone: a.milestone, status: a.status }).toEqual(derive(a.lines));
      }),
      RUNS,
    );
  });

  it('moves no milestone and no stock on a late report', () => {
    fc.assert(
      fc.property(twoArrivals, ([s, reports]) => {
        for (const t of run(s.order, [...s.setup, ...reports])) {
          if (!t.late) continue;
          expect(t.milestone).toBe(t.previous);
          expect(t.inferred).toEqual([]);
          expect(t.effects.filter((e) => e.kind === 'ship' || e.kind === 'deliver')).toEqual([]);
        }
      }),
      RUNS,
    );
  });
});

/** Any input, valid or not, on a committed order of 1–3 lines. */
const anyLineId = (lines: number) =>
  fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: lines }).map((i) => `L${i}`), weight: 9 },
    { arbitrary: fc.constant('L9'), weight: 1 },
  );

// Mostly 1–2 units so that sequences run through the chain; sometimes 0–5 to exercise the caps.
const anyQuantity = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 2 }), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: 5 }), weight: 1 },
);

const lineQuantities = (lines: number) =>
  fc.array(fc.record({ lineId: anyLineId(lines), quantity: anyQuantity }), {
    minLength: 1,
    maxLength: 3,
  });

const anyInput = (lines: number): fc.Arbitrary<OrderInput> =>
  fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('released' as const),
        location: fc.constant('DC1'),
        lines: lineQuantities(lines),
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record(
        {
          kind: fc.constantFrom(...REPORTED_STAGES),
          location: fc.constant('DC1'),
          lines: lineQuantities(lines),
        },
        { requiredKeys: ['kind'] },
      ),
      weight: 6,
    },
    fc.record({ kind: fc.constant('invoiced' as const), lines: lineQuantities(lines) }),
    fc.record(
      { kind: fc.constant('cancelled' as const), lines: lineQuantities(lines) },
      { requiredKeys: ['kind'] },
    ),
    fc.record({
      kind: fc.constant('returned' as const),
      location: fc.constant('RET1'),
      lines: lineQuantities(lines),
    }),
  );

interface Sequence {
  order: OrderState;
  inputs: OrderInput[];
}

const sequences: fc.Arbitrary<Sequence> = fc
  .array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 })
  .chain((quantities) => {
    const order = newOrder(
      'o-s',
      'web',
      quantities.map((quantity, i) => ({ lineId: `L${i + 1}`, sku: `SKU-${i + 1}`, quantity })),
    );
    const committed = fc.tuple(...quantities.map((q) => fc.integer({ min: 0, max: q }))).map(
      (commits): OrderInput => ({
        kind: 'committed',
        lines: commits.map((quantity, i) => ({ lineId: `L${i + 1}`, location: 'DC1', quantity })),
        backordered: commits.map((c, i) => ({ lineId: `L${i + 1}`, quantity: (quantities[i] ?? 0) - c })),
      }),
    );
    return fc.record({
      order: fc.constant(order),
      inputs: fc
        .tuple(committed, fc.array(anyInput(quantities.length), { maxLength: 25, size: 'max' }))
        .map(([first, rest]) => [first, ...rest]),
    });
  });

const QUANTITIES = [...CHAIN, 'backordered', 'cancelled', 'returned', 'invoiced'] as const;

const COMPENSATIONS = new Set<OrderInput['kind']>(['cancelled', 'returned']);

describe('lifecycle invariants over any sequence of inputs', () => {
  it('never throws, never mutates its input, and keeps the milestone where the lines are', () => {
    fc.assert(
      fc.property(sequences, ({ order, inputs }) => {
        let state = frozen(order);
        for (const input of inputs) {
          const t = apply(state, input);
          expect(t.state.milestone).toBe(t.milestone);
          expect(t.milestone).toBe(derive(t.state.lines).milestone);
          expect(t.previous).toBe(state.milestone);
          state = frozen(t.state);
        }
      }),
      RUNS,
    );
  });

  it('never moves the milestone back except on a cancellation or a return', () => {
    fc.assert(
      fc.property(sequences, ({ order, inputs }) => {
        for (const t of run(order, inputs).map((t, i) => ({ ...t, input: inputs[i]! }))) {
          if (COMPENSATIONS.has(t.input.kind)) continue;
          expect(
            RANK[t.milestone],
            `${t.previous} → ${t.milestone} on ${t.input.kind}`,
          ).toBeGreaterThanOrEqual(RANK[t.previous]);
        }
      }),
      RUNS,
    );
  });

  it('infers only milestones strictly between previous and the new one, that some units have reached', () => {
    fc.assert(
      fc.property(sequences, ({ order, inputs }) => {
        for (const t of run(order, inputs)) {
          if (t.milestone === t.previous) expect(t.inferred).toEqual([]);
          for (const m of t.inferred) {
            expect(RANK[m]).toBeGreaterThan(RANK[t.previous]);
            expect(RANK[m]).toBeLessThan(RANK[t.milestone]);
            expect(
              t.state.lines.some((l) => effective(l, m as (typeof CHAIN)[number]) > 0),
              m,
            ).toBe(true);
          }
          // Oldest first, no repeats.
          expect([...t.inferred].sort((x, y) => RANK[x] - RANK[y])).toEqual(t.inferred);
          expect(new Set(t.inferred).size).toBe(t.inferred.length);
          const reached: Milestone[] = t.state.reached;
          expect(reached.at(-1)).toBe(t.state.milestone);
        }
      }),
      RUNS,
    );
  });

  it('keeps every quantity whole and within its bounds', () => {
    fc.assert(
      fc.property(sequences, ({ order, inputs }) => {
        for (const t of run(order, inputs)) {
          for (const l of t.state.lines) {
            const broken = [
              ...QUANTITIES.filter((f) => !Number.isSafeInteger(l[f]) || l[f] < 0 || l[f] > l.ordered),
              ...REPORTED_STAGES.filter((stage) => l[stage] > active(l)),
              ...(l.cancelled + effective(l, 'picked') > l.ordered ? ['cancelled + picked > ordered'] : []),
              ...(l.committed + l.backordered > active(l) ? ['committed + backordered > active'] : []),
              ...(l.released > l.committed ? ['released > committed'] : []),
              ...(l.returned > effective(l, 'shipped') ? ['returned > shipped'] : []),
            ];
            if (broken.length > 0) expect({ line: l, broken }).toEqual({ line: l, broken: [] });
          }
        }
      }),
      RUNS,
    );
  });

  it('drives the inventory rules without underflow, shipping and delivering each unit once', () => {
    fc.assert(
      fc.property(sequences, ({ order, inputs }) => {
        const positions = new Map<string, Position>();
        const settle = (sku: string, location: string, result: (p: Position) => RuleResult, what: string) => {
          const key = `${sku}@${location}`;
          const position = positions.get(key) ?? applyDeltas(emptyPosition(), { on_hand: 100 });
          const r = result(position);
          if (!r.ok) expect.fail(`${what} at ${key}: ${r.code} ${r.detail}`);
          const after = applyDeltas(position, r.deltas);
          for (const b of BUCKETS) expect(after[b], `${what}: ${b}`).toBeGreaterThanOrEqual(0);
          positions.set(key, after);
        };
        let state = order;
        const shipped = new Map<string, number>();
        const delivered = new Map<string, number>();
        for (const input of inputs) {
          const t = apply(state, input);
          // The hub commits stock before it feeds `committed` to the lifecycle.
          t.state.lines.forEach((l, i) => {
            const more = l.committed - (state.lines[i] as LineState).committed;
            if (input.kind === 'committed' && more > 0)
              settle(l.sku, l.location!, (p) => commit(p, more), 'commit');
          });
          for (const e of t.effects) {
            switch (e.kind) {
              case 'ship': {
                // Units shipped beyond the commitment are taken from free stock first.
                const uncommitted = e.quantity - e.committed;
                if (uncommitted > 0) settle(e.sku, e.location, (p) => commit(p, uncommitted), 'ship');
                settle(e.sku, e.location, (p) => ship(p, e.quantity), 'ship');
                shipped.set(e.lineId, (shipped.get(e.lineId) ?? 0) + e.quantity);
                break;
              }
              case 'deliver':
                settle(e.sku, e.location, (p) => deliver(p, e.quantity), 'deliver');
                delivered.set(e.lineId, (delivered.get(e.lineId) ?? 0) + e.quantity);
                break;
              case 'releaseCommitment':
                settle(e.sku, e.location, (p) => releaseCommitment(p, e.quantity), 'releaseCommitment');
                break;
              case 'returnReceived':
                settle(e.sku, e.location, (p) => returnReceived(p, e.quantity), 'returnReceived');
                break;
              default:
                break;
            }
          }
          state = t.state;
          for (const l of state.lines) {
            expect(shipped.get(l.lineId) ?? 0).toBe(effective(l, 'shipped'));
            expect(delivered.get(l.lineId) ?? 0).toBe(effective(l, 'delivered'));
            // What is still committed at the location is the line's commitment not yet shipped.
            expect(positions.get(`${l.sku}@DC1`)?.committed ?? 0).toBe(
              Math.max(0, l.committed - effective(l, 'shipped')),
            );
          }
        }
      }),
      RUNS,
    );
  });
});
