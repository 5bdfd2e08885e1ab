/**
 * `GET /v1/backlog` in-process: every subscription's pending rows and oldest age, and with `since` only the
 * rows created since then (how the simulator measures its own run on a store with older work waiting).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BacklogView } from '../../src/api/routes/backlog-routes.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS } from '../support/test-config.js';

let hub: TestApp | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

async function backlog(app: TestApp, query = '', key: string = KEYS.admin) {
  const response = await app.app.inject({
    method: 'GET',
    url: `/v1/backlog${query}`,
    headers: { authorization: `Bearer ${key}` },
  });
  return { status: response.statusCode, body: response.json() as BacklogView };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /v1/backlog', () => {
  it('counts every pending row, or only those created since `since`', async () => {
    hub = await buildTestApp(); // no delivery engine: what is ingested stays pending
    const adjust = (sku: string) =>
      postAs(
        hub!.app,
        '/v1/events',
        KEYS.wmsEast,
        adjustedEvent({ data: { sku, location: 'DC-EAST', delta: 3, reason: 'correction' } }),
      );
    expect((await adjust('SKU-OLD')).statusCode).toBe(202);
    await sleep(20);
    const since = new Date().toISOString();
    await sleep(5);
    expect((await adjust('SKU-NEW-1')).statusCode).toBe(202);
    expect((await adjust('SKU-NEW-2')).statusCode).toBe(202);
    const inventory = async (query: string) =>
      (await backlog(hub!, query)).body.subscriptions.find((s) => s.name === 'erp-inventory');
    expect(await inventory('')).toMatchObject({ target: 'erp', pending: 3, parked: 0 });
    expect(await inventory(`?since=${encodeURIComponent(since)}`)).toMatchObject({ pending: 2 });
    const later = new Date(Date.now() + 60_000).toISOString();
    expect(await inventory(`?since=${encodeURIComponent(later)}`)).toMatchObject({
      pending: 0,
      oldestPendingSeconds: 0,
    });
  });

  it('needs the admin key and a date-time', async () => {
    hub = await buildTestApp();
    expect((await backlog(hub, '', KEYS.wmsEast)).status).toBe(403);
    expect((await backlog(hub, '?since=yesterday')).status).toBe(400);
  });
});
