/**
 * `$xref` in a native webhook route, end to end through the real app on a local port
 * (docs/connectors.md#cross-reference-tables): a found key maps, a missing key gives the table's default
 * (`onMissing: default`) or nothing (`skip`), or parks the request as `xref_missing` (`park`), which is
 * mapped again by itself once the table is filled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { compileConfig } from '../../src/config/load-config.js';
import { composeHub } from '../../src/main/compose.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const YAML =
  testConfigYaml().replace(
    `  portal: { kind: commerce, key: ${KEYS.portal}, channel: b2b }`,
    () => `  portal:
    kind: commerce
    key: ${KEYS.portal}
    channel: b2b
    inbound:
      auth: { token: { header: x-portal-token, value: portal-token } }
      routes:
        cancel:
          type: com.manifold.order.cancelled.v1
          id: "'cancel-' & ref"
          data: |
            {
              "orderId": $xref('portal-orders', ref),
              "reason": $exists($xref('notes', code)) ? $xref('notes', code) : $xref('reasons', code)
            }`,
  ) +
  `
xref:
  portal-orders:
    description: the portal's order reference to our order id
    onMissing: park
  reasons:
    onMissing: default
    default: other
  notes:
    onMissing: skip
`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start() {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-xref-'));
  const config = compileConfig(YAML, 'test.yaml', {});
  const store = new SqliteStore({ path: join(dir, 'hub.db') });
  await store.migrate();
  const logger = pino({ level: 'silent' });
  const hub = composeHub(config, store, { logger, delivery: false });
  const { app } = await buildApp({ services: hub, logger });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(async () => {
    await app.close();
    await hub.stop(2000);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const admin = (method: string, path: string, body?: string, type = 'application/json') =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEYS.admin}`, ...(body ? { 'content-type': type } : {}) },
      ...(body ? { body } : {}),
    });
  const send = async (body: unknown) => {
    const response = await fetch(`${base}/v1/inbound/portal/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-portal-token': 'portal-token' },
      body: JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const logged = async (id: string) => {
    const page = (await (await admin('GET', '/v1/events?limit=100&source=/portal')).json()) as {
      items: { event: { id: string; data: Record<string, unknown> } }[];
    };
    return page.items.find((e) => e.event.id === id)?.event;
  };
  return { admin, send, logged };
}

it('maps a found key, nothing for a skipped one (the mapping decides), and the default of a missing one', async () => {
  const { admin, send, logged } = await start();
  await admin('POST', '/v1/xref/portal-orders', 'key,value\nP-1,B2B-1\n', 'text/csv');
  await admin('PUT', '/v1/xref/reasons/CX', '"customer"');
  await admin('PUT', '/v1/xref/notes/CX', '"asked by phone"');

  // `notes` has CX: the mapping takes it.
  expect((await send({ ref: 'P-1', code: 'CX' })).json).toMatchObject({ status: 'accepted' });
  expect((await logged('cancel-P-1'))?.data).toEqual({ orderId: 'B2B-1', reason: 'asked by phone' });
  // `notes` lacks ZZ (skip: nothing), so the mapping falls back to `reasons`, whose default answers.

  await admin('PUT', '/v1/xref/portal-orders/P-2', '"B2B-2"');
  expect((await send({ ref: 'P-2', code: 'ZZ' })).json).toMatchObject({ status: 'accepted' });
  expect((await logged('cancel-P-2'))?.data).toEqual({ orderId: 'B2B-2', reason: 'other' });
  // P-3 is not in `portal-orders` (park): nothing logged.
  expect((await send({ ref: 'P-3', code: 'CX' })).json).toMatchObject({ status: 'parked' });
  expect(await logged('cancel-P-3')).toBeUndefined();
});

it('parks a request whose key is missing as xref_missing, and filling the table maps it again by itself', async () => {
  const { admin, send, logged } = await start();
  const parked = await send({ ref: 'P-9', code: 'CX' });
  expect(parked.status).toBe(202);
  expect(parked.json).toMatchObject({ status: 'parked', code: 'xref_missing' });
  expect(String(parked.json.detail)).toContain("cross-reference table 'portal-orders' has no key 'P-9'");
  const exception = (await (await admin('GET', `/v1/exceptions/${parked.json.exception}`)).json()) as {
    code: string;
    status: string;
  };
  expect(exception).toMatchObject({ code: 'xref_missing', status: 'open' });
  expect(await logged('cancel-P-9')).toBeUndefined();

  const still = await admin('POST', `/v1/exceptions/${parked.json.exception}/retry`);
  expect(still.status).toBe(409);
  // Filling the key maps the parked request again by itself: no operator retry.
  const put = await admin('PUT', '/v1/xref/portal-orders/P-9', '"B2B-9"');
  expect(put.status).toBe(200);
  expect(((await put.json()) as { retried: number[] }).retried).toEqual([parked.json.exception]);
  expect((await logged('cancel-P-9'))?.data).toMatchObject({ orderId: 'B2B-9', reason: 'other' });
  const after = (await (await admin('GET', `/v1/exceptions/${parked.json.exception}`)).json()) as {
    status: string;
  };
  expect(after.status).not.toBe('open');
});

it('two hubs in one process read only their own tables', async () => {
  const one = await start();
  const two = await start();
  await one.admin('PUT', '/v1/xref/portal-orders/P-5', '"ONE-5"');
  await two.admin('PUT', '/v1/xref/portal-orders/P-5', '"TWO-5"');
  await one.admin('PUT', '/v1/xref/portal-orders/P-6', '"ONE-6"');
  expect((await two.send({ ref: 'P-5', code: 'CX' })).json).toMatchObject({ status: 'accepted' });
  expect((await one.send({ ref: 'P-5', code: 'CX' })).json).toMatchObject({ status: 'accepted' });
  expect((await one.logged('cancel-P-5'))?.data).toMatchObject({ orderId: 'ONE-5' });
  expect((await two.logged('cancel-P-5'))?.data).toMatchObject({ orderId: 'TWO-5' });
  // P-6 is only in the first hub's table: the second parks it (the hub started last does not win).
  expect((await two.send({ ref: 'P-6', code: 'CX' })).json).toMatchObject({ status: 'parked' });
  expect((await one.send({ ref: 'P-6', code: 'CX' })).json).toMatchObject({ status: 'accepted' });
});
