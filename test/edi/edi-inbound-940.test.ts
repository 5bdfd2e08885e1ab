/**
 * Inbound 940 (warehouse shipping order from a client whose 3PL Manifold fronts) through
 * `POST /v1/edi/{partner}` in-process: the set becomes `order.accepted` on the partner's channel (order id
 * `<partner>-<W05-02>`, lines from LX/W01, ship-to from N1*ST); a 940 without lines or ship-to is rejected
 * in the 997 (AK3/AK4, AK5 R) and kept as `edi_rejected`.
 */

import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SegmentInput, valueAt } from '../../src/connectors/edi/x12/index.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';
import { postX12, sample, toHub } from './support.js';

const fixture = sample;

let hub: TestApp;
beforeEach(async () => {
  hub = await buildTestApp();
});
afterEach(async () => {
  await hub.close();
});

const ACME = { qualifier: '12', id: '4405197800' };

/** The public 940 sample, addressed from acme (the client) to the hub. */
function sample940(): string {
  return fixture('940-edinengine.edi').replace(
    'ZZ*ABCDEFGHIJKLMNO*ZZ*123456789012345',
    '12*4405197800     *01*999999999      ',
  );
}

/** One 940 interchange from acme to the hub, written by the project's writer. */
function interchange940(segments: SegmentInput[]): string {
  return toHub(ACME, 'OW', '940', segments);
}

const seg = (id: string, ...elements: string[]): SegmentInput => ({ id, elements });

const send = (body: string) => postX12(hub, body, 'acme');

async function get(url: string) {
  const response = await hub.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return { status: response.statusCode, body: response.json() };
}

/** On-hand stock at DC-EAST (which serves acme's channel `edi-acme`), counted by wms-east. */
async function stock(skus: string[], onHand = 100) {
  for (const sku of skus) {
    const response = await hub.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
      payload: {
        specversion: '1.0',
        id: randomUUID(),
        source: '/wms-east',
        type: 'com.manifold.inventory.counted.v1',
        data: { sku, location: 'DC-EAST', onHand },
      },
    });
    expect(response.statusCode).toBe(202);
  }
  await hub.orders.settle();
  await hub.inventory.settle();
}

describe('inbound 940 (warehouse shipping order, Manifold fronting a 3PL)', () => {
  it('turns the public 940 sample into an acme order with its LX/W01 lines and N1*ST ship-to, committed', async () => {
    await stock(['000100', '000200', '000300']);
    // The sample orders in cases (W01-02 CA); the hub takes eaches only (a case is rejected, see below).
    const { sets, ack } = await send(sample940().replace(/W01\*(\d+)\*CA\*/g, 'W01*$1*EA*'));
    expect(sets[0]).toMatchObject({ type: '940', outcome: 'applied', detail: 'order acme-538686' });
    const ak5 = ack.find((s) => s.id === 'AK5');
    expect(ak5 && valueAt(ak5, 1)).toBe('A');
    const order = await get('/v1/orders/acme-538686');
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({
      channel: 'edi-acme',
      system: 'acme',
      customer: { id: 'acme', name: 'acme' },
      shipTo: {
        name: 'ST COMPANY',
        line1: 'ADDRESS',
        city: 'CITY',
        region: 'CA',
        postalCode: '00003',
        country: 'US',
      },
    });
    expect(order.body.milestone).toBe('released');
    expect(
      order.body.lines.map((l: Record<string, unknown>) => [
        l.lineId,
        l.sku,
        l.ordered,
        l.unitPrice,
        l.committed,
      ]),
    ).toEqual([
      ['1', '000100', 12, 0, 12],
      ['2', '000200', 32, 0, 32],
      ['3', '000300', 12, 0, 12],
    ]);
    const events = await get('/v1/events?type=com.manifold.order.accepted.v1&source=/acme');
    expect(events.body.items.map((e: { event: { id: string } }) => e.event.id)).toEqual([
      'x12-3438-3317-0001',
    ]);
  });

  it('maps W05-03, N1*BY, the item qualifiers and N9*LI line ids of a written 940', async () => {
    await stock(['SKU-A', 'SKU-B']);
    const order = interchange940([
      seg('W05', 'N', 'DO-77', 'PO-9001'),
      seg('N1', 'BY', 'Buyer Corp', '92', 'B-42'),
      seg('N1', 'ST', 'Ada Lovelace'),
      seg('N2', 'Dock 4'),
      seg('N3', '1 Analytical St', 'Suite 2'),
      seg('N4', 'Boston', 'MA', '02110', 'US'),
      seg('W01', '3', 'EA', '', 'UP', '0001234', 'SK', 'SKU-A'),
      seg('N9', 'LI', '10'),
      seg('W01', '2', 'EA', '', 'UP', 'SKU-B'),
      seg('N9', 'LI', '20'),
    ]);
    const { sets } = await send(order);
    expect(sets[0]).toMatchObject({ type: '940', outcome: 'applied' });
    const found = await get('/v1/orders/acme-DO-77');
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({
      customer: { id: 'B-42', name: 'Buyer Corp', poNumber: 'PO-9001' },
      customerPo: 'PO-9001',
      shipTo: {
        name: 'Ada Lovelace Dock 4',
        line1: '1 Analytical St',
        line2: 'Suite 2',
        postalCode: '02110',
      },
    });
    expect(found.body.lines.map((l: Record<string, unknown>) => [l.lineId, l.sku, l.ordered])).toEqual([
      ['10', 'SKU-A', 3],
      ['20', 'SKU-B', 2],
    ]);
  });

  it('rejects a 940 without W01 lines or ship-to (AK3, AK5 R) and keeps it as edi_rejected', async () => {
    const empty = interchange940([seg('W05', 'N', 'DO-1'), seg('N1', 'BY', 'Buyer Corp', '92', 'B-42')]);
    const { sets, ack } = await send(empty);
    expect(sets[0]).toMatchObject({ type: '940', outcome: 'rejected' });
    expect(sets[0]?.detail).toContain('no W01 lines');
    expect(sets[0]?.detail).toContain('no ship-to party (N1*ST)');
    const ak3s = ack.filter((s) => s.id === 'AK3');
    expect(ak3s.length).toBeGreaterThan(0);
    expect(ak3s.map((s) => valueAt(s, 4))).toEqual(ak3s.map(() => '3'));
    const ak5 = ack.find((s) => s.id === 'AK5');
    expect(ak5 && valueAt(ak5, 1)).toBe('R');
    const kept = await get('/v1/exceptions?code=edi_rejected');
    expect(kept.body.items).toHaveLength(1);
    expect(kept.body.items[0]).toMatchObject({ system: 'acme' });
    expect(kept.body.items[0].payload).toContain('W05*N*DO-1');
    expect((await get('/v1/orders/acme-DO-1')).status).toBe(404);
  });

  it('rejects a W01 with a bad quantity with AK4 on W01-01 and keeps it as edi_rejected', async () => {
    const bad = interchange940([
      seg('W05', 'N', 'DO-2'),
      seg('N1', 'ST', 'Ada Lovelace'),
      seg('N3', '1 Analytical St'),
      seg('N4', 'Boston', 'MA', '02110'),
      seg('LX', '1'),
      seg('W01', '0', 'EA', '', 'VN', 'SKU-A'),
    ]);
    const { sets, ack } = await send(bad);
    expect(sets[0]).toMatchObject({ type: '940', outcome: 'rejected' });
    const ak3 = ack.find((s) => s.id === 'AK3');
    expect(ak3 && valueAt(ak3, 1)).toBe('W01');
    const ak4 = ack.find((s) => s.id === 'AK4');
    expect(ak4 && valueAt(ak4, 1)).toBe('1');
    expect((await get('/v1/exceptions?code=edi_rejected')).body.items).toHaveLength(1);
    expect((await get('/v1/orders/acme-DO-2')).status).toBe(404);
  });
});
