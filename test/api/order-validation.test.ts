/**
 * The `orders.validate` call-out (docs/orders.md) against a real local HTTP server: before stock is
 * committed the hub POSTs the canonical order (signed when a secret is set) to the ERP; an acceptance
 * merges the returned fields, a refusal (decision or 4xx problem) puts the order on `credit_hold` with no
 * commitment, and a timeout or an unreachable validator follows `onTimeout`.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/connectors/http/signature.js';
import { freshOrderId as oid, shipTo, freshSku as sku } from '../support/orders.js';
import { type Sink, type SinkAnswer, startSink } from '../support/sink.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const SECRET = 'validator-secret-0001';
const TIMEOUT_MS = 300;

let hub: TestApp | undefined;
let erp: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await erp?.close();
  hub = undefined;
  erp = undefined;
});

/** The test hub with an `orders.validate` section pointing at `url`. */
function yamlWith(url: string, onTimeout: 'hold' | 'accept', secret = true): string {
  return `${testConfigYaml()}orders:
  validate:
    system: erp
    http: { url: "${url}", timeoutMs: ${TIMEOUT_MS}${secret ? `, secret: ${SECRET}` : ''} }
    onTimeout: ${onTimeout}
`;
}

/** Starts the ERP's validator answering `answer`, and the hub calling it. */
async function start(answer: SinkAnswer, onTimeout: 'hold' | 'accept' = 'hold'): Promise<TestApp> {
  erp = await startSink(() => answer);
  hub = await buildTestApp({ yaml: yamlWith(`${erp.url}/validate`, onTimeout) });
  return hub;
}

/** A URL on which nothing listens (connection refused). */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/validate`;
}

function order(orderId: string, s: string, quantity = 2) {
  return {
    orderId,
    channel: 'web',
    customer: { id: 'C-1', name: 'Ada' },
    lines: [{ lineId: '1', sku: s, quantity, unitPrice: 9.5 }],
    shipTo,
  };
}

async function call(method: 'GET' | 'POST', url: string, key: string, payload?: unknown, headers = {}) {
  const response = await (hub as TestApp).app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...headers },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

const post = (body: unknown) =>
  call('POST', '/v1/orders', KEYS.shop, body, { 'idempotency-key': randomUUID() });

async function stock(s: string, onHand: number) {
  const response = await (hub as TestApp).app.inject({
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
  await (hub as TestApp).inventory.settle();
}

async function committedAt(s: string): Promise<number> {
  const positions = await (hub as TestApp).store.inventory.positions(s);
  return positions.reduce((n, p) => n + p.buckets.committed, 0);
}

async function hubEvents(orderId: string) {
  const page = await (hub as TestApp).store.listEvents({ subject: orderId, source: '/manifold', limit: 100 });
  return page.items.map((i) => i.event);
}

/** The order is on credit hold: accepted, nothing committed, an open exception and an event saying why. */
async function expectCreditHold(
  created: { status: number; body: Record<string, unknown> },
  id: string,
  s: string,
  reason: RegExp,
) {
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ orderId: id, milestone: 'accepted', status: 'accepted' });
  const o = (await call('GET', `/v1/orders/${id}`, KEYS.admin)).body;
  expect(o).toMatchObject({ milestone: 'accepted', status: 'accepted' });
  expect(o.holds).toContain('credit_hold');
  expect(o.lines[0]).toMatchObject({ committed: 0, released: 0 });
  const holds = o.exceptions.filter((e: { code: string }) => e.code === 'credit_hold');
  expect(holds).toHaveLength(1);
  expect(holds[0].detail).toMatch(reason);
  const open = await (hub as TestApp).store.delivery.listExceptions({
    code: 'credit_hold',
    subject: id,
    status: 'open',
    limit: 10,
  });
  expect(open).toHaveLength(1);
  expect(await committedAt(s)).toBe(0);
  const events = await hubEvents(id);
  const exceptions = events.filter((e) => e.type === 'com.manifold.order.exception.v1');
  expect(exceptions.map((e) => (e.data as { code: string }).code)).toEqual(['credit_hold']);
  expect((exceptions[0]?.data as { detail?: string } | undefined)?.detail).toMatch(reason);
  expect(events.map((e) => e.type)).not.toContain('com.manifold.order.released.v1');
  const stored = await (hub as TestApp).store.orders.getOrder(id);
  expect(stored?.milestone).toBe('accepted');
  expect(stored?.holds).toContain('credit_hold');
}

describe('orders.validate: the ERP call-out', () => {
  it('accepts with enrichment: terms, prices and the rest merged; the ERP got the canonical order, signed', async () => {
    await start({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        decision: 'accept',
        order: {
          customer: { terms: 'NET30' },
          lines: [{ lineId: '1', unitPrice: 7.25 }],
          priceList: 'B2B-2026',
        },
      }),
    });
    const s = sku();
    await stock(s, 10);
    const id = oid();
    const created = await post(order(id, s, 2));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      orderId: id,
      milestone: 'released',
      customer: { id: 'C-1', name: 'Ada', terms: 'NET30' },
      enrichment: { priceList: 'B2B-2026' },
    });
    expect(created.body.lines[0]).toMatchObject({ lineId: '1', unitPrice: 7.25, committed: 2 });
    const o = (await call('GET', `/v1/orders/${id}`, KEYS.admin)).body;
    expect(o.customer).toEqual({ id: 'C-1', name: 'Ada', terms: 'NET30' });
    expect(o.lines[0].unitPrice).toBe(7.25);
    expect(o.enrichment).toEqual({ priceList: 'B2B-2026' });
    expect(o.holds).not.toContain('credit_hold');
    const stored = await (hub as TestApp).store.orders.getOrder(id);
    expect(stored?.document).toMatchObject({
      customer: { terms: 'NET30' },
      lines: [{ lineId: '1', unitPrice: 7.25 }],
      enrichment: { priceList: 'B2B-2026' },
    });
    expect(await committedAt(s)).toBe(2);
    // The WMS gets the enriched customer with the release.
    const released = (await hubEvents(id)).find((e) => e.type === 'com.manifold.order.released.v1');
    expect(released?.data).toMatchObject({ customer: { id: 'C-1', terms: 'NET30' } });

    // What the ERP received: one POST of the canonical order, signed with the secret.
    const requests = (erp as Sink).received;
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.path).toBe('/validate');
    const sent = JSON.parse(request?.body ?? '{}');
    expect(sent).toMatchObject({
      orderId: id,
      channel: 'web',
      customer: { id: 'C-1', name: 'Ada' },
      shipTo,
      lines: [{ lineId: '1', sku: s, quantity: 2, unitPrice: 9.5 }],
    });
    expect(sent.customer.terms).toBeUndefined();
    expect(request?.headers['content-type']).toMatch(/^application\/json/);
    const signature = request?.headers['manifold-signature'];
    expect(typeof signature).toBe('string');
    expect(verifySignature(SECRET, request?.body ?? '', signature as string, Date.now() / 1000)).toBe(true);
  });

  it('sends no signature without a secret', async () => {
    erp = await startSink(() => ({ status: 200, body: '{"decision":"accept"}' }));
    hub = await buildTestApp({ yaml: yamlWith(`${erp.url}/validate`, 'hold', false) });
    const s = sku();
    await stock(s, 10);
    const created = await post(order(oid(), s, 1));
    expect(created.status).toBe(201);
    expect(created.body.milestone).toBe('released');
    expect(erp.received).toHaveLength(1);
    expect(erp.received[0]?.headers['manifold-signature']).toBeUndefined();
  });

  it('a refusal decision puts the order on credit_hold: no stock committed, exception and event with the reason', async () => {
    await start({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'refuse', reason: 'credit limit exceeded' }),
    });
    const s = sku();
    await stock(s, 10);
    const id = oid();
    const created = await post(order(id, s, 3));
    await expectCreditHold(created, id, s, /credit limit exceeded/);
  });

  it('a credit hold is released by the ERP (order.hold-released.v1): the order is committed and released then', async () => {
    await start({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'refuse', reason: 'credit limit exceeded' }),
    });
    const s = sku();
    await stock(s, 10);
    const id = oid();
    await expectCreditHold(await post(order(id, s, 3)), id, s, /credit limit exceeded/);
    const held = (await call('GET', `/v1/orders/${id}`, KEYS.admin)).body;
    expect(held.activeHolds).toMatchObject([
      { kind: 'credit', by: 'manifold', reason: expect.stringMatching(/credit limit/) },
    ]);
    const release = (key: string, source: string) =>
      (hub as TestApp).app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${key}` },
        payload: {
          specversion: '1.0',
          id: randomUUID(),
          source,
          type: 'com.manifold.order.hold-released.v1',
          data: { orderId: id, hold: 'credit', reason: 'limit raised' },
        },
      });
    // The storefront does not own credit holds; the ERP does.
    expect((await release(KEYS.shop, '/shop')).statusCode).toBe(403);
    expect((await release(KEYS.erp, '/erp')).statusCode).toBe(202);
    await (hub as TestApp).orders.settle();
    const o = (await call('GET', `/v1/orders/${id}`, KEYS.admin)).body;
    expect(o).toMatchObject({ milestone: 'released', status: 'released', activeHolds: [] });
    expect(o.lines[0]).toMatchObject({ committed: 3, released: 3 });
    expect(await committedAt(s)).toBe(3);
    const released = (await hubEvents(id)).filter((e) => e.type === 'com.manifold.order.released.v1');
    expect(released.map((e) => e.data)).toMatchObject([
      { location: 'DC-EAST', lines: [{ lineId: '1', quantity: 3 }] },
    ]);
  });

  it('a 422 problem from the validator is a refusal with its detail as the reason', async () => {
    await start({
      status: 422,
      headers: { 'content-type': 'application/problem+json' },
      body: JSON.stringify({
        type: 'https://erp.example/problems/blocked',
        title: 'Customer blocked',
        status: 422,
        detail: 'customer C-1 is blocked for dunning',
      }),
    });
    const s = sku();
    await stock(s, 10);
    const id = oid();
    const created = await post(order(id, s, 3));
    await expectCreditHold(created, id, s, /customer C-1 is blocked for dunning/);
  });

  it('a timeout with onTimeout: hold puts the order on credit_hold, without waiting for the slow ERP', async () => {
    await start({ status: 200, body: '{"decision":"accept"}', delayMs: 3000 }, 'hold');
    const s = sku();
    await stock(s, 10);
    const id = oid();
    const began = Date.now();
    const created = await post(order(id, s, 3));
    const took = Date.now() - began;
    await expectCreditHold(created, id, s, /unavailable|timeout|timed out|abort/i);
    expect((erp as Sink).received).toHaveLength(1);
    expect(took).toBeLessThan(2500);
  });

  it('a timeout with onTimeout: accept commits and releases the order as usual', async () => {
    await start({ status: 200, body: '{"decision":"refuse","reason":"too late"}', delayMs: 3000 }, 'accept');
    const s = sku();
    await stock(s, 10);
    const id = oid();
    const created = await post(order(id, s, 3));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ orderId: id, milestone: 'released', status: 'released' });
    expect(created.body.holds).not.toContain('credit_hold');
    expect(created.body.lines[0]).toMatchObject({ committed: 3, released: 3, location: 'DC-EAST' });
    expect(await committedAt(s)).toBe(3);
    const types = (await hubEvents(id)).map((e) => e.type);
    expect(types).toContain('com.manifold.order.released.v1');
    expect(types).not.toContain('com.manifold.order.exception.v1');
  });

  it('an unreachable validator (connection refused) with onTimeout: hold holds the order', async () => {
    hub = await buildTestApp({ yaml: yamlWith(await deadUrl(), 'hold') });
    const s = sku();
    await stock(s, 10);
    const id = oid();
    const created = await post(order(id, s, 2));
    await expectCreditHold(created, id, s, /unavailable/);
  });

  it('an unreachable validator (connection refused) with onTimeout: accept commits the order', async () => {
    hub = await buildTestApp({ yaml: yamlWith(await deadUrl(), 'accept') });
    const s = sku();
    await stock(s, 10);
    const id = oid();
    const created = await post(order(id, s, 2));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ milestone: 'released', status: 'released' });
    expect(created.body.holds).not.toContain('credit_hold');
    expect(await committedAt(s)).toBe(2);
  });
});

describe('orders.validate: other paths in', () => {
  it('an order arriving as an order.accepted event is validated too', async () => {
    await start({ status: 200, body: JSON.stringify({ decision: 'refuse', reason: 'account closed' }) });
    const s = sku();
    await stock(s, 10);
    const id = oid();
    const response = await (hub as TestApp).app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.shop}` },
      payload: {
        specversion: '1.0',
        id: randomUUID(),
        source: '/shop',
        type: 'com.manifold.order.accepted.v1',
        data: order(id, s, 2),
      },
    });
    expect(response.statusCode).toBe(202);
    await (hub as TestApp).orders.settle();
    expect((erp as Sink).received).toHaveLength(1);
    expect(JSON.parse((erp as Sink).received[0]?.body ?? '{}')).toMatchObject({ orderId: id });
    const o = (await call('GET', `/v1/orders/${id}`, KEYS.admin)).body;
    expect(o).toMatchObject({ milestone: 'accepted', status: 'accepted' });
    expect(o.holds).toContain('credit_hold');
    expect(await committedAt(s)).toBe(0);
  });

  it('a 503 from the validator counts as unavailable: onTimeout: hold holds the order', async () => {
    await start({ status: 503, body: 'maintenance' }, 'hold');
    const s = sku();
    await stock(s, 10);
    const id = oid();
    const created = await post(order(id, s, 2));
    await expectCreditHold(created, id, s, /unavailable/);
  });
});

describe('orders.validate: answers the hub cannot use', () => {
  it('an enrichment that breaks the order contracts does not stall the order processor', async () => {
    let calls = 0;
    erp = await startSink(() => {
      calls += 1;
      // The first order's customer comes back with an email the contracts refuse; the second is fine.
      return calls === 1
        ? {
            status: 200,
            body: JSON.stringify({ decision: 'accept', order: { customer: { email: 'not an email' } } }),
          }
        : { status: 200, body: '{"decision":"accept"}' };
    });
    hub = await buildTestApp({ yaml: yamlWith(`${erp.url}/validate`, 'hold') });
    const s = sku();
    await stock(s, 10);
    const first = oid();
    const a = await post(order(first, s, 1));
    expect(a.status).toBe(201);
    expect(await hub.store.orders.getOrder(first)).toBeDefined();
    const second = oid();
    const b = await post(order(second, s, 1));
    expect(b.status).toBe(201);
    expect(b.body.milestone).toBe('released');
  }, 60_000);
});
