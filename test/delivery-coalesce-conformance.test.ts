/**
 * Coalescing chosen per subscription (docs/delivery.md §3), on every store adapter: a claim coalesces the
 * types it is given (`ClaimQuery.coalesce`, default the availability type), and a pending row is superseded
 * only by a newer pending row of its own key **and type**. Drained to the end, each key receives a
 * subsequence of its events in log order that ends, per coalescing type, on the newest event.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import type { CloudEvent } from '../src/domain/cloud-event.js';
import type { ClaimQuery, DeliveryClaim } from '../src/store/delivery-port.js';
import type { OutboxRow, Store } from '../src/store/store-port.js';
import { describeEachStore, type TestStore } from './support/stores.js';

const AVAILABILITY = 'com.manifold.inventory.availability.v1';
const POSITION = 'com.manifold.inventory.position.v1';
const COUNTED = 'com.manifold.inventory.counted.v1';
const ADJUSTED = 'com.manifold.inventory.adjusted.v1';

const iso = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

interface Spec {
  type: string;
  /** Subject (partition key). */
  key: string;
  n: number;
}

/** Appends the events in order, each with an outbox row for a new subscription; returns its rows. */
async function queue(store: Store, specs: Spec[]): Promise<{ subscription: string; rows: OutboxRow[] }> {
  const subscription = `sub-${randomUUID()}`;
  const source = `/test/${randomUUID()}`;
  const events: CloudEvent[] = specs.map((spec, i) => ({
    specversion: '1.0',
    id: `e${i}`,
    source,
    type: spec.type,
    subject: spec.key,
    data: { n: spec.n },
  }));
  await store.append(
    events.map((event) => ({ system: 'manifold', event, outbox: [{ subscription, target: 'shop' }] })),
  );
  const rows = await store.listOutbox({ subscription, limit: 10_000 });
  expect(rows).toHaveLength(specs.length);
  return { subscription, rows };
}

function query(subscription: string, overrides: Partial<ClaimQuery> = {}): ClaimQuery {
  return {
    subscription,
    limit: 100,
    now: iso(),
    leaseMs: 0,
    owner: 'test',
    inFlight: new Set(),
    perKey: 100,
    ...overrides,
  };
}

function conformance(testStore: TestStore): void {
  let store: Store;
  beforeAll(() => {
    store = testStore.store;
  });

  /** Claims and delivers until nothing is left; returns every claim, in the order handed out. */
  async function drain(subscription: string, overrides: Partial<ClaimQuery> = {}): Promise<DeliveryClaim[]> {
    const handed: DeliveryClaim[] = [];
    for (let round = 0; round < 50; round++) {
      const claims = await store.delivery.claimDeliveries(query(subscription, overrides));
      if (claims.length === 0) break;
      handed.push(...claims);
      for (const claim of claims) {
        const at = iso();
        await store.delivery.completeAttempt({
          claim,
          owner: 'test',
          startedAt: at,
          finishedAt: at,
          outcome: 'delivered',
          latencyMs: 1,
          next: { kind: 'delivered' },
        });
      }
    }
    return handed;
  }

  const numbers = (claims: DeliveryClaim[], key: string) =>
    claims
      .filter((c) => c.partitionKey === key)
      .map((c) => `${c.event.type.split('.')[3]}:${(c.event.data as { n: number }).n}`);

  it('coalesces the types a claim is given: positions of one key, last value wins', async () => {
    const specs = [1, 2, 3, 4].map((n) => ({ type: POSITION, key: 'P@DC', n }));
    const { subscription, rows } = await queue(store, specs);
    const handed = await drain(subscription, { coalesce: [POSITION] });
    expect(numbers(handed, 'P@DC')).toEqual(['position:4']);
    const outbox = await store.listOutbox({ subscription, limit: 100 });
    expect(outbox.map((r) => [r.status, r.supersededBy ?? null])).toEqual([
      ['skipped', rows[3]?.id],
      ['skipped', rows[3]?.id],
      ['skipped', rows[3]?.id],
      ['delivered', null],
    ]);
  });

  it('by default coalesces availability only; an empty list coalesces nothing', async () => {
    const specs = [
      { type: POSITION, key: 'K@DC', n: 1 },
      { type: POSITION, key: 'K@DC', n: 2 },
      { type: AVAILABILITY, key: 'K@web', n: 1 },
      { type: AVAILABILITY, key: 'K@web', n: 2 },
    ];
    const byDefault = await queue(store, specs);
    const handed = await drain(byDefault.subscription);
    expect(numbers(handed, 'K@DC')).toEqual(['position:1', 'position:2']);
    expect(numbers(handed, 'K@web')).toEqual(['availability:2']);

    const none = await queue(store, specs);
    const all = await drain(none.subscription, { coalesce: [] });
    expect(numbers(all, 'K@DC')).toEqual(['position:1', 'position:2']);
    expect(numbers(all, 'K@web')).toEqual(['availability:1', 'availability:2']);
    expect(
      (await store.listOutbox({ subscription: none.subscription, limit: 100 })).map((r) => r.status),
    ).toEqual(Array(4).fill('delivered'));
  });

  it('supersedes a row only by a newer one of its own type; other types of the key all go, in order', async () => {
    const specs: Spec[] = [
      { type: COUNTED, key: 'S@DC', n: 1 },
      { type: POSITION, key: 'S@DC', n: 1 },
      { type: ADJUSTED, key: 'S@DC', n: 1 },
      { type: COUNTED, key: 'S@DC', n: 2 },
      { type: POSITION, key: 'S@DC', n: 2 },
      { type: ADJUSTED, key: 'S@DC', n: 2 },
      { type: COUNTED, key: 'S@DC', n: 3 },
    ];
    const { subscription, rows } = await queue(store, specs);
    const handed = await drain(subscription, { coalesce: [COUNTED, POSITION] });
    // Log order minus superseded rows: each coalescing type ends on its newest row; no adjustment is lost.
    expect(numbers(handed, 'S@DC')).toEqual(['adjusted:1', 'position:2', 'adjusted:2', 'counted:3']);
    const outbox = await store.listOutbox({ subscription, limit: 100 });
    expect(outbox.map((r) => r.supersededBy ?? null)).toEqual([
      rows[6]?.id,
      rows[4]?.id,
      null,
      rows[6]?.id,
      null,
      null,
      null,
    ]);
  });

  it('hands a key its rows up to the first of a coalescing type, which then coalesces as a head', async () => {
    const specs: Spec[] = [
      { type: ADJUSTED, key: 'R@DC', n: 1 },
      { type: ADJUSTED, key: 'R@DC', n: 2 },
      { type: POSITION, key: 'R@DC', n: 1 },
      { type: POSITION, key: 'R@DC', n: 2 },
      { type: ADJUSTED, key: 'R@DC', n: 3 },
    ];
    const { subscription, rows } = await queue(store, specs);
    const first = await store.delivery.claimDeliveries(query(subscription, { coalesce: [POSITION] }));
    expect(first.map((c) => c.outboxId)).toEqual([rows[0]?.id, rows[1]?.id]);
    const rest = await drain(subscription, { coalesce: [POSITION], inFlight: new Set() });
    // The two adjustments were claimed (not delivered) above: they go again here, then the newest position.
    expect(numbers(rest, 'R@DC')).toEqual(['adjusted:1', 'adjusted:2', 'position:2', 'adjusted:3']);
  });
}

await describeEachStore('delivery coalescing per subscription', conformance, { fresh: 'all' });
