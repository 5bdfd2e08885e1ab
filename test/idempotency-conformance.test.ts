/**
 * Idempotency-Keys after a crash, on every adapter: a key left in flight by a process incarnation that
 * died is resolved by the first retry — with the order its first attempt made, or by a fresh attempt —
 * while a key in flight by a live process (PostgreSQL: another hub process on the database) still
 * answers 409. Dead means: any other incarnation on SQLite (one process per file); on PostgreSQL a
 * heartbeat that expired, a graceful stop, or a newer incarnation listening on its host and address.
 */
import { createHash, randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompiledConfig } from '../src/config/compiled-config.js';
import { compileConfig } from '../src/config/load-config.js';
import type { CloudEvent } from '../src/domain/cloud-event.js';
import { IdempotencyKeys, keyInFlight } from '../src/engine/idempotency-keys.js';
import { eventIdOf } from '../src/engine/orders/order-service.js';
import { PROCESS_TTL_MS, ProcessRegistry } from '../src/engine/process-registry.js';
import { composeHub, type Hub } from '../src/main/compose.js';
import type { Store } from '../src/store/store-port.js';
import { freshOrderId, freshSku, orderBody } from './support/orders.js';
import { describeEachStore, openTestStore, type StoreKind, type TestStore } from './support/stores.js';
import { testConfigYaml } from './support/test-config.js';

const SCOPE = 'orders:shop';

/** The request hash the order service stores with a key. */
const hashOf = (body: unknown) => createHash('sha256').update(JSON.stringify(body)).digest('hex');

function conformance(kind: StoreKind) {
  let t: TestStore;
  let store: Store;
  let config: CompiledConfig;
  /** The hub process serving the retries: its own registered incarnation. */
  let hub: { context: Hub; processes: ProcessRegistry };
  const started: ProcessRegistry[] = [];
  let clock: number;
  const now = () => new Date(clock);

  /** A hub process on the store (a registered incarnation) with the app's services. */
  async function hubOn(s: Store) {
    const processes = new ProcessRegistry(s, { now });
    await processes.start();
    started.push(processes);
    const context = composeHub(config, s, { logger: pino({ level: 'silent' }), processes, delivery: false });
    return { context, processes };
  }

  /** Another process's store on the same database (PostgreSQL), or the same file (SQLite). */
  async function another() {
    const s = t.reopen();
    await s.migrate();
    return s;
  }

  /** The first attempt of `key` in the incarnation `registry`: claimed (in flight) and never finished. */
  async function claimedBy(registry: ProcessRegistry, key: string, body: unknown) {
    const keys = new IdempotencyKeys(store, registry, now);
    const claim = await keys.claim(SCOPE, key, hashOf(body), keyInFlight);
    expect(claim).toEqual({ kind: 'claimed' });
    expect(await store.log.getIdempotent(SCOPE, key)).toMatchObject({
      status: 0,
      owner: registry.incarnation,
    });
  }

  async function stocked(quantity: number) {
    const sku = freshSku();
    await store.inventory.applyMovements([
      {
        sku,
        location: 'DC-EAST',
        deltas: { on_hand: quantity },
        reason: 'received',
        guard: 'fact',
        system: 'wms-east',
        eventId: randomUUID(),
      },
    ]);
    return sku;
  }

  beforeEach(async () => {
    clock = Date.now();
    t = await openTestStore(kind);
    store = t.store;
    config = compileConfig(testConfigYaml(), 'test.yaml', {});
    hub = await hubOn(store);
  });
  afterEach(async () => {
    for (const registry of started.splice(0)) await registry.stop().catch(() => undefined);
    await hub.context.orders.stop();
    await hub.context.inventory.stop();
    await t.cleanup();
  });

  it('a key whose first attempt died before making the order: the first retry makes it (201)', async () => {
    const sku = await stocked(10);
    const body = orderBody(freshOrderId(), sku, 3);
    const key = randomUUID();
    // The first attempt's process: killed (its row stays) and restarted as `hub` on the same address.
    const dead = new ProcessRegistry(store, { now });
    await claimedBy(dead, key, body);
    if (kind === 'postgres') {
      await store.processes.register(dead.incarnation, dead.info, now().toISOString());
      await store.processes.claimAddress(dead.incarnation, dead.info.host, '127.0.0.1:8080');
      expect(await hub.processes.listening('127.0.0.1:8080')).toEqual([dead.incarnation]);
    }
    const retry = await hub.context.orders.service.create('shop', body, key);
    expect(retry).toMatchObject({ status: 201, replayed: false, body: { orderId: body.orderId } });
    expect(await store.log.getIdempotent(SCOPE, key)).toMatchObject({ status: 201 });
    expect(await hub.context.orders.service.create('shop', body, key)).toEqual({ ...retry, replayed: true });
    expect((await store.inventory.positions(sku))[0]?.buckets.committed).toBe(3);
  });

  it('a key whose first attempt made the order before dying: the first retry answers that order', async () => {
    const sku = await stocked(10);
    const body = orderBody(freshOrderId(), sku, 4);
    const key = randomUUID();
    const dead = new ProcessRegistry(store, { now });
    await claimedBy(dead, key, body);
    // What the first attempt did before the kill: its order.accepted event logged and processed.
    const event: CloudEvent = {
      specversion: '1.0',
      id: eventIdOf(SCOPE, key),
      source: '/shop',
      type: 'com.manifold.order.accepted.v1',
      data: body,
    };
    const [logged] = await hub.context.ingest.ingest('shop', [event], false);
    expect(logged?.status).toBe('accepted');
    await hub.context.orders.settle();
    expect(await store.orders.getOrder(body.orderId)).toBeDefined();

    const retry = await hub.context.orders.service.create('shop', body, key);
    expect(retry).toMatchObject({ status: 201, body: { orderId: body.orderId, milestone: 'released' } });
    // One order, its stock committed once, one acceptance in the log.
    expect((await store.inventory.positions(sku))[0]?.buckets.committed).toBe(4);
    const accepted = await store.listEvents({ subject: body.orderId, type: event.type, limit: 10 });
    expect(accepted.items).toHaveLength(1);
  });

  it('a key in flight in this very process still answers 409', async () => {
    const body = orderBody(freshOrderId(), await stocked(1), 1);
    const key = randomUUID();
    await claimedBy(hub.processes, key, body);
    await expect(hub.context.orders.service.create('shop', body, key)).rejects.toMatchObject({
      status: 409,
      code: 'idempotency-key-in-flight',
    });
  });

  if (kind === 'sqlite') {
    it('any other incarnation is dead on SQLite, even one whose heartbeat is recent', async () => {
      const body = orderBody(freshOrderId(), await stocked(5), 2);
      const key = randomUUID();
      const earlier = new ProcessRegistry(store, { now });
      await earlier.start(); // registered and beating: a killed process's row stays fresh for a while
      started.push(earlier);
      await claimedBy(earlier, key, body);
      expect(await hub.context.orders.service.create('shop', body, key)).toMatchObject({ status: 201 });
    });
  }

  if (kind === 'postgres') {
    it('a key in flight by another live hub process answers 409; once that process is dead, 201', async () => {
      const sku = await stocked(10);
      const other = await hubOn(await another());
      const body = orderBody(freshOrderId(), sku, 2);
      const key = randomUUID();
      await claimedBy(other.processes, key, body);
      await expect(hub.context.orders.service.create('shop', body, key)).rejects.toMatchObject({
        status: 409,
        code: 'idempotency-key-in-flight',
      });
      // Its heartbeat stops (killed): dead once the heartbeat is older than the TTL.
      clock += PROCESS_TTL_MS + 1;
      await hub.processes.heartbeat();
      const retry = await hub.context.orders.service.create('shop', body, key);
      expect(retry).toMatchObject({ status: 201, body: { orderId: body.orderId } });
      await other.context.orders.stop();
      await other.context.inventory.stop();
    });

    it('a key left in flight by a process that has since stopped (deregistered) resolves at once', async () => {
      const sku = await stocked(10);
      const other = await hubOn(await another());
      const body = orderBody(freshOrderId(), sku, 1);
      const key = randomUUID();
      await claimedBy(other.processes, key, body);
      await other.processes.stop(); // deregistered
      expect(await hub.context.orders.service.create('shop', body, key)).toMatchObject({ status: 201 });
      await other.context.orders.stop();
      await other.context.inventory.stop();
    });

    it('ten retries of a dead key on two live processes at once make one order', async () => {
      const sku = await stocked(20);
      const other = await hubOn(await another());
      const body = orderBody(freshOrderId(), sku, 2);
      const key = randomUUID();
      const dead = new ProcessRegistry(store, { now });
      await claimedBy(dead, key, body);
      const services = [hub.context.orders.service, other.context.orders.service];
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => services[i % 2]?.create('shop', body, key)),
      );
      const answers = results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
      const refusals = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(answers.length).toBeGreaterThanOrEqual(1);
      for (const a of answers) expect(a).toMatchObject({ status: 201, body: answers[0]?.body });
      for (const r of refusals) expect(r).toMatchObject({ status: 409, code: 'idempotency-key-in-flight' });
      expect((await store.inventory.positions(sku))[0]?.buckets.committed).toBe(2);
      await other.context.orders.stop();
      await other.context.inventory.stop();
    });
  }

  describe('the shared key logic', () => {
    it('replays a finished key, refuses another body with 422, and takes a dead key over once', async () => {
      const keys = new IdempotencyKeys(store, hub.processes, now);
      const inFlight = keyInFlight;
      expect(await keys.claim('s', 'k', 'h1', inFlight)).toEqual({ kind: 'claimed' });
      await keys.finish('s', 'k', 201, { ok: true });
      expect(await keys.claim('s', 'k', 'h1', inFlight)).toEqual({
        kind: 'stored',
        answer: { status: 201, body: { ok: true } },
      });
      await expect(keys.lookup('s', 'k', 'h2', inFlight)).rejects.toMatchObject({
        status: 422,
        code: 'idempotency-key-reused',
      });
      const dead = new IdempotencyKeys(store, new ProcessRegistry(store), now);
      expect(await dead.claim('s', 'd', 'h', inFlight)).toEqual({ kind: 'claimed' });
      expect(await keys.lookup('s', 'd', 'h', inFlight)).toBeUndefined(); // in flight by the dead: run it
      expect(await keys.claim('s', 'd', 'h', inFlight)).toEqual({
        kind: 'claimed',
        takenOver: dead.owner,
      });
      // The dead one's late abandon (it was not dead after all) leaves the new claim alone.
      await dead.abandon('s', 'd');
      expect(await store.log.getIdempotent('s', 'd')).toMatchObject({ status: 0, owner: keys.owner });
      await keys.abandon('s', 'd');
      expect(await store.log.getIdempotent('s', 'd')).toBeUndefined();
    });
  });
}

await describeEachStore('idempotency keys after a crash', (_, kind) => conformance(kind));
