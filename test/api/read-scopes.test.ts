/**
 * Read scopes (docs/security.md): each system's key reads only its part — an EDI partner its own orders, a
 * storefront its channel's orders, reservations and ATP, a warehouse its locations' positions, ledger and
 * orders, the ERP everything; out of scope is 404 and left out of lists; other targets' deliveries are not
 * shown on a timeline; operations routes are the admin key's; `/metrics` needs a key.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { freshOrderId, freshSku, shipTo } from '../support/orders.js';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

let hub: TestApp | undefined;
const sinks: Sink[] = [];
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  for (const sink of sinks.splice(0)) await sink.close();
});

async function call(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  key?: string,
  payload?: unknown,
  headers = {},
) {
  const response = await hub!.app.inject({
    method,
    url,
    headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...headers },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  const json = String(response.headers['content-type'] ?? '').includes('json');
  return { status: response.statusCode, body: json ? response.json() : response.body };
}

async function count(sku: string, location: 'DC-EAST' | 'DC-WEST', onHand: number) {
  const [key, source] = location === 'DC-EAST' ? [KEYS.wmsEast, '/wms-east'] : [KEYS.wmsWest, '/wms-west'];
  const answer = await call(
    'POST',
    '/v1/events',
    key,
    {
      specversion: '1.0',
      id: randomUUID(),
      source,
      type: 'com.manifold.inventory.counted.v1',
      data: { sku, location, onHand },
    },
    { 'content-type': 'application/cloudevents+json' },
  );
  expect(answer.status).toBe(202);
  await hub!.inventory.settle();
}

async function order(key: string, channel: string, sku: string, customer: string): Promise<string> {
  const orderId = freshOrderId();
  const answer = await call(
    'POST',
    '/v1/orders',
    key,
    {
      orderId,
      channel,
      customer: { id: customer, name: customer },
      lines: [{ lineId: '1', sku, quantity: 1, unitPrice: 5 }],
      shipTo,
    },
    { 'idempotency-key': randomUUID() },
  );
  expect(answer.status).toBe(201);
  return orderId;
}

const ids = (body: { items: { orderId: string }[] }) => body.items.map((o) => o.orderId).sort();

/**
 * SKU `a` at both DCs (orders commit at DC-EAST, first in config order), SKU `b` at DC-WEST only; orders
 * from the shop (web, one at each DC), the portal (b2b), the EDI partner acme (edi-acme) and the ERP (web).
 */
async function seed() {
  const a = freshSku();
  const b = freshSku();
  await count(a, 'DC-EAST', 10);
  await count(a, 'DC-WEST', 5);
  await count(b, 'DC-WEST', 10);
  const web = await order(KEYS.shop, 'web', a, 'Web Customer');
  const webWest = await order(KEYS.shop, 'web', b, 'Web West Customer');
  const b2b = await order(KEYS.portal, 'b2b', a, 'B2B Customer');
  const edi = await order(KEYS.acme, 'edi-acme', a, 'Acme Stores');
  const byErp = await order(KEYS.erp, 'web', a, 'Phone Customer');
  await hub!.inventory.settle();
  return { a, b, web, webWest, b2b, edi, byErp };
}

describe('orders by scope', () => {
  it('an EDI partner reads its own orders only: another channel’s order is 404 and never listed', async () => {
    hub = await buildTestApp();
    const o = await seed();
    const missing = await call('GET', '/v1/orders/SO-none', KEYS.acme);
    for (const url of [`/v1/orders/${o.web}`, `/v1/orders/${o.web}/timeline`, `/v1/orders/${o.b2b}`]) {
      const answer = await call('GET', url, KEYS.acme);
      expect(answer.status).toBe(404);
      // The same answer as for an order that does not exist: nothing tells them apart.
      expect(answer.body.type).toBe(missing.body.type);
      expect(answer.body.detail).not.toContain('Web Customer');
    }
    expect((await call('GET', `/v1/orders/${o.edi}`, KEYS.acme)).body.customer.name).toBe('Acme Stores');
    expect(ids((await call('GET', '/v1/orders', KEYS.acme)).body)).toEqual([o.edi]);
    expect((await call('GET', '/v1/orders?channel=web', KEYS.acme)).body.items).toEqual([]);
    // Reusing the id answers that it is taken, not who took it nor what it holds.
    const taken = await call(
      'POST',
      '/v1/orders',
      KEYS.acme,
      {
        orderId: o.web,
        channel: 'edi-acme',
        customer: { id: 'X', name: 'X' },
        lines: [{ lineId: '1', sku: o.a, quantity: 1, unitPrice: 5 }],
        shipTo,
      },
      { 'idempotency-key': randomUUID() },
    );
    expect(taken.status).toBe(409);
    expect(taken.body.detail).not.toMatch(/shop|Web Customer/);
    // An EDI partner reads no inventory by default.
    expect((await call('GET', `/v1/inventory/${o.a}`, KEYS.acme)).status).toBe(403);
  });

  it('a shop reads its channel’s orders (also those the ERP took for it), not another channel’s', async () => {
    hub = await buildTestApp();
    const o = await seed();
    expect(ids((await call('GET', '/v1/orders', KEYS.shop)).body)).toEqual(
      [o.web, o.webWest, o.byErp].sort(),
    );
    expect((await call('GET', `/v1/orders/${o.b2b}`, KEYS.shop)).status).toBe(404);
    expect((await call('GET', `/v1/orders/${o.edi}/timeline`, KEYS.shop)).status).toBe(404);
    expect((await call('GET', '/v1/orders?channel=b2b', KEYS.shop)).body.items).toEqual([]);
    expect((await call('GET', `/v1/orders/${o.byErp}`, KEYS.shop)).status).toBe(200);
    expect(ids((await call('GET', '/v1/orders', KEYS.portal)).body)).toEqual([o.b2b]);
  });

  it('a warehouse reads the orders with a line at its locations, page by page', async () => {
    hub = await buildTestApp();
    const o = await seed();
    const east = [o.web, o.b2b, o.edi, o.byErp].sort();
    expect(ids((await call('GET', '/v1/orders', KEYS.wmsEast)).body)).toEqual(east);
    expect(ids((await call('GET', '/v1/orders', KEYS.wmsWest)).body)).toEqual([o.webWest]);
    expect((await call('GET', `/v1/orders/${o.web}`, KEYS.wmsWest)).status).toBe(404);
    expect((await call('GET', `/v1/orders/${o.webWest}`, KEYS.wmsWest)).status).toBe(200);
    // The store cannot filter by location: pages are filled past the orders skipped, and `next` goes on.
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = (await call('GET', `/v1/orders?limit=1${next ? `&cursor=${next}` : ''}`, KEYS.wmsEast))
        .body;
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((i: { orderId: string }) => i.orderId));
      next = page.next;
    } while (next !== undefined);
    expect(seen.sort()).toEqual(east);
  });

  it('the ERP reads every order', async () => {
    hub = await buildTestApp();
    const o = await seed();
    const all = [o.web, o.webWest, o.b2b, o.edi, o.byErp].sort();
    expect(ids((await call('GET', '/v1/orders', KEYS.erp)).body)).toEqual(all);
    for (const id of all) expect((await call('GET', `/v1/orders/${id}/timeline`, KEYS.erp)).status).toBe(200);
  });
});

describe('reservations by scope', () => {
  it('a shop reads its channel’s holds; another channel’s are 404 to read, release or commit', async () => {
    hub = await buildTestApp();
    const s = freshSku();
    await count(s, 'DC-EAST', 10);
    const reserve = async (key: string, channel: string) => {
      const answer = await call('POST', '/v1/reservations', key, { channel, sku: s, quantity: 1 });
      expect(answer.status).toBe(201);
      return answer.body.id as string;
    };
    const b2b = await reserve(KEYS.portal, 'b2b');
    const web = await reserve(KEYS.shop, 'web');
    expect((await call('GET', `/v1/reservations/${web}`, KEYS.shop)).body.channel).toBe('web');
    expect((await call('GET', `/v1/reservations/${b2b}`, KEYS.shop)).status).toBe(404);
    expect((await call('DELETE', `/v1/reservations/${b2b}`, KEYS.shop)).status).toBe(404);
    expect(
      (await call('POST', `/v1/reservations/${b2b}/commit`, KEYS.shop, { orderId: 'SO-x' })).status,
    ).toBe(404);
    expect((await call('GET', `/v1/reservations/${web}`, KEYS.portal)).status).toBe(404);
    expect((await call('GET', `/v1/reservations/${web}`, KEYS.acme)).status).toBe(404);
    expect((await call('GET', `/v1/reservations/${b2b}`, KEYS.erp)).status).toBe(200);
    // Nothing was released by the refused calls.
    expect((await call('GET', `/v1/reservations/${b2b}`, KEYS.portal)).body.status).toBe('open');
  });
});

describe('inventory by scope', () => {
  it('a warehouse reads its locations’ positions and ledger only; the ERP reads both', async () => {
    hub = await buildTestApp();
    const o = await seed();
    const east = (await call('GET', `/v1/inventory/${o.a}`, KEYS.wmsEast)).body;
    expect(east.positions.map((p: { location: string }) => p.location)).toEqual(['DC-EAST']);
    expect(east.channels).toEqual([]);
    expect((await call('GET', `/v1/inventory/${o.b}`, KEYS.wmsEast)).status).toBe(404);
    const west = (await call('GET', `/v1/inventory/${o.b}`, KEYS.wmsWest)).body;
    expect(west.positions.map((p: { location: string }) => p.location)).toEqual(['DC-WEST']);

    const ledger = (await call('GET', `/v1/inventory/${o.a}/ledger`, KEYS.wmsEast)).body;
    expect(ledger.items.length).toBeGreaterThan(0);
    expect(new Set(ledger.items.map((e: { location: string }) => e.location))).toEqual(new Set(['DC-EAST']));
    expect((await call('GET', `/v1/inventory/${o.a}/ledger?location=DC-WEST`, KEYS.wmsEast)).status).toBe(
      404,
    );
    expect((await call('GET', `/v1/inventory/${o.b}/ledger`, KEYS.wmsEast)).status).toBe(404);
    expect((await call('GET', `/v1/availability?sku=${o.a}&channel=web`, KEYS.wmsEast)).status).toBe(403);

    const all = (await call('GET', `/v1/inventory/${o.a}`, KEYS.erp)).body;
    expect(all.positions.map((p: { location: string }) => p.location).sort()).toEqual(['DC-EAST', 'DC-WEST']);
    expect(all.channels).toHaveLength(3);
    const everything = (await call('GET', `/v1/inventory/${o.a}/ledger`, KEYS.erp)).body;
    expect(new Set(everything.items.map((e: { location: string }) => e.location))).toEqual(
      new Set(['DC-EAST', 'DC-WEST']),
    );
  });

  it('a shop reads the ATP of its channel, not positions, the ledger or another channel’s ATP', async () => {
    hub = await buildTestApp();
    const o = await seed();
    const view = (await call('GET', `/v1/inventory/${o.a}`, KEYS.shop)).body;
    expect(view.positions).toEqual([]);
    expect(view.channels.map((c: { channel: string }) => c.channel)).toEqual(['web']);
    expect((await call('GET', `/v1/inventory/${o.a}/ledger`, KEYS.shop)).status).toBe(403);
    expect((await call('GET', `/v1/availability?sku=${o.a}&channel=web`, KEYS.shop)).status).toBe(200);
    expect((await call('GET', `/v1/availability?sku=${o.a}&channel=b2b`, KEYS.shop)).status).toBe(403);
  });

  it('a warehouse reads the drift reports of its own snapshots only', async () => {
    hub = await buildTestApp();
    const s = freshSku();
    await count(s, 'DC-WEST', 5);
    const snapshot = await call('POST', '/v1/inventory/snapshots', KEYS.wmsWest, {
      counts: [{ sku: s, location: 'DC-WEST', onHand: 4 }],
    });
    expect(snapshot.status).toBe(201);
    expect((await call('GET', '/v1/inventory/drift', KEYS.wmsWest)).body.reports).toHaveLength(1);
    expect((await call('GET', '/v1/inventory/drift', KEYS.wmsEast)).body.reports).toEqual([]);
    expect((await call('GET', '/v1/inventory/drift?system=wms-west', KEYS.wmsEast)).body.reports).toEqual([]);
    expect((await call('GET', '/v1/inventory/drift', KEYS.erp)).body.reports).toHaveLength(1);
    expect((await call('GET', '/v1/inventory/drift', KEYS.shop)).status).toBe(403);
  });
});

describe('what other records embed', () => {
  it('a channel’s key sees its own deliveries on a timeline and order, not another target’s answers', {
    timeout: 30_000,
  }, async () => {
    const erp = await startSink(() => ({ status: 422, body: 'credit limit exceeded for Web Customer' }));
    const shop = await startSink(() => ({ status: 200 }));
    sinks.push(erp, shop);
    hub = await buildTestApp({
      yaml: testConfigYaml({
        subscriptions: `subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.milestone.v1]
    http: { url: ${erp.url}/erp }
  - name: shop-orders
    target: shop
    types: [com.manifold.order.milestone.v1]
    http: { url: ${shop.url}/shop }
`,
      }),
      delivery: { pollMs: 10 },
    });
    const s = freshSku();
    await count(s, 'DC-EAST', 10);
    const id = await order(KEYS.shop, 'web', s, 'Web Customer');
    const timelineOf = async (key: string) => (await call('GET', `/v1/orders/${id}/timeline`, key)).body;
    const deliveries = (timeline: { entries: { deliveries: { target: string; attempts: unknown[] }[] }[] }) =>
      timeline.entries.flatMap((e) => e.deliveries);
    await until(async () => {
      const all = deliveries(await timelineOf(KEYS.admin));
      return (
        all.some((d) => d.target === 'erp' && d.attempts.length > 0) && all.some((d) => d.target === 'shop')
      );
    }, 'both deliveries attempted');
    const admin = deliveries(await timelineOf(KEYS.admin));
    expect(admin.find((d) => d.target === 'erp')?.attempts[0]).toMatchObject({ httpStatus: 422 });
    const mine = deliveries(await timelineOf(KEYS.shop));
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((d) => d.target === 'shop')).toBe(true);
    // The ERP's refusal parked an exception on the order: shown to the ERP and the admin, not to the shop.
    await until(
      async () => (await call('GET', `/v1/orders/${id}`, KEYS.erp)).body.exceptions.length > 0,
      'the refusal parked',
    );
    const shopView = (await call('GET', `/v1/orders/${id}`, KEYS.shop)).body;
    expect(shopView.exceptions).toEqual([]);
    expect(shopView.holds).toEqual([]);
  });
});

describe('operations routes', () => {
  it('answer the admin key only: exceptions, the event log, audit, overview, alerts, replays', async () => {
    hub = await buildTestApp();
    const routes = [
      '/v1/exceptions',
      '/v1/exceptions/1',
      '/v1/events',
      '/v1/audit',
      '/v1/overview',
      '/v1/metrics/series',
      '/v1/backlog',
      '/v1/alerts',
      '/v1/replays/1',
    ];
    for (const key of [KEYS.erp, KEYS.shop, KEYS.acme, KEYS.wmsEast]) {
      for (const url of routes) expect([url, (await call('GET', url, key)).status]).toEqual([url, 403]);
    }
    expect((await call('GET', '/v1/exceptions', KEYS.admin)).status).toBe(200);
  });
});

describe('GET /metrics', () => {
  it('needs the admin key (or the metrics key) by default', async () => {
    hub = await buildTestApp();
    expect((await call('GET', '/metrics')).status).toBe(401);
    expect((await call('GET', '/metrics', KEYS.shop)).status).toBe(403);
    expect((await call('GET', '/metrics', KEYS.admin)).status).toBe(200);
  });

  it('is open with server.metricsPublic: true', async () => {
    hub = await buildTestApp({
      yaml: testConfigYaml().replace(
        `adminKey: ${KEYS.admin}`,
        `adminKey: ${KEYS.admin}\n  metricsPublic: true`,
      ),
    });
    const open = await call('GET', '/metrics');
    expect(open.status).toBe(200);
    expect(open.body).toContain('manifold_');
  });
});
