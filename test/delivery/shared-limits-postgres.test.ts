/**
 * Two hub processes on one PostgreSQL respect one target's limits together (docs/delivery.md#6-protecting-targets): each
 * registered in the process registry, each with its own store (pool) and delivery engine, as two
 * processes would be. `systems.<name>.rateLimit.concurrency` is split between them, and a breaker one of
 * them opens is open in the other too, without a database round trip per request.
 * Skipped with a warning when PostgreSQL is unreachable, except under CI.
 */
import { afterEach, expect, it } from 'vitest';
import type { CompiledConfig } from '../../src/config/compiled-config.js';
import { compileConfig } from '../../src/config/load-config.js';
import type { CloudEvent } from '../../src/domain/cloud-event.js';
import { DeliveryEngine } from '../../src/engine/delivery/delivery-engine.js';
import { ProcessRegistry } from '../../src/engine/process-registry.js';
import type { Store } from '../../src/store/store-port.js';
import { type Sink, startSink } from '../support/sink.js';
import { describeWithStore, openTestStore, TEST_POSTGRES_URL, type TestStore } from '../support/stores.js';
import { KEYS, pickedEvent, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

let testStore: TestStore | undefined;
let sink: Sink | undefined;
const engines: DeliveryEngine[] = [];
const registries: ProcessRegistry[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop(2000)));
  await Promise.all(registries.splice(0).map((registry) => registry.stop()));
  await sink?.close();
  await testStore?.cleanup();
  sink = undefined;
  testStore = undefined;
});

function hubConfig(url: string, erp: string, retry: string): CompiledConfig {
  const yaml = testConfigYaml({
    store: `{ postgres: ${JSON.stringify(TEST_POSTGRES_URL)} }`,
    subscriptions: `subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: ${url}/orders }
    retry: ${retry}
    rateLimit: { perSecond: 100000, concurrency: 8 }`,
  }).replace(`erp: { kind: erp, key: ${KEYS.erp} }`, erp);
  return compileConfig(yaml, 'shared-limits.yaml', {});
}

/** A hub process: registered in the store's process registry, its engine syncing every 50 ms. */
async function hubProcess(config: CompiledConfig, store: Store): Promise<DeliveryEngine> {
  const processes = new ProcessRegistry(store);
  await processes.start();
  registries.push(processes);
  const errors: unknown[] = [];
  const engine = new DeliveryEngine(config, store, {
    pollMs: 10,
    processes,
    syncMs: 50,
    onSyncError: (error) => errors.push(error),
  });
  engines.push(engine);
  return engine;
}

async function appendOrders(store: Store, count: number, prefix: string): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => {
    const orderId = `${prefix}-${i}`;
    return { ...pickedEvent(orderId), subject: orderId, partitionkey: orderId } as CloudEvent;
  });
  await store.append(
    events.map((event) => ({
      system: 'wms-east',
      event,
      outbox: [{ subscription: 'erp-orders', target: 'erp' }],
    })),
  );
}

function sharedLimits(): void {
  it('split systems.<name>.rateLimit.concurrency between the live processes', {
    timeout: 60_000,
  }, async () => {
    testStore = await openTestStore('postgres');
    sink = await startSink(() => ({ status: 200, delayMs: 80 }));
    const config = hubConfig(
      sink.url,
      `erp: { kind: erp, key: ${KEYS.erp}, rateLimit: { concurrency: 3 } }`,
      '{ maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }',
    );
    const a = await hubProcess(config, testStore.store);
    const b = await hubProcess(config, testStore.reopen());
    a.start();
    b.start();
    await until(
      () => a.processShare().count === 2 && b.processShare().count === 2,
      'both processes to see two live processes',
    );
    // 3 split in whole requests: 2 for the older process, 1 for the other.
    const limits = [a, b].map(
      (engine) => engine.targets().find((t) => t.system === 'erp')?.concurrency.maxLimit,
    );
    expect(limits.sort()).toEqual([1, 2]);
    await appendOrders(testStore.store, 40, 'ORD-SPLIT');
    await sink.waitFor(40, 30_000);
    expect(sink.inFlight().max).toBeLessThanOrEqual(3);
    expect(sink.inFlight().max).toBeGreaterThanOrEqual(2);
  });

  it('open a breaker in every process once one of them opened it', { timeout: 60_000 }, async () => {
    testStore = await openTestStore('postgres');
    // Connections refused: a port that listened a moment ago.
    const gone = await startSink();
    const url = gone.url;
    await gone.close();
    const config = hubConfig(
      url,
      `erp: { kind: erp, key: ${KEYS.erp}, circuitBreaker: { failures: 3, openFor: 20s } }`,
      '{ maxAttempts: 100, initialDelayMs: 1, maxDelayMs: 2, maxAgeMs: 60000 }',
    );
    const a = await hubProcess(config, testStore.store);
    const b = await hubProcess(config, testStore.reopen());
    a.start();
    await appendOrders(testStore.store, 1, 'ORD-DOWN');
    const state = (engine: DeliveryEngine) => engine.targets().find((t) => t.system === 'erp')?.circuit;
    await until(() => state(a)?.state === 'open', 'the breaker of the first process to open', 20_000);
    // The opening is shared once it is recorded (a write after the transition, not inside it).
    const recorded = testStore.store;
    await until(
      async () => (await recorded.ops.circuits()).some((c) => c.system === 'erp' && c.state === 'open'),
      'the opening to be recorded in the store',
    );
    // The second process has sent nothing, yet learns of the opening at its next sync.
    b.start();
    await until(() => state(b)?.state === 'open', 'the breaker of the second process to open', 10_000);
    expect(state(b)?.retryAt).toBe(state(a)?.retryAt);
    expect(state(b)?.consecutiveFailures).toBeGreaterThanOrEqual(3);
  });
}

await describeWithStore('postgres', 'hub processes sharing target limits on one PostgreSQL', () =>
  sharedLimits(),
);
