/** `GET /v1/events?type=` takes the subscriptions' `*` patterns, and answers 400 for what is no pattern. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';

let hub: TestApp;
const sku = `SKU-${randomUUID().slice(0, 8)}`;
beforeAll(async () => {
  hub = await buildTestApp();
  const response = await hub.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
    payload: {
      specversion: '1.0',
      id: randomUUID(),
      source: '/wms-east',
      type: 'com.manifold.inventory.counted.v1',
      data: { sku, location: 'DC-EAST', onHand: 4 },
    },
  });
  expect(response.statusCode).toBe(202);
});
afterAll(async () => {
  await hub.close();
});

const get = (query: string) =>
  hub.app.inject({
    method: 'GET',
    url: `/v1/events?${query}`,
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });

it('reads a * pattern as subscriptions do', async () => {
  const types = async (pattern: string) =>
    (
      (await get(`type=${encodeURIComponent(pattern)}&limit=5000`)).json() as {
        items: { event: { type: string } }[];
      }
    ).items.map((item) => item.event.type);
  expect(await types('com.manifold.inventory.*')).toContain('com.manifold.inventory.counted.v1');
  expect(await types('*.counted.*')).toEqual(expect.arrayContaining(['com.manifold.inventory.counted.v1']));
  expect(await types('com.manifold.order.*')).not.toContain('com.manifold.inventory.counted.v1');
});

it('answers 400 problem+json for a type that is no pattern', async () => {
  const response = await get(`type=${encodeURIComponent('com.manifold.order.%')}`);
  expect(response.statusCode).toBe(400);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.json().detail).toContain("invalid type pattern 'com.manifold.order.%'");
});
