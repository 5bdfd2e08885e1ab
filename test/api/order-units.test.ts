/**
 * Units of measure (docs/orders.md#units-of-measure): an order line in cases is committed, picked, shipped
 * and cancelled in eaches; the order keeps the unit ordered beside its base quantity; unknown units are
 * refused with a problem naming the line and the code.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { freshOrderId as oid, shipTo, freshSku as sku } from '../support/orders.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

let hub: TestApp | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

const UNITS = `units:\n  '*': { CA: 12, PL: 480 }\n`;

async function start(): Promise<TestApp> {
  hub = await buildTestApp({ yaml: `${testConfigYaml()}${UNITS}` });
  return hub;
}
const app = () => hub as TestApp;

async function call(method: 'GET' | 'POST', url: string, key: string, payload?: unknown, headers = {}) {
  const response = await app().app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...headers },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

async function send(token: string, source: string, type: string, data: Record<string, unknown>) {
  const response = await app().app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${token}` },
    payload: { specversion: '1.0', id: randomUUID(), source, type, data },
  });
  await app().orders.settle();
  await app().inventory.settle();
  return { status: response.statusCode, body: response.json() };
}

async function buckets(s: string) {
  const positions = await app().store.inventory.positions(s);
  return Object.fromEntries(positions.map((p) => [p.location, p.buckets]));
}

function order(id: string, lines: Record<string, unknown>[]) {
  return { orderId: id, channel: 'web', customer: { id: 'C-1' }, lines, shipTo };
}

describe('order lines in units of measure', () => {
  it('commits an order of cases in eaches and keeps both quantities on the line', async () => {
    await start();
    const s = sku();
    await send(KEYS.wmsEast, '/wms-east', 'com.manifold.inventory.counted.v1', {
      sku: s,
      location: 'DC-EAST',
      onHand: 500,
    });
    const id = oid();
    const created = await call(
      'POST',
      '/v1/orders',
      KEYS.shop,
      order(id, [
        { lineId: '1', sku: s, quantity: 10, unitPrice: 60, uom: 'CA' },
        { lineId: '2', sku: s, quantity: 7, unitPrice: 5 },
      ]),
      { 'idempotency-key': randomUUID() },
    );
    expect(created.status).toBe(201);
    expect(created.body.lines[0]).toMatchObject({
      uom: 'CA',
      quantity: 10,
      baseQuantity: 120,
      ordered: 120,
      committed: 120,
    });
    expect(created.body.lines[1]).toMatchObject({ uom: 'EA', quantity: 7, baseQuantity: 7, committed: 7 });
    expect((await buckets(s))['DC-EAST']).toMatchObject({ on_hand: 500, committed: 127 });
    const stored = await app().store.orders.getOrder(id);
    expect(stored?.document.lines[0]).toMatchObject({ uom: 'CA', quantity: 10, baseQuantity: 120 });

    // The WMS ships 2 cases (in CA) and 6 eaches (no uom); the rest of line 1 is cancelled in eaches.
    const shipped = await send(KEYS.wmsEast, '/wms-east', 'com.manifold.order.shipped.v1', {
      orderId: id,
      location: 'DC-EAST',
      lines: [
        { lineId: '1', quantity: 2, uom: 'CA' },
        { lineId: '2', quantity: 6 },
      ],
    });
    expect(shipped.status).toBe(202);
    expect((await buckets(s))['DC-EAST']).toMatchObject({ on_hand: 470, committed: 97, in_transit: 30 });
    await send(KEYS.shop, '/shop', 'com.manifold.order.cancelled.v1', {
      orderId: id,
      reason: 'customer',
      lines: [{ lineId: '1', quantity: 8, uom: 'CA' }],
    });
    const view = (await call('GET', `/v1/orders/${id}`, KEYS.admin)).body;
    expect(view.lines[0]).toMatchObject({ shipped: 24, cancelled: 96, committed: 24 });
    expect((await buckets(s))['DC-EAST']).toMatchObject({ on_hand: 470, committed: 1 });
  });

  it('refuses an order line in an unknown unit with a problem naming the line and the code', async () => {
    await start();
    const s = sku();
    const refused = await call(
      'POST',
      '/v1/orders',
      KEYS.shop,
      order(oid(), [
        { lineId: '1', sku: s, quantity: 1, unitPrice: 1 },
        { lineId: 'L2', sku: s, quantity: 3, unitPrice: 1, uom: 'BX' },
      ]),
      { 'idempotency-key': randomUUID() },
    );
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body.errors).toEqual([
      expect.objectContaining({
        pointer: '/lines/1/uom',
        detail: expect.stringMatching(/line L2: unit 'BX' is not in the unit table for SKU/),
      }),
    ]);
  });

  it('refuses an execution line in a unit no SKU has at ingest', async () => {
    await start();
    const refused = await send(KEYS.wmsEast, '/wms-east', 'com.manifold.order.picked.v1', {
      orderId: oid(),
      location: 'DC-EAST',
      lines: [{ lineId: '1', quantity: 1, uom: 'ZZ' }],
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain("line 1: unit 'ZZ' is not in the unit table");
  });
});
