/**
 * Native webhooks in, through the real app on a real local port: a Shopify-shaped `orders/create` (field
 * names from Shopify's public webhook docs; X-Shopify-Hmac-Sha256 is the base64 HMAC-SHA256 of the raw body
 * with the app secret) becomes an order; repeats, bad signatures, secret rotation, a mapping that throws
 * (parked, then retried with a fixed configuration over the same store), a cancel ahead of its create, the
 * registration handshake, XML and token auth.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { compileConfig } from '../../src/config/load-config.js';
import { composeHub, type Hub } from '../../src/main/compose.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const SECRET = 'shpss_test_app_secret_1';
const NEW_SECRET = 'shpss_test_app_secret_2';

const CREATE_DATA = `|
            {
              "orderId": "WEB-" & $string(id),
              "channel": "web",
              "customer": { "id": $string(customer.id), "email": customer.email },
              "lines": [line_items.{
                "lineId": $string(id),
                "sku": sku,
                "quantity": quantity,
                "unitPrice": $number(price)
              }],
              "shipTo": {
                "name": shipping_address.name,
                "line1": shipping_address.address1,
                "city": shipping_address.city,
                "postalCode": shipping_address.zip,
                "country": shipping_address.country_code
              }
            }`;

interface Options {
  secrets?: string[];
  /** The create mapping's data expression (default: the working one). */
  createData?: string;
}

/** The test hub's YAML with `shop` receiving Shopify webhooks. */
function yaml(options: Options = {}): string {
  const secrets = options.secrets ?? [SECRET];
  const inbound = `
    inbound:
      auth: { hmac: { header: X-Shopify-Hmac-Sha256, secrets: [${secrets.join(', ')}], encoding: base64 } }
      handshake: { query: validationToken }
      routes:
        orders-create:
          type: com.manifold.order.accepted.v1
          id: $headers.'x-shopify-webhook-id'
          data: ${options.createData ?? CREATE_DATA}
        orders-cancelled:
          type: com.manifold.order.cancelled.v1
          id: $headers.'x-shopify-webhook-id'
          when: $exists(cancelled_at)
          data: '{ "orderId": "WEB-" & $string(id), "reason": cancel_reason }'
        orders-batch:
          emit:
            - type: com.manifold.order.accepted.v1
              each: orders
              id: "'batch-' & $string(id)"
              data: '{ "orderId": "WEB-" & $string(id), "channel": "web", "customer": { "id": $string(customer.id) }, "lines": [line_items.{ "lineId": $string(id), "sku": sku, "quantity": quantity, "unitPrice": $number(price) }], "shipTo": { "name": shipping_address.name, "line1": shipping_address.address1, "city": shipping_address.city, "postalCode": shipping_address.zip, "country": shipping_address.country_code } }'
            - type: com.manifold.order.cancelled.v1
              when: $exists(cancel)
              id: "'batch-cancel-' & $string(cancel.id)"
              data: '{ "orderId": "WEB-" & $string(cancel.id), "reason": cancel.reason }'
        stock-levels:
          type: com.manifold.inventory.adjusted.v1
          id: "'stock-' & $string(id)"
          data: '{ "sku": sku, "location": "DC-EAST", "delta": delta, "reason": "correction" }'
        orders-xml:
          format: xml
          type: com.manifold.order.cancelled.v1
          id: "'xml-' & order.id"
          data: '{ "orderId": "WEB-" & order.id, "reason": order.reason }'
  portal:
    kind: commerce
    key: ${KEYS.portal}
    channel: b2b
    inbound:
      auth: { token: { header: x-portal-token, value: portal-shared-token } }
      routes:
        cancel:
          type: com.manifold.order.cancelled.v1
          data: '{ "orderId": orderId, "reason": "portal" }'`;
  return testConfigYaml().replace(
    `  shop: { kind: commerce, key: ${KEYS.shop}, channel: web }\n  portal: { kind: commerce, key: ${KEYS.portal}, channel: b2b }`,
    () => `  shop:\n    kind: commerce\n    key: ${KEYS.shop}\n    channel: web${inbound}`,
  );
}

interface RunningHub {
  base: string;
  hub: Hub;
  close(): Promise<void>;
}

const dirs: string[] = [];
const running: RunningHub[] = [];

afterEach(async () => {
  for (const h of running.splice(0)) await h.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-webhooks-'));
  dirs.push(dir);
  return dir;
}

/** The hub (composition root and app) listening on a local port, over the SQLite file in `dir`. */
async function startHub(dir: string, options: Options = {}): Promise<RunningHub> {
  const config = compileConfig(yaml(options), 'test.yaml', {});
  const store = new SqliteStore({ path: join(dir, 'hub.db') });
  await store.migrate();
  const logger = pino({ level: 'silent' });
  const hub = composeHub(config, store, { logger, delivery: false });
  const { app } = await buildApp({ services: hub, logger });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const h: RunningHub = {
    base: address,
    hub,
    close: async () => {
      await app.close();
      await hub.stop(2000);
      await store.close();
    },
  };
  running.push(h);
  return h;
}

/** A Shopify orders/create payload (as Shopify sends it: numbers for ids, strings for prices). */
function shopifyOrder(id: number, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name: `#${id}`,
    email: 'jane@example.com',
    currency: 'EUR',
    created_at: '2026-12-03T03:00:00+01:00',
    customer: { id: 7001, email: 'jane@example.com', first_name: 'Jane', last_name: 'Doe' },
    line_items: [
      { id: 11, sku: 'SKU-RED', quantity: 2, price: '19.99', title: 'Red mug' },
      { id: 12, sku: 'SKU-BLUE', quantity: 1, price: '5.00', title: 'Blue mug' },
    ],
    shipping_address: {
      name: 'Jane Doe',
      address1: '1 Main St',
      city: 'Berlin',
      zip: '10115',
      country_code: 'DE',
      province_code: null,
    },
    ...overrides,
  };
}

function sign(body: string, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}

async function post(
  hub: RunningHub,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; json: Record<string, unknown>; text: string; type: string | null }> {
  const response = await fetch(`${hub.base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {}
  return { status: response.status, json, text, type: response.headers.get('content-type') };
}

async function shopify(hub: RunningHub, route: string, payload: unknown, webhookId: string, secret = SECRET) {
  const body = JSON.stringify(payload);
  return post(hub, `/v1/inbound/shop/${route}`, body, {
    'x-shopify-hmac-sha256': sign(body, secret),
    'x-shopify-webhook-id': webhookId,
    'x-shopify-topic': route.replace('-', '/'),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are inspected field by field
async function get(hub: RunningHub, path: string): Promise<{ status: number; json: any }> {
  const response = await fetch(`${hub.base}${path}`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
  return { status: response.status, json: await response.json() };
}

describe('native webhooks in', { timeout: 30_000 }, () => {
  it('a Shopify orders/create becomes an order; the raw request is kept and linked from the timeline', async () => {
    const hub = await startHub(newDir());
    const answer = await shopify(hub, 'orders-create', shopifyOrder(820982911946154500), 'wh-1');
    expect(answer.status).toBe(202);
    expect(answer.json).toEqual({ status: 'accepted', events: [{ id: 'wh-1', seq: expect.any(Number) }] });
    await hub.hub.orders.settle();
    const order = await get(hub, '/v1/orders/WEB-820982911946154500');
    expect(order.status).toBe(200);
    expect(order.json.channel).toBe('web');
    expect(order.json.lines.map((l: { sku: string; ordered: number }) => [l.sku, l.ordered])).toEqual([
      ['SKU-RED', 2],
      ['SKU-BLUE', 1],
    ]);
    const timeline = await get(hub, '/v1/orders/WEB-820982911946154500/timeline');
    const accepted = timeline.json.entries.find(
      (e: { type: string }) => e.type === 'com.manifold.order.accepted.v1',
    );
    expect(accepted.request).toEqual(expect.any(String));
    const kept = await get(hub, `/v1/inbound-requests/${accepted.request}`);
    expect(kept.status).toBe(200);
    expect(JSON.parse(kept.json.body).id).toBe(820982911946154500);
    expect(kept.json).toMatchObject({ system: 'shop', route: 'orders-create', outcome: 'accepted' });
    expect(kept.json.headers['x-shopify-webhook-id']).toBe('wh-1');
    // The signature is a secret of sorts: never kept.
    expect(kept.json.headers['x-shopify-hmac-sha256']).toBeUndefined();
    // The mapping preview's listing by system and route.
    const listed = await get(hub, '/v1/inbound-requests?system=shop&route=orders-create');
    expect(listed.json.items.map((r: { id: string }) => r.id)).toEqual([accepted.request]);
  });

  it('the same webhook id twice makes one order: the repeat is answered 200 duplicate', async () => {
    const hub = await startHub(newDir());
    const first = await shopify(hub, 'orders-create', shopifyOrder(1001), 'wh-dup');
    const again = await shopify(hub, 'orders-create', shopifyOrder(1001), 'wh-dup');
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ status: 'duplicate', events: [{ id: 'wh-dup', seq: expect.any(Number) }] });
    const events = await get(hub, '/v1/events?type=com.manifold.order.accepted.v1');
    expect(events.json.items).toHaveLength(1);
  });

  it('a bad signature is 401 problem+json and nothing is stored', async () => {
    const hub = await startHub(newDir());
    const body = JSON.stringify(shopifyOrder(1002));
    const forged = await post(hub, '/v1/inbound/shop/orders-create', body, {
      'x-shopify-hmac-sha256': sign(`${body} `),
      'x-shopify-webhook-id': 'wh-forged',
    });
    expect(forged.status).toBe(401);
    expect(forged.type).toContain('application/problem+json');
    const unsigned = await post(hub, '/v1/inbound/shop/orders-create', body, {
      'x-shopify-webhook-id': 'wh-x',
    });
    expect(unsigned.status).toBe(401);
    expect((await get(hub, '/v1/events')).json.items).toEqual([]);
    expect((await get(hub, '/v1/exceptions')).json.items).toEqual([]);
    expect((await get(hub, '/v1/inbound-requests?system=shop')).json.items).toEqual([]);
  });

  it('while a secret is rotated, signatures by either of the two pass, and only those', async () => {
    const hub = await startHub(newDir(), { secrets: [SECRET, NEW_SECRET] });
    expect((await shopify(hub, 'orders-create', shopifyOrder(2001), 'wh-old', SECRET)).status).toBe(202);
    expect((await shopify(hub, 'orders-create', shopifyOrder(2002), 'wh-new', NEW_SECRET)).status).toBe(202);
    expect((await shopify(hub, 'orders-create', shopifyOrder(2003), 'wh-other', 'retired')).status).toBe(401);
  });

  it('a mapping that throws parks the request; a retry after the configuration is fixed creates the order', async () => {
    const dir = newDir();
    const broken = await startHub(dir, { createData: `'$error("no mapping for this shop yet")'` });
    const parked = await shopify(broken, 'orders-create', shopifyOrder(3001), 'wh-parked');
    expect(parked.status).toBe(202);
    expect(parked.json).toMatchObject({
      status: 'parked',
      exception: expect.any(Number),
      code: 'mapping_failed',
    });
    const exception = await get(broken, `/v1/exceptions/${parked.json.exception}`);
    expect(exception.json).toMatchObject({ code: 'mapping_failed', system: 'shop', status: 'open' });
    expect(exception.json.detail).toContain('routes.orders-create.data');
    expect(exception.json.detail).toContain('no mapping for this shop yet');
    // Still broken: the retry answers 409 and the exception stays open.
    const still = await fetch(`${broken.base}/v1/exceptions/${parked.json.exception}/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    expect(still.status).toBe(409);
    await broken.close();
    running.splice(running.indexOf(broken), 1);

    const fixed = await startHub(dir);
    const retried = await fetch(`${fixed.base}/v1/exceptions/${parked.json.exception}/retry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    expect(retried.status).toBe(200);
    await fixed.hub.orders.settle();
    expect((await get(fixed, '/v1/orders/WEB-3001')).status).toBe(200);
    const requests = (await get(fixed, '/v1/inbound-requests?system=shop')).json.items;
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ outcome: 'accepted', exceptionId: parked.json.exception });
    expect(requests[0].events).toEqual([{ id: 'wh-parked', seq: expect.any(Number) }]);
  });

  it('data failing its contract is parked as webhook_rejected with the pointer', async () => {
    const hub = await startHub(newDir());
    const answer = await shopify(
      hub,
      'orders-create',
      shopifyOrder(3002, { line_items: [{ id: 1, sku: 'SKU-RED', quantity: 0, price: '1.00' }] }),
      'wh-bad-qty',
    );
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ status: 'parked', code: 'webhook_rejected' });
    expect(String(answer.json.detail)).toContain('/data/lines/0/quantity');
    expect((await get(hub, '/v1/events')).json.items).toEqual([]);
    // The request was kept beside the refused commit: it now says parked, under its exception.
    const kept = (await get(hub, '/v1/inbound-requests?system=shop')).json.items;
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ outcome: 'parked', exceptionId: answer.json.exception, events: [] });
  });

  it('an event about a fact the system does not own is parked as webhook_rejected, nothing applied', async () => {
    // The shop maps its stock webhook to an inventory adjustment, but on-hand stock is the WMS's fact.
    const hub = await startHub(newDir());
    const body = JSON.stringify({ id: 42, sku: 'SKU-RED', delta: 5 });
    const answer = await post(hub, '/v1/inbound/shop/stock-levels', body, {
      'x-shopify-hmac-sha256': sign(body),
    });
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({
      status: 'parked',
      exception: expect.any(Number),
      code: 'webhook_rejected',
    });
    expect(String(answer.json.detail)).toMatch(/own/i);
    const exception = await get(hub, `/v1/exceptions/${answer.json.exception}`);
    expect(exception.json).toMatchObject({ code: 'webhook_rejected', system: 'shop', status: 'open' });
    expect((await get(hub, '/v1/events')).json.items).toEqual([]);
    const kept = (await get(hub, '/v1/inbound-requests?system=shop')).json.items;
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ outcome: 'parked', exceptionId: answer.json.exception, events: [] });
  });

  it('an emit: route makes several events of one request: one per element (each), one more when its when holds', async () => {
    const hub = await startHub(newDir());
    const body = JSON.stringify({
      orders: [shopifyOrder(5001), shopifyOrder(5002)],
      cancel: { id: 5001, reason: 'customer' },
    });
    const answer = await post(hub, '/v1/inbound/shop/orders-batch', body, {
      'x-shopify-hmac-sha256': sign(body),
    });
    expect(answer.status).toBe(202);
    expect(answer.json).toEqual({
      status: 'accepted',
      events: [
        { id: 'batch-5001', seq: expect.any(Number) },
        { id: 'batch-5002', seq: expect.any(Number) },
        { id: 'batch-cancel-5001', seq: expect.any(Number) },
      ],
    });
    await hub.hub.orders.settle();
    expect((await get(hub, '/v1/orders/WEB-5001')).json.status).toBe('cancelled');
    expect((await get(hub, '/v1/orders/WEB-5002')).json.status).not.toBe('cancelled');
    const shopEvents = (await get(hub, '/v1/events')).json.items
      .map((e: { event?: { source: string; type: string } }) => e.event)
      .filter((e: { source: string } | undefined) => e?.source === '/shop');
    expect(shopEvents.map((e: { type: string }) => e.type)).toEqual([
      'com.manifold.order.accepted.v1',
      'com.manifold.order.accepted.v1',
      'com.manifold.order.cancelled.v1',
    ]);
    // Without `cancel` the second rule's `when` is false: one event.
    const single = JSON.stringify({ orders: [shopifyOrder(5003)] });
    const one = await post(hub, '/v1/inbound/shop/orders-batch', single, {
      'x-shopify-hmac-sha256': sign(single),
    });
    expect(one.json).toEqual({ status: 'accepted', events: [{ id: 'batch-5003', seq: expect.any(Number) }] });
    // The request is kept once, linked to its three events.
    const kept = (await get(hub, '/v1/inbound-requests?system=shop&route=orders-batch')).json.items;
    expect(kept[0].events.map((e: { id: string }) => e.id)).toEqual([
      'batch-5001',
      'batch-5002',
      'batch-cancel-5001',
    ]);
  });

  it('a store that fails answers 503, so the sender sends again', async () => {
    const hub = await startHub(newDir());
    await hub.hub.store.close();
    const mapped = await shopify(hub, 'orders-create', shopifyOrder(7001), 'wh-7001');
    expect(mapped.status).toBe(503);
    expect(mapped.type).toContain('application/problem+json');
    const body = '{"id": 1,';
    const unparsable = await post(hub, '/v1/inbound/shop/orders-create', body, {
      'x-shopify-hmac-sha256': sign(body),
    });
    expect(unparsable.status).toBe(503);
  });

  it('a cancel that arrives before its create is applied once the create arrives', async () => {
    const hub = await startHub(newDir());
    const cancel = await shopify(
      hub,
      'orders-cancelled',
      { ...shopifyOrder(4001), cancelled_at: '2026-12-03T03:05:00+01:00', cancel_reason: 'customer' },
      'wh-cancel',
    );
    expect(cancel.status).toBe(202);
    await hub.hub.orders.settle();
    const waiting = await get(hub, '/v1/exceptions?code=unknown_order&subject=WEB-4001');
    expect(waiting.json.items).toHaveLength(1);
    expect(waiting.json.items[0].status).toBe('open');

    expect((await shopify(hub, 'orders-create', shopifyOrder(4001), 'wh-create')).status).toBe(202);
    await hub.hub.orders.settle();
    const order = await get(hub, '/v1/orders/WEB-4001');
    expect(order.json.milestone).toBe('cancelled');
    const after = await get(hub, '/v1/exceptions?code=unknown_order&subject=WEB-4001');
    // Closed by the hub itself, not left for an operator.
    expect(after.json.items[0]).toMatchObject({
      status: 'resolved',
      resolution: 'retried',
      resolvedBy: 'manifold',
    });
  });

  it('a route whose when is false ignores the request (200), which is still kept', async () => {
    const hub = await startHub(newDir());
    const answer = await shopify(hub, 'orders-cancelled', shopifyOrder(5001), 'wh-not-cancelled');
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'ignored' });
    const kept = (await get(hub, '/v1/inbound-requests?system=shop')).json.items;
    expect(kept.map((r: { outcome: string }) => r.outcome)).toEqual(['ignored']);
  });

  it('answers the registration handshake by echoing validationToken as text/plain', async () => {
    const hub = await startHub(newDir());
    const response = await fetch(
      `${hub.base}/v1/inbound/shop/orders-create?validationToken=Validation%3A%20abc-123`,
      {
        method: 'POST',
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toBe('Validation: abc-123');
  });

  it('reads an XML body, and a token in a header', async () => {
    const hub = await startHub(newDir());
    await shopify(hub, 'orders-create', shopifyOrder(6001), 'wh-6001');
    const xml = '<?xml version="1.0"?><order><id>6001</id><reason>out of stock</reason></order>';
    const answer = await post(hub, '/v1/inbound/shop/orders-xml', xml, {
      'content-type': 'application/xml',
      'x-shopify-hmac-sha256': sign(xml),
    });
    expect(answer.status).toBe(202);
    await hub.hub.orders.settle();
    expect((await get(hub, '/v1/orders/WEB-6001')).json.milestone).toBe('cancelled');

    const body = JSON.stringify({ orderId: 'B2B-1' });
    expect((await post(hub, '/v1/inbound/portal/cancel', body, { 'x-portal-token': 'wrong' })).status).toBe(
      401,
    );
    const portal = await post(hub, '/v1/inbound/portal/cancel', body, {
      'x-portal-token': 'portal-shared-token',
    });
    expect(portal.status).toBe(202);
    const kept = (await get(hub, '/v1/inbound-requests?system=portal')).json.items;
    expect(kept[0].headers['x-portal-token']).toBeUndefined();
  });

  it('the general route POST /v1/connectors/webhook/{system}/{route} is the same entry: signed, no key', async () => {
    const hub = await startHub(newDir());
    const body = JSON.stringify(shopifyOrder(7001));
    const signed = { 'x-shopify-hmac-sha256': sign(body), 'x-shopify-webhook-id': 'wh-7001' };
    const answer = await post(hub, '/v1/connectors/webhook/shop/orders-create', body, signed);
    expect(answer.status).toBe(202);
    expect(answer.json).toEqual({ status: 'accepted', events: [{ id: 'wh-7001', seq: expect.any(Number) }] });
    expect((await shopify(hub, 'orders-create', shopifyOrder(7001), 'wh-7001')).json.status).toBe(
      'duplicate',
    );
    const forged = await post(hub, '/v1/connectors/webhook/shop/orders-create', `${body} `, signed);
    expect(forged.status).toBe(401);
    expect(forged.type).toContain('application/problem+json');
    // Both requests kept (the route name came from the path), the forged one not.
    const kept = (await get(hub, '/v1/inbound-requests?system=shop')).json.items;
    expect(kept.map((r: { route: string; outcome: string }) => [r.route, r.outcome])).toEqual([
      ['orders-create', 'accepted'],
      ['orders-create', 'duplicate'],
    ]);
  });

  it('a body that does not parse is parked; an unknown system or one without inbound: is 404', async () => {
    const hub = await startHub(newDir());
    const body = '{"id": 1,';
    const answer = await post(hub, '/v1/inbound/shop/orders-create', body, {
      'x-shopify-hmac-sha256': sign(body),
    });
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ status: 'parked', code: 'mapping_failed' });
    expect(String(answer.json.detail)).toContain('not valid JSON');
    expect((await post(hub, '/v1/inbound/nobody/x', '{}', {})).status).toBe(404);
    expect((await post(hub, '/v1/inbound/erp/x', '{}', {})).status).toBe(404);
  });
});
