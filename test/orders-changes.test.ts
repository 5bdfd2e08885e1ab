/**
 * Order changes and holds on every store adapter (docs/orders.md#changing-an-order, #holds): a change
 * raising, lowering, adding and removing lines moves the stock and tells the WMS; a change after pick is
 * refused as a whole into `order_change_refused`; only the order's owner may change it; a held order goes
 * to no warehouse and resumes when its last hold is released; a credit hold comes from the ERP only.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { expect, it } from 'vitest';
import { compileConfig } from '../src/config/load-config.js';
import type { CloudEvent } from '../src/domain/cloud-event.js';
import { composeHub, type Hub } from '../src/main/compose.js';
import type { Store } from '../src/store/store-port.js';
import { freshOrderId, freshSku, orderBody, shipTo } from './support/orders.js';
import { describeEachStore } from './support/stores.js';
import { testConfigYaml } from './support/test-config.js';

function event(system: string, type: string, data: Record<string, unknown>): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `/${system}`,
    type: `com.manifold.order.${type}.v1`,
    data,
  } as CloudEvent;
}

await describeEachStore(
  'order changes and holds',
  (t) => {
    let hub: Hub;
    let store: Store;
    const start = (extra = '') => {
      store = t.store;
      const config = compileConfig(testConfigYaml() + extra, 'test.yaml', {});
      hub = composeHub(config, store, { logger: pino({ level: 'silent' }), delivery: false });
    };
    const stop = async () => {
      await hub.orders.stop();
      await hub.inventory.stop();
    };

    async function send(system: string, type: string, data: Record<string, unknown>) {
      const [result] = await hub.ingest.ingest(system, [event(system, type, data)], false);
      await hub.orders.settle();
      return result;
    }
    async function stock(sku: string, onHand: number) {
      const [r] = await hub.ingest.ingest(
        'wms-east',
        [
          {
            specversion: '1.0',
            id: randomUUID(),
            source: '/wms-east',
            type: 'com.manifold.inventory.counted.v1',
            data: { sku, location: 'DC-EAST', onHand },
          } as CloudEvent,
        ],
        false,
      );
      expect(r?.status).toBe('accepted');
      await hub.inventory.settle();
    }
    const committed = async (sku: string) =>
      (await store.inventory.positions(sku)).find((p) => p.location === 'DC-EAST')?.buckets.committed ?? 0;
    const hubEvents = async (orderId: string, type: string) =>
      (await store.listEvents({ subject: orderId, source: '/manifold', limit: 500 })).items
        .map((i) => i.event)
        .filter((e) => e.type === `com.manifold.order.${type}.v1`)
        .map((e) => e.data as Record<string, unknown>);
    async function order(sku: string, quantity: number) {
      const id = freshOrderId();
      const created = await hub.orders.service.create('shop', orderBody(id, sku, quantity), randomUUID());
      expect(created.status).toBe(201);
      return id;
    }
    const view = async (id: string) =>
      hub.orders.service.view(
        (await store.orders.getOrder(id)) as NonNullable<Awaited<ReturnType<Store['orders']['getOrder']>>>,
      );

    it('raises, lowers, adds and removes lines: stock follows, the WMS is told, the change is acknowledged', async () => {
      start();
      try {
        const a = freshSku();
        const b = freshSku();
        await stock(a, 20);
        await stock(b, 20);
        const id = await order(a, 5);
        expect(await committed(a)).toBe(5);
        // Add line 2 (3 of b), then lower line 1 to 2 and remove line 2 in one change.
        const added = await send('shop', 'changed', {
          orderId: id,
          changeId: 'CHG-1',
          lines: [{ lineId: '2', action: 'add', sku: b, quantity: 3, unitPrice: 1 }],
        });
        expect(added?.status).toBe('accepted');
        expect(await committed(b)).toBe(3);
        expect((await hubEvents(id, 'released')).at(-1)).toMatchObject({
          location: 'DC-EAST',
          lines: [{ lineId: '2', sku: b, quantity: 3 }],
        });
        await send('shop', 'changed', {
          orderId: id,
          changeId: 'CHG-2',
          reason: 'customer call',
          lines: [
            { lineId: '1', action: 'update', quantity: 2 },
            { lineId: '2', action: 'remove' },
          ],
          requestedDeliveryDate: '2027-01-15',
        });
        expect(await committed(a)).toBe(2);
        expect(await committed(b)).toBe(0);
        const withdrawn = await hubEvents(id, 'release-cancelled');
        expect(withdrawn).toEqual([
          {
            orderId: id,
            location: 'DC-EAST',
            lines: [
              { lineId: '1', sku: a, quantity: 3 },
              { lineId: '2', sku: b, quantity: 3 },
            ],
            reason: 'customer call',
          },
        ]);
        // Raise line 1 to 6: 4 more committed and released.
        await send('shop', 'changed', {
          orderId: id,
          lines: [{ lineId: '1', action: 'update', quantity: 6 }],
        });
        expect(await committed(a)).toBe(6);
        expect((await hubEvents(id, 'released')).at(-1)).toMatchObject({
          lines: [{ lineId: '1', quantity: 4 }],
        });
        const acks = await hubEvents(id, 'change-acknowledged');
        expect(acks.map((x) => [x.changeId, x.status])).toEqual([
          ['CHG-1', 'applied'],
          ['CHG-2', 'applied'],
          [undefined, 'applied'],
        ]);
        const o = await view(id);
        expect(o.lines.map((l) => [l.lineId, l.ordered - l.cancelled, l.committed, l.released])).toEqual([
          ['1', 6, 6, 6],
          ['2', 0, 0, 0],
        ]);
        expect(o.requestedDeliveryDate).toBe('2027-01-15');
        expect(o.milestone).toBe('released');
      } finally {
        await stop();
      }
    });

    it("takes a ship-to equal to the order's as no change: not released again, not refused after pick", async () => {
      start();
      try {
        const a = freshSku();
        await stock(a, 20);
        const id = await order(a, 4);
        await send('wms-east', 'picked', {
          orderId: id,
          location: 'DC-EAST',
          lines: [{ lineId: '1', quantity: 2 }],
        });
        // The whole order as its owner sends it on every update: same address (keys in another order).
        const same = Object.fromEntries(Object.entries(shipTo).reverse());
        await send('shop', 'changed', {
          orderId: id,
          lines: [{ lineId: '1', action: 'update', quantity: 3 }],
          shipTo: same,
        });
        expect((await hubEvents(id, 'change-acknowledged')).map((x) => x.status)).toEqual(['applied']);
        const line = (await view(id)).lines[0];
        expect((line?.ordered ?? 0) - (line?.cancelled ?? 0)).toBe(3);
        expect(
          (await hubEvents(id, 'release-cancelled')).filter((e) => String(e.reason).includes('ship-to')),
        ).toEqual([]);
        // Another address while 2 units are picked and not shipped: refused as before.
        await send('shop', 'changed', { orderId: id, shipTo: { ...shipTo, line1: '1 Other Road' } });
        expect((await hubEvents(id, 'change-acknowledged')).map((x) => x.status)).toEqual([
          'applied',
          'refused',
        ]);
        expect((await view(id)).shipTo).toEqual(shipTo);
      } finally {
        await stop();
      }
    });

    it('changes a line ordered in cases in eaches: whole cases keep the unit, the rest turns the line into eaches', async () => {
      start("units:\n  '*': { CA: 12 }\n");
      try {
        const sku = freshSku();
        await stock(sku, 100);
        const id = freshOrderId();
        const body = orderBody(id, sku, 2);
        const created = await hub.orders.service.create(
          'shop',
          { ...body, lines: [{ lineId: '1', sku, quantity: 2, uom: 'CA', unitPrice: 60 }] },
          randomUUID(),
        );
        expect(created.status).toBe(201);
        expect(await committed(sku)).toBe(24);
        // 12 eaches: one case.
        await send('shop', 'changed', {
          orderId: id,
          lines: [{ lineId: '1', action: 'update', quantity: 12 }],
        });
        expect(await committed(sku)).toBe(12);
        let line = (await view(id)).lines[0];
        expect(line).toMatchObject({ uom: 'CA', quantity: 1, baseQuantity: 12, unitPrice: 60 });
        // 18 eaches are no whole number of cases: the line is in eaches, priced per each.
        await send('shop', 'changed', {
          orderId: id,
          lines: [{ lineId: '1', action: 'update', quantity: 18 }],
        });
        expect(await committed(sku)).toBe(18);
        line = (await view(id)).lines[0];
        expect(line).toMatchObject({ uom: 'EA', quantity: 18, baseQuantity: 18, unitPrice: 5 });
        expect((line?.ordered ?? 0) - (line?.cancelled ?? 0)).toBe(18);
      } finally {
        await stop();
      }
    });

    it('a change after pick is refused as a whole into order_change_refused; nothing moves', async () => {
      start();
      try {
        const a = freshSku();
        await stock(a, 20);
        const id = await order(a, 4);
        await send('wms-east', 'picked', {
          orderId: id,
          location: 'DC-EAST',
          lines: [{ lineId: '1', quantity: 4 }],
        });
        const before = await store.orders.getOrder(id);
        await send('shop', 'changed', {
          orderId: id,
          changeId: 'CHG-9',
          lines: [
            { lineId: '1', action: 'update', quantity: 2 },
            { lineId: '2', action: 'add', sku: a, quantity: 1 },
          ],
        });
        const after = await store.orders.getOrder(id);
        expect(after?.state.lines).toEqual(before?.state.lines);
        expect(await committed(a)).toBe(4);
        const open = await store.delivery.listExceptions({
          code: 'order_change_refused',
          subject: id,
          status: 'open',
          limit: 10,
        });
        expect(open).toHaveLength(1);
        expect(open[0]?.detail).toMatch(/refused as a whole.*4 picked/);
        const [ack] = await hubEvents(id, 'change-acknowledged');
        expect(ack).toMatchObject({ changeId: 'CHG-9', status: 'refused' });
        expect(((ack?.lines ?? []) as { status: string }[]).map((l) => l.status)).toEqual([
          'rejected',
          'rejected',
        ]);
        expect(await hubEvents(id, 'release-cancelled')).toEqual([]);
      } finally {
        await stop();
      }
    });

    it("only the order's owner changes it: another channel's system is refused, a WMS is refused at ingest", async () => {
      start();
      try {
        const a = freshSku();
        await stock(a, 20);
        const id = await order(a, 2);
        await expect(
          send('wms-east', 'changed', {
            orderId: id,
            lines: [{ lineId: '1', action: 'update', quantity: 1 }],
          }),
        ).rejects.toThrow(/order.changed is owned by shop, portal, acme, erp/);
        await send('portal', 'changed', {
          orderId: id,
          lines: [{ lineId: '1', action: 'update', quantity: 1 }],
        });
        const refused = await store.delivery.listExceptions({
          code: 'ownership_violation',
          subject: id,
          status: 'open',
          limit: 10,
        });
        expect(refused).toHaveLength(1);
        expect(await committed(a)).toBe(2);
        await send('erp', 'changed', {
          orderId: id,
          lines: [{ lineId: '1', action: 'update', quantity: 1 }],
        });
        expect(await committed(a)).toBe(1);
      } finally {
        await stop();
      }
    });

    it('a held order goes to no warehouse and keeps its stock; the last release resumes it', async () => {
      start();
      try {
        const a = freshSku();
        await stock(a, 20);
        const id = await order(a, 5);
        await send('wms-east', 'picked', {
          orderId: id,
          location: 'DC-EAST',
          lines: [{ lineId: '1', quantity: 5 }],
        });
        await send('shop', 'changed', {
          orderId: id,
          lines: [{ lineId: '1', action: 'update', quantity: 8 }],
        });
        expect((await hubEvents(id, 'released')).length).toBe(2);
        // Held for payment (the channel) and credit (the ERP); a shop may not place a credit hold.
        await send('shop', 'held', { orderId: id, hold: 'payment', reason: 'card declined' });
        await expect(
          send('shop', 'held', { orderId: id, hold: 'credit', reason: 'over limit' }),
        ).rejects.toThrow(/order.hold.credit is owned by erp/);
        await send('erp', 'held', { orderId: id, hold: 'credit', reason: 'over limit' });
        // The 3 released, unpicked units are withdrawn; the stock stays committed.
        expect((await hubEvents(id, 'release-cancelled')).at(-1)).toMatchObject({
          lines: [{ lineId: '1', sku: a, quantity: 3 }],
          reason: 'held (payment): card declined',
        });
        expect(await committed(a)).toBe(8);
        // More units while held: committed, not released.
        await send('shop', 'changed', {
          orderId: id,
          lines: [{ lineId: '1', action: 'update', quantity: 9 }],
        });
        expect(await committed(a)).toBe(9);
        expect((await hubEvents(id, 'released')).length).toBe(2);
        let o = await view(id);
        expect(o.activeHolds.map((h) => [h.kind, h.reason, h.by])).toEqual([
          ['payment', 'card declined', 'shop'],
          ['credit', 'over limit', 'erp'],
        ]);
        await send('shop', 'hold-released', { orderId: id, hold: 'payment' });
        expect((await hubEvents(id, 'released')).length).toBe(2);
        await send('erp', 'hold-released', { orderId: id, hold: 'credit', reason: 'paid' });
        expect((await hubEvents(id, 'released')).at(-1)).toMatchObject({
          lines: [{ lineId: '1', sku: a, quantity: 4 }],
        });
        o = await view(id);
        expect(o.activeHolds).toEqual([]);
        expect(o.lines[0]).toMatchObject({ committed: 9, released: 9, picked: 5 });
      } finally {
        await stop();
      }
    });
  },
  { fresh: 'each' },
);
