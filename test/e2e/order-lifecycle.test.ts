/**
 * The order lifecycle end to end through the real process (docs/orders.md): `bin/manifold serve` on a SQLite
 * file, real HTTP sinks standing in for the warehouses (releases and release cancellations, filtered by
 * location), the storefront (milestones) and the carrier (shipments), and nothing but HTTP in between.
 *
 * - The seed: an order by `POST /v1/orders` → committed and released → the WMS receives the release →
 *   the WMS reports shipped before picked/packed (and its packed report arrives late) → the TMS reports
 *   delivered → the ERP reports invoiced; the storefront receives every milestone in order, the order,
 *   its timeline (with the deliveries to every sink) and the stock all agree.
 * - A cancellation before pick: the WMS receives `release-cancelled`, the commitment is given back.
 * - A partial shipment from the other warehouse: `partially_shipped`, then `shipped` with the rest.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { shipTo } from '../support/orders.js';
import { type Sink, startSink } from '../support/sink.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const RELEASED = 'com.manifold.order.released.v1';
const RELEASE_CANCELLED = 'com.manifold.order.release-cancelled.v1';
const MILESTONE = 'com.manifold.order.milestone.v1';
const SHIPPED = 'com.manifold.order.shipped.v1';

const dir = mkdtempSync(join(tmpdir(), 'manifold-e2e-orders-'));
let hub: HubProcess;
const sinks = {} as { wmsEast: Sink; wmsWest: Sink; shop: Sink; tms: Sink };

beforeAll(async () => {
  sinks.wmsEast = await startSink();
  sinks.wmsWest = await startSink();
  sinks.shop = await startSink();
  sinks.tms = await startSink();
  const configFile = join(dir, 'manifold.yaml');
  writeFileSync(
    configFile,
    testConfigYaml({
      store: `{ sqlite: "${join(dir, 'hub.db')}" }`,
      subscriptions: `subscriptions:
  - name: wms-east-releases
    target: wms-east
    types: [${RELEASED}, ${RELEASE_CANCELLED}]
    filter: { data: { location: DC-EAST } }
    http: { url: ${sinks.wmsEast.url}/orders/release }
  - name: wms-west-releases
    target: wms-west
    types: [${RELEASED}, ${RELEASE_CANCELLED}]
    filter: { data: { location: DC-WEST } }
    http: { url: ${sinks.wmsWest.url}/orders/release }
  - name: shop-orders
    target: shop
    types: [${MILESTONE}]
    http: { url: ${sinks.shop.url}/orders/status }
  - name: tms-shipments
    target: tms
    types: [${SHIPPED}]
    http: { url: ${sinks.tms.url}/shipments }
`,
    }),
  );
  hub = await startHubProcess(configFile);
}, 30_000);

afterAll(async () => {
  try {
    if (hub) {
      await hub.kill('SIGTERM');
      // A graceful stop: the process exits by itself with 0 (not killed by the signal).
      expect(hub.process.exitCode).toBe(0);
    }
  } finally {
    await Promise.all(Object.values(sinks).map((s) => s?.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

// ---------------------------------------------------------------------------------------------------
// HTTP helpers

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are inspected field by field
  body: any;
  headers: Headers;
}

async function call(
  method: 'GET' | 'POST',
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${hub.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : JSON.parse(text),
    headers: response.headers,
  };
}

const SOURCES: Record<string, [string, string]> = {
  'wms-east': [KEYS.wmsEast, '/wms-east'],
  'wms-west': [KEYS.wmsWest, '/wms-west'],
  tms: [KEYS.tms, '/tms'],
  erp: [KEYS.erp, '/erp'],
  shop: [KEYS.shop, '/shop'],
};

/** One structured CloudEvent to `POST /v1/events` from a system; answers the 202's event id. */
async function send(system: keyof typeof SOURCES & string, type: string, data: Record<string, unknown>) {
  const [key, source] = SOURCES[system] as [string, string];
  const id = `${system}-${randomUUID()}`;
  const response = await fetch(`${hub.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({
      specversion: '1.0',
      id,
      source,
      type,
      correlationid: typeof data.orderId === 'string' ? data.orderId : undefined,
      data,
    }),
  });
  const body = await response.text();
  expect(response.status, body).toBe(202);
  return id;
}

/** Polls `read` every 20 ms until `done` holds (or fails with the last value after `timeoutMs`). */
async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const getOrder = (id: string) => call('GET', `/v1/orders/${id}`, KEYS.admin);
const orderAt = (id: string, status: string) =>
  until(
    () => getOrder(id),
    (a) => a.body?.status === status,
    `order ${id} at ${status}`,
  ).then((a) => a.body);

/** Buckets of one SKU at one location. */
async function buckets(sku: string, location: string): Promise<Record<string, number>> {
  const answer = await call('GET', `/v1/inventory/${encodeURIComponent(sku)}`, KEYS.admin);
  if (answer.status !== 200) return {};
  const position = answer.body.positions.find((p: { location: string }) => p.location === location);
  return position ? { ...position.buckets, available: position.available } : {};
}

const bucketsAre = (sku: string, location: string, expected: Record<string, number>) =>
  until(
    () => buckets(sku, location),
    (b) => Object.entries(expected).every(([k, v]) => (b[k] ?? 0) === v),
    `${sku}@${location} at ${JSON.stringify(expected)}`,
  );

/** Seeds stock: the location's WMS reports a cycle count; waits until the position shows it. */
async function count(sku: string, location: 'DC-EAST' | 'DC-WEST', onHand: number) {
  await send(location === 'DC-EAST' ? 'wms-east' : 'wms-west', 'com.manifold.inventory.counted.v1', {
    sku,
    location,
    onHand,
  });
  await bucketsAre(sku, location, { on_hand: onHand });
}

interface Received {
  id: string;
  type: string;
  subject?: string;
  data: Record<string, unknown> & { orderId: string };
  idempotencyKey: string | undefined;
}

/** The events of one order a sink received so far, in arrival order. */
function receivedFor(sink: Sink, orderId: string, type?: string): Received[] {
  return sink.received.flatMap((r) =>
    r.events
      .filter((e) => (e.data as { orderId?: string })?.orderId === orderId && (!type || e.type === type))
      .map((e) => ({
        id: e.id,
        type: e.type,
        ...(e.subject === undefined ? {} : { subject: e.subject }),
        data: e.data as Received['data'],
        idempotencyKey: r.headers['idempotency-key'] as string | undefined,
      })),
  );
}

/** Waits until a sink holds `n` events of the order (of the type). */
const sinkGets = (sink: Sink, orderId: string, n: number, type?: string) =>
  until(
    async () => receivedFor(sink, orderId, type),
    (events) => events.length >= n,
    `${n} ${type ?? 'events'} of ${orderId} at the sink`,
  );

function orderBody(orderId: string, lines: { lineId: string; sku: string; quantity: number }[]) {
  return {
    orderId,
    channel: 'web',
    customer: { id: 'C-100', name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: lines.map((l) => ({ ...l, unitPrice: 12.5 })),
    shipTo,
  };
}

const tag = () => randomUUID().slice(0, 8);

// ---------------------------------------------------------------------------------------------------

describe('order lifecycle through the real process', () => {
  it('runs the seed: API order → committed, released to the WMS → shipped ahead of picked/packed → delivered → invoiced', async () => {
    const sku = `WIDGET-${tag()}`;
    const orderId = `SO-${tag()}`;
    await count(sku, 'DC-EAST', 10);

    // The storefront places the order; the answer is the committed, released canonical order.
    const body = orderBody(orderId, [{ lineId: '1', sku, quantity: 4 }]);
    const idempotencyKey = `checkout-${orderId}`;
    const created = await call('POST', '/v1/orders', KEYS.shop, body, { 'idempotency-key': idempotencyKey });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      orderId,
      channel: 'web',
      system: 'shop',
      milestone: 'released',
      status: 'released',
      reached: ['accepted', 'committed', 'released'],
    });
    expect(created.body.lines).toEqual([
      expect.objectContaining({
        lineId: '1',
        sku,
        ordered: 4,
        location: 'DC-EAST',
        committed: 4,
        released: 4,
      }),
    ]);
    await bucketsAre(sku, 'DC-EAST', { on_hand: 10, committed: 4, in_transit: 0, available: 6 });

    // A retry with the same key answers the stored 201; nothing is committed twice.
    const retry = await call('POST', '/v1/orders', KEYS.shop, body, { 'idempotency-key': idempotencyKey });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(created.body);

    // DC-EAST's WMS receives the release (and DC-WEST's does not: the subscriptions filter by location).
    const [release] = await sinkGets(sinks.wmsEast, orderId, 1, RELEASED);
    expect(release?.data).toMatchObject({
      orderId,
      location: 'DC-EAST',
      channel: 'web',
      lines: [{ lineId: '1', sku, quantity: 4 }],
      shipTo,
    });
    expect(release?.subject).toBe(orderId);
    expect(release?.idempotencyKey).toBe(release?.id);
    expect(receivedFor(sinks.wmsWest, orderId)).toEqual([]);

    // The WMS reports shipped before it ever reported picked or packed.
    const shippedId = await send('wms-east', SHIPPED, {
      orderId,
      location: 'DC-EAST',
      lines: [{ lineId: '1', quantity: 4 }],
      carrier: 'UPSN',
      tracking: '1Z999AA10123456784',
    });
    let order = await orderAt(orderId, 'shipped');
    expect(order.reached).toEqual(['accepted', 'committed', 'released', 'picked', 'packed', 'shipped']);
    await bucketsAre(sku, 'DC-EAST', { on_hand: 6, committed: 0, in_transit: 4 });
    // The carrier's subscription receives the shipment as the WMS sent it.
    const [shipment] = await sinkGets(sinks.tms, orderId, 1, SHIPPED);
    expect(shipment?.id).toBe(shippedId);
    expect(shipment?.data).toMatchObject({ orderId, tracking: '1Z999AA10123456784' });

    // The WMS's packed report arrives after the shipment: kept on the timeline as late, no move back.
    const lateId = await send('wms-east', 'com.manifold.order.packed.v1', {
      orderId,
      location: 'DC-EAST',
      lines: [{ lineId: '1', quantity: 4 }],
    });
    const lateEntry = await until(
      () => call('GET', `/v1/orders/${orderId}/timeline`, KEYS.admin),
      (a) =>
        a.body.entries.some((e: { id: string; late?: boolean }) => e.id === lateId && e.late !== undefined),
      'the late packed report on the timeline',
    );
    expect(lateEntry.body.milestone).toBe('shipped');

    // The TMS confirms delivery (no lines: everything shipped), the ERP invoices.
    await send('tms', 'com.manifold.order.delivered.v1', { orderId, signedBy: 'A. Lovelace' });
    await orderAt(orderId, 'delivered');
    await send('erp', 'com.manifold.order.invoiced.v1', {
      orderId,
      invoiceNumber: `INV-${orderId}`,
      lines: [{ lineId: '1', quantity: 4, unitPrice: 12.5 }],
      total: 50,
      currency: 'USD',
    });
    order = await orderAt(orderId, 'invoiced');

    // The storefront received every milestone, in order, with the skipped ones named as inferred.
    const milestones = await sinkGets(sinks.shop, orderId, 6, MILESTONE);
    expect(
      milestones.map((m) => ({
        milestone: m.data.milestone,
        previous: m.data.previous,
        inferred: m.data.inferred,
      })),
    ).toEqual([
      { milestone: 'accepted', previous: null, inferred: [] },
      { milestone: 'committed', previous: 'accepted', inferred: [] },
      { milestone: 'released', previous: 'committed', inferred: [] },
      { milestone: 'shipped', previous: 'released', inferred: ['picked', 'packed'] },
      { milestone: 'delivered', previous: 'shipped', inferred: [] },
      { milestone: 'invoiced', previous: 'delivered', inferred: [] },
    ]);
    for (const m of milestones) {
      expect(m.subject).toBe(orderId);
      expect(m.idempotencyKey).toBe(m.id);
    }
    expect(milestones[5]?.data.lines).toEqual([
      expect.objectContaining({
        lineId: '1',
        ordered: 4,
        picked: 4,
        packed: 4,
        shipped: 4,
        delivered: 4,
        invoiced: 4,
      }),
    ]);

    // The order: final milestone and every quantity.
    expect(order).toMatchObject({
      orderId,
      milestone: 'invoiced',
      status: 'invoiced',
      reached: ['accepted', 'committed', 'released', 'picked', 'packed', 'shipped', 'delivered', 'invoiced'],
      holds: [],
      exceptions: [],
    });
    expect(order.lines).toEqual([
      expect.objectContaining({
        lineId: '1',
        sku,
        ordered: 4,
        location: 'DC-EAST',
        backordered: 0,
        released: 4,
        packed: 4,
        shipped: 4,
        delivered: 4,
        cancelled: 0,
        returned: 0,
        invoiced: 4,
        unitPrice: 12.5,
      }),
    ]);

    // Stock: the 4 units left DC-EAST, nothing is promised or on the road any more.
    await bucketsAre(sku, 'DC-EAST', { on_hand: 6, committed: 0, in_transit: 0, reserved: 0, available: 6 });

    // The timeline: every event in and out, in log order, with what each did and every delivery of it.
    const timeline = await until(
      () => call('GET', `/v1/orders/${orderId}/timeline`, KEYS.admin),
      (a) =>
        a.body.entries.every((e: { deliveries: { status: string }[] }) =>
          e.deliveries.every((d) => d.status === 'delivered'),
        ),
      'every delivery of the order done',
    );
    expect(timeline.status).toBe(200);
    const entries = timeline.body.entries as {
      seq: number;
      direction: 'in' | 'out';
      system: string;
      type: string;
      id: string;
      correlationid?: string;
      milestoneBefore?: string | null;
      milestoneAfter?: string;
      inferred?: string[];
      late?: boolean;
      tracking?: string;
      deliveries: {
        subscription: string;
        target: string;
        status: string;
        attempts: { attempt: number; outcome: string; httpStatus?: number; latencyMs: number }[];
        latencyFromIngestMs?: number;
      }[];
    }[];
    expect(timeline.body).toMatchObject({ orderId, milestone: 'invoiced', status: 'invoiced' });
    const seqs = entries.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(entries.map((e) => [e.direction, e.system, e.type.split('.')[3]])).toEqual([
      ['in', 'shop', 'accepted'],
      ['out', 'manifold', 'milestone'],
      ['out', 'manifold', 'milestone'],
      ['out', 'manifold', 'released'],
      ['out', 'manifold', 'milestone'],
      ['in', 'wms-east', 'shipped'],
      ['out', 'manifold', 'milestone'],
      ['in', 'wms-east', 'packed'],
      ['in', 'tms', 'delivered'],
      ['out', 'manifold', 'milestone'],
      ['in', 'erp', 'invoiced'],
      ['out', 'manifold', 'milestone'],
    ]);
    const inbound = entries.filter((e) => e.direction === 'in');
    expect(
      inbound.map((e) => ({
        type: e.type.split('.')[3],
        before: e.milestoneBefore,
        after: e.milestoneAfter,
        inferred: e.inferred,
        late: e.late,
      })),
    ).toEqual([
      { type: 'accepted', before: null, after: 'accepted', inferred: [], late: false },
      { type: 'shipped', before: 'released', after: 'shipped', inferred: ['picked', 'packed'], late: false },
      { type: 'packed', before: 'shipped', after: 'shipped', inferred: [], late: true },
      { type: 'delivered', before: 'shipped', after: 'delivered', inferred: [], late: false },
      { type: 'invoiced', before: 'delivered', after: 'invoiced', inferred: [], late: false },
    ]);
    for (const e of inbound) expect(e.correlationid).toBe(orderId);
    expect(inbound[1]).toMatchObject({ id: shippedId, tracking: '1Z999AA10123456784' });
    expect(
      entries
        .filter((e) => e.type === MILESTONE)
        .map((e) => [e.milestoneBefore, e.milestoneAfter, e.inferred]),
    ).toEqual([
      [null, 'accepted', []],
      ['accepted', 'committed', []],
      ['committed', 'released', []],
      ['released', 'shipped', ['picked', 'packed']],
      ['shipped', 'delivered', []],
      ['delivered', 'invoiced', []],
    ]);
    // Deliveries: which subscription got which event, with attempts and the latency from ingest.
    const deliveredTo = (e: (typeof entries)[number]) => e.deliveries.map((d) => d.subscription);
    for (const e of entries) {
      if (e.type === MILESTONE) expect(deliveredTo(e)).toEqual(['shop-orders']);
      else if (e.type === RELEASED) expect(deliveredTo(e)).toEqual(['wms-east-releases']);
      else if (e.type === SHIPPED) expect(deliveredTo(e)).toEqual(['tms-shipments']);
      else expect(deliveredTo(e)).toEqual([]);
      for (const d of e.deliveries) {
        expect(d.status).toBe('delivered');
        expect(d.attempts).toEqual([
          expect.objectContaining({ attempt: 1, outcome: 'delivered', httpStatus: 200 }),
        ]);
        expect(d.latencyFromIngestMs).toEqual(expect.any(Number));
        expect(d.latencyFromIngestMs).toBeGreaterThanOrEqual(0);
        expect(d.latencyFromIngestMs).toBeLessThan(10_000);
      }
    }
    const releaseEntry = entries.find((e) => e.type === RELEASED);
    expect(releaseEntry?.id).toBe(release?.id);
    expect(releaseEntry?.deliveries[0]?.target).toBe('wms-east');
  }, 30_000);

  it('cancels before pick: the WMS receives release-cancelled, the commitment is given back', async () => {
    const sku = `GADGET-${tag()}`;
    const orderId = `SO-${tag()}`;
    await count(sku, 'DC-EAST', 5);
    const created = await call(
      'POST',
      '/v1/orders',
      KEYS.shop,
      orderBody(orderId, [{ lineId: '1', sku, quantity: 3 }]),
      {
        'idempotency-key': randomUUID(),
      },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ milestone: 'released', status: 'released' });
    await sinkGets(sinks.wmsEast, orderId, 1, RELEASED);
    await bucketsAre(sku, 'DC-EAST', { on_hand: 5, committed: 3, available: 2 });

    // The storefront cancels before the WMS picked anything.
    await send('shop', 'com.manifold.order.cancelled.v1', { orderId, reason: 'customer changed mind' });
    const order = await orderAt(orderId, 'cancelled');
    expect(order).toMatchObject({ milestone: 'cancelled', exceptions: [] });
    expect(order.lines).toEqual([
      expect.objectContaining({ ordered: 3, cancelled: 3, committed: 0, released: 0 }),
    ]);
    await bucketsAre(sku, 'DC-EAST', { on_hand: 5, committed: 0, in_transit: 0, available: 5 });

    // DC-EAST's WMS receives the withdrawal after the release, in order for the order.
    const toWms = await sinkGets(sinks.wmsEast, orderId, 2);
    expect(toWms.map((e) => e.type)).toEqual([RELEASED, RELEASE_CANCELLED]);
    expect(toWms[1]?.data).toEqual({
      orderId,
      location: 'DC-EAST',
      lines: [{ lineId: '1', sku, quantity: 3 }],
      reason: 'customer changed mind',
    });
    expect(receivedFor(sinks.wmsWest, orderId)).toEqual([]);

    // The storefront sees released → cancelled.
    const milestones = await sinkGets(sinks.shop, orderId, 4, MILESTONE);
    expect(milestones.map((m) => [m.data.previous, m.data.milestone])).toEqual([
      [null, 'accepted'],
      ['accepted', 'committed'],
      ['committed', 'released'],
      ['released', 'cancelled'],
    ]);
  }, 20_000);

  it('ships partially from DC-WEST (partially_shipped), then the rest (shipped)', async () => {
    const sku = `GIZMO-${tag()}`;
    const orderId = `SO-${tag()}`;
    // Only DC-WEST has the SKU: the allocation policy commits there and only its WMS gets the release.
    await count(sku, 'DC-WEST', 10);
    const created = await call(
      'POST',
      '/v1/orders',
      KEYS.shop,
      orderBody(orderId, [{ lineId: '1', sku, quantity: 5 }]),
      {
        'idempotency-key': randomUUID(),
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.lines).toEqual([
      expect.objectContaining({ location: 'DC-WEST', committed: 5, released: 5 }),
    ]);
    const [release] = await sinkGets(sinks.wmsWest, orderId, 1, RELEASED);
    expect(release?.data).toMatchObject({ location: 'DC-WEST', lines: [{ lineId: '1', sku, quantity: 5 }] });
    expect(receivedFor(sinks.wmsEast, orderId)).toEqual([]);

    await send('wms-west', 'com.manifold.order.picked.v1', {
      orderId,
      location: 'DC-WEST',
      lines: [{ lineId: '1', quantity: 5 }],
    });
    await orderAt(orderId, 'picked');
    // The first parcel: 2 of 5.
    await send('wms-west', SHIPPED, {
      orderId,
      location: 'DC-WEST',
      lines: [{ lineId: '1', quantity: 2 }],
      tracking: 'PARCEL-1',
    });
    let order = await orderAt(orderId, 'partially_shipped');
    expect(order.milestone).toBe('shipped');
    expect(order.lines).toEqual([expect.objectContaining({ ordered: 5, picked: 5, shipped: 2 })]);
    await bucketsAre(sku, 'DC-WEST', { on_hand: 8, committed: 3, in_transit: 2 });

    // The second parcel: the remaining 3.
    await send('wms-west', SHIPPED, {
      orderId,
      location: 'DC-WEST',
      lines: [{ lineId: '1', quantity: 3 }],
      tracking: 'PARCEL-2',
    });
    order = await orderAt(orderId, 'shipped');
    expect(order.milestone).toBe('shipped');
    expect(order.lines).toEqual([expect.objectContaining({ ordered: 5, shipped: 5 })]);
    await bucketsAre(sku, 'DC-WEST', { on_hand: 5, committed: 0, in_transit: 5 });

    // The carrier got both parcels; the storefront saw picked → shipped (partially) → shipped.
    const parcels = await sinkGets(sinks.tms, orderId, 2, SHIPPED);
    expect(parcels.map((p) => p.data.tracking)).toEqual(['PARCEL-1', 'PARCEL-2']);
    const milestones = await sinkGets(sinks.shop, orderId, 6, MILESTONE);
    expect(milestones.map((m) => [m.data.previous, m.data.milestone, m.data.status])).toEqual([
      [null, 'accepted', 'accepted'],
      ['accepted', 'committed', 'committed'],
      ['committed', 'released', 'released'],
      ['released', 'picked', 'picked'],
      ['picked', 'shipped', 'partially_shipped'],
      ['shipped', 'shipped', 'shipped'],
    ]);

    // Delivery empties in_transit.
    await send('tms', 'com.manifold.order.delivered.v1', { orderId });
    await orderAt(orderId, 'delivered');
    await bucketsAre(sku, 'DC-WEST', { on_hand: 5, committed: 0, in_transit: 0 });
  }, 20_000);
});
