/**
 * The log followers as singletons of a cluster: two hubs composed the way `manifold serve` composes them
 * (`singletons`), each on its own store (pool) of one PostgreSQL schema, as two processes would be.
 * - only the holder of `loop:inventory-facts` applies facts, whichever hub ingested them;
 * - an order posted to the hub that does not hold `loop:orders` is answered 201 with the order processed
 *   by the other (its wait reads the cursor the holder moves);
 * - a hub that stops gives its leases up and the other takes them over and carries on;
 * - a holder that dies without giving a lease up (nobody renews it) loses it after the lease time.
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { compileConfig } from '../src/config/load-config.js';
import { composeHub, type Hub } from '../src/main/compose.js';
import type { Movement } from '../src/store/inventory-port.js';
import type { Store } from '../src/store/store-port.js';
import { freshOrderId, freshSku, orderBody } from './support/orders.js';
import { describeWithStore, openTestStore, type TestStore } from './support/stores.js';
import { testConfigYaml } from './support/test-config.js';
import { until } from './support/until.js';

const LEASE = { ttlMs: 1_500, renewMs: 300 };

await describeWithStore('postgres', 'leased log followers: postgres', () => {
  let t: TestStore;
  const hubs: Hub[] = [];
  beforeAll(async () => {
    t = await openTestStore('postgres');
  });
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((hub) => hub.stop(1000)));
  });
  afterAll(async () => {
    await t.cleanup();
  });

  /** A hub on a store of its own (a pool, as another process has), counting the facts it applies. */
  async function hubOn(store: Store): Promise<{ hub: Hub; applied: () => number }> {
    await store.migrate(); // finds nothing to do: the schema is migrated
    let applied = 0;
    const apply = store.inventory.applyMovements.bind(store.inventory);
    store.inventory.applyMovements = async (movements: Movement[], ...rest) => {
      await apply(movements, ...rest);
      if (movements.some((m) => m.guard === 'fact')) applied += 1;
    };
    const config = compileConfig(testConfigYaml(), 'test.yaml', {});
    const hub = composeHub(config, store, {
      logger: pino({ level: 'silent' }),
      delivery: false,
      singletons: LEASE,
    });
    hubs.push(hub);
    return { hub, applied: () => applied };
  }

  function adjusted(sku: string, delta: number) {
    return {
      specversion: '1.0',
      id: `adj-${sku}-${delta}-${Math.random()}`,
      source: '/wms-east',
      type: 'com.manifold.inventory.adjusted.v1',
      data: { sku, location: 'DC-EAST', delta, reason: 'cycle_count' },
    };
  }

  async function holder(name: string): Promise<string | undefined> {
    return (await t.store.ops.leases()).find((l) => l.name === name)?.owner;
  }

  it('applies each fact in the holder only, answers an order posted to the other, and hands over on stop', async () => {
    const a = await hubOn(t.reopen());
    const b = await hubOn(t.reopen());
    await a.hub.start();
    await until(
      async () => (await holder('loop:inventory-facts')) === a.hub.processes.incarnation,
      'a to hold the fact applier',
    );
    await b.hub.start();
    const sku = freshSku();
    // Facts ingested by both hubs: applied by the holder, a.
    for (let i = 1; i <= 6; i += 1)
      await (i % 2 ? a : b).hub.ingest.ingest('wms-east', [adjusted(sku, i)], false);
    await b.hub.inventory.settle();
    expect((await t.store.inventory.positions(sku))[0]?.buckets.on_hand).toBe(21);
    expect(a.applied()).toBeGreaterThan(0);
    expect(b.applied()).toBe(0);
    expect(await holder('loop:orders')).toBe(a.hub.processes.incarnation);

    // An order posted to b is processed by a; b's answer waits for it (not a 202 after 15 s).
    const orderId = freshOrderId();
    const started = Date.now();
    const answer = await b.hub.orders.service.create('shop', orderBody(orderId, sku, 2), `key-${orderId}`);
    expect(answer.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await t.store.orders.getOrder(orderId)).toMatchObject({ milestone: 'released' });

    // a stops and gives its leases up: b takes them over and applies what comes next.
    await a.hub.stop(1000);
    hubs.splice(hubs.indexOf(a.hub), 1);
    await b.hub.ingest.ingest('wms-east', [adjusted(sku, 100)], false);
    await until(
      async () => (await t.store.inventory.positions(sku))[0]?.buckets.on_hand === 121,
      'b to apply the fact',
    );
    expect(b.applied()).toBeGreaterThan(0);
    expect(await holder('loop:inventory-facts')).toBe(b.hub.processes.incarnation);
  }, 30_000);

  it('takes the lease of a holder that stopped renewing once it expires, not before', async () => {
    // A holder that died (SIGKILL): its lease row stays, and nobody renews it.
    const takenAt = Date.now();
    expect(
      await t.store.ops.takeLease(
        'loop:inventory-facts',
        'dead-incarnation',
        new Date().toISOString(),
        LEASE.ttlMs,
      ),
    ).toBeDefined();
    const b = await hubOn(t.reopen());
    await b.hub.start();
    const sku = freshSku();
    await b.hub.ingest.ingest('wms-east', [adjusted(sku, 7)], false);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await t.store.inventory.positions(sku)).toEqual([]);
    expect(b.applied()).toBe(0);
    await until(
      async () => (await t.store.inventory.positions(sku))[0]?.buckets.on_hand === 7,
      'b to take the lease over and apply the fact',
    );
    const took = Date.now() - takenAt;
    expect(await holder('loop:inventory-facts')).toBe(b.hub.processes.incarnation);
    expect(took).toBeGreaterThanOrEqual(LEASE.ttlMs);
    expect(took).toBeLessThan(LEASE.ttlMs + 2_000);
  }, 30_000);
});
