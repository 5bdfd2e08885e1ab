/**
 * Inbound 945, 214 and 846 through `POST /v1/edi/{partner}` in-process: each set becomes canonical events
 * ingested as the partner (shipped, delivered, incoming) or `carrier_exception` exceptions, checked
 * through the API; mapping problems are rejected in the 997 (AK3/AK4, AK5 R) and kept as `edi_rejected`.
 */

import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Segment, type SegmentInput, valueAt } from '../../src/connectors/edi/x12/index.js';
import { shipTo } from '../support/orders.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';
import { postX12, sample, toHub } from './support.js';

const fixture = sample;

let hub: TestApp;
beforeEach(async () => {
  hub = await buildTestApp();
});
afterEach(async () => {
  await hub.close();
});

type Partner = 'acme' | 'threepl' | 'freightco' | 'supplier';
const IDENTITY: Record<Partner, { qualifier: string; id: string }> = {
  acme: { qualifier: '12', id: '4405197800' },
  threepl: { qualifier: 'ZZ', id: 'THREEPL' },
  freightco: { qualifier: 'ZZ', id: 'FRGT' },
  supplier: { qualifier: 'ZZ', id: 'SUPPLIER' },
};

/** One interchange from `partner` to the hub holding one set, written by the project's writer. */
function interchange(partner: Partner, functionalId: string, set: string, segments: SegmentInput[]): string {
  return toHub(IDENTITY[partner], functionalId, set, segments);
}

const seg = (id: string, ...elements: string[]): SegmentInput => ({ id, elements });

const send = (body: string, partner: Partner) => postX12(hub, body, partner);

const ak = (ack: readonly Segment[], id: string) => ack.find((s) => s.id === id);

async function get(url: string) {
  const response = await hub.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return { status: response.statusCode, body: response.json() };
}

async function event(key: string, source: string, type: string, data: Record<string, unknown>) {
  const response = await hub.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${key}` },
    payload: { specversion: '1.0', id: randomUUID(), source, type, data },
  });
  expect(response.statusCode).toBe(202);
  await hub.orders.settle();
  await hub.inventory.settle();
}

/** A web order of two lines committed at DC-WEST (the only location with stock). */
async function westOrder(orderId: string) {
  for (const sku of ['W-100', 'W-200'])
    await event(KEYS.wmsWest, '/wms-west', 'com.manifold.inventory.counted.v1', {
      sku,
      location: 'DC-WEST',
      onHand: 50,
    });
  const response = await hub.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { authorization: `Bearer ${KEYS.shop}`, 'idempotency-key': randomUUID() },
    payload: {
      orderId,
      channel: 'web',
      customer: { id: 'C-1', name: 'Ada' },
      lines: [
        { lineId: '1', sku: 'W-100', quantity: 4, unitPrice: 5 },
        { lineId: '2', sku: 'W-200', quantity: 3, unitPrice: 7 },
      ],
      shipTo,
    },
  });
  expect(response.statusCode).toBe(201);
  await hub.orders.settle();
  await hub.inventory.settle();
}

/** An acme 850 (PO `poNumber`, order `acme-<poNumber>`), stocked at DC-EAST and shipped by wms-east. */
async function acmeOrderShipped(poNumber: string) {
  await event(KEYS.wmsEast, '/wms-east', 'com.manifold.inventory.counted.v1', {
    sku: 'E-100',
    location: 'DC-EAST',
    onHand: 20,
  });
  const po = interchange('acme', 'PO', '850', [
    seg('BEG', '00', 'SA', poNumber, '', '20261127'),
    seg('N1', 'ST', 'ADDISON HVAC LLC'),
    seg('N3', '7050 OVERLAND RD'),
    seg('N4', 'ORLANDO', 'FL', '32810'),
    seg('PO1', '1', '2', 'EA', '10', '', 'VN', 'E-100'),
  ]);
  const { sets } = await send(po, 'acme');
  expect(sets[0]).toMatchObject({ type: '850', outcome: 'applied' });
  await event(KEYS.wmsEast, '/wms-east', 'com.manifold.order.shipped.v1', {
    orderId: `acme-${poNumber}`,
    location: 'DC-EAST',
    lines: [{ lineId: '1', quantity: 2 }],
  });
  expect((await get(`/v1/orders/acme-${poNumber}`)).body.milestone).toBe('shipped');
}

/** The public 214 sample, addressed from freightco to the hub. */
function sample214(): string {
  return fixture('214-ellipsis-staedi.edi').replace(
    'ZZ*XXXX           *ZZ*DDDDDD         ',
    'ZZ*FRGT           *01*999999999      ',
  );
}

describe('inbound 850 through the dispatch table', () => {
  it('answers 200 with AK4 on PO102 for a zero quantity (the set detail stays a valid header)', async () => {
    const po = interchange('acme', 'PO', '850', [
      seg('BEG', '00', 'SA', '777', '', '20261127'),
      seg('N1', 'ST', 'ADDISON HVAC LLC'),
      seg('N3', '7050 OVERLAND RD'),
      seg('N4', 'ORLANDO', 'FL', '32810'),
      seg('PO1', '1', '0', 'EA', '10', '', 'VN', 'E-100'),
    ]);
    const { sets, ack } = await send(po, 'acme');
    expect(sets[0]).toMatchObject({ type: '850', outcome: 'rejected' });
    expect(ak(ack, 'AK4')?.elements[0]).toBe('2');
  });
});

describe('inbound 945 (warehouse shipping advice)', () => {
  it('ships an order from the 3PL location: lines by item and by LX number, partial, carrier and tracking', async () => {
    await westOrder('SO-945-1');
    const advice = interchange('threepl', 'SW', '945', [
      seg('W06', 'N', 'SO-945-1', '20261127', 'SHP-1'),
      seg('N1', 'ST', 'Ada Shop'),
      seg('N9', 'BM', 'BOL-778'),
      seg('N9', 'CN', '1Z999AA10123456784'),
      seg('LX', '1'),
      seg('W12', 'PR', '4', '3', '1', 'EA', '', 'VN', 'W-100'),
      seg('LX', '2'),
      seg('W12', 'PR', '3', '2', '1', 'EA', '', 'UP', '0001234'),
      seg('W03', '5', '10', 'LB'),
      seg('W27', 'M', 'UPSN'),
    ]);
    const { sets, ack } = await send(advice, 'threepl');
    expect(sets).toEqual([expect.objectContaining({ type: '945', outcome: 'applied' })]);
    expect(valueAt(ak(ack, 'AK5') as never, 1)).toBe('A');
    const shipped = await get('/v1/events?type=com.manifold.order.shipped.v1&source=/threepl');
    expect(shipped.body.items).toHaveLength(1);
    expect(shipped.body.items[0].event.id).toMatch(/^x12-\d+-\d+-0001-1$/);
    expect(shipped.body.items[0].event.data).toEqual({
      orderId: 'SO-945-1',
      location: 'DC-WEST',
      lines: [
        { lineId: '1', quantity: 3 },
        { lineId: '2', quantity: 2 },
      ],
      carrier: 'UPSN',
      tracking: '1Z999AA10123456784',
    });
    const order = await get('/v1/orders/SO-945-1');
    expect(order.status).toBe(200);
    expect(order.body.reached).toContain('shipped');
  });

  it('rejects a 945 for an unknown order or an unmatched item (AK4 on W06-02 / W12-08) and keeps it', async () => {
    await westOrder('SO-945-2');
    const unknown = interchange('threepl', 'SW', '945', [
      seg('W06', 'N', 'NO-SUCH-ORDER'),
      seg('LX', '1'),
      seg('W12', 'CC', '1', '1', '', 'EA', '', 'VN', 'W-100'),
    ]);
    const first = await send(unknown, 'threepl');
    expect(first.sets[0]).toMatchObject({ outcome: 'rejected' });
    expect(valueAt(ak(first.ack, 'AK5') as never, 1)).toBe('R');
    expect(ak(first.ack, 'AK3')?.elements[0]).toBe('W06');
    expect(ak(first.ack, 'AK4')?.elements[0]).toBe('2');
    const unmatched = interchange('threepl', 'SW', '945', [
      seg('W06', 'N', 'SO-945-2'),
      seg('LX', '9'),
      seg('W12', 'CC', '1', '1', '', 'EA', '', 'VN', 'NOT-ORDERED'),
    ]);
    const second = await send(unmatched, 'threepl');
    expect(ak(second.ack, 'AK4')?.elements[0]).toBe('8');
    const kept = await get('/v1/exceptions?code=edi_rejected');
    expect(kept.body.items).toHaveLength(2);
    expect(kept.body.items.map((e: { system: string }) => e.system)).toEqual(['threepl', 'threepl']);
    expect(kept.body.items.some((e: { payload: string }) => e.payload.includes('NOT-ORDERED'))).toBe(true);
    expect((await get('/v1/events?type=com.manifold.order.shipped.v1&source=/threepl')).body.items).toEqual(
      [],
    );
  });
});

describe('replaying a rejected set', () => {
  it('applies a 945 kept as edi_rejected once the order it names exists (retry), and 409 while it does not', async () => {
    const early = interchange('threepl', 'SW', '945', [
      seg('W06', 'N', 'SO-945-R'),
      seg('LX', '1'),
      seg('W12', 'CC', '4', '4', '', 'EA', '', 'VN', 'W-100'),
    ]);
    expect((await send(early, 'threepl')).sets[0]).toMatchObject({ outcome: 'rejected' });
    const [kept] = (await get('/v1/exceptions?code=edi_rejected&system=threepl')).body.items;
    expect(kept.payload).toMatch(/^ISA/);
    const retry = () =>
      hub.app.inject({
        method: 'POST',
        url: `/v1/exceptions/${kept.id}/retry`,
        headers: { authorization: `Bearer ${KEYS.admin}` },
        payload: { note: 'order arrived' },
      });
    const tooSoon = await retry();
    expect(tooSoon.statusCode).toBe(409);
    expect(tooSoon.json().type).toMatch(/still-failing$/);
    await westOrder('SO-945-R');
    const retried = await retry();
    expect(retried.json()).toMatchObject({ status: 'resolved', resolution: 'retried' });
    await hub.orders.settle();
    const order = (await get('/v1/orders/SO-945-R')).body;
    expect(order.lines[0]).toMatchObject({ lineId: '1', shipped: 4 });
  });
});

describe('inbound 214 (carrier shipment status)', () => {
  it('acknowledges the public sample (AT7 AG, AF: in transit) without an event, on the acme order of L11*PO', async () => {
    await acmeOrderShipped('900169');
    const { sets, ack } = await send(sample214(), 'freightco');
    expect(valueAt(ak(ack, 'AK5') as never, 1)).toBe('A');
    expect(sets).toEqual([
      {
        control: '757760001',
        type: '214',
        outcome: 'applied',
        detail:
          'order acme-900169: AG in transit at 2020-09-11T11:59:00Z; AF in transit at 2020-09-10T11:35:00Z',
      },
    ]);
    expect((await get('/v1/events?source=/freightco')).body.items).toEqual([]);
    expect((await get('/v1/orders/acme-900169')).body.milestone).toBe('shipped');
    // The in-transit statuses are on the order's timeline as notes.
    const timeline = (await get('/v1/orders/acme-900169/timeline')).body;
    const notes = timeline.entries
      .filter((e: { type: string }) => e.type === 'note')
      .map((e: { note: string }) => e.note);
    expect(notes).toEqual([
      'freightco (X12 214): AT7 AG in transit at 2020-09-11T11:59:00Z',
      'freightco (X12 214): AT7 AF in transit at 2020-09-10T11:35:00Z',
    ]);
  });

  it('turns AT7 D1 into order.delivered (with B10-02 as the order id) and SD into a carrier_exception', async () => {
    await acmeOrderShipped('900170');
    const status = (code: string, control: string) =>
      interchange('freightco', 'QM', '214', [
        seg('B10', `PRO-${control}`, '900170', 'FRGT'),
        seg('LX', '1'),
        seg('AT7', code, 'NS', '', '', '20261127', '1015', 'UT'),
      ]);
    const delayed = await send(status('SD', '1'), 'freightco');
    expect(delayed.sets[0]).toMatchObject({
      outcome: 'applied',
      detail: expect.stringContaining('SD carrier_exception'),
    });
    const exceptions = await get('/v1/exceptions?code=carrier_exception');
    expect(exceptions.body.items).toHaveLength(1);
    expect(exceptions.body.items[0]).toMatchObject({ subject: 'acme-900170', system: 'freightco' });
    expect(exceptions.body.items[0].detail).toContain('AT7 SD');
    const delivered = await send(status('D1', '2'), 'freightco');
    expect(delivered.sets[0]).toMatchObject({ outcome: 'applied' });
    const order = await get('/v1/orders/acme-900170');
    expect(order.body.milestone).toBe('delivered');
    const events = await get('/v1/events?type=com.manifold.order.delivered.v1&source=/freightco');
    expect(events.body.items[0].event.data).toEqual({
      orderId: 'acme-900170',
      deliveredAt: '2026-11-27T10:15:00Z',
    });
  });

  it('rejects a 214 naming no known order and keeps it as edi_rejected', async () => {
    const { sets, ack } = await send(sample214(), 'freightco');
    expect(sets[0]).toMatchObject({ outcome: 'rejected' });
    expect(valueAt(ak(ack, 'AK5') as never, 1)).toBe('R');
    const kept = await get('/v1/exceptions?code=edi_rejected');
    expect(kept.body.items[0].payload).toContain('L11*900169*PO');
  });
});

describe('inbound 846 (inventory advice from a supplier)', () => {
  it('sets incoming at the supplier location from the public sample (LIN VN, QTY*33)', async () => {
    const advice = fixture('846-5010-x12types.edi').replace(
      'ZZ*SENDER         *ZZ*RECEIVER       ',
      'ZZ*SUPPLIER       *01*999999999      ',
    );
    const { sets, ack } = await send(advice, 'supplier');
    expect(ak(ack, 'ST')?.elements[0]).toBe('999');
    expect(sets[0]).toMatchObject({
      type: '846',
      outcome: 'applied',
      detail: 'incoming at DC-EAST: ABC123 100',
    });
    const position = await get('/v1/inventory/ABC123');
    expect(position.status).toBe(200);
    expect(position.body.positions).toEqual([
      expect.objectContaining({ location: 'DC-EAST', buckets: expect.objectContaining({ incoming: 100 }) }),
    ]);
    const events = await get('/v1/events?type=com.manifold.inventory.incoming.v1&source=/supplier');
    expect(events.body.items[0].event.data).toEqual({
      sku: 'ABC123',
      location: 'DC-EAST',
      quantity: 100,
      expectedAt: '2020-01-01T00:00:00Z',
    });
  });

  it('uses the item DTM*018 date, and rejects an item without QTY*33 (QTY*17 is the supplier stock)', async () => {
    const good = interchange('supplier', 'IB', '846', [
      seg('BIA', '00', 'SI', 'R1', '20261127'),
      seg('LIN', '1', 'SK', 'S-846'),
      seg('QTY', '33', '12', 'EA'),
      seg('DTM', '018', '20261205'),
      seg('CTT', '1'),
    ]);
    expect((await send(good, 'supplier')).sets[0]).toMatchObject({ outcome: 'applied' });
    const events = await get('/v1/events?type=com.manifold.inventory.incoming.v1&source=/supplier');
    expect(events.body.items[0].event.data).toMatchObject({
      sku: 'S-846',
      quantity: 12,
      expectedAt: '2026-12-05T00:00:00Z',
    });
    const onHandOnly = interchange('supplier', 'IB', '846', [
      seg('BIA', '00', 'SI', 'R2', '20261127'),
      seg('LIN', '1', 'SK', 'S-847'),
      seg('QTY', '17', '40', 'EA'),
      seg('CTT', '1'),
    ]);
    const rejected = await send(onHandOnly, 'supplier');
    expect(rejected.sets[0]).toMatchObject({ outcome: 'rejected' });
    expect(ak(rejected.ack, 'AK3')?.elements[0]).toBe('LIN');
    expect((await get('/v1/inventory/S-847')).status).toBe(404);
  });

  it('refuses incoming from a partner that does not own inventory.incoming (AK5 R, edi_rejected)', async () => {
    const advice = interchange('threepl', 'IB', '846', [
      seg('BIA', '00', 'SI', 'R3', '20261127'),
      seg('LIN', '1', 'SK', 'S-848'),
      seg('QTY', '33', '5', 'EA'),
    ]);
    const { sets, ack } = await send(advice, 'threepl');
    expect(sets[0]).toMatchObject({
      outcome: 'rejected',
      detail: expect.stringContaining('inventory.incoming'),
    });
    expect(valueAt(ak(ack, 'AK5') as never, 1)).toBe('R');
    expect((await get('/v1/exceptions?code=edi_rejected')).body.items).toHaveLength(1);
  });
});

describe('inbound 846 from a 3PL that owns the on-hand of its warehouse', () => {
  // The test hub with the on-hand of DC-WEST given to threepl instead of wms-west (one owner per
  // location: two would overwrite each other's counts, which the configuration refuses).
  const withThreeplOnHand = () =>
    buildTestApp({
      yaml: testConfigYaml().replace(
        'inventory.on_hand: [wms-east, wms-west]',
        'inventory.on_hand: [wms-east, threepl]',
      ),
    });

  it('counts QTY*17 as the on-hand of its location (0 included), ignoring its QTY*33', async () => {
    await hub.close();
    hub = await withThreeplOnHand();
    const advice = interchange('threepl', 'IB', '846', [
      seg('BIA', '00', 'SI', 'C1', '20261127'),
      seg('LIN', '1', 'SK', 'T-846'),
      seg('QTY', '17', '40', 'EA'),
      seg('QTY', '33', '31', 'EA'),
      seg('LIN', '2', 'SK', 'T-847'),
      seg('QTY', '17', '0', 'EA'),
      seg('CTT', '2'),
    ]);
    const { sets } = await send(advice, 'threepl');
    expect(sets[0]).toMatchObject({ outcome: 'applied', detail: 'on hand at DC-WEST: T-846 40, T-847 0' });
    await hub.inventory.settle();
    const position = await get('/v1/inventory/T-846');
    expect(position.body.positions).toEqual([
      expect.objectContaining({
        location: 'DC-WEST',
        buckets: expect.objectContaining({ on_hand: 40, incoming: 0 }),
      }),
    ]);
    const events = await get('/v1/events?type=com.manifold.inventory.counted.v1&source=/threepl');
    expect(events.body.items.map((i: { event: { data: unknown } }) => i.event.data)).toEqual(
      expect.arrayContaining([
        { sku: 'T-846', location: 'DC-WEST', onHand: 40 },
        { sku: 'T-847', location: 'DC-WEST', onHand: 0 },
      ]),
    );
  });

  it('rejects an item without QTY*17 (AK3 on its LIN): a 3PL sending only QTY*33 is noticed', async () => {
    await hub.close();
    hub = await withThreeplOnHand();
    const advice = interchange('threepl', 'IB', '846', [
      seg('BIA', '00', 'SI', 'C2', '20261127'),
      seg('LIN', '1', 'SK', 'T-848'),
      seg('QTY', '33', '5', 'EA'),
    ]);
    const { sets, ack } = await send(advice, 'threepl');
    expect(sets[0]).toMatchObject({ outcome: 'rejected' });
    expect(ak(ack, 'AK3')?.elements[0]).toBe('LIN');
    expect((await get('/v1/inventory/T-848')).status).toBe(404);
  });
});
