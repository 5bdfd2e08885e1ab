/**
 * Two hub instances sharing one PostgreSQL outbox (docs/delivery.md): each has its own `PostgresStore`
 * (its own pool, so its own database sessions) and its own `DeliveryEngine`, as two processes would. They
 * split the work through leased `FOR UPDATE SKIP LOCKED` claims while every event reaches a real local
 * HTTP target exactly once, each key in log order and never two requests of one key at a time. A claimer
 * that dies holding leases only delays its keys until the lease runs out; the other hub then takes them.
 * Skipped with a warning when PostgreSQL is unreachable, except under CI.
 */
import { afterEach, expect, it } from 'vitest';
import type { CompiledConfig } from '../../src/config/compiled-config.js';
import { compileConfig } from '../../src/config/load-config.js';
import type { CloudEvent } from '../../src/domain/cloud-event.js';
import { DeliveryEngine } from '../../src/engine/delivery/delivery-engine.js';
import type { Store } from '../../src/store/store-port.js';
import { type ReceivedRequest, type Sink, startSink } from '../support/sink.js';
import { describeWithStore, openTestStore, TEST_POSTGRES_URL, type TestStore } from '../support/stores.js';
import { pickedEvent, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

const SUBSCRIPTION = 'erp-orders';
const TARGET = 'erp';
/** How long the simulated crashed claimer's leases last. */
const CRASH_LEASE_MS = 200;
/** The sink's answer delay: long enough for requests of different keys to overlap on the wire. */
const ANSWER_DELAY_MS = 2;

let testStore: TestStore | undefined;
let sink: Sink | undefined;
const engines: DeliveryEngine[] = [];
afterEach(async () => {
  // Engines first: they must not query a pool that cleanup is ending.
  await Promise.all(engines.splice(0).map((engine) => engine.stop(2000)));
  await sink?.close();
  await testStore?.cleanup();
  sink = undefined;
  testStore = undefined;
});

/** What the sink saw, per key: receipt order, and requests of one key open at the same time. */
interface KeyTracker {
  receivedByKey: Map<string, string[]>;
  /** Requests of a key received while an earlier request of that key had not been answered yet. */
  overlaps: string[];
  /** Most requests (of all keys) open at once: proves the target really saw concurrent requests. */
  maxOpen: () => number;
}

/** Starts a sink answering 200 after `ANSWER_DELAY_MS`, tracking requests open per key. */
async function startTrackingSink(): Promise<KeyTracker> {
  const open = new Map<string, number>();
  const receivedByKey = new Map<string, string[]>();
  const overlaps: string[] = [];
  let openNow = 0;
  let maxOpen = 0;
  sink = await startSink((request: ReceivedRequest) => {
    const key = request.events[0]?.subject ?? '';
    const id = request.headers['idempotency-key'] as string;
    receivedByKey.set(key, [...(receivedByKey.get(key) ?? []), id]);
    const openOfKey = (open.get(key) ?? 0) + 1;
    open.set(key, openOfKey);
    if (openOfKey > 1) overlaps.push(`${id} of ${key} arrived while ${openOfKey - 1} other(s) were open`);
    openNow += 1;
    maxOpen = Math.max(maxOpen, openNow);
    // The sink arms its own timer of the same delay right after this one, and Node runs expired timers
    // of one duration in creation order with no I/O between them: the counter drops in the same turn
    // the answer is written, so no request sent after that answer can be counted as overlapping.
    setTimeout(() => {
      open.set(key, (open.get(key) ?? 1) - 1);
      openNow -= 1;
    }, ANSWER_DELAY_MS);
    return { status: 200, delayMs: ANSWER_DELAY_MS };
  });
  return { receivedByKey, overlaps, maxOpen: () => maxOpen };
}

/** The hubs' shared configuration: one order subscription to the sink, wide rate limit. */
function hubConfig(sinkUrl: string): CompiledConfig {
  const yaml = testConfigYaml({
    store: `{ postgres: ${JSON.stringify(TEST_POSTGRES_URL)} }`,
    subscriptions: `subscriptions:
  - name: ${SUBSCRIPTION}
    target: ${TARGET}
    types: [com.manifold.order.*]
    http: { url: ${sinkUrl}/orders }
    rateLimit: { perSecond: 100000, concurrency: 8 }`,
  });
  return compileConfig(yaml, 'two-hubs.yaml', {});
}

/** Order events over `keys`, round robin, as ingest would store them (subject = partition key = order). */
function orderEvents(keys: string[], count: number): CloudEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const orderId = keys[i % keys.length] as string;
    return { ...pickedEvent(orderId), subject: orderId, partitionkey: orderId } as CloudEvent;
  });
}

/** Appends `events` from wms-east through `store`, each with its outbox row for the subscription. */
async function appendAll(store: Store, events: CloudEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 100) {
    const outcomes = await store.append(
      events.slice(i, i + 100).map((event) => ({
        system: 'wms-east',
        event,
        outbox: [{ subscription: SUBSCRIPTION, target: TARGET }],
      })),
    );
    expect(outcomes.every((o) => o.status === 'accepted')).toBe(true);
  }
}

/** A hub's engine, counting the events it sent and the errors it reported. */
function hubEngine(config: CompiledConfig, store: Store) {
  const sent: string[] = [];
  const errors: unknown[] = [];
  const engine = new DeliveryEngine(config, store, {
    pollMs: 10,
    onAttempt: (_subscription, claims) => sent.push(...claims.map((c) => c.event.id)),
    onError: (_subscription, error) => errors.push(error),
  });
  engines.push(engine);
  return { engine, sent, errors };
}

/** Ids of `events` per key, in log (append) order. */
function idsByKey(events: CloudEvent[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const event of events) {
    const key = event.subject as string;
    byKey.set(key, [...(byKey.get(key) ?? []), event.id]);
  }
  return byKey;
}

/** Waits until the sink has seen every id of `events` (at least once). */
async function allReceived(events: CloudEvent[], timeoutMs = 20_000): Promise<void> {
  const wanted = new Set(events.map((e) => e.id));
  await until(
    () => {
      const seen = new Set(sink?.received.map((r) => r.headers['idempotency-key'] as string));
      return [...wanted].every((id) => seen.has(id));
    },
    'every event at the sink',
    timeoutMs,
  );
}

/** Waits until every outbox row is recorded delivered, and returns the rows. */
async function allRecorded(store: Store, count: number) {
  let rows = await store.listOutbox({ subscription: SUBSCRIPTION, limit: count + 1 });
  await until(async () => {
    rows = await store.listOutbox({ subscription: SUBSCRIPTION, limit: count + 1 });
    return rows.length === count && rows.every((r) => r.status === 'delivered');
  }, 'every outbox row recorded delivered');
  return rows;
}

function twoHubs(): void {
  it('share the outbox: every event once, each key in log order, one request per key at a time', {
    timeout: 60_000,
  }, async () => {
    testStore = await openTestStore('postgres');
    const storeA = testStore.store;
    const storeB = testStore.reopen();
    const tracker = await startTrackingSink();
    const config = hubConfig((sink as Sink).url);
    const keys = Array.from({ length: 20 }, (_, k) => `ORD-2H-${k}`);
    const events = orderEvents(keys, 400);
    await appendAll(storeA, events);

    const hubA = hubEngine(config, storeA);
    const hubB = hubEngine(config, storeB);
    hubA.engine.start();
    hubB.engine.start();
    await allReceived(events);
    const rows = await allRecorded(storeA, events.length);

    // Exactly once, not only at least once: with no failure and leases (60 s) far longer than any
    // request, a row is leased by one hub at a time and leaves `pending` when its single attempt is
    // recorded, so no hub ever claims it a second time. A duplicate here is a double claim.
    const received = (sink as Sink).received.map((r) => r.headers['idempotency-key'] as string);
    expect(received).toHaveLength(events.length);
    expect(new Set(received).size).toBe(events.length);
    for (const request of (sink as Sink).received) {
      expect(request.events).toHaveLength(1);
      expect(request.events[0]?.id).toBe(request.headers['idempotency-key']);
    }
    expect(rows.every((r) => r.attempts === 1)).toBe(true);

    // Per key, receipt order is log order, and the next event of a key never went out before the
    // previous one was answered, whichever hub sent either.
    expect(tracker.receivedByKey).toEqual(idsByKey(events));
    expect(tracker.overlaps).toEqual([]);
    expect(tracker.maxOpen()).toBeGreaterThan(1);

    // Both hubs did part of the work, and together each event once.
    expect(hubA.sent.length).toBeGreaterThan(0);
    expect(hubB.sent.length).toBeGreaterThan(0);
    expect([...hubA.sent, ...hubB.sent].sort()).toEqual(events.map((e) => e.id).sort());
    expect(hubA.errors).toEqual([]);
    expect(hubB.errors).toEqual([]);
  });

  it('a claimer that dies holding leases only delays its keys; the other hub takes them when they expire', {
    timeout: 60_000,
  }, async () => {
    testStore = await openTestStore('postgres');
    const storeA = testStore.store;
    const storeB = testStore.reopen();
    const tracker = await startTrackingSink();
    const config = hubConfig((sink as Sink).url);
    const keys = Array.from({ length: 8 }, (_, k) => `ORD-CR-${k}`);
    const events = orderEvents(keys, 40);
    await appendAll(storeA, events);

    // Hub A's runner claims the heads of the first four keys, then dies before sending or recording
    // anything. (The engine's own lease is max(60 s, 3 × timeoutMs); the claim is made directly to get a
    // short one.)
    const claimedFrom = Date.now();
    const crashed = await storeA.delivery.claimDeliveries({
      subscription: SUBSCRIPTION,
      limit: 4,
      now: new Date().toISOString(),
      leaseMs: CRASH_LEASE_MS,
      owner: 'crashed',
      inFlight: new Set(),
    });
    const crashedKeys = keys.slice(0, 4);
    expect(crashed.map((c) => c.event.id)).toEqual(events.slice(0, 4).map((e) => e.id));
    const leaseEnd = claimedFrom + CRASH_LEASE_MS;

    const hubB = hubEngine(config, storeB);
    hubB.engine.start();
    await allReceived(events);
    const rows = await allRecorded(storeB, events.length);

    const requests = (sink as Sink).received;
    const keyOf = (request: ReceivedRequest) => request.events[0]?.subject as string;
    const crashedRequests = requests.filter((r) => crashedKeys.includes(keyOf(r)));
    const freeRequests = requests.filter((r) => !crashedKeys.includes(keyOf(r)));
    // Nothing of a crashed key went out before its lease ran out (both clocks are this host's; the lease
    // starts no earlier than `claimedFrom`, and receipt times are whole milliseconds).
    for (const request of crashedRequests) expect(request.at).toBeGreaterThanOrEqual(leaseEnd);
    // The other keys were not held: hub B started on them at once, before the lease ran out.
    expect(crashedKeys).not.toContain(keyOf(requests[0] as ReceivedRequest));
    expect(Math.min(...freeRequests.map((r) => r.at))).toBeLessThan(leaseEnd);

    // Hub B delivered everything, the taken-over heads first in their keys, each event once.
    expect(requests).toHaveLength(events.length);
    expect(tracker.receivedByKey).toEqual(idsByKey(events));
    expect(tracker.overlaps).toEqual([]);
    expect([...hubB.sent].sort()).toEqual(events.map((e) => e.id).sort());
    expect(hubB.errors).toEqual([]);
    // The crashed claim left no attempt behind: each row's only attempt is hub B's.
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    for (const claim of crashed) {
      const attempts = await storeB.delivery.listAttempts({ eventSeq: claim.eventSeq });
      expect(attempts).toEqual([expect.objectContaining({ attempt: 1, outcome: 'delivered', status: 200 })]);
      expect(Date.parse(attempts[0]?.startedAt as string)).toBeGreaterThanOrEqual(leaseEnd);
    }
  });
}

await describeWithStore('postgres', 'two hubs on one PostgreSQL', () => twoHubs());
