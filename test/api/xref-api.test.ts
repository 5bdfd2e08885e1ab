/**
 * Cross-reference tables over real HTTP (docs/connectors.md#cross-reference-tables): set, read, list in
 * pages, look up in reverse, delete, and bulk-load CSV and NDJSON all or nothing, with the admin key only.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const YAML = `${testConfigYaml()}
xref:
  sku-item:
    description: our SKU to the shop's inventory item id
  customers:
    reverse: account
    onMissing: skip
`;

let hub: TestApp;
let base: string;
beforeAll(async () => {
  hub = await buildTestApp({ yaml: YAML });
  base = await hub.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await hub.close();
});

function call(
  method: string,
  path: string,
  body?: string,
  type = 'application/json',
  key: string = KEYS.admin,
) {
  return fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': type } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
}

it('sets, reads, finds in reverse and deletes entries', async () => {
  expect((await call('PUT', '/v1/xref/sku-item/A-1', '"gid://shopify/InventoryItem/4401"')).status).toBe(200);
  const put = await call(
    'PUT',
    '/v1/xref/customers/C1',
    JSON.stringify({ account: 'ERP-7', terms: 'net30' }),
  );
  expect(put.status).toBe(200);
  const got = await call('GET', '/v1/xref/sku-item/A-1');
  expect(got.status).toBe(200);
  expect(await got.json()).toMatchObject({ key: 'A-1', value: 'gid://shopify/InventoryItem/4401' });

  const reverse = await call('GET', `/v1/xref/customers?reverse=${encodeURIComponent('ERP-7')}`);
  expect((await reverse.json()).entries.map((e: { key: string }) => e.key)).toEqual(['C1']);
  const bySku = await call(
    'GET',
    `/v1/xref/sku-item?reverse=${encodeURIComponent('gid://shopify/InventoryItem/4401')}`,
  );
  expect((await bySku.json()).entries.map((e: { key: string }) => e.key)).toEqual(['A-1']);

  expect((await call('DELETE', '/v1/xref/sku-item/A-1')).status).toBe(204);
  const gone = await call('GET', '/v1/xref/sku-item/A-1');
  expect(gone.status).toBe(404);
  expect(gone.headers.get('content-type')).toMatch(/problem\+json/);
  expect((await call('DELETE', '/v1/xref/sku-item/A-1')).status).toBe(404);

  // Each change is in the audit log, naming the admin key.
  const audit = (await (await call('GET', '/v1/audit')).json()) as {
    items: { actor: string; action: string; target: string }[];
  };
  expect(audit.items.map((e) => [e.action, e.target])).toEqual(
    expect.arrayContaining([
      ['xref.put', 'xref:sku-item/A-1'],
      ['xref.put', 'xref:customers/C1'],
      ['xref.delete', 'xref:sku-item/A-1'],
    ]),
  );
  expect(audit.items[0]?.actor).toMatch(/^admin:/);
});

it('refuses an unknown table, a list or null value, and a system key', async () => {
  const unknown = await call('GET', '/v1/xref/nope/x');
  expect(unknown.status).toBe(404);
  expect((await unknown.json()).detail).toMatch(/no cross-reference table 'nope'.*sku-item, customers/);
  expect((await call('PUT', '/v1/xref/sku-item/A-2', '[1,2]')).status).toBe(400);
  expect((await call('PUT', '/v1/xref/sku-item/A-2', 'null')).status).toBe(400);
  expect((await call('PUT', '/v1/xref/sku-item/A-2', '"x"', 'application/json', KEYS.shop)).status).toBe(403);
  expect((await call('GET', '/v1/xref/sku-item', undefined, 'application/json', KEYS.erp)).status).toBe(403);
});

it('bulk-loads CSV and NDJSON, pages the table, and loads nothing from a file with a bad line', async () => {
  const csv = 'key,value\nS-1,101\nS-2,"1,02"\nS-3,103\n';
  const loaded = await call('POST', '/v1/xref/sku-item', csv, 'text/csv');
  expect(loaded.status).toBe(200);
  expect(await loaded.json()).toEqual({ table: 'sku-item', loaded: 3, retried: [] });
  const audit = (await (await call('GET', '/v1/audit')).json()) as {
    items: { action: string; detail?: unknown }[];
  };
  expect(audit.items.filter((e) => e.action === 'xref.load').map((e) => e.detail)).toEqual([{ entries: 3 }]);
  const ndjson = '{"key":"S-4","value":104}\n\n{"key":"S-5","value":{"id":105}}\n';
  expect((await call('POST', '/v1/xref/sku-item', ndjson, 'application/x-ndjson')).status).toBe(200);

  const first = await (await call('GET', '/v1/xref/sku-item?limit=2')).json();
  expect(first.entries.map((e: { key: string; value: unknown }) => [e.key, e.value])).toEqual([
    ['S-1', '101'],
    ['S-2', '1,02'],
  ]);
  const rest = await (await call('GET', `/v1/xref/sku-item?limit=10&after=${first.next}`)).json();
  expect(rest.entries.map((e: { key: string }) => e.key)).toEqual(['S-3', 'S-4', 'S-5']);
  expect(rest.next).toBeUndefined();

  const objects = 'key,account,terms\nC7,ERP-70,net30\nC8,ERP-80,\n';
  expect((await call('POST', '/v1/xref/customers', objects, 'text/csv')).status).toBe(200);
  expect(await (await call('GET', '/v1/xref/customers/C8')).json()).toMatchObject({
    value: { account: 'ERP-80' },
  });
  const found = await (await call('GET', '/v1/xref/customers?reverse=ERP-70')).json();
  expect(found.entries).toMatchObject([{ key: 'C7', value: { account: 'ERP-70', terms: 'net30' } }]);

  const bad = await call('POST', '/v1/xref/sku-item', 'key,value\nN-1,1\nN-2,2,extra\n', 'text/csv');
  expect(bad.status).toBe(400);
  const problem = await bad.json();
  expect(problem.detail).toMatch(/nothing loaded: line 3: 3 cells; the header has 2/);
  expect((await call('GET', '/v1/xref/sku-item/N-1')).status).toBe(404);
  const badJson = await call(
    'POST',
    '/v1/xref/sku-item',
    '{"key":"N-1","value":1}\n{"key":"N-2"}\n',
    'application/x-ndjson',
  );
  expect((await badJson.json()).detail).toMatch(/line 2: a value is required/);
  expect((await call('GET', '/v1/xref/sku-item/N-1')).status).toBe(404);
  expect((await call('POST', '/v1/xref/sku-item', '{}', 'application/json')).status).toBe(400);
});

it('check-config names the file and line of a bad xref table', () => {
  const subscriptions = `subscriptions:
  - name: shop-inventory
    target: shop
    types: [com.manifold.inventory.adjusted.v1]
    http:
      url: http://127.0.0.1:9/inventory
      body: '{ "item": $xref("sku-items", data.sku) }'`;
  const yaml = `${testConfigYaml({ subscriptions })}
xref:
  Bad Name: {}
  sku:
    onMissing: later
  loc:
    onMissing: default
`;
  let message = '';
  try {
    compileConfig(yaml, 'hub.yaml', {});
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toMatch(/hub\.yaml:\d+:\d+ .*xref table name 'Bad Name'/);
  expect(message).toMatch(/hub\.yaml:\d+:\d+ .*onMissing must be one of: park, skip, default; got 'later'/);
  expect(message).toMatch(/hub\.yaml:\d+:\d+ .*onMissing: default needs a 'default' value/);
  expect(message).toMatch(/hub\.yaml:\d+:\d+ .*\$xref names table 'sku-items', which is not under xref:/);
});
