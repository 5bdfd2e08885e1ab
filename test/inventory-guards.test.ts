/**
 * The store's SQL guards agree with the domain rules, on every adapter: for random sequences of
 * movements (fast-check), the conditional UPDATE accepts exactly what the pure rule accepts, the stored
 * position equals the model after every step, and the invariants hold in the database. A guard that
 * forgot a condition (or checked one too many) fails here.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import {
  applyDeltas,
  available,
  type BucketDeltas,
  emptyPosition,
  type Position,
} from '../src/domain/inventory/position.js';
import * as rules from '../src/domain/inventory/rules.js';
import { ConditionNotMet } from '../src/store/condition-not-met.js';
import type { Movement } from '../src/store/inventory-port.js';
import type { Store } from '../src/store/store-port.js';
import { describeEachStore, type StoreKind, type TestStore } from './support/stores.js';

type Op =
  | { kind: 'adjusted'; delta: number }
  | { kind: 'received'; q: number; quarantine: boolean }
  | {
      kind: 'moved';
      from: 'available' | 'quarantined' | 'damaged' | 'returned';
      to: 'available' | 'quarantined' | 'damaged' | 'returned';
      q: number;
    }
  | {
      kind:
        | 'reserve'
        | 'release'
        | 'commitReservation'
        | 'commit'
        | 'releaseCommitment'
        | 'allocate'
        | 'ship'
        | 'deliver'
        | 'returnReceived'
        | 'restock'
        | 'scrap';
      q: number;
    };

const q = fc.integer({ min: 1, max: 6 });
const bucket = fc.constantFrom('available', 'quarantined', 'damaged', 'returned' as const);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('adjusted' as const),
    delta: fc.integer({ min: -8, max: 8 }).filter((d) => d !== 0),
  }),
  fc.record({ kind: fc.constant('received' as const), q, quarantine: fc.boolean() }),
  fc
    .record({ kind: fc.constant('moved' as const), from: bucket, to: bucket, q })
    .filter((m) => m.from !== m.to),
  fc.record({
    kind: fc.constantFrom(
      'reserve',
      'release',
      'commitReservation',
      'commit',
      'releaseCommitment',
      'allocate',
      'ship',
      'deliver',
      'returnReceived',
      'restock',
      'scrap',
    ),
    q,
  }) as fc.Arbitrary<Op>,
);

/** The pure rule's verdict, and the movement sent to the store whatever the verdict. */
function plan(
  position: Position,
  o: Op,
): { result: rules.RuleResult; deltas: BucketDeltas; guard: Movement['guard'] } {
  switch (o.kind) {
    case 'adjusted':
      return {
        result: rules.adjusted(position, o.delta, 'correction'),
        deltas: { on_hand: o.delta },
        guard: 'fact',
      };
    case 'received': {
      const deltas: BucketDeltas = o.quarantine ? { on_hand: o.q, quarantined: o.q } : { on_hand: o.q };
      return { result: rules.received(position, o.q, o.quarantine), deltas, guard: 'fact' };
    }
    case 'moved': {
      const deltas: BucketDeltas = {};
      if (o.from !== 'available') deltas[o.from] = -o.q;
      if (o.to !== 'available') deltas[o.to] = o.q;
      return { result: rules.moved(position, o.from, o.to, o.q, 'correction'), deltas, guard: 'fact' };
    }
    case 'reserve':
      return { result: rules.reserve(position, o.q), deltas: { reserved: o.q }, guard: 'promise' };
    case 'release':
      return {
        result: rules.releaseReservation(position, o.q),
        deltas: { reserved: -o.q },
        guard: 'promise',
      };
    case 'commitReservation':
      return {
        result: rules.commitReservation(position, o.q),
        deltas: { reserved: -o.q, committed: o.q },
        guard: 'promise',
      };
    case 'commit':
      return { result: rules.commit(position, o.q), deltas: { committed: o.q }, guard: 'promise' };
    case 'allocate':
      return { result: rules.allocate(position, o.q), deltas: { allocated: o.q }, guard: 'promise' };
    case 'deliver':
      return { result: rules.deliver(position, o.q), deltas: { in_transit: -o.q }, guard: 'promise' };
    case 'returnReceived':
      return {
        result: rules.returnReceived(position, o.q),
        deltas: { on_hand: o.q, returned: o.q },
        guard: 'promise',
      };
    case 'restock':
      return { result: rules.restock(position, o.q), deltas: { returned: -o.q }, guard: 'promise' };
    case 'scrap':
      return {
        result: rules.scrap(position, o.q),
        deltas: { returned: -o.q, on_hand: -o.q },
        guard: 'promise',
      };
    case 'releaseCommitment':
    case 'ship': {
      // Their deltas depend on `allocated` (it shrinks by at most q); the model's state is the store's.
      const result = o.kind === 'ship' ? rules.ship(position, o.q) : rules.releaseCommitment(position, o.q);
      const taken = Math.min(o.q, position.allocated);
      const deltas: BucketDeltas =
        o.kind === 'ship'
          ? { on_hand: -o.q, committed: -o.q, in_transit: o.q, ...(taken > 0 ? { allocated: -taken } : {}) }
          : { committed: -o.q, ...(taken > 0 ? { allocated: -taken } : {}) };
      return { result, deltas, guard: 'promise' };
    }
  }
}

function suite(t: TestStore, kind: StoreKind) {
  let store: Store;
  beforeAll(() => {
    store = t.store;
  });

  it('accepts exactly what the rules accept, and keeps the invariants in the database', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), async (ops) => {
        const sku = `P-${randomUUID().slice(0, 12)}`;
        let model = emptyPosition();
        for (const o of ops) {
          const { result, deltas, guard } = plan(model, o);
          let stored = true;
          try {
            await store.inventory.applyMovements([
              { sku, location: 'DC-EAST', deltas, reason: 'correction', guard, system: 'test' },
            ]);
          } catch (error) {
            if (!(error instanceof ConditionNotMet)) throw error;
            stored = false;
          }
          expect({ op: o, stored }).toEqual({ op: o, stored: result.ok });
          if (result.ok) {
            expect(result.deltas).toEqual(
              Object.fromEntries(Object.entries(deltas).filter(([, d]) => d !== 0)),
            );
            model = applyDeltas(model, result.deltas);
          }
          const [position] = await store.inventory.positions(sku);
          if (position) {
            expect(position.buckets).toEqual(model);
            expect(Object.values(position.buckets).every((n) => n >= 0)).toBe(true);
            expect(position.buckets.allocated).toBeLessThanOrEqual(position.buckets.committed);
            expect(position.available).toBe(available(model));
          }
        }
        const [rebuilt] = await store.inventory.positionsFromLedger(sku);
        if (rebuilt) expect(rebuilt.buckets).toEqual(model);
      }),
      { numRuns: kind === 'sqlite' ? 60 : 25 },
    );
  }, 120_000);
}

await describeEachStore('inventory guards = rules', suite, { fresh: 'all' });
