/**
 * The Shopify recipe end to end (docs/recipes/shopify.md): the real hub process (`bin/manifold serve`) on
 * examples/recipes/shopify.yaml as shipped, its `${…}` settings pointing at a fake Shopify
 * (test/fakes/shopify/) that validates every GraphQL document against the 2026-04 schema, keeps inventory
 * levels, sells between the hub's read and write, throttles by calculated cost and signs its webhooks.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeShopify } from '../fakes/shopify/server.js';
import { editedOrderPayload, orderPayload, sendWebhook } from '../fakes/shopify/webhooks.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { until } from '../support/until.js';

const RECIPE = new URL('../../examples/recipes/shopify.yaml', import.meta.url).pathname;
const TOKEN = 'shpat_fake_0123456789abcdef';
const SECRET = 'shopify-webhook-secret-for-tests';
const ADMIN = 'admin-key-recipe-shopify-01';
const WMS = 'wms-key-recipe-shopify-0001';
const LOCATION = 'gid://shopify/Location/71';
const ITEM_A = 'gid://shopify/InventoryItem/4401';
const ITEM_B = 'gid://shopify/InventoryItem/4402';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are inspected field by field
type Json = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), 'manifold-recipe-shopify-'));
const fake = new FakeShopify({ accessToken: TOKEN, maximumAvailable: 1000, restoreRate: 200 });
let releases: Server;
let hub: HubProcess;

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function api(method: string, path: string, key: string, body?: unknown, type = 'application/json') {
  const response = await fetch(`${hub.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': type }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as Json),
  };
}

/** The WMS counts `onHand` of `sku` at DC-1 (its availability then follows to Shopify). */
async function count(sku: string, onHand: number): Promise<void> {
  const response = await api(
    'POST',
    '/v1/events',
    WMS,
    {
      specversion: '1.0',
      id: `wms-${randomUUID()}`,
      source: '/wms',
      type: 'com.manifold.inventory.counted.v1',
      data: { sku, location: 'DC-1', onHand },
    },
    'application/cloudevents+json',
  );
  expect(response.status, JSON.stringify(response.body)).toBe(202);
}

async function openExceptions(): Promise<Json[]> {
  return ((await api('GET', '/v1/exceptions?status=open', ADMIN)).body?.items ?? []) as Json[];
}

/** The web channel's availability of `sku` as the hub has it. */
async function available(sku: string): Promise<number | undefined> {
  const answer = await api('GET', `/v1/inventory/${sku}`, ADMIN);
  const channels = answer.body?.channels as
    | { channel: string; available: number }[]
    | Record<string, number>
    | undefined;
  if (Array.isArray(channels)) return channels.find((c) => c.channel === 'web')?.available;
  return (channels as Record<string, { available?: number } | number> | undefined)?.web as number | undefined;
}

const inbound = (route: string) => `${hub.url}/v1/inbound/shopify/${route}`;

beforeAll(async () => {
  await fake.start();
  fake.shop.stock(ITEM_A, 'SKU-A', LOCATION, 0);
  fake.shop.stock(ITEM_B, 'SKU-B', LOCATION, 0);
  releases = createServer((_req, res) => res.writeHead(204).end());
  await new Promise<void>((resolve) => releases.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    MANIFOLD_SQLITE: join(dir, 'hub.db'),
    MANIFOLD_PORT: String(await freePort()),
    MANIFOLD_ADMIN_KEY: ADMIN,
    SHOPIFY_SHOP_URL: fake.url,
    SHOPIFY_ACCESS_TOKEN: TOKEN,
    SHOPIFY_WEBHOOK_SECRET: SECRET,
    SHOPIFY_KEY: 'shopify-key-recipe-00001',
    WMS_KEY: WMS,
    WMS_RELEASE_URL: `http://127.0.0.1:${(releases.address() as { port: number }).port}/releases`,
  });
  hub = await startHubProcess(RECIPE);
  for (const [table, key, value] of [
    ['shopify-location', 'web', LOCATION],
    ['shopify-inventory-item', 'SKU-A', ITEM_A],
    ['shopify-inventory-item', 'SKU-B', ITEM_B],
  ] as const) {
    expect((await api('PUT', `/v1/xref/${table}/${key}`, ADMIN, value)).status).toBe(200);
  }
}, 40_000);

afterAll(async () => {
  try {
    if (hub) await hub.kill('SIGTERM');
    await fake.stop();
    await new Promise((resolve) => releases.close(resolve));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

describe('the Shopify recipe against a fake Shopify', { timeout: 30_000 }, () => {
  it('sets availability with compare-and-swap, and skips a SKU Shopify does not sell', async () => {
    await count('SKU-A', 50);
    await count('SKU-C', 10); // no inventory item for SKU-C: nothing is sent
    await until(() => fake.shop.level(ITEM_A, LOCATION) === 50, 'SKU-A available 50 in Shopify');
    const set = fake.calls.find((c) => c.field === 'inventorySetQuantities' && c.outcome === 'ok');
    const input = (set?.variables.input ?? {}) as { name: string; quantities: Record<string, unknown>[] };
    expect(input.name).toBe('available');
    expect(input.quantities).toEqual([
      { inventoryItemId: ITEM_A, locationId: LOCATION, quantity: 50, changeFromQuantity: 0 },
    ]);
    expect(set?.idempotencyKey).toMatch(/:0$/);
    // Every document validated against the 2026-04 schema, with the token, on the pinned path.
    expect(fake.calls.filter((c) => c.outcome === 'invalid' || c.outcome === 'error')).toEqual([]);
    expect(fake.refused).toEqual([]);
    await until(async () => (await available('SKU-C')) === 10, 'SKU-C counted');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(JSON.stringify(fake.calls.map((c) => c.variables))).not.toContain('SKU-C');
    expect(await openExceptions()).toEqual([]);
  });

  it('re-reads and sets again when Shopify sold between the read and the write, without an exception', async () => {
    fake.shop.sellBeforeNextSet(ITEM_A, LOCATION, 2);
    const before = fake.shop.sets.length;
    await count('SKU-A', 60);
    await until(() => fake.shop.level(ITEM_A, LOCATION) === 60, 'SKU-A available 60 in Shopify');
    const sets = fake.shop.sets.slice(before).filter((s) => !s.replayed);
    expect(sets.map((s) => s.userErrors.map((e) => e.code))).toEqual([['CHANGE_FROM_QUANTITY_STALE'], []]);
    expect(sets.map((s) => s.quantities[0]?.changeFromQuantity)).toEqual([50, 48]);
    expect(await openExceptions()).toEqual([]);
  });

  it('waits out THROTTLED for the time its cost data gives, then sets', async () => {
    fake.drainBeforeNext('inventorySetQuantities');
    const before = fake.calls.length;
    await count('SKU-B', 30);
    await until(() => fake.shop.level(ITEM_B, LOCATION) === 30, 'SKU-B available 30 in Shopify', 15_000);
    const calls = fake.calls.slice(before);
    const throttled = calls.findIndex((c) => c.outcome === 'throttled');
    expect(throttled).toBeGreaterThanOrEqual(0);
    const first = calls[throttled] as (typeof calls)[number];
    const cost = (first.body as { extensions: { cost: Json } }).extensions.cost;
    const waitMs =
      ((cost.requestedQueryCost - cost.throttleStatus.currentlyAvailable) / cost.throttleStatus.restoreRate) *
      1000;
    expect(waitMs).toBeGreaterThan(0);
    expect((calls[throttled + 1]?.at ?? 0) - first.at).toBeGreaterThanOrEqual(waitMs - 20);
    expect(await openExceptions()).toEqual([]);
  });

  it('refuses a webhook whose HMAC is not the shared secret', async () => {
    const answer = await sendWebhook(inbound('orders-create'), SECRET, {
      topic: 'orders/create',
      payload: orderPayload({
        id: 5800000000099,
        lines: [{ id: 1, sku: 'SKU-A', quantity: 1, price: '9.00' }],
      }),
      secret: 'not-the-secret',
    });
    expect(answer.status).toBe(401);
    expect((await api('GET', '/v1/orders/WEB-5800000000099', ADMIN)).status).toBe(404);
  });

  it('takes orders/create as a canonical order, a redelivery as a duplicate, and ships it as a fulfillment', async () => {
    const orderId = 5800000000001;
    const payload = orderPayload({
      id: orderId,
      lines: [
        { id: 13000000000101, sku: 'SKU-A', quantity: 2, price: '19.90' },
        { id: 13000000000102, sku: 'SKU-B', quantity: 1, price: '5.00' },
      ],
      note: 'leave at the back door',
    });
    const first = await sendWebhook(inbound('orders-create'), SECRET, { topic: 'orders/create', payload });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body.status).toBe('accepted');
    const again = await sendWebhook(inbound('orders-create'), SECRET, {
      topic: 'orders/create',
      payload,
      eventId: first.eventId,
    });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('duplicate');
    const order = await api('GET', `/v1/orders/WEB-${orderId}`, ADMIN);
    expect(order.status).toBe(200);
    expect(JSON.stringify(order.body)).toContain('13000000000101');
    // The commercial fields of the webhook reach the canonical order.
    expect(order.body).toMatchObject({
      currency: 'USD',
      orderedAt: payload.created_at,
      payment: { status: 'paid' },
      charges: [{ type: 'freight', amount: 4.9, description: 'Standard Shipping' }],
      taxes: [{ type: 'OH State Tax', rate: 5.75, amount: 2.57 }],
      discounts: [{ code: 'WELCOME5', amount: 5 }],
      notes: 'leave at the back door',
      billTo: { name: 'Ada Lovelace', line1: '1 Difference Engine Way', city: 'Dayton', region: 'OH' },
    });
    expect(order.body?.billTo).not.toHaveProperty('line2');

    // Shopify's fulfillment orders: an older one closed, the open one holding both lines.
    fake.shop.orders.set(`gid://shopify/Order/${orderId}`, {
      name: '#1001',
      fulfillmentOrders: [
        {
          id: 'gid://shopify/FulfillmentOrder/900',
          status: 'CLOSED',
          location: LOCATION,
          lines: [
            {
              id: 'gid://shopify/FulfillmentOrderLineItem/90',
              lineItemId: 'gid://shopify/LineItem/13000000000100',
              sku: 'GIFT',
              total: 1,
              remaining: 0,
            },
          ],
        },
        {
          id: 'gid://shopify/FulfillmentOrder/901',
          status: 'OPEN',
          location: LOCATION,
          lines: [
            {
              id: 'gid://shopify/FulfillmentOrderLineItem/91',
              lineItemId: 'gid://shopify/LineItem/13000000000101',
              sku: 'SKU-A',
              total: 2,
              remaining: 2,
            },
            {
              id: 'gid://shopify/FulfillmentOrderLineItem/92',
              lineItemId: 'gid://shopify/LineItem/13000000000102',
              sku: 'SKU-B',
              total: 1,
              remaining: 1,
            },
          ],
        },
      ],
    });
    const shipped = await api(
      'POST',
      '/v1/events',
      WMS,
      {
        specversion: '1.0',
        id: `wms-${randomUUID()}`,
        source: '/wms',
        type: 'com.manifold.order.shipped.v1',
        data: {
          orderId: `WEB-${orderId}`,
          location: 'DC-1',
          lines: [{ lineId: '13000000000101', quantity: 2 }],
          carrier: 'UPS',
          tracking: '1Z999AA10123456784',
        },
      },
      'application/cloudevents+json',
    );
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(202);
    await until(() => fake.shop.fulfillments.length === 1, 'a fulfillment in Shopify', 15_000);
    expect(fake.shop.fulfillments[0]).toMatchObject({
      fulfillmentOrderId: 'gid://shopify/FulfillmentOrder/901',
      lines: [{ id: 'gid://shopify/FulfillmentOrderLineItem/91', quantity: 2 }],
      tracking: { company: 'UPS', number: '1Z999AA10123456784' },
      notifyCustomer: true,
    });
    expect(await openExceptions()).toEqual([]);
  });

  it('takes orders/cancelled as the cancellation of the order', async () => {
    const orderId = 5800000000002;
    const payload = orderPayload({
      id: orderId,
      lines: [{ id: 13000000000201, sku: 'SKU-B', quantity: 1, price: '5.00' }],
    });
    expect(
      (await sendWebhook(inbound('orders-create'), SECRET, { topic: 'orders/create', payload })).status,
    ).toBe(202);
    const cancelled = await sendWebhook(inbound('orders-cancelled'), SECRET, {
      topic: 'orders/cancelled',
      payload: { ...payload, cancelled_at: new Date().toISOString(), cancel_reason: 'customer' },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(202);
    await until(
      async () =>
        JSON.stringify((await api('GET', `/v1/orders/WEB-${orderId}`, ADMIN)).body).includes('cancel'),
      'order cancelled',
    );
  });
  it('takes orders/updated as a change of quantities, removed lines and ship-to; a redelivery is a duplicate', async () => {
    const orderId = 5800000000003;
    const hubId = `WEB-${orderId}`;
    const created = orderPayload({
      id: orderId,
      lines: [
        { id: 13000000000301, sku: 'SKU-A', quantity: 3, price: '19.90' },
        { id: 13000000000302, sku: 'SKU-B', quantity: 2, price: '5.00' },
      ],
    });
    expect(
      (await sendWebhook(inbound('orders-create'), SECRET, { topic: 'orders/create', payload: created }))
        .status,
    ).toBe(202);
    const acks = async () =>
      ((await api('GET', `/v1/events?subject=${hubId}&type=com.manifold.order.change-acknowledged.v1`, ADMIN))
        .body?.items ?? []) as Json[];
    const active = async () =>
      (((await api('GET', `/v1/orders/${hubId}`, ADMIN)).body?.lines ?? []) as Json[]).map((l) => [
        l.lineId,
        l.ordered - l.cancelled,
      ]);

    // An update that changes nothing the hub keeps (a tag, a note): applied, nothing moves.
    const tagged = await sendWebhook(inbound('orders-updated'), SECRET, {
      topic: 'orders/updated',
      payload: { ...created, tags: 'vip', updated_at: new Date().toISOString() },
    });
    expect(tagged.status, JSON.stringify(tagged.body)).toBe(202);
    await until(async () => (await acks()).length === 1, 'the first change acknowledged');
    expect((await acks())[0]?.event.data.status).toBe('applied');
    expect(await active()).toEqual([
      ['13000000000301', 3],
      ['13000000000302', 2],
    ]);

    // An order edit in Shopify: line 301 down to 1, line 302 removed, a new shipping address.
    const edited = editedOrderPayload(created, {
      quantities: { 13000000000301: 1, 13000000000302: 0 },
      shippingAddress: { address1: '7 Harbour Street', city: 'Dayton', zip: '45402' },
    });
    const update = await sendWebhook(inbound('orders-updated'), SECRET, {
      topic: 'orders/updated',
      payload: edited,
    });
    expect(update.status, JSON.stringify(update.body)).toBe(202);
    await until(async () => (await acks()).length === 2, 'the edit acknowledged');
    expect((await acks())[1]?.event.data).toMatchObject({
      status: 'applied',
      lines: [
        { lineId: '13000000000301', action: 'update', status: 'accepted', quantity: 1 },
        { lineId: '13000000000302', action: 'update', status: 'accepted', quantity: 0 },
      ],
    });
    expect(await active()).toEqual([
      ['13000000000301', 1],
      ['13000000000302', 0],
    ]);
    const order = (await api('GET', `/v1/orders/${hubId}`, ADMIN)).body as Json;
    expect(order.shipTo).toMatchObject({ line1: '7 Harbour Street', city: 'Dayton', postalCode: '45402' });

    // Shopify delivers the same event again (same X-Shopify-Event-Id): a duplicate, nothing applied twice.
    const again = await sendWebhook(inbound('orders-updated'), SECRET, {
      topic: 'orders/updated',
      payload: edited,
      eventId: update.eventId,
    });
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('duplicate');
    // Once cancelled in Shopify, its updates are orders/cancelled's: ignored here.
    const late = await sendWebhook(inbound('orders-updated'), SECRET, {
      topic: 'orders/updated',
      payload: { ...edited, cancelled_at: new Date().toISOString(), cancel_reason: 'customer' },
    });
    expect(late.status).toBe(200);
    expect(late.body.status).toBe('ignored');
    expect((await acks()).length).toBe(2);
    expect((await openExceptions()).filter((e) => JSON.stringify(e).includes(hubId))).toEqual([]);
  });

  it('parks other user errors (failIf); a compare still stale after 3 repeats is retried later, no exception', async () => {
    // An inventory item Shopify does not have: INVALID_INVENTORY_ITEM, refused for good.
    expect(
      (await api('PUT', '/v1/xref/shopify-inventory-item/SKU-D', ADMIN, 'gid://shopify/InventoryItem/9999'))
        .status,
    ).toBe(200);
    await count('SKU-D', 5);
    await until(
      async () => JSON.stringify(await openExceptions()).includes('INVALID_INVENTORY_ITEM'),
      'an exception for SKU-D',
    );
    const [invalid] = (await openExceptions()).filter((e) =>
      JSON.stringify(e).includes('INVALID_INVENTORY_ITEM'),
    );
    expect(invalid?.code).toBe('delivery_rejected');

    // Four sales in a row, each between a read and a write: one call and 3 repeats, all stale. The attempt
    // is an ordinary retry: after its backoff the level is read again and set. (With the bucket refilled
    // after the throttling test: a THROTTLED answer among the repeats would be retried later, after the sales.)
    await until(() => fake.bucket() >= 500, 'the rate-limit bucket refilled');
    const item = 'gid://shopify/InventoryItem/4405';
    fake.shop.stock(item, 'SKU-E', LOCATION, 0);
    expect((await api('PUT', '/v1/xref/shopify-inventory-item/SKU-E', ADMIN, item)).status).toBe(200);
    await count('SKU-E', 10);
    await until(() => fake.shop.level(item, LOCATION) === 10, 'SKU-E available 10 in Shopify');
    fake.shop.sellBeforeNextSet(item, LOCATION, 1, 4);
    const before = fake.shop.sets.length;
    await count('SKU-E', 40);
    await until(() => fake.shop.level(item, LOCATION) === 40, 'SKU-E set to 40 after a fresh read');
    const sets = fake.shop.sets.slice(before).filter((set) => !set.replayed);
    expect(sets.map((set) => set.userErrors[0]?.code)).toEqual([
      ...Array(4).fill('CHANGE_FROM_QUANTITY_STALE'),
      undefined,
    ]);
    // The write that went through compared with the level after the four sales (10 − 4).
    expect(sets[4]?.quantities[0]?.changeFromQuantity).toBe(6);
    expect(JSON.stringify(await openExceptions())).not.toContain('CHANGE_FROM_QUANTITY_STALE');
    expect(JSON.stringify(await openExceptions())).not.toContain('repeatIf');
  });
});
