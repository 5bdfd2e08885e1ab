/**
 * Alerts end to end (docs/operations.md): rules from the configuration evaluated against the hub's real state; a
 * rule that fires or resolves is logged, shown at `GET /v1/alerts` and delivered as
 * `com.manifold.ops.alert.v1` to a webhook through the delivery engine.
 */
import { afterEach, expect, it } from 'vitest';
import { AlertEngine } from '../../src/engine/observability/alert-engine.js';
import { type ReceivedRequest, type Sink, startSink } from '../support/sink.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { countedEvent, KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

let hub: TestApp | undefined;
const sinks: Sink[] = [];
afterEach(async () => {
  await hub?.close();
  for (const s of sinks.splice(0)) await s.close();
  hub = undefined;
});

async function alerts() {
  const response = await hub!.app.inject({
    method: 'GET',
    url: '/v1/alerts',
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  expect(response.statusCode).toBe(200);
  return response.json() as {
    rules: number;
    firing: number;
    alerts: { rule: string; scope?: string; status: string; value: number; summary: string }[];
  };
}

const alertEvents = (sink: Sink) =>
  sink.received
    .flatMap((r: ReceivedRequest) => r.events)
    .filter((e) => e.type === 'com.manifold.ops.alert.v1');

it('fires on a backlog and on drift, delivers each alert to the webhook, and resolves when drained', {
  timeout: 30_000,
}, async () => {
  // The ERP refuses the two events until the firing alerts are checked, then takes their retries (every
  // 5 s): few enough failures that its circuit stays closed, however slow the machine.
  let erpDown = true;
  const erp = await startSink(() => ({ status: erpDown ? 503 : 200 }));
  const pager = await startSink(() => ({ status: 200 }));
  sinks.push(erp, pager);
  hub = await buildTestApp({
    yaml: testConfigYaml({
      subscriptions: `subscriptions:
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.counted.v1]
    http: { url: ${erp.url}/erp }
    retry: { initialDelayMs: 5000, maxDelayMs: 5000 }
  - name: on-call
    target: portal
    types: [com.manifold.ops.alert.v1]
    http: { url: ${pager.url}/alerts }
alerts:
  - name: erp-backlog
    severity: critical
    backlog: { subscription: erp-inventory, above: 1 }
  - name: stock-drift
    drift: { above: 5 }
`,
    }),
    delivery: { pollMs: 10 },
  });
  expect(await alerts()).toEqual({ rules: 2, firing: 0, alerts: [] });

  await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent('SKU-A1'));
  await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent('SKU-A2'));
  await hub.inventory.settle();
  const snapshot = await hub.app.inject({
    method: 'POST',
    url: '/v1/inventory/snapshots',
    headers: { authorization: `Bearer ${KEYS.wmsEast}` },
    payload: { counts: [{ sku: 'SKU-A1', location: 'DC-EAST', onHand: 2 }] },
  });
  expect(snapshot.statusCode).toBe(201);
  await hub.context.alerts.evaluate();

  const firing = await alerts();
  expect(firing.firing).toBe(2);
  expect(firing.alerts).toEqual([
    expect.objectContaining({ rule: 'erp-backlog', scope: 'erp-inventory', status: 'firing', value: 2 }),
    expect.objectContaining({ rule: 'stock-drift', scope: 'wms-east', status: 'firing', value: 8 }),
  ]);
  await until(() => alertEvents(pager).length === 2, 'two alerts delivered');
  expect(alertEvents(pager).map((e) => e.data)).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        rule: 'erp-backlog',
        scope: 'erp-inventory',
        state: 'firing',
        severity: 'critical',
        kind: 'backlog',
        value: 2,
        threshold: 1,
        summary: 'erp-inventory: 2 events waiting to be delivered (alert above 1)',
      }),
      expect.objectContaining({ rule: 'stock-drift', state: 'firing', severity: 'warning', value: 8 }),
    ]),
  );
  expect(alertEvents(pager)[0]).toMatchObject({ source: '/manifold', subject: expect.any(String) });

  // Evaluating again while still firing sends nothing new.
  await hub.context.alerts.evaluate();
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(alertEvents(pager)).toHaveLength(2);

  // The ERP is back: the retries succeed, the backlog drains and the alert resolves; drift stays.
  erpDown = false;
  await until(
    async () =>
      (await hub!.store.delivery.deliveryBacklog()).every(
        (s) => s.subscription !== 'erp-inventory' || s.pending === 0,
      ),
    'the ERP backlog drained',
    15_000,
  );
  await hub.context.alerts.evaluate();
  const after = await alerts();
  expect(after.firing).toBe(1);
  expect(after.alerts.find((a) => a.rule === 'erp-backlog')).toMatchObject({ status: 'ok', value: 0 });
  await until(() => alertEvents(pager).length === 3, 'the resolved alert delivered');
  expect(alertEvents(pager)[2]?.data).toMatchObject({ rule: 'erp-backlog', state: 'resolved' });
});

it('needs the admin key', async () => {
  hub = await buildTestApp();
  const response = await hub.app.inject({
    method: 'GET',
    url: '/v1/alerts',
    headers: { authorization: `Bearer ${KEYS.shop}` },
  });
  expect(response.statusCode).toBe(403);
  expect(response.headers['content-type']).toContain('application/problem+json');
});

it('watches circuits, oldest pending and the exception rate, each with its `for`', async () => {
  hub = await buildTestApp({
    yaml: testConfigYaml({
      subscriptions: `subscriptions:
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.counted.v1]
    http: { url: http://127.0.0.1:9/erp }
alerts:
  - { name: erp-down, circuitOpen: { target: erp, for: 1m } }
  - { name: stale, oldestPending: { olderThan: 30s } }
  - { name: rejections, exceptionRate: { above: 1, per: 5m, code: inventory_rejected } }
`,
    }),
  });
  let nowMs = Date.now();
  let circuit: 'closed' | 'open' = 'open';
  const engine = new AlertEngine(hub.config, hub.store, hub.context.ingest, {
    now: () => new Date(nowMs),
    circuits: () => [{ system: 'erp', state: circuit }],
  });
  const statuses = async () =>
    Object.fromEntries((await engine.list()).alerts.map((a) => [`${a.rule}[${a.scope}]`, a.status]));

  await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent('SKU-S1'));
  for (const n of [1, 2]) {
    await hub.store.delivery.createException({
      code: 'inventory_rejected',
      detail: `rejected ${n}`,
      at: new Date(nowMs).toISOString(),
    });
  }
  await engine.evaluate();
  expect(await statuses()).toEqual({
    'rejections[inventory_rejected]': 'firing',
    'erp-down[erp]': 'pending',
    'stale[erp-inventory]': 'ok',
  });
  nowMs += 61_000;
  await engine.evaluate();
  expect(await statuses()).toMatchObject({ 'erp-down[erp]': 'firing', 'stale[erp-inventory]': 'firing' });
  // Five minutes on, the two rejections are out of the window; the circuit closed.
  nowMs += 300_000;
  circuit = 'closed';
  await engine.evaluate();
  expect(await statuses()).toMatchObject({ 'rejections[inventory_rejected]': 'ok', 'erp-down[erp]': 'ok' });
  const text = (
    await hub.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    })
  ).body;
  expect(text).toContain('manifold_alerts_firing{rule="stale"} 1');
  expect(text).toContain('manifold_alerts_firing{rule="erp-down"} 0');
});
