/**
 * The fake Shopify as a process, for the simulator demo with the Shopify recipe (docs/simulator.md#with-the-shopify-recipe).
 * It serves the Admin API as in the e2e test and, since the simulator plays the storefront's orders/create
 * webhooks straight to the hub, it learns the orders Shopify would have from the hub's own order list
 * (`GET /v1/orders?channel=web`, admin key): each new order gets one open fulfillment order with its lines,
 * its SKUs get an inventory item in the shop and in the `shopify-inventory-item` table, and its quantities
 * are sold from Shopify's `available` (a sale in Shopify, so availability pushes meet stale compares).
 *
 * Environment: FAKE_SHOPIFY_PORT (default 9190), SHOPIFY_ACCESS_TOKEN, MANIFOLD_HUB (default
 * http://127.0.0.1:8080), MANIFOLD_ADMIN_KEY, FAKE_SHOPIFY_RESTORE_RATE (points/s, default 100).
 */
import { FakeShopify } from './server.js';

const LOCATION = 'gid://shopify/Location/1';
const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
};

const hub = env('MANIFOLD_HUB', 'http://127.0.0.1:8080');
const admin = env('MANIFOLD_ADMIN_KEY');
const fake = new FakeShopify({
  accessToken: env('SHOPIFY_ACCESS_TOKEN'),
  restoreRate: Number(env('FAKE_SHOPIFY_RESTORE_RATE', '100')),
  port: Number(env('FAKE_SHOPIFY_PORT', '9190')),
});

async function hubCall(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${hub}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
  return response.status === 204 ? undefined : response.json();
}

interface HubOrder {
  orderId: string;
  lines: { lineId: string; sku: string; ordered?: number; quantity?: number }[];
}

let nextItem = 5000;
const since = new Date().toISOString();

/** Takes the web orders the hub has and Shopify does not yet. */
async function learnOrders(): Promise<void> {
  const page = (await hubCall('GET', `/v1/orders?channel=web&since=${since}&limit=200`)) as {
    items: HubOrder[];
  };
  for (const order of page.items) {
    const id = `gid://shopify/Order/${order.orderId.replace(/^WEB-/, '')}`;
    if (!order.orderId.startsWith('WEB-') || fake.shop.orders.has(id)) continue;
    const lines = [];
    for (const line of order.lines) {
      const quantity = line.ordered ?? line.quantity ?? 1;
      let item = [...fake.shop.items].find(([, sku]) => sku === line.sku)?.[0];
      if (item === undefined) {
        nextItem += 1;
        item = `gid://shopify/InventoryItem/${nextItem}`;
        fake.shop.stock(item, line.sku, LOCATION, 0);
        await hubCall('PUT', `/v1/xref/shopify-inventory-item/${encodeURIComponent(line.sku)}`, item);
      }
      // The sale in Shopify: its available goes down now; the hub's next push sets its own figure.
      fake.shop.levels.set(`${item}|${LOCATION}`, (fake.shop.level(item, LOCATION) ?? 0) - quantity);
      lines.push({
        id: `gid://shopify/FulfillmentOrderLineItem/${line.lineId}`,
        lineItemId: `gid://shopify/LineItem/${line.lineId}`,
        sku: line.sku,
        total: quantity,
        remaining: quantity,
      });
    }
    fake.shop.orders.set(id, {
      name: order.orderId,
      fulfillmentOrders: [
        {
          id: `gid://shopify/FulfillmentOrder/${order.orderId.replace(/^WEB-/, '')}`,
          status: 'OPEN',
          location: LOCATION,
          lines,
        },
      ],
    });
  }
}

await fake.start();
fake.shop.locations.set(LOCATION, 'Demo warehouse');
await hubCall('PUT', '/v1/xref/shopify-location/web', LOCATION);
console.log(`fake Shopify on ${fake.url} (SHOPIFY_SHOP_URL), learning web orders from ${hub}`);
let learning = false;
setInterval(() => {
  if (learning) return;
  learning = true;
  learnOrders()
    .catch((error: Error) => console.error(`learning orders: ${error.message}`))
    .finally(() => {
      learning = false;
    });
}, 200);
setInterval(() => {
  const sets = fake.shop.sets.filter((s) => !s.replayed);
  console.log(
    `calls ${fake.calls.length} (throttled ${fake.calls.filter((c) => c.outcome === 'throttled').length}), ` +
      `sets ${sets.length} (stale ${sets.filter((s) => s.userErrors.some((e) => e.code === 'CHANGE_FROM_QUANTITY_STALE')).length}), ` +
      `orders ${fake.shop.orders.size}, fulfillments ${fake.shop.fulfillments.length}`,
  );
}, 2000);
