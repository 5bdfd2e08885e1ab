/** The console's Commercial panel and line item cell, rendered to HTML from an order view. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { OrderView } from '../types.js';
import { CommercialPanel, LineItem } from './order-commercial.js';

const line: OrderView['lines'][number] = {
  lineId: '1',
  sku: 'WID-BLUE',
  ordered: 2,
  committed: 2,
  backordered: 0,
  released: 2,
  picked: 0,
  packed: 0,
  shipped: 0,
  delivered: 0,
  cancelled: 0,
  returned: 0,
  invoiced: 0,
};

const order: OrderView = {
  orderId: 'SO-1',
  channel: 'web',
  system: 'shop',
  milestone: 'released',
  status: 'released',
  reached: ['accepted', 'committed', 'released'],
  customer: { id: 'C-1' },
  shipTo: { name: 'Ada' },
  lines: [line],
  holds: [],
  activeHolds: [],
  exceptions: [],
  createdAt: '2026-12-01T00:00:00Z',
  updatedAt: '2026-12-01T00:00:00Z',
  version: 1,
};

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('Commercial panel', () => {
  it('shows PO, currency, dates, ship via, parties, money, payment and notes', () => {
    const html = renderToStaticMarkup(
      createElement(CommercialPanel, {
        order: {
          ...order,
          customerPo: 'PO-778',
          currency: 'USD',
          requestedShipDate: '2026-12-04',
          cancelAfter: '2026-12-15',
          shipVia: { carrier: 'UPSN', service: 'GROUND' },
          billTo: { name: 'Acme AP', id: 'AP-1', city: 'Dover', country: 'US' },
          markFor: { name: 'Store 118' },
          charges: [{ type: 'freight', amount: 12.5 }],
          taxes: [{ type: 'sales', rate: 8.25, amount: 4.2 }],
          discounts: [{ code: 'WINTER10', amount: 5 }],
          payment: { status: 'authorized', method: 'card' },
          notes: 'Back dock',
        },
      }),
    );
    const shown = text(html);
    for (const part of [
      'Customer PO PO-778',
      'Currency USD',
      'Requested ship 2026-12-04',
      'Cancel after 2026-12-15',
      'Ship via UPSN · GROUND',
      'Bill to Acme AP (AP-1), Dover US',
      'Mark for Store 118',
      'Charges freight 12.50 USD',
      'Taxes sales 8.25 % 4.20 USD',
      'Discounts WINTER10 −5.00 USD',
      'Payment authorized (card)',
      'Notes Back dock',
    ]) {
      expect(shown).toContain(part);
    }
  });

  it('renders nothing for an order without commercial fields', () => {
    expect(renderToStaticMarkup(createElement(CommercialPanel, { order }))).toBe('');
  });

  it("shows a line's description, buyer item id and GTIN", () => {
    const html = renderToStaticMarkup(
      createElement(LineItem, {
        line: { ...line, description: 'Blue widget', customerItemId: 'B-77', gtin: '012345678905' },
      }),
    );
    expect(text(html).trim()).toBe('Blue widget · buyer B-77 · GTIN 012345678905');
    expect(text(renderToStaticMarkup(createElement(LineItem, { line }))).trim()).toBe('—');
  });

  it("shows a line's discount and taxes in the order's currency", () => {
    const html = renderToStaticMarkup(
      createElement(LineItem, {
        line: {
          ...line,
          description: 'Blue widget',
          discount: 1.5,
          taxes: [
            { type: 'sales', rate: 8.25, amount: 1.1 },
            { type: 'eco', amount: 0.2 },
          ],
        },
        currency: 'USD',
      }),
    );
    expect(text(html).trim()).toBe(
      'Blue widget · discount −1.50 USD · tax sales 8.25 % 1.10 USD · tax eco 0.20 USD',
    );
    const bare = renderToStaticMarkup(createElement(LineItem, { line: { ...line, discount: 0.5 } }));
    expect(text(bare).trim()).toBe('discount −0.50');
  });
});
