/**
 * The delivery conformance suite: claims in per-key order, attempts, the exception queue, the audit log and
 * replays, run against every adapter of the store port like test/store-conformance.test.ts. `STORES=sqlite`
 * (or `postgres`) narrows the run; PostgreSQL is skipped with a warning when unreachable, except under CI.
 * PostgreSQL also runs the several-processes tests: real leases, `SKIP LOCKED`, per-key order across
 * two stores claiming at once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../src/domain/cloud-event.js';
import type {
  Actor,
  AttemptNext,
  AttemptResult,
  ClaimQuery,
  DeliveryClaim,
  NewException,
} from '../src/store/delivery-port.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import type { OutboxRow, Store } from '../src/store/store-port.js';
import { describeEachStore, type StoreKind, TEST_POSTGRES_URL, type TestStore } from './support/stores.js';

const TARGET = 'wms-east';
const HOUR = 3_600_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const iso = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

/** A subscription of its own per test, so tests sharing one database never see each other's rows. */
const newSubscription = () => `sub-${randomUUID()}`;

interface Queued {
  subscription: string;
  /** The outbox rows, in id order (one per key given). */
  rows: OutboxRow[];
  events: CloudEvent[];
}

interface QueueOptions {
  subscription?: string;
  /** The sending system (default `erp`). */
  system?: string;
  extra?: (i: number) => Partial<CloudEvent>;
}

/** Appends one event per key (its subject), each with an outbox row for the subscription. */
async function queue(store: Store, keys: string[], options: QueueOptions = {}): Promise<Queued> {
  const subscription = options.subscription ?? newSubscription();
  const source = `/test/${randomUUID()}`;
  const events: CloudEvent[] = keys.map((subject, i) => ({
    specversion: '1.0',
    id: `e${i}`,
    source,
    type: 'com.manifold.test.v1',
    subject,
    data: { n: i },
    ...(options.extra?.(i) ?? {}),
  }));
  const outcomes = await store.append(
    events.map((event) => ({
      system: options.system ?? 'erp',
      event,
      outbox: [{ subscription, target: TARGET }],
    })),
  );
  const seqs = new Set(outcomes.map((o) => o.seq));
  const rows = (await store.listOutbox({ subscription, limit: 10_000 })).filter((r) => seqs.has(r.eventSeq));
  expect(rows).toHaveLength(keys.length);
  return { subscription, rows, events };
}

function query(subscription: string, overrides: Partial<ClaimQuery> = {}): ClaimQuery {
  // A zero lease leaves only the in-flight set to hold rows, as on the embedded store.
  return {
    subscription,
    limit: 100,
    now: iso(),
    leaseMs: 0,
    owner: 'test',
    inFlight: new Set(),
    ...overrides,
  };
}

const ids = (claims: DeliveryClaim[]) => claims.map((c) => c.outboxId);
const rowIds = (rows: OutboxRow[], ...indexes: number[]) => indexes.map((i) => rows[i]?.id);

const AVAILABILITY = 'com.manifold.inventory.availability.v1';

/** One event for `queueEvents`: its subject (the partition key), type and data. */
interface EventSpec {
  subject: string;
  type: string;
  data?: Record<string, unknown>;
}

/** An availability figure of `sku` on `channel`: coalesced in delivery (last value per key). */
const availability = (sku: string, channel: string, available: number): EventSpec => ({
  subject: `${sku}@${channel}`,
  type: AVAILABILITY,
  data: { sku, channel, available },
});

/** Like `queue`, with each event's type and data given. */
function queueEvents(store: Store, specs: EventSpec[], options: QueueOptions = {}): Promise<Queued> {
  return queue(
    store,
    specs.map((spec) => spec.subject),
    {
      ...options,
      extra: (i) => ({
        type: specs[i]?.type as string,
        ...(specs[i]?.data ? { data: specs[i]?.data } : {}),
      }),
    },
  );
}

/** `supersededBy` of outbox rows, in the order asked (null when not superseded), through the store port. */
async function supersededBy(store: Store, ids: (number | undefined)[]): Promise<(number | null)[]> {
  const result: (number | null)[] = [];
  for (const id of ids) {
    const [row] = id === undefined ? [] : await store.listOutbox({ afterId: id - 1, limit: 1 });
    result.push(row && row.id === id ? (row.supersededBy ?? null) : null);
  }
  return result;
}

function attempt(claim: DeliveryClaim, next: AttemptNext, extra: Partial<AttemptResult> = {}): AttemptResult {
  const at = iso();
  const outcome = next.kind === 'delivered' ? 'delivered' : next.kind === 'retry' ? 'retryable' : 'permanent';
  return { claim, owner: 'test', startedAt: at, finishedAt: at, outcome, latencyMs: 12, next, ...extra };
}

/** The exception the engine would open when it gives up on `claim`, every field set. */
function failure(claim: DeliveryClaim, at = iso()): NewException {
  return {
    code: 'delivery_failed',
    detail: `gave up after ${claim.attempts + 1} attempts`,
    subscription: claim.subscription,
    system: claim.target,
    outboxId: claim.outboxId,
    eventSeq: claim.eventSeq,
    eventId: claim.event.id,
    subject: claim.partitionKey,
    lastStatus: 500,
    lastBody: 'internal error',
    lastError: 'HTTP 500',
    attempts: claim.attempts + 1,
    firstAttemptAt: claim.firstAttemptAt ?? at,
    lastAttemptAt: at,
    at,
  };
}

const park = (claim: DeliveryClaim, blocksKey: boolean): AttemptNext => ({
  kind: 'park',
  blocksKey,
  exception: failure(claim),
});

const admin = (note = 'checked with the warehouse'): Actor => ({ who: 'admin', at: iso(), note });

function conformance(testStore: TestStore, kind: StoreKind): void {
  let store: Store;

  beforeAll(() => {
    store = testStore.store;
  });

  /** Claims the single head of `subscription` and checks it is `row`. */
  async function claimOne(
    subscription: string,
    row: OutboxRow | undefined,
    overrides: Partial<ClaimQuery> = {},
  ) {
    const claims = await store.delivery.claimDeliveries(query(subscription, overrides));
    expect(ids(claims)).toEqual([row?.id]);
    return claims[0] as DeliveryClaim;
  }

  describe('claimDeliveries', () => {
    it('hands out due rows in id order, one head per key, with their events', async () => {
      const { subscription, rows, events } = await queue(store, ['A', 'B', 'A', 'C', 'B', 'A']);
      const claims = await store.delivery.claimDeliveries(query(subscription));
      expect(ids(claims)).toEqual(rowIds(rows, 0, 1, 3));
      const logged = (await store.listEvents({ source: events[0]?.source as string, limit: 10 })).items;
      expect(claims[0]).toStrictEqual({
        outboxId: rows[0]?.id,
        subscription,
        target: TARGET,
        eventSeq: rows[0]?.eventSeq,
        partitionKey: 'A',
        attempts: 0,
        throttledAttempts: 0,
        ingestedAt: logged[0]?.ingestedAt,
        event: events[0],
      });
      expect(claims.map((c) => c.event.id)).toEqual(['e0', 'e1', 'e3']);
      expect(ids(await store.delivery.claimDeliveries(query(subscription, { limit: 2 })))).toEqual(
        rowIds(rows, 0, 1),
      );
      expect(await store.delivery.claimDeliveries(query(newSubscription()))).toEqual([]);
    });

    it('excludes in-flight rows, which keep their key blocked', async () => {
      const { subscription, rows } = await queue(store, ['A', 'A', 'B', 'C']);
      const inFlight = new Set([rows[0]?.id as number, rows[2]?.id as number]);
      expect(ids(await store.delivery.claimDeliveries(query(subscription, { inFlight })))).toEqual(
        rowIds(rows, 3),
      );
    });

    it('makes a retried row due only at its time, its key blocked meanwhile', async () => {
      const { subscription, rows } = await queue(store, ['A', 'A', 'B']);
      const first = await store.delivery.claimDeliveries(query(subscription));
      expect(ids(first)).toEqual(rowIds(rows, 0, 2));
      const retry = attempt(first[0] as DeliveryClaim, { kind: 'retry', at: iso(HOUR) }, { status: 503 });
      await store.delivery.completeAttempt(retry);
      await store.delivery.completeAttempt(attempt(first[1] as DeliveryClaim, { kind: 'delivered' }));
      expect(await store.delivery.claimDeliveries(query(subscription))).toEqual([]);
      expect(await store.delivery.claimDeliveries(query(subscription, { now: iso(HOUR - 60_000) }))).toEqual(
        [],
      );
      const again = await claimOne(subscription, rows[0], { now: iso(HOUR + 60_000) });
      expect(again.attempts).toBe(1);
      expect(again.firstAttemptAt).toBe(retry.startedAt);
    });

    it('counts throttled attempts apart from the others', async () => {
      const { subscription, rows } = await queue(store, ['A']);
      let claim = await claimOne(subscription, rows[0]);
      const retry = (throttled: boolean, status: number) =>
        attempt(claim, { kind: 'retry', at: iso() }, { status, throttled });
      await store.delivery.completeAttempt(retry(true, 429));
      claim = await claimOne(subscription, rows[0], { now: iso(1000) });
      expect([claim.attempts, claim.throttledAttempts]).toEqual([1, 1]);
      await store.delivery.completeAttempt(retry(false, 500));
      claim = await claimOne(subscription, rows[0], { now: iso(1000) });
      await store.delivery.completeAttempt(retry(true, 503));
      claim = await claimOne(subscription, rows[0], { now: iso(1000) });
      expect([claim.attempts, claim.throttledAttempts]).toEqual([3, 2]);
    });

    it('lets the next row of a key go once the head is delivered', async () => {
      const { subscription, rows } = await queue(store, ['A', 'A', 'A']);
      const head = await claimOne(subscription, rows[0]);
      await store.delivery.completeAttempt(attempt(head, { kind: 'delivered' }));
      await claimOne(subscription, rows[1]);
      const [delivered] = await store.listOutbox({ subscription, limit: 1 });
      expect(delivered).toMatchObject({ id: rows[0]?.id, status: 'delivered', attempts: 1 });
    });

    it('holds the key behind a row parked with blocksKey, and lets it go on without', async () => {
      const held = await queue(store, ['A', 'A', 'B']);
      const heads = await store.delivery.claimDeliveries(query(held.subscription));
      await store.delivery.completeAttempt(
        attempt(heads[0] as DeliveryClaim, park(heads[0] as DeliveryClaim, true)),
      );
      expect(ids(await store.delivery.claimDeliveries(query(held.subscription)))).toEqual(
        rowIds(held.rows, 2),
      );

      const skipped = await queue(store, ['A', 'A']);
      const head = await claimOne(skipped.subscription, skipped.rows[0]);
      await store.delivery.completeAttempt(attempt(head, park(head, false)));
      await claimOne(skipped.subscription, skipped.rows[1]);
      const [parked] = await store.listOutbox({ subscription: skipped.subscription, limit: 1 });
      expect(parked).toMatchObject({ status: 'parked', attempts: 1 });
    });
  });

  describe('coalescing (availability: last value per key)', () => {
    it('claims only the newest pending availability row per key, skips the older ones as superseded, and delivers every other type in order', async () => {
      const tag = randomUUID().slice(0, 8);
      const sku = `SKU-${tag}`;
      const specs: EventSpec[] = [];
      for (let i = 0; i < 50; i++) {
        specs.push(availability(sku, 'web', 1000 - i));
        if (i % 10 === 0) specs.push({ subject: `ORD-${tag}`, type: 'com.manifold.order.picked.v1' });
        if (i % 10 === 5)
          specs.push({ subject: `${sku}@DC-EAST`, type: 'com.manifold.inventory.position.v1' });
        if (i % 20 === 3) specs.push(availability(sku, 'b2b', i));
      }
      const { subscription, rows } = await queueEvents(store, specs);
      const of = (subject: string) => rows.filter((r) => r.partitionKey === subject);
      const web = of(`${sku}@web`);
      const b2b = of(`${sku}@b2b`);
      const orders = of(`ORD-${tag}`);
      const positions = of(`${sku}@DC-EAST`);
      expect([web.length, b2b.length, orders.length, positions.length]).toEqual([50, 3, 5, 5]);
      const newestWeb = web[49] as OutboxRow;
      const newestB2b = b2b[2] as OutboxRow;

      // The first claim: the heads of the order and position keys, and the newest figure of each
      // availability key (a head now: every older row of its key was skipped).
      const first = await store.delivery.claimDeliveries(query(subscription));
      expect(ids(first)).toEqual(
        [orders[0], positions[0], newestB2b, newestWeb].map((r) => r?.id).sort((a, b) => (a ?? 0) - (b ?? 0)),
      );
      expect(first.find((c) => c.outboxId === newestWeb.id)?.event.data).toEqual({
        sku,
        channel: 'web',
        available: 951,
      });
      const outbox = new Map((await store.listOutbox({ subscription, limit: 1000 })).map((r) => [r.id, r]));
      for (const row of [...web.slice(0, 49), ...b2b.slice(0, 2)])
        expect(outbox.get(row.id)?.status).toBe('skipped');
      for (const row of [...orders, ...positions, newestWeb, newestB2b])
        expect(outbox.get(row.id)).toMatchObject({ status: 'pending', attempts: 0 });
      expect(
        await supersededBy(
          store,
          web.map((r) => r.id),
        ),
      ).toEqual([...Array(49).fill(newestWeb.id), null]);
      expect(
        await supersededBy(
          store,
          b2b.map((r) => r.id),
        ),
      ).toEqual([newestB2b.id, newestB2b.id, null]);
      expect(
        await supersededBy(
          store,
          [...orders, ...positions].map((r) => r.id),
        ),
      ).toEqual(Array(10).fill(null));

      // Draining the rest: every order and position event, in order; no older figure ever goes out.
      const handed = [...first];
      for (const claim of first) await store.delivery.completeAttempt(attempt(claim, { kind: 'delivered' }));
      for (let round = 0; round < 20; round++) {
        const claims = await store.delivery.claimDeliveries(query(subscription));
        if (claims.length === 0) break;
        handed.push(...claims);
        for (const claim of claims)
          await store.delivery.completeAttempt(attempt(claim, { kind: 'delivered' }));
      }
      const sent = (subject: string) =>
        handed.filter((c) => c.partitionKey === subject).map((c) => c.outboxId);
      expect(sent(`ORD-${tag}`)).toEqual(orders.map((r) => r.id));
      expect(sent(`${sku}@DC-EAST`)).toEqual(positions.map((r) => r.id));
      expect(sent(`${sku}@web`)).toEqual([newestWeb.id]);
      expect(sent(`${sku}@b2b`)).toEqual([newestB2b.id]);
      expect(handed).toHaveLength(12);
      expect((await store.delivery.deliveryBacklog()).some((s) => s.subscription === subscription)).toBe(
        false,
      );
      const done = await store.listOutbox({ subscription, limit: 1000 });
      expect(done.filter((r) => r.status === 'delivered')).toHaveLength(12);
      expect(done.filter((r) => r.status === 'skipped')).toHaveLength(51);
    });

    it('still fills a small claim, never with a superseded row', async () => {
      const tag = randomUUID().slice(0, 8);
      const { subscription, rows } = await queueEvents(store, [
        availability(tag, 'web', 3),
        availability(tag, 'web', 2),
        availability(tag, 'web', 1),
        { subject: `ORD-${tag}`, type: 'com.manifold.order.picked.v1' },
      ]);
      const [newest] = await store.delivery.claimDeliveries(query(subscription, { limit: 1 }));
      expect(newest?.outboxId).toBe(rows[2]?.id);
      expect(newest?.event.data).toMatchObject({ available: 1 });
      await claimOne(subscription, rows[3], { limit: 1, inFlight: new Set([rows[2]?.id as number]) });
      expect(await supersededBy(store, rowIds(rows, 0, 1, 2, 3))).toEqual([
        rows[2]?.id,
        rows[2]?.id,
        null,
        null,
      ]);
    });

    it('never supersedes a row in flight: the newest figure goes once it is done', async () => {
      const tag = randomUUID().slice(0, 8);
      const { subscription, rows } = await queueEvents(store, [availability(tag, 'web', 1)]);
      const head = await claimOne(subscription, rows[0]);
      const later = await queueEvents(
        store,
        [availability(tag, 'web', 2), availability(tag, 'web', 3), availability(tag, 'web', 4)],
        { subscription },
      );
      const inFlight = new Set([head.outboxId]);
      expect(await store.delivery.claimDeliveries(query(subscription, { inFlight }))).toEqual([]);
      const [stillHeld] = await store.listOutbox({ subscription, limit: 1 });
      expect(stillHeld).toMatchObject({ id: head.outboxId, status: 'pending', attempts: 0 });
      expect(await supersededBy(store, [head.outboxId])).toEqual([null]);

      await store.delivery.completeAttempt(attempt(head, { kind: 'delivered' }));
      const newest = await claimOne(subscription, later.rows[2]);
      expect(newest.event.data).toMatchObject({ available: 4 });
      const outbox = await store.listOutbox({ subscription, limit: 10 });
      expect(outbox.map((r) => r.status)).toEqual(['delivered', 'skipped', 'skipped', 'pending']);
      expect(
        await supersededBy(
          store,
          outbox.map((r) => r.id),
        ),
      ).toEqual([null, newest.outboxId, newest.outboxId, null]);
    });

    it('keeps the backoff of a row waiting for a retry, then sends the newest figure in its place', async () => {
      const tag = randomUUID().slice(0, 8);
      const { subscription, rows } = await queueEvents(store, [availability(tag, 'web', 1)]);
      const head = await claimOne(subscription, rows[0]);
      await store.delivery.completeAttempt(attempt(head, { kind: 'retry', at: iso(HOUR) }, { status: 503 }));
      const later = await queueEvents(store, [availability(tag, 'web', 2), availability(tag, 'web', 3)], {
        subscription,
      });
      expect(await store.delivery.claimDeliveries(query(subscription))).toEqual([]);
      expect((await store.listOutbox({ subscription, limit: 1 }))[0]).toMatchObject({ status: 'pending' });

      const newest = await claimOne(subscription, later.rows[1], { now: iso(HOUR + 60_000) });
      expect(newest.attempts).toBe(0);
      const outbox = await store.listOutbox({ subscription, limit: 10 });
      expect(outbox.map((r) => [r.status, r.attempts])).toEqual([
        ['skipped', 1],
        ['skipped', 0],
        ['pending', 0],
      ]);
      expect(
        await supersededBy(
          store,
          outbox.map((r) => r.id),
        ),
      ).toEqual([newest.outboxId, newest.outboxId, null]);
      // Its attempt stays on record.
      expect(await store.delivery.listAttempts({ eventSeq: rows[0]?.eventSeq as number })).toHaveLength(1);
    });

    it('never touches a parked row, held or not', async () => {
      const tag = randomUUID().slice(0, 8);
      const held = await queueEvents(store, [availability(tag, 'web', 1)]);
      const heldHead = await claimOne(held.subscription, held.rows[0]);
      await store.delivery.completeAttempt(attempt(heldHead, park(heldHead, true)));
      await queueEvents(store, [availability(tag, 'web', 2), availability(tag, 'web', 3)], {
        subscription: held.subscription,
      });
      expect(await store.delivery.claimDeliveries(query(held.subscription))).toEqual([]);
      expect(
        (await store.listOutbox({ subscription: held.subscription, limit: 10 })).map((r) => r.status),
      ).toEqual(['parked', 'pending', 'pending']);

      const skipped = await queueEvents(store, [availability(tag, 'b2b', 1)]);
      const skippedHead = await claimOne(skipped.subscription, skipped.rows[0]);
      await store.delivery.completeAttempt(attempt(skippedHead, park(skippedHead, false)));
      const later = await queueEvents(store, [availability(tag, 'b2b', 2), availability(tag, 'b2b', 3)], {
        subscription: skipped.subscription,
      });
      await claimOne(skipped.subscription, later.rows[1]);
      const outbox = await store.listOutbox({ subscription: skipped.subscription, limit: 10 });
      expect(outbox.map((r) => r.status)).toEqual(['parked', 'skipped', 'pending']);
      expect(
        await supersededBy(
          store,
          outbox.map((r) => r.id),
        ),
      ).toEqual([null, later.rows[1]?.id, null]);
    });

    it('coalesces replayed rows like live ones: the replay ends on the newest figure', async () => {
      const tag = randomUUID().slice(0, 8);
      const { subscription, rows } = await queueEvents(store, [
        availability(tag, 'web', 1),
        availability(tag, 'web', 2),
        availability(tag, 'web', 3),
      ]);
      const live = await claimOne(subscription, rows[2]);
      await store.delivery.completeAttempt(attempt(live, { kind: 'delivered' }));
      const replay = await store.delivery.createReplay(
        { subscription, from: iso(-HOUR), subject: `${tag}@web` },
        [AVAILABILITY],
        TARGET,
        admin(),
      );
      expect(replay.total).toBe(3);
      const again = await store.delivery.claimDeliveries(query(subscription));
      expect(again.map((c) => [c.replayId, c.eventSeq])).toEqual([[replay.id, rows[2]?.eventSeq]]);
      await store.delivery.completeAttempt(attempt(again[0] as DeliveryClaim, { kind: 'delivered' }));
      expect(await store.delivery.getReplay(replay.id)).toMatchObject({
        total: 3,
        delivered: 3,
        pending: 0,
        status: 'completed',
      });
    });

    it('never coalesces other types, even on one key', async () => {
      const { subscription, rows } = await queue(store, ['A', 'A', 'A'], {
        extra: () => ({ type: 'com.manifold.inventory.position.v1' }),
      });
      const handed: number[] = [];
      for (let round = 0; round < 5; round++) {
        const claims = await store.delivery.claimDeliveries(query(subscription));
        handed.push(...ids(claims));
        for (const claim of claims)
          await store.delivery.completeAttempt(attempt(claim, { kind: 'delivered' }));
      }
      expect(handed).toEqual(rowIds(rows, 0, 1, 2));
    });
  });

  describe('attempts', () => {
    it('are listed per event, oldest first, numbered from 1', async () => {
      const { subscription, rows } = await queue(store, ['A']);
      const first = await claimOne(subscription, rows[0]);
      const failed = attempt(
        first,
        { kind: 'retry', at: iso(-1) },
        { status: 503, error: 'HTTP 503', latencyMs: 40.4 },
      );
      await store.delivery.completeAttempt(failed);
      const second = await claimOne(subscription, rows[0]);
      const done = attempt(second, { kind: 'delivered' }, { status: 200, latencyMs: 75 });
      await store.delivery.completeAttempt(done);
      const attempts = await store.delivery.listAttempts({ eventSeq: rows[0]?.eventSeq as number });
      const common = { outboxId: rows[0]?.id, eventSeq: rows[0]?.eventSeq, subscription };
      expect(attempts).toStrictEqual([
        {
          ...common,
          id: expect.any(Number),
          attempt: 1,
          startedAt: failed.startedAt,
          finishedAt: failed.finishedAt,
          outcome: 'retryable',
          status: 503,
          error: 'HTTP 503',
          latencyMs: 40,
        },
        {
          ...common,
          id: expect.any(Number),
          attempt: 2,
          startedAt: done.startedAt,
          finishedAt: done.finishedAt,
          outcome: 'delivered',
          status: 200,
          latencyMs: 75,
        },
      ]);
      expect(attempts[1]?.id).toBeGreaterThan(attempts[0]?.id as number);
      expect(await store.delivery.listAttempts({ eventSeq: 0 })).toEqual([]);
    });
  });

  describe('deliveryBacklog', () => {
    it('counts pending and parked rows and gives the oldest pending one', async () => {
      const { subscription, rows } = await queue(store, ['A', 'B', 'C']);
      await sleep(5);
      await queue(store, ['D'], { subscription });
      const [a, b] = await store.delivery.claimDeliveries(query(subscription, { limit: 2 }));
      await store.delivery.completeAttempt(attempt(a as DeliveryClaim, { kind: 'delivered' }));
      await store.delivery.completeAttempt(attempt(b as DeliveryClaim, park(b as DeliveryClaim, false)));
      const backlog = await store.delivery.deliveryBacklog();
      expect(backlog.find((s) => s.subscription === subscription)).toStrictEqual({
        subscription,
        pending: 2,
        parked: 1,
        oldestPendingAt: rows[2]?.createdAt,
      });
      const done = await queue(store, ['A']);
      const head = await claimOne(done.subscription, done.rows[0]);
      await store.delivery.completeAttempt(attempt(head, { kind: 'delivered' }));
      expect((await store.delivery.deliveryBacklog()).some((s) => s.subscription === done.subscription)).toBe(
        false,
      );
    });

    it('counts only the rows created since a time when asked', async () => {
      const { subscription } = await queue(store, ['OLD-1', 'OLD-2']);
      await sleep(20);
      const since = new Date().toISOString();
      await sleep(5);
      const { rows } = await queue(store, ['NEW-1'], { subscription });
      const of = async (createdSince?: string) =>
        (await store.delivery.deliveryBacklog(createdSince === undefined ? {} : { createdSince })).find(
          (s) => s.subscription === subscription,
        );
      expect((await of())?.pending).toBe(3);
      expect(await of(since)).toStrictEqual({
        subscription,
        pending: 1,
        parked: 0,
        oldestPendingAt: rows[0]?.createdAt,
      });
      expect(await of(new Date(Date.now() + 60_000).toISOString())).toBeUndefined();
    });
  });

  describe('exceptions', () => {
    it('park opens an exception with every field', async () => {
      const { subscription, rows } = await queue(store, ['ORDER-1']);
      const head = await claimOne(subscription, rows[0]);
      const next = park(head, true);
      await store.delivery.completeAttempt(attempt(head, next));
      const [opened] = await store.delivery.listExceptions({ subscription, limit: 10 });
      const { at, ...fields } = next.kind === 'park' ? next.exception : ({} as NewException);
      expect(opened).toStrictEqual({ ...fields, id: expect.any(Number), status: 'open', createdAt: at });
      expect(opened?.outboxId).toBe(rows[0]?.id);
      expect(await store.delivery.getException(opened?.id as number)).toStrictEqual(opened);
      expect(await store.delivery.getException(999_999_999)).toBeUndefined();
    });

    it('records an inbound rejection without an outbox row, with its payload', async () => {
      const at = iso();
      const exception: NewException = {
        code: 'edi_rejected',
        detail: '850 segment PO1*3: unknown SKU',
        system: `partner-${randomUUID()}`,
        payload: 'ISA*00*          *00*          *ZZ*PARTNER~PO1*3*10*EA~',
        at,
      };
      const created = await store.delivery.createException(exception);
      expect(created).toStrictEqual({
        id: expect.any(Number),
        code: 'edi_rejected',
        status: 'open',
        detail: exception.detail,
        system: exception.system,
        payload: exception.payload,
        createdAt: at,
      });
      expect(await store.delivery.getException(created.id)).toStrictEqual(created);
      // Resolving it touches no outbox row.
      const resolved = await store.delivery.resolveException(created.id, admin());
      expect(resolved).toMatchObject({ status: 'resolved', resolution: 'resolved' });
    });

    it('are listed by subscription, code, system, status and since, in id order, with a cursor', async () => {
      const tag = randomUUID();
      const early = iso(-HOUR);
      const late = iso();
      const make = (subscription: string, code: string, system: string, at: string) =>
        store.delivery.createException({ code, detail: 'x', subscription, system, at });
      const one = await make(`s1-${tag}`, `c1-${tag}`, `y1-${tag}`, early);
      const two = await make(`s1-${tag}`, `c2-${tag}`, `y2-${tag}`, late);
      const three = await make(`s2-${tag}`, `c1-${tag}`, `y1-${tag}`, late);
      const four = await make(`s1-${tag}`, `c1-${tag}`, `y2-${tag}`, late);
      await store.delivery.resolveException(four.id, admin());
      const list = async (filter: Omit<Parameters<Store['delivery']['listExceptions']>[0], 'limit'>) =>
        (await store.delivery.listExceptions({ limit: 100, ...filter })).map((e) => e.id);
      expect(await list({ subscription: `s1-${tag}` })).toEqual([one.id, two.id, four.id]);
      expect(await list({ code: `c1-${tag}` })).toEqual([one.id, three.id, four.id]);
      expect(await list({ system: `y2-${tag}` })).toEqual([two.id, four.id]);
      expect(await list({ subscription: `s1-${tag}`, status: 'open' })).toEqual([one.id, two.id]);
      expect(await list({ subscription: `s1-${tag}`, status: 'resolved' })).toEqual([four.id]);
      expect(await list({ code: `c1-${tag}`, since: iso(-HOUR / 2) })).toEqual([three.id, four.id]);
      expect(await list({ code: `c1-${tag}`, since: early })).toEqual([one.id, three.id, four.id]);
      expect(await list({ code: `c1-${tag}`, system: `y1-${tag}`, subscription: `s2-${tag}` })).toEqual([
        three.id,
      ]);
      const page1 = await store.delivery.listExceptions({ subscription: `s1-${tag}`, limit: 2 });
      expect(page1.map((e) => e.id)).toEqual([one.id, two.id]);
      const page2 = await store.delivery.listExceptions({
        subscription: `s1-${tag}`,
        limit: 2,
        afterId: page1[1]?.id as number,
      });
      expect(page2.map((e) => e.id)).toEqual([four.id]);
      // Newest first: the same filter in descending id order, and a cursor that goes on downwards.
      expect(await list({ subscription: `s1-${tag}`, order: 'desc' })).toEqual([four.id, two.id, one.id]);
      const newest = await store.delivery.listExceptions({
        subscription: `s1-${tag}`,
        limit: 2,
        order: 'desc',
      });
      expect(newest.map((e) => e.id)).toEqual([four.id, two.id]);
      const older = await store.delivery.listExceptions({
        subscription: `s1-${tag}`,
        limit: 2,
        order: 'desc',
        afterId: newest[1]?.id as number,
      });
      expect(older.map((e) => e.id)).toEqual([one.id]);
    });

    it('retry re-queues the parked row due now with a fresh budget, resolves as retried and audits', async () => {
      const { subscription, rows } = await queue(store, ['A', 'A']);
      const first = await claimOne(subscription, rows[0]);
      await store.delivery.completeAttempt(
        attempt(first, { kind: 'retry', at: iso(HOUR) }, { throttled: true }),
      );
      const second = await claimOne(subscription, rows[0], { now: iso(2 * HOUR) });
      await store.delivery.completeAttempt(attempt(second, park(second, true)));
      expect(await store.delivery.claimDeliveries(query(subscription))).toEqual([]);
      const [opened] = await store.delivery.listExceptions({ subscription, limit: 10 });
      const other = await store.delivery.createException({ code: 'edi_rejected', detail: 'x', at: iso() });
      await store.delivery.resolveException(other.id, admin());
      const before = await store.delivery.listAudit({ limit: 10_000 });
      const lastAudit = before[before.length - 1]?.id ?? 0;

      const actor = admin('target fixed');
      const retried = await store.delivery.retryExceptions(
        [opened?.id as number, opened?.id as number, other.id, 999_999_999],
        actor,
      );
      expect(retried).toStrictEqual([
        {
          ...opened,
          status: 'resolved',
          resolution: 'retried',
          resolvedAt: actor.at,
          resolvedBy: 'admin',
          note: 'target fixed',
        },
      ]);
      expect(await store.delivery.getException(opened?.id as number)).toStrictEqual(retried[0]);
      const requeued = await claimOne(subscription, rows[0]);
      expect(requeued.attempts).toBe(0);
      expect(requeued.throttledAttempts).toBe(0);
      expect(requeued.firstAttemptAt).toBeUndefined();
      expect(await store.delivery.listAudit({ afterId: lastAudit, limit: 100 })).toStrictEqual([
        {
          id: expect.any(Number),
          at: actor.at,
          actor: 'admin',
          action: 'exception.retry',
          target: `exception:${opened?.id}`,
          note: 'target fixed',
        },
      ]);
      // Already resolved: nothing changes, nothing is audited.
      expect(await store.delivery.retryExceptions([opened?.id as number], admin())).toEqual([]);
      expect(await store.delivery.retryExceptions([], admin())).toEqual([]);
      expect(await store.delivery.listAudit({ afterId: lastAudit, limit: 100 })).toHaveLength(1);
    });

    it('retry of several exceptions audits each, in id order', async () => {
      const { subscription, rows } = await queue(store, ['A', 'B']);
      const heads = await store.delivery.claimDeliveries(query(subscription));
      for (const head of heads) await store.delivery.completeAttempt(attempt(head, park(head, true)));
      const opened = await store.delivery.listExceptions({ subscription, limit: 10 });
      const before = await store.delivery.listAudit({ limit: 10_000 });
      const lastAudit = before[before.length - 1]?.id ?? 0;
      const retried = await store.delivery.retryExceptions(opened.map((e) => e.id).reverse(), admin());
      expect(retried.map((e) => e.id)).toEqual(opened.map((e) => e.id));
      const audit = await store.delivery.listAudit({ afterId: lastAudit, limit: 100 });
      expect(audit.map((a) => a.target)).toEqual(opened.map((e) => `exception:${e.id}`));
      expect(ids(await store.delivery.claimDeliveries(query(subscription)))).toEqual(rowIds(rows, 0, 1));
    });

    it('resolve skips the parked row, unblocking its key, and audits; a second resolve changes nothing', async () => {
      const { subscription, rows } = await queue(store, ['A', 'A']);
      const head = await claimOne(subscription, rows[0]);
      await store.delivery.completeAttempt(attempt(head, park(head, true)));
      expect(await store.delivery.claimDeliveries(query(subscription))).toEqual([]);
      const [opened] = await store.delivery.listExceptions({ subscription, limit: 10 });
      const before = await store.delivery.listAudit({ limit: 10_000 });
      const lastAudit = before[before.length - 1]?.id ?? 0;

      const actor = admin('duplicate order, cancelled in the ERP');
      const resolved = await store.delivery.resolveException(opened?.id as number, actor);
      expect(resolved).toStrictEqual({
        ...opened,
        status: 'resolved',
        resolution: 'resolved',
        resolvedAt: actor.at,
        resolvedBy: 'admin',
        note: actor.note,
      });
      await claimOne(subscription, rows[1]);
      const [skipped] = await store.listOutbox({ subscription, limit: 1 });
      expect(skipped?.status).toBe('skipped');
      expect(await store.delivery.listAudit({ afterId: lastAudit, limit: 100 })).toStrictEqual([
        {
          id: expect.any(Number),
          at: actor.at,
          actor: 'admin',
          action: 'exception.resolve',
          target: `exception:${opened?.id}`,
          note: actor.note,
        },
      ]);
      expect(await store.delivery.resolveException(opened?.id as number, admin('again'))).toStrictEqual(
        resolved,
      );
      expect(await store.delivery.retryExceptions([opened?.id as number], admin())).toEqual([]);
      expect(await store.delivery.listAudit({ afterId: lastAudit, limit: 100 })).toHaveLength(1);
      expect(await store.delivery.resolveException(999_999_999, admin())).toBeUndefined();
    });
  });

  describe('listAudit', () => {
    it('pages in id order with a cursor', async () => {
      for (let i = 0; i < 3; i++) {
        const e = await store.delivery.createException({ code: 'x', detail: 'x', at: iso() });
        await store.delivery.resolveException(e.id, admin(`n${i}`));
      }
      const all = await store.delivery.listAudit({ limit: 10_000 });
      const tail = all.slice(-3);
      expect(tail.map((a) => a.note)).toEqual(['n0', 'n1', 'n2']);
      const start = all[all.length - 4]?.id ?? 0;
      const page = await store.delivery.listAudit({ afterId: start, limit: 2 });
      expect(page).toStrictEqual(tail.slice(0, 2));
      expect(await store.delivery.listAudit({ afterId: page[1]?.id as number, limit: 2 })).toStrictEqual(
        tail.slice(2),
      );
    });
  });

  describe('createReplay', () => {
    /**
     * Four events of two types in two ingest batches; the second comes from the target (an echo). Keys are
     * the `partitionkey` where one is set, else the subject, as at ingest.
     */
    async function replayFixture() {
      const tag = randomUUID();
      const types = [`com.manifold.replay.${tag}.a.v1`, `com.manifold.replay.${tag}.b.v1`];
      const subscription = newSubscription();
      const event = (type: number, subject: string, correlationid: string) => ({
        type: types[type] as string,
        correlationid: `${correlationid}-${tag}`,
        subject: `${subject}-${tag}`,
        ...(subject === 'S1' ? { partitionkey: `KEY-${subject}-${tag}` } : {}),
      });
      const first = await queue(store, ['S1'], { subscription, extra: () => event(0, 'S1', 'C1') });
      const echo = await queue(store, ['S2'], {
        subscription,
        system: TARGET,
        extra: () => event(1, 'S2', 'C1'),
      });
      await sleep(5);
      const later = await queue(store, ['S2', 'S1'], {
        subscription,
        extra: (i) => (i === 0 ? event(0, 'S2', 'C2') : event(1, 'S1', 'C1')),
      });
      const rows = [...first.rows, ...echo.rows, ...later.rows];
      const logged = await store.listEvents({ afterSeq: (rows[0]?.eventSeq as number) - 1, limit: 4 });
      return { tag, types, subscription, rows, logged: logged.items };
    }

    it('queues the selection in log order behind the live rows, without echoes, and audits', async () => {
      const { tag, types, subscription, rows, logged } = await replayFixture();
      const from = logged[0]?.ingestedAt as string;
      const before = await store.delivery.listAudit({ limit: 10_000 });
      const lastAudit = before[before.length - 1]?.id ?? 0;
      const actor = admin('ERP restored from backup');
      const selection = { subscription, from, types: ['com.manifold.replay.*'] };
      const replay = await store.delivery.createReplay(selection, types, TARGET, actor);
      expect(replay).toStrictEqual({
        id: expect.any(Number),
        selection,
        createdAt: actor.at,
        createdBy: 'admin',
        total: 3,
        delivered: 0,
        pending: 3,
        parked: 0,
        status: 'running',
      });
      expect(await store.delivery.getReplay(replay.id)).toStrictEqual(replay);
      const outbox = await store.listOutbox({ subscription, limit: 100 });
      const added = outbox.filter((r) => r.id > (rows[3]?.id as number));
      expect(added.map((r) => r.eventSeq)).toEqual([rows[0], rows[2], rows[3]].map((r) => r?.eventSeq));
      expect(rows.map((r) => r.partitionKey)).toEqual([
        `KEY-S1-${tag}`,
        `S2-${tag}`,
        `S2-${tag}`,
        `KEY-S1-${tag}`,
      ]);
      expect(added.map((r) => [r.partitionKey, r.status, r.attempts, r.target])).toEqual([
        [rows[0]?.partitionKey, 'pending', 0, TARGET],
        [rows[2]?.partitionKey, 'pending', 0, TARGET],
        [rows[3]?.partitionKey, 'pending', 0, TARGET],
      ]);
      expect(await store.delivery.listAudit({ afterId: lastAudit, limit: 100 })).toStrictEqual([
        {
          id: expect.any(Number),
          at: actor.at,
          actor: 'admin',
          action: 'replay.create',
          target: `replay:${replay.id}`,
          note: actor.note,
          detail: selection,
        },
      ]);

      // Delivered in key order: the live rows first, then the replayed copies with the original events.
      const handed: DeliveryClaim[] = [];
      for (let round = 0; round < 10; round++) {
        const claims = await store.delivery.claimDeliveries(query(subscription));
        if (claims.length === 0) break;
        for (const claim of claims) {
          handed.push(claim);
          const replayed = claim.replayId !== undefined;
          const last = replayed && claim.eventSeq === rows[3]?.eventSeq;
          await store.delivery.completeAttempt(
            attempt(claim, last ? park(claim, false) : { kind: 'delivered' }),
          );
        }
      }
      expect(handed.map((c) => c.outboxId)).toHaveLength(7);
      const live = handed.filter((c) => c.replayId === undefined);
      const replayed = handed.filter((c) => c.replayId !== undefined);
      expect(replayed.every((c) => c.replayId === replay.id)).toBe(true);
      expect(replayed.map((c) => c.outboxId).sort((a, b) => a - b)).toEqual(added.map((r) => r.id));
      for (const claim of replayed) {
        const original = logged.find((e) => e.seq === claim.eventSeq);
        expect(claim.event).toStrictEqual(original?.event);
        // Never before the live rows of its key.
        const liveOfKey = live.filter((c) => c.partitionKey === claim.partitionKey);
        for (const l of liveOfKey) expect(handed.indexOf(l)).toBeLessThan(handed.indexOf(claim));
      }
      expect(await store.delivery.getReplay(replay.id)).toMatchObject({
        total: 3,
        delivered: 2,
        pending: 0,
        parked: 1,
        status: 'completed',
      });
    });

    it('selects by time range, type, subject and correlationid', async () => {
      const { tag, types, subscription, rows, logged } = await replayFixture();
      const seq = (i: number) => rows[i]?.eventSeq;
      const from = logged[0]?.ingestedAt as string;
      const second = logged[2]?.ingestedAt as string;
      expect(second > from).toBe(true);

      const before = async () => (await store.listOutbox({ subscription, limit: 1000 })).length;
      const replaySeqs = async (
        selection: Omit<Parameters<Store['delivery']['createReplay']>[0], 'subscription'>,
        list: string[] | undefined = types,
      ) => {
        const known = await before();
        const replay = await store.delivery.createReplay(
          { subscription, ...selection },
          list,
          TARGET,
          admin(),
        );
        const outbox = await store.listOutbox({ subscription, limit: 1000 });
        const added = outbox.slice(known);
        expect(replay.total).toBe(added.length);
        expect(added.every((r) => r.status === 'pending')).toBe(true);
        return added.map((r) => r.eventSeq);
      };
      expect(await replaySeqs({ from, to: second })).toEqual([seq(0)]);
      expect(await replaySeqs({ from: second })).toEqual([seq(2), seq(3)]);
      expect(await replaySeqs({ from }, [types[1] as string])).toEqual([seq(3)]);
      expect(await replaySeqs({ from }, undefined)).toEqual([seq(0), seq(2), seq(3)]);
      expect(await replaySeqs({ from, subject: `S1-${tag}` })).toEqual([seq(0), seq(3)]);
      expect(await replaySeqs({ from, correlationid: `C2-${tag}` })).toEqual([seq(2)]);
      expect(await replaySeqs({ from, subject: `S1-${tag}`, correlationid: `C2-${tag}` })).toEqual([]);
      const empty = await store.delivery.createReplay(
        { subscription, from: iso(HOUR) },
        undefined,
        TARGET,
        admin(),
      );
      expect(empty).toMatchObject({ total: 0, pending: 0, status: 'completed' });
      expect(await store.delivery.getReplay(999_999_999)).toBeUndefined();
    });

    it("applies the subscription's filter (subject pattern, data fields as text) like ingest does", async () => {
      const subscription = newSubscription();
      const tag = randomUUID().slice(0, 8);
      const made = await queue(store, [`ORD-1-${tag}`, `ORD-2-${tag}`, `SKU-1-${tag}`], {
        subscription,
        extra: (i) => ({
          correlationid: tag,
          data: { n: i, site: { location: i === 1 ? 'DC-WEST' : 'DC-EAST' } },
        }),
      });
      const seqs = made.rows.map((r) => r.eventSeq);
      const from = iso(-HOUR);
      const replayed = async (filter: Parameters<Store['delivery']['createReplay']>[4]) => {
        const known = (await store.listOutbox({ subscription, limit: 1000 })).length;
        await store.delivery.createReplay(
          { subscription, from, correlationid: tag },
          undefined,
          TARGET,
          admin(),
          filter,
        );
        return (await store.listOutbox({ subscription, limit: 1000 })).slice(known).map((r) => r.eventSeq);
      };
      expect(await replayed({ subject: 'ORD-*' })).toEqual([seqs[0], seqs[1]]);
      expect(await replayed({ data: { 'site.location': 'DC-EAST' } })).toEqual([seqs[0], seqs[2]]);
      expect(
        await replayed({ subject: 'ORD-*', data: { 'site.location': ['DC-WEST', 'DC-NORTH'] } }),
      ).toEqual([seqs[1]]);
      expect(await replayed({ data: { n: 2 } })).toEqual([seqs[2]]);
      expect(await replayed({ subject: 'ORD_%' })).toEqual([]);
    });
  });

  if (kind === 'postgres') describe('several processes on one database', () => severalProcesses());
}

/**
 * PostgreSQL only: hub processes sharing one database, each a store of its own on one schema. Claims are
 * leased in the rows, so these hold without any in-flight set.
 */
function severalProcesses(): void {
  const schema = `delivery_${randomBytes(6).toString('hex')}`;
  const opened: PostgresStore[] = [];
  let first: PostgresStore;
  let second: PostgresStore;
  let raw: pg.Client;

  const open = () => {
    const store = new PostgresStore({ url: TEST_POSTGRES_URL, schema, poolSize: 4 });
    opened.push(store);
    return store;
  };

  beforeAll(async () => {
    first = open();
    await first.migrate();
    second = open();
    await second.migrate();
    raw = new pg.Client({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${schema}` });
    await raw.connect();
  });
  afterAll(async () => {
    await raw?.end();
    await Promise.allSettled(opened.map((s) => s.close()));
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  const leased = (subscription: string, owner: string, leaseMs = 60_000): ClaimQuery =>
    query(subscription, { owner, leaseMs });

  it('never hands out a row under a valid lease, to any process, and the lease blocks its key', async () => {
    const { subscription, rows } = await queue(first, ['A', 'A', 'B']);
    const claims = await first.delivery.claimDeliveries(leased(subscription, 'p1'));
    expect(ids(claims)).toEqual(rowIds(rows, 0, 2));
    expect(await second.delivery.claimDeliveries(leased(subscription, 'p2'))).toEqual([]);
    // Not even to its own process when that one has lost track of it (empty in-flight set).
    expect(await first.delivery.claimDeliveries(leased(subscription, 'p1'))).toEqual([]);
    const lease = async (id: number | undefined) =>
      (await raw.query('SELECT lease_owner, lease_until > now() AS valid FROM outbox WHERE id = $1', [id]))
        .rows;
    expect(await lease(rows[0]?.id)).toEqual([{ lease_owner: 'p1', valid: true }]);
    await first.delivery.completeAttempt(
      attempt(claims[0] as DeliveryClaim, { kind: 'delivered' }, { owner: 'p1' }),
    );
    expect(await lease(rows[0]?.id)).toEqual([{ lease_owner: null, valid: null }]);
    expect(ids(await second.delivery.claimDeliveries(leased(subscription, 'p2')))).toEqual(rowIds(rows, 1));
    expect(await lease(rows[1]?.id)).toEqual([{ lease_owner: 'p2', valid: true }]);
  });

  it('skips a head locked by a claim not yet committed, and keeps the rows behind it blocked', async () => {
    const { subscription, rows } = await queue(first, ['A', 'A', 'B']);
    await raw.query('BEGIN');
    try {
      // Another process's claim, between its lock and its commit.
      await raw.query('SELECT id FROM outbox WHERE id = $1 FOR UPDATE', [rows[0]?.id]);
      expect(ids(await second.delivery.claimDeliveries(leased(subscription, 'p2')))).toEqual(rowIds(rows, 2));
      await raw.query(
        `UPDATE outbox SET lease_until = now() + interval '1 minute', lease_owner = 'p1' WHERE id = $1`,
        [rows[0]?.id],
      );
    } finally {
      await raw.query('COMMIT');
    }
    expect(await second.delivery.claimDeliveries(leased(subscription, 'p2'))).toEqual([]);
  });

  it('hands an expired lease to another process; the late completion of the first does not undo it', async () => {
    const { subscription, rows } = await queue(first, ['A', 'A']);
    const [crashed] = await first.delivery.claimDeliveries(leased(subscription, 'p1', 150));
    expect(crashed?.outboxId).toBe(rows[0]?.id);
    expect(await second.delivery.claimDeliveries(leased(subscription, 'p2'))).toEqual([]);
    await sleep(250);
    const [taken] = await second.delivery.claimDeliveries(leased(subscription, 'p2'));
    expect(taken).toStrictEqual(crashed);
    await second.delivery.completeAttempt(
      attempt(taken as DeliveryClaim, { kind: 'delivered' }, { owner: 'p2' }),
    );
    // The first process comes back after its lease and reports a failure: the row stays delivered.
    await first.delivery.completeAttempt(
      attempt(crashed as DeliveryClaim, park(crashed as DeliveryClaim, true), { owner: 'p1' }),
    );
    const [row] = await first.listOutbox({ subscription, limit: 1 });
    expect(row).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(await first.delivery.listExceptions({ subscription, limit: 10 })).toEqual([]);
    expect(await first.delivery.listAttempts({ eventSeq: rows[0]?.eventSeq as number })).toHaveLength(2);
    expect(ids(await first.delivery.claimDeliveries(leased(subscription, 'p1')))).toEqual(rowIds(rows, 1));
  });

  it('a late result of an expired claim does not undo the lease of the process that took it over', async () => {
    const { subscription, rows } = await queue(first, ['A', 'A']);
    const [stale] = await first.delivery.claimDeliveries(leased(subscription, 'p1', 150));
    await sleep(250);
    const [taken] = await second.delivery.claimDeliveries(leased(subscription, 'p2'));
    expect(taken?.outboxId).toBe(rows[0]?.id);
    // p1 reports its old attempt (delivered, or a retry due now) while p2 still holds the row.
    await first.delivery.completeAttempt(
      attempt(stale as DeliveryClaim, { kind: 'delivered' }, { owner: 'p1' }),
    );
    const [row] = await first.listOutbox({ subscription, limit: 1 });
    expect(row).toMatchObject({ status: 'pending' });
    const lease = await raw.query('SELECT lease_owner FROM outbox WHERE id = $1', [rows[0]?.id]);
    expect(lease.rows).toEqual([{ lease_owner: 'p2' }]);
    // The next row of the key stays blocked behind p2's claim.
    expect(await first.delivery.claimDeliveries(leased(subscription, 'p3'))).toEqual([]);
  });

  it('never supersedes a row another process holds; the newest figure goes once it is done', async () => {
    const tag = randomUUID().slice(0, 8);
    const { subscription, rows } = await queueEvents(first, [availability(tag, 'web', 1)]);
    const [held] = await first.delivery.claimDeliveries(leased(subscription, 'p1'));
    expect(held?.outboxId).toBe(rows[0]?.id);
    const later = await queueEvents(first, [availability(tag, 'web', 2), availability(tag, 'web', 3)], {
      subscription,
    });
    expect(await second.delivery.claimDeliveries(leased(subscription, 'p2'))).toEqual([]);
    const row = async (id: number | undefined) =>
      (await raw.query('SELECT status, lease_owner, superseded_by FROM outbox WHERE id = $1', [id])).rows[0];
    expect(await row(rows[0]?.id)).toEqual({ status: 'pending', lease_owner: 'p1', superseded_by: null });
    await first.delivery.completeAttempt(
      attempt(held as DeliveryClaim, { kind: 'delivered' }, { owner: 'p1' }),
    );
    expect(ids(await second.delivery.claimDeliveries(leased(subscription, 'p2')))).toEqual(
      rowIds(later.rows, 1),
    );
    expect(await row(later.rows[0]?.id)).toEqual({
      status: 'skipped',
      lease_owner: null,
      superseded_by: String(later.rows[1]?.id),
    });
    expect(await row(later.rows[1]?.id)).toMatchObject({ status: 'pending', lease_owner: 'p2' });
  });

  it('two processes coalescing at once while figures keep coming: per key, only newer figures go out, ending on the newest', {
    timeout: 60_000,
  }, async () => {
    const tag = randomUUID().slice(0, 8);
    const keys = Array.from({ length: 8 }, (_, k) => `SKU-${k}-${tag}`);
    const subscription = newSubscription();
    const perKey = 25;
    let appending = true;
    const appended = (async () => {
      for (let wave = 0; wave < perKey; wave++) {
        await queueEvents(
          first,
          keys.map((sku) => availability(sku, 'web', wave)),
          { subscription },
        );
        await sleep(2);
      }
      appending = false;
    })();
    const holder = new Map<string, string>();
    const sent = new Map<string, number[]>(keys.map((sku) => [`${sku}@web`, []]));
    const violations: string[] = [];

    async function runProcess(name: string, store: PostgresStore): Promise<void> {
      const inFlight = new Set<number>();
      let idle = 0;
      while (appending || idle < 20) {
        const claims = await store.delivery.claimDeliveries({
          ...leased(subscription, name),
          limit: 4,
          inFlight,
        });
        idle = claims.length === 0 ? idle + 1 : 0;
        await Promise.all(
          claims.map(async (claim) => {
            const other = holder.get(claim.partitionKey);
            if (other)
              violations.push(`${name} got ${claim.outboxId} of ${claim.partitionKey} held by ${other}`);
            holder.set(claim.partitionKey, name);
            inFlight.add(claim.outboxId);
            sent.get(claim.partitionKey)?.push((claim.event.data as { available: number }).available);
            await sleep(Math.random() * 5);
            holder.delete(claim.partitionKey);
            await store.delivery.completeAttempt(attempt(claim, { kind: 'delivered' }, { owner: name }));
            inFlight.delete(claim.outboxId);
          }),
        );
        await sleep(claims.length === 0 ? 3 : 0);
      }
    }

    await Promise.all([appended, runProcess('p1', first), runProcess('p2', second)]);
    expect(violations).toEqual([]);
    for (const [key, figures] of sent) {
      // In log order, never one figure twice, ending on the newest.
      expect(figures, key).toEqual([...new Set(figures)].sort((a, b) => a - b));
      expect(figures.at(-1), key).toBe(perKey - 1);
    }
    const outbox = await first.listOutbox({ subscription, limit: 10_000 });
    expect(outbox).toHaveLength(keys.length * perKey);
    const delivered = outbox.filter((r) => r.status === 'delivered');
    expect(delivered).toHaveLength([...sent.values()].reduce((n, figures) => n + figures.length, 0));
    expect(delivered.length).toBeLessThan(outbox.length);
    expect(outbox.every((r) => r.status === 'delivered' || r.status === 'skipped')).toBe(true);
    // Every skipped row names a newer row of its key.
    const byId = new Map(outbox.map((r) => [r.id, r]));
    const skipped = outbox.filter((r) => r.status === 'skipped');
    const superseders = await supersededBy(
      first,
      skipped.map((r) => r.id),
    );
    skipped.forEach((row, i) => {
      const newer = byId.get(superseders[i] as number);
      expect(newer?.partitionKey).toBe(row.partitionKey);
      expect(newer?.id).toBeGreaterThan(row.id);
    });
  });

  it('two processes claiming at once never hold two rows of one key, and deliver each key in order', {
    timeout: 60_000,
  }, async () => {
    const keys = Array.from({ length: 20 }, (_, k) => `KEY-${k}`);
    const perKey = 10;
    const { subscription, rows } = await queue(
      first,
      Array.from({ length: keys.length * perKey }, (_, i) => keys[i % keys.length] as string),
    );
    const expected = new Map(
      keys.map((key) => [key, rows.filter((r) => r.partitionKey === key).map((r) => r.id)]),
    );
    const holder = new Map<string, string>();
    const delivered = new Map<string, number[]>(keys.map((key) => [key, []]));
    const violations: string[] = [];
    const handedTo = new Map<string, number>();
    let remaining = rows.length;

    /** One hub process: claims while its earlier claims are still being sent, as the engine does. */
    async function runProcess(name: string, store: PostgresStore): Promise<void> {
      const inFlight = new Set<number>();
      const running: Promise<void>[] = [];
      while (remaining > 0) {
        const claims = await store.delivery.claimDeliveries({
          ...leased(subscription, name),
          limit: 4,
          inFlight,
        });
        for (const claim of claims) {
          const other = holder.get(claim.partitionKey);
          if (other)
            violations.push(`${name} got ${claim.outboxId} of ${claim.partitionKey} held by ${other}`);
          holder.set(claim.partitionKey, name);
          handedTo.set(name, (handedTo.get(name) ?? 0) + 1);
          delivered.get(claim.partitionKey)?.push(claim.outboxId);
          inFlight.add(claim.outboxId);
          const send = (async () => {
            await sleep(Math.random() * 3);
            // Released before the commit that lets another process see the next row of the key.
            holder.delete(claim.partitionKey);
            remaining -= 1;
            await store.delivery.completeAttempt(attempt(claim, { kind: 'delivered' }, { owner: name }));
            inFlight.delete(claim.outboxId);
          })();
          running.push(send);
        }
        await sleep(claims.length === 0 ? 2 : 0);
      }
      await Promise.all(running);
    }

    await Promise.all([runProcess('p1', first), runProcess('p2', second)]);
    expect(violations).toEqual([]);
    expect(delivered).toEqual(expected);
    // Both took part, so their claims really raced.
    expect(handedTo.get('p1')).toBeGreaterThan(0);
    expect(handedTo.get('p2')).toBeGreaterThan(0);
    const outbox = await first.listOutbox({ subscription, limit: 1000 });
    expect(outbox.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
  });
}

await describeEachStore('delivery', conformance, { fresh: 'all' });
