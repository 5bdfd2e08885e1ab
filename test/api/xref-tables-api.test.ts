/**
 * `GET /v1/xref-tables` and `GET /v1/xref-tables/{table}` (docs/console.md#cross-reference-tables): the
 * configured tables with their settings, entry counts and the open exceptions waiting on them; and
 * `GET /v1/xref/{table}?prefix=` (search by key). Admin only; a table not under `xref:` is a 404 problem.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const YAML = `${testConfigYaml()}
xref:
  sku-item:
    description: our SKU to the shop's inventory item id
  customers:
    reverse: account
    onMissing: skip
  reasons: { onMissing: default, default: other }
`;

let hub: TestApp;
beforeAll(async () => {
  hub = await buildTestApp({ yaml: YAML });
  const at = new Date().toISOString();
  await hub.store.xref.putMany(
    'sku-item',
    ['A-1', 'A-2', 'B-1'].map((key) => ({ key, value: `gid://${key}` })),
    at,
  );
  await hub.store.xref.put('customers', 'C-1', { account: 'ERP-1' }, at, 'account');
  // Waiting on sku-item: one parked webhook and one refused shaped call; one resolved; one unrelated.
  await hub.store.delivery.createException({
    code: 'xref_missing',
    system: 'portal',
    detail: "webhook portal/cancel: data: xref_missing: cross-reference table 'sku-item' has no key 'Z-9'",
    at,
  });
  await hub.store.delivery.createException({
    code: 'delivery_rejected',
    subscription: 'erp-orders',
    detail: "body: xref_missing: cross-reference table 'sku-item' has no key 'Z-8'",
    at,
  });
  const resolved = await hub.store.delivery.createException({
    code: 'xref_missing',
    detail: "cross-reference table 'sku-item' has no key 'Z-7'",
    at,
  });
  await hub.store.delivery.resolveException(resolved.id, { who: 'admin', note: 'done', at });
  await hub.store.delivery.createException({ code: 'delivery_failed', detail: 'HTTP 500', at });
});
afterAll(async () => {
  await hub.close();
});

async function get(url: string, key: string = KEYS.admin) {
  const response = await hub.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  return { status: response.statusCode, type: response.headers['content-type'], body: response.json() };
}

it('lists every configured table with its settings, entry count and waiting exceptions', async () => {
  const answer = await get('/v1/xref-tables');
  expect(answer.status).toBe(200);
  expect(answer.body).toEqual({
    tables: [
      {
        name: 'sku-item',
        description: "our SKU to the shop's inventory item id",
        onMissing: 'park',
        entries: 3,
        waiting: 2,
      },
      { name: 'customers', onMissing: 'skip', reverse: 'account', entries: 1, waiting: 0 },
      { name: 'reasons', onMissing: 'default', default: 'other', entries: 0, waiting: 0 },
    ],
  });
});

it('shows one table with the open exceptions waiting on it, oldest first', async () => {
  const answer = await get('/v1/xref-tables/sku-item');
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ name: 'sku-item', entries: 3, waiting: 2 });
  expect(answer.body.waitingExceptions).toEqual([
    expect.objectContaining({ code: 'xref_missing', system: 'portal', key: 'Z-9' }),
    expect.objectContaining({ code: 'delivery_rejected', subscription: 'erp-orders', key: 'Z-8' }),
  ]);
});

it('answers problems: 404 naming the configured tables, 401 without a key, 403 with a system key', async () => {
  const missing = await get('/v1/xref-tables/nope');
  expect(missing.status).toBe(404);
  expect(missing.type).toContain('application/problem+json');
  expect(missing.body.detail).toBe(
    "no cross-reference table 'nope'; configured: sku-item, customers, reasons",
  );
  const anonymous = await hub.app.inject({ method: 'GET', url: '/v1/xref-tables' });
  expect(anonymous.statusCode).toBe(401);
  expect(anonymous.headers['content-type']).toContain('application/problem+json');
  expect((await get('/v1/xref-tables', KEYS.erp)).status).toBe(403);
});

it('pages the keys starting with a prefix', async () => {
  const first = await get('/v1/xref/sku-item?prefix=A-&limit=1');
  expect(first.body).toEqual({ entries: [expect.objectContaining({ key: 'A-1' })], next: 'A-1' });
  const second = await get(`/v1/xref/sku-item?prefix=A-&limit=1&after=${first.body.next}`);
  expect(second.body).toEqual({ entries: [expect.objectContaining({ key: 'A-2' })] });
  expect((await get('/v1/xref/sku-item?prefix=')).body.entries).toHaveLength(3);
});
