/**
 * Idempotency-Keys across a crash, with the real process: `bin/manifold serve` is killed with SIGKILL
 * while `POST /v1/orders` is in flight (its key claimed and its acceptance logged, the order processor
 * waiting on the ERP's validator). After a restart on the same address, the client's first retry with
 * the same key and body answers 201 with the order — not 409 "in flight" for a process that no longer
 * exists — and the order exists once, its stock committed once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { startHubProcess as startHub } from '../support/hub-process.js';
import { freshOrderId, freshSku, shipTo } from '../support/orders.js';
import { startSink } from '../support/sink.js';
import { describeEachStore, type StoreKind, TEST_POSTGRES_URL } from '../support/stores.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-crash-idem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A port nothing listens on now: the hub listens on it, and again on it after the restart. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function call(url: string, path: string, key: string, init: RequestInit = {}) {
  const response = await fetch(`${url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : undefined) as Record<string, unknown>,
  };
}

async function stocked(url: string, sku: string, onHand: number): Promise<void> {
  const seeded = await call(url, '/v1/events', KEYS.wmsEast, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({
      specversion: '1.0',
      id: randomUUID(),
      source: '/wms-east',
      type: 'com.manifold.inventory.counted.v1',
      data: { sku, location: 'DC-EAST', onHand },
    }),
  });
  expect(seeded.status).toBe(202);
  for (let i = 0; i < 400; i += 1) {
    if ((await call(url, `/v1/inventory/${sku}`, KEYS.admin)).status === 200) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('stock never showed up');
}

function suite(kind: StoreKind) {
  it('a POST /v1/orders cut off by SIGKILL answers 201 at the first retry after the restart', async () => {
    // The ERP's validator holds the first call (the request stays in flight) until the hub is killed.
    const validator = await startSink(() => ({
      status: 200,
      body: '{"decision":"accept"}',
      delayMs: 120_000,
    }));
    const schema = `crash_${randomBytes(6).toString('hex')}`;
    const store =
      kind === 'sqlite'
        ? `{ sqlite: "${join(dir, 'hub.db')}" }`
        : `{ postgres: ${JSON.stringify(TEST_POSTGRES_URL)}, schema: ${schema} }`;
    const configFile = join(dir, `${kind}.yaml`);
    writeFileSync(
      configFile,
      `${testConfigYaml({ store, port: await freePort() })}orders:
  validate:
    system: erp
    http: { url: "${validator.url}/validate", timeoutMs: 100000 }
`,
    );
    const sku = freshSku();
    const body = {
      orderId: freshOrderId(),
      channel: 'web',
      customer: { id: 'C-9', name: 'Grace' },
      lines: [{ lineId: '1', sku, quantity: 3, unitPrice: 12.5 }],
      shipTo,
    };
    const key = randomUUID();
    const post = (url: string) =>
      call(url, '/v1/orders', KEYS.shop, {
        method: 'POST',
        headers: { 'idempotency-key': key },
        body: JSON.stringify(body),
      });
    let second: Awaited<ReturnType<typeof startHub>> | undefined;
    try {
      const first = await startHub(configFile);
      await stocked(first.url, sku, 10);
      const cutOff = post(first.url).catch((error: unknown) => error);
      // The processor calls the validator only after the key was claimed and the order logged, durably.
      await validator.waitFor(1, 30_000);
      await first.kill('SIGKILL');
      expect(await cutOff).toBeInstanceOf(Error); // the client never got an answer
      validator.respond(() => ({ status: 200, body: '{"decision":"accept"}' }));

      second = await startHub(configFile);
      expect(second.url).toBe(first.url); // restarted in place
      const startedAt = Date.now();
      const retry = await post(second.url);
      const tookMs = Date.now() - startedAt;
      expect(retry.status).toBe(201);
      expect(retry.body).toMatchObject({ orderId: body.orderId, milestone: 'released' });
      // Typically well under a second; the bound is loose for a loaded machine.
      expect(tookMs).toBeLessThan(10_000);
      console.info(`${kind}: first retry after the restart answered ${retry.status} in ${tookMs} ms`);

      const again = await post(second.url);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(retry.body);
      // One order, its stock committed once, one acceptance in the log.
      const position = (await call(second.url, `/v1/inventory/${sku}`, KEYS.admin)).body as {
        positions: { buckets: { committed: number } }[];
      };
      expect(position.positions[0]?.buckets.committed).toBe(3);
      const accepted = await call(
        second.url,
        `/v1/events?type=com.manifold.order.accepted.v1&subject=${body.orderId}`,
        KEYS.admin,
      );
      expect((accepted.body.items as unknown[]).length).toBe(1);
    } finally {
      await second?.kill('SIGTERM');
      await validator.close();
      if (kind === 'postgres') {
        const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
      }
    }
  }, 120_000);
}

await describeEachStore('SIGKILL with an Idempotency-Key in flight', (_, kind) => suite(kind));
