/**
 * The commercial fields of an 850 (docs/edi.md, docs/orders.md#commercial-fields): a purchase order with
 * CUR, REF*DP, SAC, DTM, TD5, MSG, N1*BT/ST/Z7, PID and PO1 buyer ids maps to the canonical fields, the
 * order keeps them through the EDI path, and a malformed GTIN or date rejects the set at its element.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { map850 } from '../../src/connectors/edi/mappings/inbound-850.js';
import { parseX12, type TransactionSet, validateX12 } from '../../src/connectors/edi/x12/index.js';
import { validateData } from '../../src/contracts/event-validator.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';
import { postX12 } from './support.js';

const PO = readFileSync(new URL('../fixtures/edi-commercial/850-commercial.edi', import.meta.url), 'utf8');
const partner = { name: 'acme', channel: 'edi-acme' };

function setOf(x12: string): TransactionSet {
  const document = parseX12(x12);
  expect(validateX12(document)).toEqual([]);
  const set = document.interchanges[0]?.groups[0]?.sets[0];
  if (!set) throw new Error('no set');
  return set;
}

const expected = {
  orderId: 'acme-4500012345',
  channel: 'edi-acme',
  customer: { id: 'acme', name: 'acme' },
  lines: [
    {
      lineId: '1',
      sku: 'AB3542',
      quantity: 120,
      unitPrice: 9.25,
      description: 'SMALL WIDGET',
      customerItemId: 'BUYER-77',
      gtin: '012345678905',
      discount: 2.5,
    },
    {
      lineId: '2',
      sku: 'RD5322',
      quantity: 220,
      unitPrice: 13.79,
      description: 'MEDIUM WIDGET',
      customerItemId: 'CAT-9',
      gtin: '4006381333931',
    },
  ],
  shipTo: {
    name: 'XYZ RETAIL',
    line1: '31875 SOLON RD',
    city: 'SOLON',
    region: 'OH',
    postalCode: '44139',
    country: 'US',
  },
  customerPo: '4500012345',
  orderedAt: '2026-11-30T00:00:00Z',
  currency: 'USD',
  department: '038',
  charges: [
    { type: 'freight', amount: 12.5, description: 'LTL FREIGHT' },
    { type: 'handling', amount: 3, description: 'line 2: GIFT WRAP' },
  ],
  discounts: [{ code: 'C310', description: 'WINTER PROMOTION', amount: 5 }],
  requestedShipDate: '2026-12-04',
  shipNotBefore: '2026-12-03',
  shipNoLater: '2026-12-08',
  requestedDeliveryDate: '2026-12-10',
  cancelAfter: '2026-12-15',
  shipVia: { carrier: 'UPSN', service: 'UPS GROUND' },
  notes: 'DELIVER TO THE BACK DOCK',
  billTo: {
    name: 'ACME ACCOUNTS PAYABLE',
    id: 'AP-1',
    line1: '9 LEDGER RD',
    city: 'DOVER',
    region: 'DE',
    postalCode: '19901',
    country: 'US',
  },
  markFor: { name: 'STORE 118', id: '118' },
};

describe('850 commercial fields (mapping)', () => {
  it('maps BEG, CUR, REF*DP, SAC, DTM, TD5, MSG, N1*BT/ST/Z7, PID and PO1 ids to the canonical order', () => {
    const mapped = map850(setOf(PO), partner);
    expect(mapped).toEqual({ ok: true, data: expected });
    expect(validateData('com.manifold.order.accepted.v1', expected)).toEqual([]);
  });

  it('rejects a GTIN of the wrong length and a DTM that is no date, at their elements', () => {
    const broken = PO.replace('UP*012345678905', 'UP*01234').replace('DTM*001*20261215', 'DTM*001*20261231X');
    const mapped = map850(setOf(broken), partner);
    expect(mapped.ok).toBe(false);
    if (mapped.ok) return;
    expect(mapped.problems).toEqual([
      expect.objectContaining({ segment: 'PO1', element: 11, detail: expect.stringContaining("UP '01234'") }),
      expect.objectContaining({ segment: 'DTM', element: 2, detail: expect.stringContaining('DTM01 001') }),
    ]);
  });

  it('reads the VICS sample as before, with its department, delivery date, routing and descriptions', () => {
    const vics = readFileSync(new URL('../fixtures/edi/850-vics-nodex12.edi', import.meta.url), 'utf8');
    const mapped = map850(setOf(vics), partner);
    expect(mapped.ok).toBe(true);
    if (!mapped.ok) return;
    expect(mapped.data).toMatchObject({
      customerPo: '08292233294',
      orderedAt: '2010-11-27T00:00:00Z',
      department: '038',
      requestedDeliveryDate: '2010-12-14',
      shipVia: { carrier: 'P3', service: 'SEE XYZ RETAIL ROUTING GUIDE' },
    });
    expect((mapped.data.lines as Record<string, unknown>[])[0]).toMatchObject({
      description: 'SMALL WIDGET',
      customerItemId: '065322-117',
    });
  });
});

describe('850 commercial fields (through POST /v1/edi/acme)', () => {
  let hub: TestApp;
  beforeEach(async () => {
    hub = await buildTestApp();
  });
  afterEach(async () => {
    await hub.close();
  });

  it('keeps them on the order', async () => {
    const { sets } = await postX12(hub, PO, 'acme');
    expect(sets[0]).toMatchObject({ type: '850', outcome: 'applied' });
    await hub.orders.settle();
    const read = await hub.app.inject({
      method: 'GET',
      url: '/v1/orders/acme-4500012345',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    expect(read.statusCode).toBe(200);
    const { orderId, channel, lines, customer: _customer, shipTo: _shipTo, ...commercial } = expected;
    expect(read.json()).toMatchObject({ orderId, channel, ...commercial });
    const { quantity, ...first } = lines[0] as { quantity: number };
    expect(read.json().lines[0]).toMatchObject({ ...first, ordered: quantity });
  });
});
