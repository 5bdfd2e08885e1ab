/**
 * Inbound 856 (a 3PL's ship notice) through `POST /v1/edi/threepl` in-process: the order named by PRF01
 * shipped from the 3PL's location, items matched by LIN item id or LIN01, packs and partial quantities,
 * carrier from TD5 and tracking from REF*CN / MAN*CP; a notice naming no order, an unknown order, an item
 * not on the order or a unit other than EA is rejected at its segment (AK5 R) and kept.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Segment, type SegmentInput, valueAt } from '../../src/connectors/edi/x12/index.js';
import { shipTo } from '../support/orders.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';
import { postX12, toHub } from './support.js';

let hub: TestApp;
beforeEach(async () => {
  hub = await buildTestApp();
});
afterEach(async () => {
  await hub.close();
});

const seg = (id: string, ...elements: string[]): SegmentInput => ({ id, elements });
const notice = (segments: SegmentInput[]) => toHub({ qualifier: 'ZZ', id: 'THREEPL' }, 'SH', '856', segments);
const ak = (ack: readonly Segment[], id: string) => ack.filter((s) => s.id === id);

async function get(url: string) {
  const response = await hub.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return response.json();
}

/** A web order of two lines committed at DC-WEST (the 3PL's location). */
async function westOrder(orderId: string) {
  for (const sku of ['W-100', 'W-200']) {
    const response = await hub.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsWest}` },
      payload: {
        specversion: '1.0',
        id: randomUUID(),
        source: '/wms-west',
        type: 'com.manifold.inventory.counted.v1',
        data: { sku, location: 'DC-WEST', onHand: 50 },
      },
    });
    expect(response.statusCode).toBe(202);
  }
  await hub.inventory.settle();
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

describe('inbound 856 (a 3PL ship notice)', () => {
  it('ships the order PRF01 names: items under packs by LIN id or LIN01, carrier and tracking', async () => {
    await westOrder('SO-856-1');
    const { sets, ack } = await postX12(
      hub,
      notice([
        seg('BSN', '00', 'SHP-856-1', '20261127', '1015', '0001'),
        seg('HL', '1', '', 'S'),
        seg('TD5', '', '2', 'FDEG'),
        seg('REF', 'BM', 'BOL-1'),
        seg('HL', '2', '1', 'O'),
        seg('PRF', 'SO-856-1'),
        seg('HL', '3', '2', 'P'),
        seg('MAN', 'CP', '794612345678'),
        seg('HL', '4', '3', 'I'),
        seg('LIN', '1', 'VN', 'W-100'),
        seg('SN1', '1', '2', 'EA'),
        seg('HL', '5', '2', 'P'),
        seg('HL', '6', '5', 'I'),
        seg('LIN', '1', 'VN', 'W-100'),
        seg('SN1', '1', '1', 'EA'),
        seg('HL', '7', '5', 'I'),
        seg('LIN', '2', 'UP', '000000000000'),
        seg('SN1', '2', '3'),
        seg('CTT', '7', '6'),
      ]),
      'threepl',
    );
    expect(sets).toEqual([expect.objectContaining({ type: '856', outcome: 'applied' })]);
    expect(valueAt(ak(ack, 'AK5')[0] as Segment, 1)).toBe('A');
    const shipped = await get('/v1/events?type=com.manifold.order.shipped.v1&source=/threepl');
    expect(shipped.items).toHaveLength(1);
    expect(shipped.items[0].event.data).toEqual({
      orderId: 'SO-856-1',
      location: 'DC-WEST',
      lines: [
        { lineId: '1', quantity: 3 },
        { lineId: '2', quantity: 3 },
      ],
      carrier: 'FDEG',
      tracking: '794612345678',
    });
  });

  it('rejects at the segment: no PRF, an unknown order, an item not on the order, a unit other than EA', async () => {
    await westOrder('SO-856-2');
    const cases: Array<[SegmentInput[], string, string]> = [
      [
        [
          seg('HL', '1', '', 'S'),
          seg('HL', '2', '1', 'O'),
          seg('HL', '3', '2', 'I'),
          seg('LIN', '1', 'VN', 'W-100'),
          seg('SN1', '1', '1', 'EA'),
        ],
        'HL',
        'no PRF',
      ],
      [
        [
          seg('HL', '1', '', 'O'),
          seg('PRF', 'NO-SUCH'),
          seg('HL', '2', '1', 'I'),
          seg('LIN', '1', 'VN', 'W-100'),
          seg('SN1', '1', '1', 'EA'),
        ],
        'PRF',
        "no order 'NO-SUCH'",
      ],
      [
        [
          seg('HL', '1', '', 'O'),
          seg('PRF', 'SO-856-2'),
          seg('HL', '2', '1', 'I'),
          seg('LIN', '9', 'VN', 'W-999'),
          seg('SN1', '9', '1', 'EA'),
        ],
        'LIN',
        "no line of order SO-856-2 matches item 'W-999' or line 9",
      ],
      [
        [
          seg('HL', '1', '', 'O'),
          seg('PRF', 'SO-856-2'),
          seg('HL', '2', '1', 'I'),
          seg('LIN', '1', 'VN', 'W-100'),
          seg('SN1', '1', '1', 'CA'),
        ],
        'SN1',
        "SN103 unit 'CA' is not EA",
      ],
    ];
    for (const [segments, segment, detail] of cases) {
      const { sets, ack } = await postX12(
        hub,
        notice([seg('BSN', '00', 'S', '20261127', '1015'), ...segments]),
        'threepl',
      );
      expect(sets[0]).toMatchObject({ type: '856', outcome: 'rejected' });
      expect(sets[0]?.detail).toContain(detail);
      expect(valueAt(ak(ack, 'AK5')[0] as Segment, 1)).toBe('R');
      expect(ak(ack, 'AK3').map((s) => valueAt(s, 1))).toContain(segment);
    }
    const kept = await get('/v1/exceptions?code=edi_rejected');
    expect(kept.items).toHaveLength(4);
    expect((await get('/v1/events?type=com.manifold.order.shipped.v1&source=/threepl')).items).toHaveLength(
      0,
    );
  });
});
