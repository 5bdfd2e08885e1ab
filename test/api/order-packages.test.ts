/**
 * Shipments with packages (docs/orders.md#packages): `order.shipped.v1` may list its packages by SSCC-18;
 * a wrong check digit or packages holding more than was shipped are refused with problem+json; accepted
 * packages show on the order's timeline.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { freshOrderId as oid, orderBody, freshSku as sku } from '../support/orders.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';

let hub: TestApp | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});
const app = () => hub as TestApp;

async function send(token: string, source: string, type: string, data: Record<string, unknown>) {
  const response = await app().app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${token}` },
    payload: { specversion: '1.0', id: randomUUID(), source, type, data },
  });
  await app().orders.settle();
  await app().inventory.settle();
  return { status: response.statusCode, body: response.json(), type: response.headers['content-type'] };
}

const SSCC_1 = '106141412345678908';
const SSCC_2 = '006141411234567890';

describe('shipments with packages', () => {
  it('keeps valid packages on the timeline and refuses bad ones', async () => {
    hub = await buildTestApp();
    const s = sku();
    await send(KEYS.wmsEast, '/wms-east', 'com.manifold.inventory.counted.v1', {
      sku: s,
      location: 'DC-EAST',
      onHand: 50,
    });
    const id = oid();
    const created = await app().app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { authorization: `Bearer ${KEYS.shop}`, 'idempotency-key': randomUUID() },
      payload: orderBody(id, s, 10),
    });
    expect(created.statusCode).toBe(201);
    const shipment = (packages: unknown) => ({
      orderId: id,
      location: 'DC-EAST',
      carrier: 'UPSN',
      service: 'GROUND',
      lines: [{ lineId: '1', quantity: 10 }],
      packages,
    });

    const badDigit = await send(
      KEYS.wmsEast,
      '/wms-east',
      'com.manifold.order.shipped.v1',
      shipment([{ sscc: '106141412345678907', lines: [{ lineId: '1', quantity: 10 }] }]),
    );
    expect(badDigit.status).toBe(400);
    expect(badDigit.type).toContain('application/problem+json');
    expect(badDigit.body.errors).toEqual([
      expect.objectContaining({
        pointer: '/data/packages/0/sscc',
        detail: expect.stringContaining('expected 8'),
      }),
    ]);
    const tooMuch = await send(
      KEYS.wmsEast,
      '/wms-east',
      'com.manifold.order.shipped.v1',
      shipment([
        { sscc: SSCC_1, lines: [{ lineId: '1', quantity: 6 }] },
        { sscc: SSCC_2, lines: [{ lineId: '1', quantity: 5 }] },
      ]),
    );
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.errors[0].detail).toBe('line 1: the packages hold 11, more than the 10 shipped');
    // Nothing was applied: the order has shipped nothing.
    const before = await app().store.orders.getOrder(id);
    expect(before?.state.lines[0]?.shipped).toBe(0);

    const ok = await send(
      KEYS.wmsEast,
      '/wms-east',
      'com.manifold.order.shipped.v1',
      shipment([
        {
          sscc: SSCC_1,
          tracking: '1Z999AA10123456784',
          weight: { value: 4.5, unit: 'KG' },
          lines: [{ lineId: '1', quantity: 6 }],
        },
        { sscc: SSCC_2, lines: [{ lineId: '1', quantity: 4 }] },
      ]),
    );
    expect(ok.status).toBe(202);
    const timeline = await app().app.inject({
      method: 'GET',
      url: `/v1/orders/${id}/timeline`,
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    expect(timeline.statusCode).toBe(200);
    const entry = (timeline.json() as { entries: { type: string; packages?: unknown[] }[] }).entries.find(
      (e) => e.type === 'com.manifold.order.shipped.v1',
    );
    expect(entry).toMatchObject({
      carrier: 'UPSN',
      service: 'GROUND',
      packages: [
        {
          sscc: SSCC_1,
          tracking: '1Z999AA10123456784',
          weight: { value: 4.5, unit: 'KG' },
          lines: [{ lineId: '1', quantity: 6 }],
        },
        { sscc: SSCC_2, lines: [{ lineId: '1', quantity: 4 }] },
      ],
    });
  });
});
