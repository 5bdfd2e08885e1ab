/**
 * Short picks (docs/orders.md): the WMS picks fewer units than were released to it. The shortfall's
 * commitment at the short location is given back, a `short_pick` exception is raised, and by
 * `orders.shortPick` the shortfall is either committed at another location serving the channel and
 * released to its WMS (`recommit`), or backordered on the line with a `backordered` hold (`backorder`).
 *
 * DC-EAST and DC-WEST both serve `web`; DC-EAST comes first in config, so an order it can fill is
 * committed and released there.
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

async function start(shortPick: 'recommit' | 'backorder'): Promise<TestApp> {
  hub = await buildTestApp({ yaml: `${testConfigYaml()}orders:\n  shortPick: ${shortPick}\n` });
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
  expect(response.statusCode).toBe(202);
  await app().orders.settle();
  await app().inventory.settle();
}

const WMS = {
  'DC-EAST': { key: KEYS.wmsEast, source: '/wms-east' },
  'DC-WEST': { key: KEYS.wmsWest, source: '/wms-west' },
} as const;

async function stock(s: string, location: keyof typeof WMS, onHand: number) {
  const { key, source } = WMS[location];
  await send(key, source, 'com.manifold.inventory.counted.v1', { sku: s, location, onHand });
}

async function report(stage: string, id: string, location: keyof typeof WMS, quantity: number) {
  const { key, source } = WMS[location];
  await send(key, source, `com.manifold.order.${stage}.v1`, {
    orderId: id,
    location,
    lines: [{ lineId: '1', quantity }],
  });
}

async function buckets(s: string) {
  const positions = await app().store.inventory.positions(s);
  return Object.fromEntries(positions.map((p) => [p.location, p.buckets]));
}

async function hubEvents(id: string) {
  const page = await app().store.listEvents({ subject: id, source: '/manifold', limit: 200 });
  return page.items;
}

/** Stock at both DCs, an order of 5 committed and released at DC-EAST, then only 3 picked there. */
async function shortPicked(): Promise<{ s: string; id: string }> {
  const s = sku();
  await stock(s, 'DC-EAST', 10);
  await stock(s, 'DC-WEST', 10);
  const id = oid();
  const created = await call(
    'POST',
    '/v1/orders',
    KEYS.shop,
    {
      orderId: id,
      channel: 'web',
      customer: { id: 'C-1', name: 'Ada' },
      lines: [{ lineId: '1', sku: s, quantity: 5, unitPrice: 9.5 }],
      shipTo,
    },
    { 'idempotency-key': randomUUID() },
  );
  expect(created.status).toBe(201);
  expect(created.body.lines[0]).toMatchObject({ location: 'DC-EAST', committed: 5, released: 5 });
  expect((await buckets(s))['DC-EAST']).toMatchObject({ on_hand: 10, committed: 5 });
  await report('picked', id, 'DC-EAST', 3);
  return { s, id };
}

async function expectShortPickException(id: string, also: string[] = []) {
  const o = (await call('GET', `/v1/orders/${id}`, KEYS.admin)).body;
  const shorts = o.exceptions.filter((e: { code: string }) => e.code === 'short_pick');
  expect(shorts).toHaveLength(1);
  expect(shorts[0].detail).toMatch(/2 short at DC-EAST/);
  const exceptionEvents = (await hubEvents(id))
    .map((i) => i.event)
    .filter((e) => e.type === 'com.manifold.order.exception.v1')
    .map((e) => (e.data as { code: string }).code);
  expect(exceptionEvents).toEqual(['short_pick', ...also]);
  return o;
}

describe('short pick, policy recommit', () => {
  it('raises short_pick, moves the shortfall’s commitment to DC-WEST and releases it there', async () => {
    await start('recommit');
    const { s, id } = await shortPicked();
    const o = await expectShortPickException(id);
    expect(o.lines[0]).toMatchObject({ ordered: 5, picked: 3, committed: 5, backordered: 0 });
    expect(o).toMatchObject({ milestone: 'picked', status: 'partially_picked' });
    expect(o.holds).not.toContain('backordered');
    const positions = await buckets(s);
    expect(positions['DC-EAST']).toMatchObject({ on_hand: 10, committed: 3 });
    expect(positions['DC-WEST']).toMatchObject({ on_hand: 10, committed: 2 });
    // Released to DC-WEST's WMS, for the shortfall only, after the first release to DC-EAST.
    const released = (await hubEvents(id))
      .map((i) => i.event)
      .filter((e) => e.type === 'com.manifold.order.released.v1')
      .map((e) => e.data as { location: string; lines: { lineId: string; sku: string; quantity: number }[] });
    expect(released).toHaveLength(2);
    expect(released[0]).toMatchObject({ location: 'DC-EAST', lines: [{ lineId: '1', sku: s, quantity: 5 }] });
    expect(released[1]).toMatchObject({ location: 'DC-WEST', lines: [{ lineId: '1', sku: s, quantity: 2 }] });
    expect(released[1]?.lines).toHaveLength(1);
    const ledger = await app().store.inventory.ledger({ sku: s, location: 'DC-WEST', limit: 10 });
    expect(ledger[0]).toMatchObject({ deltas: { committed: 2 }, documentRef: id });
  });

  it('the recommitted order ships from both DCs and delivery empties in_transit at both', async () => {
    await start('recommit');
    const { s, id } = await shortPicked();
    // DC-WEST picks its 2; each DC ships what it picked; the carrier delivers everything.
    await report('picked', id, 'DC-WEST', 2);
    await report('shipped', id, 'DC-EAST', 3);
    await report('shipped', id, 'DC-WEST', 2);
    let positions = await buckets(s);
    expect(positions['DC-EAST']).toMatchObject({ on_hand: 7, committed: 0, in_transit: 3 });
    expect(positions['DC-WEST']).toMatchObject({ on_hand: 8, committed: 0, in_transit: 2 });
    let o = (await call('GET', `/v1/orders/${id}`, KEYS.admin)).body;
    expect(o).toMatchObject({ milestone: 'shipped', status: 'shipped' });
    await send(KEYS.tms, '/tms', 'com.manifold.order.delivered.v1', { orderId: id });
    positions = await buckets(s);
    expect(positions['DC-EAST']).toMatchObject({ on_hand: 7, in_transit: 0 });
    expect(positions['DC-WEST']).toMatchObject({ on_hand: 8, in_transit: 0 });
    o = (await call('GET', `/v1/orders/${id}`, KEYS.admin)).body;
    expect(o).toMatchObject({ milestone: 'delivered', status: 'delivered' });
    expect(o.exceptions.map((e: { code: string }) => e.code)).toEqual(['short_pick']);
  });

  it('backorders the shortfall when no other location has the stock', async () => {
    await start('recommit');
    const s = sku();
    await stock(s, 'DC-EAST', 10);
    const id = oid();
    await call(
      'POST',
      '/v1/orders',
      KEYS.shop,
      {
        orderId: id,
        channel: 'web',
        customer: { id: 'C-1' },
        lines: [{ lineId: '1', sku: s, quantity: 5, unitPrice: 9.5 }],
        shipTo,
      },
      { 'idempotency-key': randomUUID() },
    );
    await report('picked', id, 'DC-EAST', 3);
    const o = (await call('GET', `/v1/orders/${id}`, KEYS.admin)).body;
    expect(o.lines[0]).toMatchObject({ picked: 3, committed: 3, backordered: 2 });
    expect(o.holds).toEqual(expect.arrayContaining(['short_pick', 'backordered']));
    expect((await buckets(s))['DC-EAST']).toMatchObject({ on_hand: 10, committed: 3 });
  });
});

describe('short pick, policy backorder', () => {
  it('raises short_pick, gives the shortfall’s commitment back and backorders it, with a backordered hold', async () => {
    await start('backorder');
    const { s, id } = await shortPicked();
    const o = await expectShortPickException(id, ['backordered']);
    expect(o.lines[0]).toMatchObject({ ordered: 5, picked: 3, committed: 3, backordered: 2 });
    expect(o.holds).toContain('backordered');
    const positions = await buckets(s);
    expect(positions['DC-EAST']).toMatchObject({ on_hand: 10, committed: 3 });
    expect(positions['DC-WEST']).toMatchObject({ on_hand: 10, committed: 0 });
    const released = (await hubEvents(id))
      .map((i) => i.event)
      .filter((e) => e.type === 'com.manifold.order.released.v1');
    expect(released.map((e) => (e.data as { location: string }).location)).toEqual(['DC-EAST']);
    const stored = await app().store.orders.getOrder(id);
    expect(stored?.holds).toContain('backordered');
    expect(stored?.state.lines[0]).toMatchObject({ committed: 3, backordered: 2 });
  });
});
