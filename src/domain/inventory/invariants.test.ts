import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyDeltas, available, BUCKETS, emptyPosition, type Position } from './position.js';
import { MOVABLE_BUCKETS, REASON_CODES } from './reason-codes.js';
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

const RUNS = { numRuns: 600 };

/** Movements Manifold itself performs (or the orders flow drives); they must never oversell. */
const MANIFOLD_KINDS = [
  'reserve',
  'releaseReservation',
  'expireReservation',
  'commitReservation',
  'commit',
  'releaseCommitment',
  'allocate',
  'ship',
  'deliver',
  'returnReceived',
  'restock',
  'scrap',
] as const;
type ManifoldKind = (typeof MANIFOLD_KINDS)[number];

/** Physical facts from the owner that may push `available` below zero. */
const PHYSICAL_KINDS = new Set(['counted', 'adjusted', 'moved']);

type Operation =
  | { kind: 'counted'; onHand: number }
  | { kind: 'adjusted'; delta: number; reason: (typeof REASON_CODES)[number] }
  | { kind: 'received'; quantity: number; quarantine: boolean }
  | {
      kind: 'moved';
      from: (typeof MOVABLE_BUCKETS)[number];
      to: (typeof MOVABLE_BUCKETS)[number];
      quantity: number;
      reason: (typeof REASON_CODES)[number];
    }
  | { kind: 'incoming'; quantity: number }
  | { kind: ManifoldKind; quantity: number };

// Mostly 1–3 units, so chains of movements fit the stock; sometimes up to 6, or 0 to exercise refusals.
const quantity = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: 6 }), weight: 1 },
);

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('counted' as const), onHand: fc.integer({ min: 0, max: 15 }) }),
  fc.record({
    kind: fc.constant('adjusted' as const),
    delta: fc.integer({ min: -6, max: 6 }),
    reason: fc.constantFrom(...REASON_CODES),
  }),
  fc.record({ kind: fc.constant('received' as const), quantity, quarantine: fc.boolean() }),
  fc.record({
    kind: fc.constant('moved' as const),
    from: fc.constantFrom(...MOVABLE_BUCKETS),
    to: fc.constantFrom(...MOVABLE_BUCKETS),
    quantity,
    reason: fc.constantFrom('quality_hold', 'quality_release', 'damaged', 'correction'),
  }),
  fc.record({ kind: fc.constant('incoming' as const), quantity }),
  // Weighted so that order-driven movements make up most of a sequence.
  { arbitrary: fc.record({ kind: fc.constantFrom(...MANIFOLD_KINDS), quantity }), weight: 12 },
);

function run(position: Position, op: Operation): RuleResult {
  switch (op.kind) {
    case 'counted':
      return counted(position, op.onHand);
    case 'adjusted':
      return adjusted(position, op.delta, op.reason);
    case 'received':
      return received(position, op.quantity, op.quarantine);
    case 'moved':
      return moved(position, op.from, op.to, op.quantity, op.reason);
    case 'incoming':
      return incoming(position, op.quantity);
    case 'reserve':
      return reserve(position, op.quantity);
    case 'releaseReservation':
      return releaseReservation(position, op.quantity);
    case 'expireReservation':
      return releaseReservation(position, op.quantity, 'reservation_expired');
    case 'commitReservation':
      return commitReservation(position, op.quantity);
    case 'commit':
      return commit(position, op.quantity);
    case 'releaseCommitment':
      return releaseCommitment(position, op.quantity);
    case 'allocate':
      return allocate(position, op.quantity);
    case 'ship':
      return ship(position, op.quantity);
    case 'deliver':
      return deliver(position, op.quantity);
    case 'returnReceived':
      return returnReceived(position, op.quantity);
    case 'restock':
      return restock(position, op.quantity);
    case 'scrap':
      return scrap(position, op.quantity);
  }
}

interface Step {
  op: Operation;
  before: Position;
  result: RuleResult;
  after: Position;
}

/**
 * Runs the sequence from an empty position, applying each result only when the rule accepts it. Positions
 * are frozen, so a rule that mutated its input would throw.
 */
function replay(ops: readonly Operation[]): Step[] {
  const steps: Step[] = [];
  let position: Position = Object.freeze(emptyPosition());
  for (const op of ops) {
    const result = run(position, op);
    const after = result.ok ? Object.freeze(applyDeltas(position, result.deltas)) : position;
    steps.push({ op, before: position, result, after });
    position = after;
  }
  return steps;
}

/**
 * Sequences open with a receipt so that stock exists to promise, and run long enough (`size: 'max'`; the
 * default size keeps arrays to about ten) to reach reserve → commit → allocate → ship/cancel chains.
 */
const sequences: fc.Arbitrary<Operation[]> = fc
  .tuple(fc.integer({ min: 1, max: 20 }), fc.array(operation, { minLength: 1, maxLength: 60, size: 'max' }))
  .map(([stock, ops]) => [{ kind: 'received', quantity: stock, quarantine: false }, ...ops]);

describe('inventory invariants over any sequence of operations', () => {
  it('keeps every bucket a whole number ≥ 0', () => {
    fc.assert(
      fc.property(sequences, (ops) => {
        for (const { op, after } of replay(ops)) {
          const broken = BUCKETS.filter(
            (bucket) => !Number.isSafeInteger(after[bucket]) || after[bucket] < 0,
          );
          if (broken.length > 0) expect({ op, after }).toEqual({ op, broken });
        }
      }),
      RUNS,
    );
  });

  it('keeps allocated ≤ committed', () => {
    fc.assert(
      fc.property(sequences, (ops) => {
        for (const { op, after } of replay(ops)) {
          if (after.allocated > after.committed) expect({ op, after }).toBeUndefined();
        }
      }),
      RUNS,
    );
  });

  it("never lets Manifold's own movements make available negative", () => {
    fc.assert(
      fc.property(sequences, (ops) => {
        for (const { op, before, after } of replay(ops)) {
          if (PHYSICAL_KINDS.has(op.kind) || available(before) < 0) continue;
          expect(available(after), op.kind).toBeGreaterThanOrEqual(0);
        }
      }),
      RUNS,
    );
  });

  it('lets only physical facts take available below zero, and reports the shortfall', () => {
    fc.assert(
      fc.property(sequences, (ops) => {
        for (const { op, before, result, after } of replay(ops)) {
          if (!result.ok) continue;
          const free = available(after);
          if (available(before) >= 0 && free < 0) expect(PHYSICAL_KINDS.has(op.kind), op.kind).toBe(true);
          if (free < 0) expect(result.effects?.oversold?.shortfall).toBe(-free);
          else expect(result.effects).toBeUndefined();
        }
      }),
      RUNS,
    );
  });

  it('refuses a reservation or commitment exactly when it exceeds available', () => {
    fc.assert(
      fc.property(sequences, fc.integer({ min: 1, max: 8 }), (ops, wanted) => {
        const steps = replay(ops);
        const position = steps.at(-1)?.after ?? emptyPosition();
        const fits = available(position) >= wanted;
        for (const result of [reserve(position, wanted), commit(position, wanted)]) {
          expect(result.ok).toBe(fits);
          if (!result.ok)
            expect(result).toMatchObject({ code: 'insufficient-stock', available: available(position) });
        }
      }),
      RUNS,
    );
  });
});
