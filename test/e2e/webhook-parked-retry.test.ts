/**
 * Through the real process (`bin/manifold serve`, built; SQLite file): a native webhook whose mapping
 * throws is parked (202) and nothing is applied; the configuration file is fixed and the hub restarted;
 * `POST /v1/exceptions/{id}/retry` maps the kept request again with the current configuration and the
 * order exists, linked to the request.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { KEYS } from '../support/test-config.js';
import { until } from '../support/until.js';
import { PAYLOAD, TOKEN, yaml } from '../support/webhook-routes-config.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-parked-retry-'));
const configFile = join(dir, 'manifold.yaml');
const store = `{ sqlite: "${join(dir, 'hub.db')}" }`;
let hub: HubProcess | undefined;

afterAll(async () => {
  await hub?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are inspected field by field
async function admin(method: string, path: string): Promise<{ status: number; json: any }> {
  const response = await fetch(`${hub?.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return { status: response.status, json: await response.json() };
}

describe('a parked webhook retried after the configuration is fixed, through the real process', () => {
  it('parks the request whose mapping throws, then creates the order on retry after a restart', async () => {
    // The orders-create mapping throws on every line until the configuration is fixed.
    writeFileSync(configFile, yaml({ quantity: '$error("quantity is not mapped yet")' }, { store }));
    hub = await startHubProcess(configFile);
    const order = JSON.parse(PAYLOAD) as { id: number };
    const orderId = `WEB-${order.id}`;
    const posted = await fetch(`${hub.url}/v1/inbound/shop/orders-create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shop-token': TOKEN, 'x-webhook-id': 'wh-e2e-1' },
      body: PAYLOAD,
    });
    expect(posted.status).toBe(202);
    const parked = (await posted.json()) as { status: string; exception: number; code: string };
    expect(parked).toMatchObject({ status: 'parked', code: 'mapping_failed', exception: expect.any(Number) });
    const exception = await admin('GET', `/v1/exceptions/${parked.exception}`);
    expect(exception.json).toMatchObject({ code: 'mapping_failed', system: 'shop', status: 'open' });
    expect(exception.json.detail).toContain('quantity is not mapped yet');
    expect((await admin('GET', `/v1/orders/${orderId}`)).status).toBe(404);
    // A retry under the same broken configuration fails again and leaves it open.
    expect((await admin('POST', `/v1/exceptions/${parked.exception}/retry`)).status).toBe(409);

    // The file is fixed and the hub restarted (there is no live reload of routes).
    await hub.kill('SIGTERM');
    hub = undefined;
    writeFileSync(configFile, yaml({}, { store }));
    hub = await startHubProcess(configFile);
    const retried = await admin('POST', `/v1/exceptions/${parked.exception}/retry`);
    expect(retried.status).toBe(200);
    await until(async () => (await admin('GET', `/v1/orders/${orderId}`)).status === 200, 'the order');
    const created = await admin('GET', `/v1/orders/${orderId}`);
    expect(created.json.lines.map((l: { sku: string; ordered: number }) => l.ordered)).toEqual(
      (JSON.parse(PAYLOAD) as { line_items: { quantity: number }[] }).line_items.map((l) => l.quantity),
    );
    expect((await admin('GET', `/v1/exceptions/${parked.exception}`)).json.status).not.toBe('open');
    const kept = (await admin('GET', '/v1/inbound-requests?system=shop&route=orders-create')).json.items;
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ outcome: 'accepted', exceptionId: parked.exception });
    expect(kept[0].events).toEqual([{ id: 'wh-e2e-1', seq: expect.any(Number) }]);
  }, 90_000);
});
