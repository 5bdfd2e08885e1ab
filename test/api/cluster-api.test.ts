/**
 * `GET /v1/cluster` (docs/operations.md, "Several hub processes"): the processes registered on the store,
 * alive or dead by the TTL, the one that answered, the leases each holds — the hub's own singleton loops
 * hold theirs under the process's incarnation — and, on `/metrics`, the store-wide gauges emitted by the
 * oldest live process only.
 */
import { afterEach, expect, it } from 'vitest';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { countedEvent, KEYS } from '../support/test-config.js';

let hub: TestApp | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

const info = (pid: number) => ({ host: 'other-host', pid, version: '0.9.0' });

async function cluster(key: string = KEYS.admin) {
  return hub!.app.inject({ method: 'GET', url: '/v1/cluster', headers: { authorization: `Bearer ${key}` } });
}

async function metrics(): Promise<string> {
  const response = await hub!.app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  expect(response.statusCode).toBe(200);
  return response.body;
}

it('needs the admin key, and answers problem documents otherwise', async () => {
  hub = await buildTestApp();
  const anonymous = await hub.app.inject({ method: 'GET', url: '/v1/cluster' });
  expect(anonymous.statusCode).toBe(401);
  expect(anonymous.headers['content-type']).toContain('application/problem+json');
  const system = await cluster(KEYS.erp);
  expect(system.statusCode).toBe(403);
  expect(system.headers['content-type']).toContain('application/problem+json');
});

it('lists the processes alive and dead, which one answered, and the leases each holds', async () => {
  hub = await buildTestApp();
  const { store, context } = hub;
  const self = context.processes.incarnation;
  await context.processes.start();
  // The hub's own loop takes its lease under this process's incarnation.
  await context.orders.cancelAfter.run();
  const now = Date.now();
  const iso = (ms: number) => new Date(now + ms).toISOString();
  // Another process, alive, holding a poller's lease; and one whose heartbeat is long past the TTL.
  await store.processes.register('peer', info(42), iso(1));
  await store.ops.tryLease('source:wms-poll', 'peer', iso(0), 60_000);
  await store.processes.register('crashed', info(7), iso(-3_600_000));
  // A lease held under no registered process (a loop of another program on the store).
  await store.ops.tryLease('legacy', 'somebody-else', iso(-120_000), 1000);

  const response = await cluster();
  expect(response.statusCode).toBe(200);
  const view = response.json();
  expect(view.self).toBe(self);
  expect(view.ttlMs).toBe(context.processes.ttlMs);
  expect(view.alive).toBe(2);
  const byId = new Map(view.processes.map((p: { incarnation: string }) => [p.incarnation, p]));
  expect(view.processes.map((p: { incarnation: string }) => p.incarnation)).toEqual([
    'crashed',
    self,
    'peer',
  ]);
  expect(byId.get(self)).toMatchObject({
    status: 'alive',
    self: true,
    pid: process.pid,
    reportsStoreMetrics: true,
    leases: [{ name: 'order-cancel-after', expired: false }],
  });
  expect(byId.get('peer')).toMatchObject({
    status: 'alive',
    self: false,
    host: 'other-host',
    pid: 42,
    version: '0.9.0',
    reportsStoreMetrics: false,
    leases: [{ name: 'source:wms-poll', expiresAt: iso(60_000), expired: false }],
  });
  expect(byId.get('crashed')).toMatchObject({ status: 'dead', self: false, leases: [] });
  expect(view.unattributed).toEqual([
    { name: 'legacy', owner: 'somebody-else', expiresAt: iso(-119_000), expired: true },
  ]);
});

it('emits the store-wide gauges from the oldest live process only', async () => {
  hub = await buildTestApp();
  const { store, context } = hub;
  await context.processes.start();
  await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent('SKU-C1'));
  const reporting = await metrics();
  expect(reporting).toMatch(/^manifold_store_metrics_reporter 1$/m);
  expect(reporting).toMatch(/^manifold_processes\{state="alive"\} 1$/m);
  expect(reporting).toMatch(/^manifold_delivery_backlog\{/m);

  // An older process joins: it reports; this one keeps its own counters but leaves the store's out.
  await store.processes.register('older', info(1), new Date(Date.now() - 60_000).toISOString());
  await store.processes.heartbeat('older', new Date().toISOString());
  const quiet = await metrics();
  expect(quiet).toMatch(/^manifold_store_metrics_reporter 0$/m);
  for (const name of [
    'manifold_processes',
    'manifold_delivery_backlog',
    'manifold_delivery_parked',
    'manifold_delivery_oldest_pending_seconds',
    'manifold_exceptions_open',
    'manifold_inventory_drift_units',
    'manifold_alerts_firing',
  ]) {
    expect(quiet, name).not.toMatch(new RegExp(`^${name}(\\{| )`, 'm'));
  }
  expect(quiet).toMatch(/^manifold_ingest_events_total\{/m);
  expect(
    (await cluster()).json().processes.find((p: { incarnation: string }) => p.incarnation === 'older'),
  ).toMatchObject({ reportsStoreMetrics: true });

  // It stops: this one reports again at once.
  await store.processes.deregister('older');
  expect(await metrics()).toMatch(/^manifold_store_metrics_reporter 1$/m);
});
