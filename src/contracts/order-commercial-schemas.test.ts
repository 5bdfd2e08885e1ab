import { describe, expect, it } from 'vitest';
import { validateData } from './event-validator.js';
import { SAMPLE_DATA } from './samples.js';

const ACCEPTED = 'com.manifold.order.accepted.v1';

/** The sample order with every commercial field, order- and line-level. */
function commercialOrder(): Record<string, unknown> {
  const base = structuredClone(SAMPLE_DATA[ACCEPTED]) as Record<string, unknown>;
  const lines = base.lines as Record<string, unknown>[];
  Object.assign(lines[0] as object, {
    description: 'Blue widget, 10 mm',
    customerItemId: 'BUYER-77',
    gtin: '00012345678905',
    discount: 1.5,
    taxes: [{ type: 'sales', rate: 8.25, amount: 3.16 }],
    extensions: { shelf: 'A-3', nested: { deep: [1, 2] } },
  });
  return {
    ...base,
    currency: 'USD',
    customerPo: 'PO-4500012345',
    department: '0042',
    orderedAt: '2026-11-30T14:05:00Z',
    requestedShipDate: '2026-12-04',
    shipNotBefore: '2026-12-03',
    shipNoLater: '2026-12-08',
    requestedDeliveryDate: '2026-12-10',
    cancelAfter: '2026-12-15',
    shipVia: { carrier: 'UPSN', service: 'GROUND' },
    billTo: {
      name: 'Acme AP',
      id: 'AP-1',
      line1: '9 Ledger Rd',
      city: 'Dover',
      postalCode: '19901',
      country: 'US',
    },
    markFor: { name: 'Store 118', id: '118' },
    charges: [{ type: 'freight', amount: 12.5, description: 'LTL freight' }],
    taxes: [{ type: 'sales', rate: 8.25, amount: 4.2 }],
    discounts: [{ code: 'WINTER10', description: 'Winter promotion', amount: 5 }],
    payment: { status: 'authorized', method: 'card' },
    notes: 'Deliver to the back dock.',
    extensions: { erpRoute: 'R-12', flags: ['gift'] },
  };
}

function lineOf(order: Record<string, unknown>, index: number): Record<string, unknown> {
  return (order.lines as Record<string, unknown>[])[index] as Record<string, unknown>;
}

describe('order.accepted.v1 commercial fields', () => {
  it('accepts every order- and line-level commercial field', () => {
    expect(validateData(ACCEPTED, commercialOrder())).toEqual([]);
  });

  it('still refuses an unknown field, on the order and on a line', () => {
    const order = commercialOrder();
    order.salesRep = 'Bob';
    lineOf(order, 0).colour = 'blue';
    expect(
      validateData(ACCEPTED, order)
        .map((p) => p.pointer)
        .sort(),
    ).toEqual(['/lines/0/colour', '/salesRep']);
  });

  it('refuses malformed values with pointers to them', () => {
    const order = commercialOrder();
    order.currency = 'usd';
    order.cancelAfter = '2026-12-15T00:00:00Z';
    order.orderedAt = '2026-11-30';
    order.shipVia = {};
    order.charges = [{ type: 'bribe', amount: 1 }];
    order.payment = { status: 'maybe' };
    (order.billTo as Record<string, unknown>).fax = '555';
    lineOf(order, 0).gtin = '12345';
    lineOf(order, 1).discount = -1;
    expect(
      validateData(ACCEPTED, order)
        .map((p) => p.pointer)
        .sort(),
    ).toEqual([
      '/billTo/fax',
      '/cancelAfter',
      '/charges/0/type',
      '/currency',
      '/lines/0/gtin',
      '/lines/1/discount',
      '/orderedAt',
      '/payment/status',
      '/shipVia',
    ]);
  });

  it('takes any JSON inside extensions', () => {
    const order = commercialOrder();
    order.extensions = { a: null, b: { c: [true, 1, 'x'] } };
    expect(validateData(ACCEPTED, order)).toEqual([]);
    order.extensions = 'not an object';
    expect(validateData(ACCEPTED, order).map((p) => p.pointer)).toEqual(['/extensions']);
  });
});
