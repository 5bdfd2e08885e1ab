/**
 * `GET /metrics` (docs/operations.md): the Prometheus exposition after real traffic through the in-process hub —
 * ingest outcomes, duplicates, deliveries (attempts, latency, backlog, parked, oldest pending), circuits,
 * open exceptions, reservations, oversells prevented, drift and EDI documents.
 */
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { countedEvent, KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

const PO = readFileSync(new URL('../fixtures/edi/850-vics-nodex12.edi', import.meta.url), 'utf8');

let hub: TestApp | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  hub = undefined;
  sink = undefined;
});

/** The value of one sample line `name{labels}` (labels as printed, in order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).match(/^\{(.*)\}/)?.[1] ?? '';
    if (wanted.every((w) => labelText.split(',').includes(w))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

async function metrics(): Promise<string> {
  const response = await hub!.app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toContain('text/plain; version=0.0.4');
  return response.body;
}

it('counts ingest by source, type and outcome, and duplicates', async () => {
  hub = await buildTestApp();
  const event = countedEvent('SKU-M1');
  expect((await postAs(hub.app, '/v1/events', KEYS.wmsEast, event)).statusCode).toBe(202);
  expect((await postAs(hub.app, '/v1/events', KEYS.wmsEast, event)).statusCode).toBe(200);
  const bad = { ...countedEvent('SKU-M1'), data: { sku: 'SKU-M1' } };
  expect((await postAs(hub.app, '/v1/events', KEYS.wmsEast, bad)).statusCode).toBe(400);
  const text = await metrics();
  const type = 'com.manifold.inventory.counted.v1';
  expect(
    sample(text, 'manifold_ingest_events_total', { source: 'wms-east', type, outcome: 'accepted' }),
  ).toBe(1);
  expect(
    sample(text, 'manifold_ingest_events_total', { source: 'wms-east', type, outcome: 'duplicate' }),
  ).toBe(1);
  expect(
    sample(text, 'manifold_ingest_events_total', { source: 'wms-east', type, outcome: 'rejected' }),
  ).toBe(1);
  expect(sample(text, 'manifold_ingest_duplicates_total', { source: 'wms-east' })).toBe(1);
});

it('shows deliveries: attempts by outcome, latency, backlog, parked, open exceptions and circuit state', {
  timeout: 30_000,
}, async () => {
  sink = await startSink(() => ({ status: 500 }));
  hub = await buildTestApp({
    yaml: testConfigYaml({
      subscriptions: `subscriptions:
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.counted.v1]
    http: { url: ${sink.url}/erp }
    retry: { maxAttempts: 1 }
    onFailure: skip
`,
    }),
    delivery: { pollMs: 10 },
  });
  await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent('SKU-D1'));
  await until(
    async () =>
      (sample(await metrics(), 'manifold_delivery_parked', { subscription: 'erp-inventory' }) ?? 0) === 1,
    'the first event parked',
  );
  sink.respond(() => ({ status: 200 }));
  await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent('SKU-D2'));
  await until(() => sink!.received.length >= 2, 'the second delivery');
  await until(
    async () =>
      sample(await metrics(), 'manifold_delivery_attempts_total', {
        subscription: 'erp-inventory',
        outcome: 'delivered',
      }) === 1,
    'the delivered attempt counted',
  );
  const text = await metrics();
  expect(
    sample(text, 'manifold_delivery_attempts_total', { subscription: 'erp-inventory', outcome: 'retryable' }),
  ).toBe(1);
  expect(sample(text, 'manifold_delivery_latency_seconds_count', { subscription: 'erp-inventory' })).toBe(1);
  expect(
    sample(text, 'manifold_delivery_latency_seconds_bucket', { subscription: 'erp-inventory', le: '+Inf' }),
  ).toBe(1);
  expect(sample(text, 'manifold_delivery_backlog', { subscription: 'erp-inventory' })).toBe(0);
  expect(sample(text, 'manifold_delivery_oldest_pending_seconds', { subscription: 'erp-inventory' })).toBe(0);
  expect(sample(text, 'manifold_exceptions_open', { code: 'delivery_failed' })).toBe(1);
  expect(sample(text, 'manifold_circuit_state', { target: 'erp' })).toBe(0);
  // A 500 is no throttle: the adaptive limit stays at its maximum (the subscription's default 4).
  expect(sample(text, 'manifold_target_concurrency_limit', { target: 'erp' })).toBe(4);
  expect(sample(text, 'manifold_target_paused', { target: 'erp' })).toBe(0);
  expect(text).toContain('# TYPE manifold_delivery_latency_seconds histogram');
});

it('shows a backlog and its age while a target is down', { timeout: 30_000 }, async () => {
  hub = await buildTestApp({
    yaml: testConfigYaml({
      subscriptions: `subscriptions:
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.counted.v1]
    http: { url: http://127.0.0.1:9/erp }
`,
    }),
  });
  for (const sku of ['SKU-B1', 'SKU-B2', 'SKU-B3'])
    await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent(sku));
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const text = await metrics();
  expect(sample(text, 'manifold_delivery_backlog', { subscription: 'erp-inventory' })).toBe(3);
  expect(
    sample(text, 'manifold_delivery_oldest_pending_seconds', { subscription: 'erp-inventory' }),
  ).toBeGreaterThanOrEqual(1);
});

it('counts reservations won and refused, oversells prevented, drift units and EDI documents', async () => {
  hub = await buildTestApp();
  await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent('SKU-R1', 'DC-EAST', 5));
  await hub.inventory.settle();
  const reserve = (quantity: number) =>
    hub!.app.inject({
      method: 'POST',
      url: '/v1/reservations',
      headers: { authorization: `Bearer ${KEYS.portal}` },
      payload: { sku: 'SKU-R1', channel: 'b2b', quantity, ttlSeconds: 60 },
    });
  expect((await reserve(4)).statusCode).toBe(201);
  expect((await reserve(4)).statusCode).toBe(409);
  const snapshot = await hub.app.inject({
    method: 'POST',
    url: '/v1/inventory/snapshots',
    headers: { authorization: `Bearer ${KEYS.wmsEast}` },
    payload: { counts: [{ sku: 'SKU-R1', location: 'DC-EAST', onHand: 12 }] },
  });
  expect(snapshot.statusCode).toBe(201);
  expect((await postAs(hub.app, '/v1/edi/acme', KEYS.acme, PO, 'application/edi-x12')).statusCode).toBe(200);
  const text = await metrics();
  expect(sample(text, 'manifold_reservations_total', { channel: 'b2b', outcome: 'won' })).toBe(1);
  expect(sample(text, 'manifold_reservations_total', { channel: 'b2b', outcome: 'refused' })).toBe(1);
  expect(sample(text, 'manifold_oversells_prevented_total', { via: 'reservation' })).toBe(1);
  expect(sample(text, 'manifold_inventory_drift_units', { system: 'wms-east' })).toBe(7);
  expect(
    sample(text, 'manifold_edi_documents_total', {
      partner: 'acme',
      set: '850',
      direction: 'in',
      outcome: 'applied',
    }),
  ).toBe(1);
});

it('asks for the metrics key (or the admin key) when server.metricsKey is set; that key opens nothing else', async () => {
  const metricsKey = 'scraper-key-0000000001';
  const yaml = testConfigYaml().replace(
    `adminKey: ${KEYS.admin}`,
    `adminKey: ${KEYS.admin}\n  metricsKey: ${metricsKey}`,
  );
  expect(yaml).toContain('metricsKey');
  hub = await buildTestApp({ yaml });
  const get = (url: string, key?: string) =>
    hub!.app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });
  expect((await get('/metrics')).statusCode).toBe(401);
  const other = await get('/metrics', KEYS.shop);
  expect(other.statusCode).toBe(403);
  expect(other.headers['content-type']).toContain('application/problem+json');
  expect((await get('/metrics', metricsKey)).statusCode).toBe(200);
  expect((await get('/metrics', KEYS.admin)).statusCode).toBe(200);
  expect((await get('/v1/orders', metricsKey)).statusCode).toBe(401);
});
