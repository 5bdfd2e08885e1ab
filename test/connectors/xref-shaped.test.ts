/**
 * Cross-reference tables in shaped calls out, through the real delivery engine against a real local API
 * (docs/connectors.md#cross-reference-tables): `$xref` maps our SKU to the API's item id in the body; a
 * SKU the table lacks (`onMissing: park`) parks the delivery as an `xref_missing` exception, which is
 * retried by itself once the table is filled (one key, or a bulk load); `capture: { xref, key, value }` keeps the API's id in a table.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

let hub: TestApp | undefined;
let server: Server | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A real API that records each body and answers 200 with an id made from the item it was sent. */
async function startApi() {
  const bodies: Record<string, unknown>[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ adjustment: { id: `ADJ-${String(body.inventoryItemId)}` } }));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

async function admin(method: string, url: string, payload?: string) {
  return hub!.app.inject({
    method: method as 'GET',
    url,
    headers: {
      authorization: `Bearer ${KEYS.admin}`,
      ...(payload ? { 'content-type': 'application/json' } : {}),
    },
    ...(payload ? { payload } : {}),
  });
}

it('maps SKUs through $xref, parks an unknown one as xref_missing until the table has it (then retried by itself), and captures into a table', {
  timeout: 20_000,
}, async () => {
  const api = await startApi();
  const subscriptions = `subscriptions:
  - name: shop-inventory
    target: shop
    types: [com.manifold.inventory.adjusted.v1]
    retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 10, maxAgeMs: 60000 }
    http:
      url: ${api.url}/inventory
      body: '{ "inventoryItemId": $xref("sku-item", data.sku), "delta": data.delta }'
      capture: { xref: adjustments, key: event.data.sku, value: body.adjustment.id }
xref:
  sku-item: { onMissing: park }
  adjustments: {}
`;
  hub = await buildTestApp({ yaml: testConfigYaml({ subscriptions }), delivery: { pollMs: 10 } });
  expect((await admin('PUT', '/v1/xref/sku-item/SKU-1', '"gid://shopify/InventoryItem/11"')).statusCode).toBe(
    200,
  );

  const ingest = async (sku: string) => {
    const response = await hub!.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
      payload: JSON.stringify(
        adjustedEvent({ data: { sku, location: 'DC-EAST', delta: 3, reason: 'correction' } }),
      ),
    });
    expect(response.statusCode).toBe(202);
  };
  await ingest('SKU-1');
  await until(() => api.bodies.length === 1, 'the mapped request');
  expect(api.bodies[0]).toEqual({ inventoryItemId: 'gid://shopify/InventoryItem/11', delta: 3 });
  await until(async () => (await hub!.store.xref.get('adjustments', 'SKU-1')) !== undefined, 'the capture');
  expect(await hub!.store.xref.get('adjustments', 'SKU-1')).toBe('ADJ-gid://shopify/InventoryItem/11');

  await ingest('SKU-NEW');
  const open = async () =>
    (
      (await admin('GET', '/v1/exceptions?status=open')).json() as {
        items: { id: number; code: string; detail: string; lastError?: string }[];
      }
    ).items;
  await until(async () => (await open()).length === 1, 'the parked delivery');
  const [exception] = await open();
  // Filed under its own code (not delivery_rejected), its detail naming the table and the key.
  expect(exception?.code).toBe('xref_missing');
  expect(exception?.detail).toContain("xref_missing: cross-reference table 'sku-item' has no key 'SKU-NEW'");
  expect(api.bodies).toHaveLength(1);

  // Filling the key retries the exception by itself: no operator step.
  const put = await admin('PUT', '/v1/xref/sku-item/SKU-NEW', '"gid://shopify/InventoryItem/12"');
  expect(put.statusCode).toBe(200);
  expect(put.json()).toMatchObject({ key: 'SKU-NEW', retried: [exception?.id] });
  await until(() => api.bodies.length === 2, 'the retried request');
  expect(api.bodies[1]).toEqual({ inventoryItemId: 'gid://shopify/InventoryItem/12', delta: 3 });
  expect(await open()).toEqual([]);
  const closed = (await admin('GET', `/v1/exceptions/${exception?.id}`)).json() as { status: string };
  expect(closed.status).not.toBe('open');

  // A bulk load retries every exception waiting on a key it loads; one waiting on another key stays.
  await ingest('SKU-B1');
  await ingest('SKU-B2');
  await ingest('SKU-B3');
  await until(async () => (await open()).length === 3, 'three parked deliveries');
  const load = await hub!.app.inject({
    method: 'POST',
    url: '/v1/xref/sku-item',
    headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'text/csv' },
    payload: 'key,value\nSKU-B1,gid://shopify/InventoryItem/21\nSKU-B2,gid://shopify/InventoryItem/22\n',
  });
  expect(load.statusCode).toBe(200);
  expect((load.json() as { retried: number[] }).retried).toHaveLength(2);
  await until(() => api.bodies.length === 4, 'the two loaded keys sent');
  expect(api.bodies.slice(2).map((b) => b.inventoryItemId)).toEqual([
    'gid://shopify/InventoryItem/21',
    'gid://shopify/InventoryItem/22',
  ]);
  const left = await open();
  expect(left.map((e) => e.detail)).toEqual([expect.stringContaining("has no key 'SKU-B3'")]);
});
