/**
 * A request refused by validation (400) does not use up its Idempotency-Key: the corrected retry with the
 * same key runs (it is not answered 422 "different request body"), on orders and on reservations.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshOrderId as oid, shipTo, freshSku as sku } from '../support/orders.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';

let hub: TestApp;
beforeEach(async () => {
  hub = await buildTestApp();
});
afterEach(async () => {
  await hub.close();
});

async function post(url: string, payload: Record<string, unknown>, key: string) {
  const response = await hub.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${KEYS.shop}`, 'idempotency-key': key },
    payload,
  });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

async function stock(s: string, onHand: number) {
  const response = await hub.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
    payload: {
      specversion: '1.0',
      id: randomUUID(),
      source: '/wms-east',
      type: 'com.manifold.inventory.counted.v1',
      data: { sku: s, location: 'DC-EAST', onHand },
    },
  });
  expect(response.statusCode).toBe(202);
  await hub.inventory.settle();
}

describe('a 400 keeps the Idempotency-Key free', () => {
  it('on POST /v1/orders: the corrected body with the same key creates the order', async () => {
    const s = sku();
    await stock(s, 10);
    const key = randomUUID();
    const id = oid();
    const good = {
      orderId: id,
      channel: 'web',
      customer: { id: 'C-1', name: 'Ada' },
      lines: [{ lineId: '1', sku: s, quantity: 2, unitPrice: 9.5 }],
      shipTo,
    };
    const bad = { ...good, lines: [{ lineId: '1', sku: s, quantity: 0, unitPrice: 9.5 }] };
    const refused = await post('/v1/orders', bad, key);
    expect(refused.status).toBe(400);
    const again = await post('/v1/orders', bad, key);
    expect(again.status).toBe(400);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    const created = await post('/v1/orders', good, key);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.orderId).toBe(id);
    const replayed = await post('/v1/orders', good, key);
    expect(replayed.status).toBe(201);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
  });

  it('on POST /v1/reservations: the corrected body with the same key reserves', async () => {
    const s = sku();
    await stock(s, 10);
    const key = randomUUID();
    const refused = await post('/v1/reservations', { channel: 'web', sku: s, ttlSeconds: 600 }, key);
    expect(refused.status).toBe(400);
    const schema = await post(
      '/v1/reservations',
      { channel: 'web', sku: s, quantity: -1, ttlSeconds: 600 },
      key,
    );
    expect(schema.status).toBe(400);
    const good = { channel: 'web', sku: s, quantity: 3, ttlSeconds: 600 };
    const reserved = await post('/v1/reservations', good, key);
    expect(reserved.status, JSON.stringify(reserved.body)).toBe(201);
    const replayed = await post('/v1/reservations', good, key);
    expect(replayed.status).toBe(201);
    expect(replayed.body.id).toBe(reserved.body.id);
  });
});
