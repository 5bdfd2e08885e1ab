/**
 * The commercial fields of an order (docs/orders.md#commercial-fields) through the API on every store:
 * `POST /v1/orders` takes them, `GET /v1/orders/{id}` gives them back as sent (the document is kept as
 * JSON), `order.released.v1` carries what a WMS needs, and an unknown field is still refused.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { compileConfig } from '../../src/config/load-config.js';
import { composeHub, type Hub } from '../../src/main/compose.js';
import { freshOrderId, freshSku, shipTo } from '../support/orders.js';
import { describeEachStore } from '../support/stores.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const commercial = {
  currency: 'USD',
  customerPo: 'PO-4500012345',
  department: '0042',
  orderedAt: '2026-11-30T14:05:00Z',
  requestedShipDate: '2026-12-04',
  requestedDeliveryDate: '2026-12-10',
  cancelAfter: '2026-12-15',
  shipVia: { carrier: 'UPSN', service: 'GROUND' },
  billTo: { name: 'Acme AP', line1: '9 Ledger Rd', city: 'Dover', postalCode: '19901', country: 'US' },
  markFor: { name: 'Store 118', id: '118' },
  charges: [{ type: 'freight', amount: 12.5, description: 'LTL freight' }],
  taxes: [{ type: 'sales', rate: 8.25, amount: 4.2 }],
  discounts: [{ code: 'WINTER10', amount: 5 }],
  payment: { status: 'authorized', method: 'card' },
  notes: 'Deliver to the back dock.',
  extensions: { erpRoute: 'R-12', nested: { flags: ['gift', 1, null] } },
};
const lineCommercial = {
  description: 'Blue widget, 10 mm',
  customerItemId: 'BUYER-77',
  gtin: '00012345678905',
  discount: 1.5,
  taxes: [{ type: 'sales', amount: 3.16 }],
  extensions: { shelf: 'A-3' },
};

await describeEachStore(
  'order commercial fields through the API',
  (t) => {
    let hub: Hub | undefined;
    let app: FastifyInstance | undefined;
    afterEach(async () => {
      await app?.close();
      await hub?.stop(2000);
      app = undefined;
      hub = undefined;
    });

    async function start(): Promise<FastifyInstance> {
      const logger = pino({ level: 'silent' });
      hub = composeHub(compileConfig(testConfigYaml(), 'test.yaml', {}), t.store, {
        logger,
        delivery: false,
      });
      app = (await buildApp({ services: hub, logger })).app;
      return app;
    }

    it('takes the fields on POST, returns them on GET and carries the WMS ones on the release', async () => {
      const api = await start();
      const sku = freshSku();
      const counted = await api.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${KEYS.wmsEast}`, 'content-type': 'application/cloudevents+json' },
        payload: {
          specversion: '1.0',
          id: randomUUID(),
          source: '/wms-east',
          type: 'com.manifold.inventory.counted.v1',
          data: { sku, location: 'DC-EAST', onHand: 10 },
        },
      });
      expect(counted.statusCode).toBe(202);
      await hub?.inventory.settle();
      const orderId = freshOrderId();
      const body = {
        orderId,
        channel: 'web',
        customer: { id: 'C-1', name: 'Ada' },
        lines: [
          { lineId: '1', sku, quantity: 2, unitPrice: 9.5, ...lineCommercial },
          { lineId: '2', sku, quantity: 1, unitPrice: 4 },
        ],
        shipTo,
        ...commercial,
      };
      const created = await api.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: { authorization: `Bearer ${KEYS.shop}`, 'idempotency-key': randomUUID() },
        payload: body,
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json()).toMatchObject({ ...commercial, lines: [lineCommercial, {}] });
      await hub?.orders.settle();

      const read = await api.inject({
        method: 'GET',
        url: `/v1/orders/${orderId}`,
        headers: { authorization: `Bearer ${KEYS.shop}` },
      });
      expect(read.statusCode).toBe(200);
      const view = read.json();
      expect(view).toMatchObject(commercial);
      expect(view.lines[0]).toMatchObject({ lineId: '1', ...lineCommercial });
      expect(view.lines[1]).not.toHaveProperty('description');
      expect((await t.store.orders.getOrder(orderId))?.document).toMatchObject({
        ...commercial,
        lines: [lineCommercial, {}],
      });

      const events = (await t.store.listEvents({ subject: orderId, limit: 100 })).items.map((e) => e.event);
      const released = events.find((e) => e.type === 'com.manifold.order.released.v1');
      expect(released?.data).toEqual({
        orderId,
        location: 'DC-EAST',
        channel: 'web',
        customer: { id: 'C-1', name: 'Ada' },
        lines: [
          {
            lineId: '1',
            sku,
            quantity: 2,
            description: lineCommercial.description,
            customerItemId: lineCommercial.customerItemId,
            gtin: lineCommercial.gtin,
          },
          { lineId: '2', sku, quantity: 1 },
        ],
        shipTo,
        customerPo: commercial.customerPo,
        department: commercial.department,
        requestedShipDate: commercial.requestedShipDate,
        requestedDeliveryDate: commercial.requestedDeliveryDate,
        cancelAfter: commercial.cancelAfter,
        shipVia: commercial.shipVia,
        billTo: commercial.billTo,
        markFor: commercial.markFor,
        notes: commercial.notes,
      });
      // The order's own event (delivered to subscribers as is) keeps every field.
      const accepted = events.find((e) => e.type === 'com.manifold.order.accepted.v1');
      expect(accepted?.data).toEqual(body);
    });

    it('refuses an unknown field with a pointer to it', async () => {
      const api = await start();
      const refused = await api.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: { authorization: `Bearer ${KEYS.shop}`, 'idempotency-key': randomUUID() },
        payload: {
          orderId: freshOrderId(),
          channel: 'web',
          customer: { id: 'C-1' },
          lines: [{ lineId: '1', sku: freshSku(), quantity: 1, unitPrice: 1, colour: 'blue' }],
          shipTo,
          salesRep: 'Bob',
        },
      });
      expect(refused.statusCode).toBe(400);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(JSON.stringify(refused.json())).toContain('/lines/0/colour');
      expect(JSON.stringify(refused.json())).toContain('/salesRep');
    });
  },
  { fresh: 'each' },
);
