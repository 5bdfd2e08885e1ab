/**
 * `GET /v1/overview` (docs/console.md) and the console's routes, in-process: auth, the systems and subscriptions,
 * health from a real failing receiver, open exceptions counted by code, customer and location, and the
 * console's paths never shadowing the API.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { sendProblem } from '../../src/api/problem.js';
import { registerConsoleRoutes } from '../../src/api/routes/console-routes.js';
import {
  OVERVIEW_EXCEPTION_SAMPLE,
  type Overview,
  subscriptionHealth,
} from '../../src/api/routes/overview-routes.js';
import { shipTo } from '../support/orders.js';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { adjustedEvent, countedEvent, KEYS, testConfigYaml } from '../support/test-config.js';

let hub: TestApp | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  hub = undefined;
  sink = undefined;
});

async function overview(app: TestApp, key: string = KEYS.admin) {
  const response = await app.app.inject({
    method: 'GET',
    url: '/v1/overview',
    headers: { authorization: `Bearer ${key}` },
  });
  return { status: response.statusCode, body: response.json() as Overview, headers: response.headers };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GET /v1/overview', () => {
  it('lists the alert rules firing now', async () => {
    hub = await buildTestApp({
      yaml: testConfigYaml({
        subscriptions: `subscriptions:
  - { name: erp-inventory, target: erp, types: [com.manifold.inventory.counted.v1], http: { url: 'http://127.0.0.1:9/x' } }
alerts:
  - { name: erp-backlog, severity: critical, backlog: { above: 0 } }
`,
      }),
    });
    expect((await overview(hub)).body.alerts).toEqual([]);
    const posted = await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent('SKU-AL', 'DC-EAST', 3));
    expect(posted.statusCode).toBe(202);
    await hub.context.alerts.evaluate();
    expect((await overview(hub)).body.alerts).toEqual([
      {
        rule: 'erp-backlog',
        scope: 'erp-inventory',
        severity: 'critical',
        summary: 'erp-inventory: 1 events waiting to be delivered (alert above 0)',
        since: expect.any(String),
      },
    ]);
  });

  it('needs the admin key', async () => {
    hub = await buildTestApp();
    const none = await hub.app.inject({ method: 'GET', url: '/v1/overview' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    const system = await overview(hub, KEYS.shop);
    expect(system.status).toBe(403);
    expect(system.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('lists the systems and every subscription, healthy when nothing has happened', async () => {
    hub = await buildTestApp();
    const { status, body } = await overview(hub);
    expect(status).toBe(200);
    expect(Date.parse(body.generatedAt)).not.toBeNaN();
    expect(body.hub.store).toBe('sqlite');
    expect(body.systems).toContainEqual({ name: 'shop', kind: 'commerce', channel: 'web', locations: [] });
    expect(body.systems).toContainEqual({ name: 'wms-east', kind: 'wms', locations: ['DC-EAST'] });
    expect(body.subscriptions.map((s) => s.name)).toEqual(['erp-orders', 'shop-orders', 'erp-inventory']);
    expect(body.subscriptions[0]).toEqual({
      name: 'erp-orders',
      target: 'erp',
      types: ['com.manifold.order.*'],
      backlog: 0,
      parked: 0,
      oldestPendingSeconds: 0,
      throughputPerSecond: 0,
      errorRate: 0,
      delivered: 0,
      failed: 0,
      windowSeconds: 60,
      circuit: 'closed',
      health: 'ok',
      reasons: [],
    });
    expect(body.exceptions).toEqual({ open: 0, byCode: [], byCustomer: [], byLocation: [], sampled: false });
  });

  it('shows pending work as backlog with the age of its oldest row', async () => {
    hub = await buildTestApp(); // no delivery engine: what is ingested stays pending
    const response = await postAs(
      hub.app,
      '/v1/events',
      KEYS.wmsEast,
      adjustedEvent({ data: { sku: 'SKU-B', location: 'DC-EAST', delta: 3, reason: 'correction' } }),
    );
    expect(response.statusCode).toBe(202);
    const { body } = await overview(hub);
    const inventory = body.subscriptions.find((s) => s.name === 'erp-inventory');
    expect(inventory?.backlog).toBe(1);
    expect(inventory?.oldestPendingSeconds).toBeGreaterThanOrEqual(0);
    expect(inventory?.health).toBe('ok');
  });

  it('marks a subscription failing when its receiver fails, with the parked row and the exception', async () => {
    sink = await startSink(() => ({ status: 500, body: 'down' }));
    hub = await buildTestApp({
      yaml: testConfigYaml({
        subscriptions: `subscriptions:
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    http: { url: ${sink.url}/inventory }
    retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 }
`,
      }),
      delivery: { pollMs: 10 },
    });
    const response = await postAs(
      hub.app,
      '/v1/events',
      KEYS.wmsEast,
      adjustedEvent({ data: { sku: 'SKU-F', location: 'DC-EAST', delta: 2, reason: 'correction' } }),
    );
    expect(response.statusCode).toBe(202);
    const app = hub;
    const { body } = await until(
      () => overview(app),
      // The park commits in the store before this process counts the attempt (a moment later).
      (o) => o.body.subscriptions[0]?.parked === 1 && (o.body.subscriptions[0]?.failed ?? 0) >= 2,
      'the row to park',
    );
    const subscription = body.subscriptions[0];
    expect(subscription).toMatchObject({ name: 'erp-inventory', backlog: 0, parked: 1, delivered: 0 });
    expect(subscription?.failed).toBeGreaterThanOrEqual(2);
    expect(subscription?.errorRate).toBe(1);
    expect(subscription?.health).toBe('failing');
    expect(subscription?.reasons).toContain('error rate 100%');
    expect(subscription?.reasons).toContain('1 parked');
    expect(body.targets.map((t) => t.system)).toContain('erp');
    expect(body.exceptions.open).toBe(1);
    expect(body.exceptions.byCode).toEqual([{ code: expect.stringMatching(/^delivery_/), count: 1 }]);
    expect(body.exceptions.byLocation).toEqual([{ location: 'DC-EAST', count: 1 }]);
  });

  it("counts open exceptions by the order's customer and locations, and by sku@location", async () => {
    hub = await buildTestApp();
    const stock = await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent('SKU-O'));
    expect(stock.statusCode).toBe(202);
    await hub.inventory.settle();
    const created = await hub.app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { authorization: `Bearer ${KEYS.shop}`, 'idempotency-key': randomUUID() },
      payload: {
        orderId: 'SO-OV-1',
        channel: 'web',
        customer: { id: 'C-7', name: 'Grace' },
        lines: [{ lineId: '1', sku: 'SKU-O', quantity: 2, unitPrice: 3 }],
        shipTo,
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const at = new Date().toISOString();
    for (const subject of ['SO-OV-1', 'SO-OV-1', 'SKU-Z@DC-WEST', 'no-such-order']) {
      await hub.store.delivery.createException({ code: 'carrier_exception', detail: 'test', subject, at });
    }
    await hub.store.delivery.createException({
      code: 'oversold',
      detail: 'test',
      subject: 'SKU-Z@DC-WEST',
      at,
    });
    const { body } = await overview(hub);
    expect(body.exceptions.open).toBe(5);
    expect(body.exceptions.byCode).toEqual([
      { code: 'carrier_exception', count: 4 },
      { code: 'oversold', count: 1 },
    ]);
    expect(body.exceptions.byCustomer).toEqual([{ customer: 'C-7', count: 2 }]);
    expect(body.exceptions.byLocation).toEqual([
      { location: 'DC-EAST', count: 2 },
      { location: 'DC-WEST', count: 2 },
    ]);
    expect(body.exceptions.sampled).toBe(false);
  });

  it('counts every open exception by code, but customers and locations over the oldest 1,000 only', async () => {
    hub = await buildTestApp();
    const at = new Date().toISOString();
    for (let i = 0; i < OVERVIEW_EXCEPTION_SAMPLE + 5; i++) {
      await hub.store.delivery.createException({
        code: 'oversold',
        detail: 'test',
        subject: `SKU-${i}@DC-EAST`,
        at,
      });
    }
    const { body } = await overview(hub);
    expect(body.exceptions.open).toBe(OVERVIEW_EXCEPTION_SAMPLE + 5);
    expect(body.exceptions.byCode).toEqual([{ code: 'oversold', count: OVERVIEW_EXCEPTION_SAMPLE + 5 }]);
    expect(body.exceptions.byLocation).toEqual([{ location: 'DC-EAST', count: OVERVIEW_EXCEPTION_SAMPLE }]);
    expect(body.exceptions.sampled).toBe(true);
  });

  it('is in the OpenAPI document', async () => {
    hub = await buildTestApp();
    const doc = (await hub.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.paths['/v1/overview']?.get?.responses?.['200']).toBeDefined();
    // The console's HTML paths are not part of the API contract.
    expect(doc.paths['/']).toBeUndefined();
    expect(doc.paths['/orders/*']).toBeUndefined();
  });
});

describe('subscription health', () => {
  const quiet = { circuit: 'closed' as const, errorRate: 0, parked: 0, oldestPendingSeconds: 0 };
  it.each([
    [quiet, 'ok'],
    [{ ...quiet, oldestPendingSeconds: 61 }, 'degraded'],
    [{ ...quiet, errorRate: 0.2 }, 'degraded'],
    [{ ...quiet, parked: 3 }, 'degraded'],
    [{ ...quiet, circuit: 'half_open' as const }, 'degraded'],
    [{ ...quiet, errorRate: 0.5 }, 'failing'],
    [{ ...quiet, circuit: 'open' as const }, 'failing'],
    [{ ...quiet, oldestPendingSeconds: 301 }, 'failing'],
  ])('%o is %s', (input, health) => {
    expect(subscriptionHealth(input).health).toBe(health);
  });
});

describe('console routes', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function consoleApp(root: string) {
    const app = Fastify();
    app.setErrorHandler((error, request, reply) => sendProblem(error, request, reply));
    registerConsoleRoutes(app, root);
    app.get('/v1/orders/:id', async () => ({ api: true }));
    await app.ready();
    return app;
  }

  it('serves index.html for every client-side path and the hashed assets, and nothing else', async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifold-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
    const app = await consoleApp(dir);
    try {
      for (const path of [
        '/',
        '/orders',
        '/orders/SO-1',
        '/inventory/SKU-1',
        '/exceptions',
        '/replay',
        '/mapping-preview',
      ]) {
        const page = await app.inject({ method: 'GET', url: path });
        expect(page.statusCode, path).toBe(200);
        expect(page.headers['content-type']).toMatch(/^text\/html/);
        expect(page.headers['content-security-policy']).toContain("default-src 'self'");
        expect(page.body).toContain('<title>console</title>');
        // index.html names the current build's assets: a browser asks again, so an upgrade reaches it.
        expect(page.headers['cache-control'], path).toBe('no-cache');
      }
      const asset = await app.inject({ method: 'GET', url: '/assets/index-abc.js' });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect((await app.inject({ method: 'GET', url: '/v1/orders/SO-1' })).json()).toEqual({ api: true });
      expect((await app.inject({ method: 'GET', url: '/assets/../index.html' })).statusCode).not.toBe(500);
      expect((await app.inject({ method: 'GET', url: '/elsewhere' })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('answers a problem saying how to build the console when it is not built', async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifold-console-'));
    const app = await consoleApp(join(dir, 'missing'));
    try {
      const page = await app.inject({ method: 'GET', url: '/' });
      expect(page.statusCode).toBe(503);
      expect(page.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(page.json()).toMatchObject({
        type: 'https://manifold.dev/problems/console-not-built',
        detail: expect.stringContaining('npm run build'),
      });
    } finally {
      await app.close();
    }
  });

  it('leaves the hub’s own routes alone', async () => {
    hub = await buildTestApp();
    const healthz = await hub.app.inject({ method: 'GET', url: '/healthz' });
    expect(healthz.json()).toEqual({ status: 'ok' });
    const metrics = await hub.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    const missing = await hub.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    const readyz = await hub.app.inject({ method: 'GET', url: '/readyz' });
    expect(readyz.statusCode).toBe(200);
  });
});
