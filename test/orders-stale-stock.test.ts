/**
 * An order's commitment is decided on the positions read at the start of a batch plus what the batch's
 * own movements change: units another order of the batch gave back can be committed at once. When
 * another writer (a reservation, another process) takes units between the read and the write, the store
 * refuses the commitment and the processor decides again on a fresh read — it commits what is left and
 * backorders the rest — instead of reporting a mismatch (docs/orders.md#allocation-on-moving-stock).
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compileConfig } from '../src/config/load-config.js';
import type { CloudEvent } from '../src/domain/cloud-event.js';
import { composeHub, type Hub } from '../src/main/compose.js';
import type { Store } from '../src/store/store-port.js';
import { freshOrderId, freshSku, orderBody, shipTo } from './support/orders.js';
import { describeEachStore, openTestStore, type StoreKind, type TestStore } from './support/stores.js';
import { testConfigYaml } from './support/test-config.js';

function received(sku: string, quantity: number): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/wms-east',
    type: 'com.manifold.inventory.received.v1',
    time: new Date().toISOString(),
    data: { sku, location: 'DC-EAST', quantity, quarantine: false },
  } as CloudEvent;
}

function orderEvent(type: string, data: Record<string, unknown>): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/shop',
    type: `com.manifold.order.${type}.v1`,
    time: new Date().toISOString(),
    data,
  } as CloudEvent;
}

function staleStock(kind: StoreKind) {
  let t: TestStore;
  let store: Store;
  let hub: Hub;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
    hub = composeHub(compileConfig(testConfigYaml({}), 'test.yaml', {}), store, {
      logger: pino({ level: 'silent' }),
      delivery: false,
    });
  });
  afterAll(async () => {
    await hub.orders.stop();
    await hub.inventory.stop();
    await t.cleanup();
  });

  it('commits units an earlier event of the same batch gave back', async () => {
    const sku = freshSku();
    const [stocked] = await hub.ingest.ingest('wms-east', [received(sku, 2)], false);
    expect(stocked?.status).toBe('accepted');
    await hub.inventory.settle();
    const first = freshOrderId();
    const second = freshOrderId();
    expect((await hub.orders.service.create('shop', orderBody(first, sku, 2), randomUUID())).status).toBe(
      201,
    );
    await hub.orders.settle();
    expect((await store.orders.getOrder(first))?.state.lines[0]).toMatchObject({ committed: 2 });

    // One batch: the first order is cancelled (its 2 units are given back), then a second order wants 2.
    const results = await hub.ingest.ingest(
      'shop',
      [
        orderEvent('cancelled', { orderId: first, reason: 'customer' }),
        orderEvent('accepted', orderBody(second, sku, 2)),
      ],
      false,
    );
    expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
    await hub.orders.settle();

    expect((await store.orders.getOrder(second))?.state.lines[0]).toMatchObject({
      committed: 2,
      backordered: 0,
    });
    const position = (await store.inventory.positions(sku)).find((p) => p.location === 'DC-EAST');
    expect(position).toMatchObject({ buckets: { on_hand: 2, committed: 2 }, available: 0 });
  });

  it('commits what is left after another writer took units between its read and its write', async () => {
    const sku = freshSku();
    const [stocked] = await hub.ingest.ingest('wms-east', [received(sku, 5)], false);
    expect(stocked?.status).toBe('accepted');
    await hub.inventory.settle();

    // The order processor reads the positions (5 available), then 3 of the 5 units are taken by a
    // reservation just before it writes its commitment of 4.
    const commit = store.orders.commit.bind(store.orders);
    let raced = false;
    store.orders.commit = async (unit) => {
      if (!raced && unit.movements.some((m) => m.sku === sku && m.reason === 'order_committed')) {
        raced = true;
        await store.inventory.applyMovements([
          {
            sku,
            location: 'DC-EAST',
            deltas: { reserved: 3 },
            reason: 'reservation_created',
            guard: 'promise',
            system: 'shop',
            documentRef: 'RES-RACE',
          },
        ]);
      }
      return commit(unit);
    };
    try {
      const orderId = freshOrderId();
      const created = await hub.orders.service.create(
        'shop',
        {
          orderId,
          channel: 'web',
          customer: { id: 'C-1', name: 'Ada' },
          lines: [{ lineId: '1', sku, quantity: 4, unitPrice: 5 }],
          shipTo,
        },
        randomUUID(),
      );
      expect(created.status).toBe(201);
      await hub.orders.settle();
      expect(raced).toBe(true);

      const order = await store.orders.getOrder(orderId);
      expect(order?.state.lines[0]).toMatchObject({ committed: 2, backordered: 2 });
      expect(order?.holds).toEqual(['backordered']);
      const position = (await store.inventory.positions(sku)).find((p) => p.location === 'DC-EAST');
      expect(position).toMatchObject({ buckets: { on_hand: 5, reserved: 3, committed: 2 }, available: 0 });
      const mismatches = await store.delivery.listExceptions({ code: 'inventory_mismatch', limit: 10 });
      expect(mismatches).toEqual([]);
    } finally {
      store.orders.commit = commit;
    }
  });
}

await describeEachStore('an order committed on stock that moved under it', (_, kind) => staleStock(kind));
