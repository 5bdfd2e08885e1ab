/**
 * Backorders and cancelAfter on every store adapter (docs/orders.md#backorder-fill,
 * docs/orders.md#cancelafter): an order backordered for want of stock is committed and released when a
 * WMS reports stock received, oldest order first; a ship-complete order waits for one location that has
 * every line; a fill is written once even when it is computed twice, written and "crashed", or its facts
 * are read again from the log; an order whose cancelAfter has passed has its open units cancelled and the
 * channel is told. The indexes of migration 0012 are read through the port (`backorderedFor`,
 * `pastCancelAfter`).
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledConfig } from '../src/config/compiled-config.js';
import { compileConfig } from '../src/config/load-config.js';
import type { CloudEvent } from '../src/domain/cloud-event.js';
import { IngestService } from '../src/engine/ingest-service.js';
import { InventoryEngine } from '../src/engine/inventory/inventory-engine.js';
import { FILL_CURSOR } from '../src/engine/orders/backorder-fill.js';
import { CANCEL_AFTER_LEASE } from '../src/engine/orders/cancel-after.js';
import { OrderEngine } from '../src/engine/orders/order-engine.js';
import { composeHub, type Hub } from '../src/main/compose.js';
import type { Store } from '../src/store/store-port.js';
import { freshOrderId, freshSku, shipTo } from './support/orders.js';
import { describeEachStore, openTestStore, type StoreKind, type TestStore } from './support/stores.js';
import { testConfigYaml } from './support/test-config.js';

/** Order events to the shop (the web channel) and releases to each WMS. */
const SUBSCRIPTIONS = `subscriptions:
  - name: shop-orders
    target: shop
    types: [com.manifold.order.*]
    http: { url: http://127.0.0.1:9/shop }
  - name: wms-east-releases
    target: wms-east
    types: [com.manifold.order.released.v1, com.manifold.order.release-cancelled.v1]
    http: { url: http://127.0.0.1:9/wms-east }
orders:
  allocation:
    default: first-fit
    customers:
      C-COMPLETE: { shipComplete: true }
      C-NEAR: { policy: nearest }
    regions:
      - { country: US, lat: 41.88, lon: -87.63 }
      - { country: US, region: CA, lat: 36.8, lon: -119.4 }
`;

/** The test hub, with coordinates on its locations (read by the nearest policy only). */
const yaml = () =>
  testConfigYaml({ subscriptions: SUBSCRIPTIONS })
    .replace(
      'DC-EAST: { channels: [web, b2b, edi-acme] }',
      'DC-EAST: { channels: [web, b2b, edi-acme], coordinates: { lat: 40.71, lon: -74.01 } }',
    )
    .replace(
      'DC-WEST: { channels: [web] }',
      'DC-WEST: { channels: [web], coordinates: { lat: 34.05, lon: -118.24 } }',
    );

function inventoryEvent(system: string, sku: string, location: string, quantity: number): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `/${system}`,
    type: 'com.manifold.inventory.received.v1',
    time: new Date().toISOString(),
    data: { sku, location, quantity, quarantine: false },
  } as CloudEvent;
}

function orderEvent(system: string, type: string, data: Record<string, unknown>): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `/${system}`,
    type: `com.manifold.order.${type}.v1`,
    time: new Date().toISOString(),
    data,
  } as CloudEvent;
}

function body(
  orderId: string,
  lines: { sku: string; quantity: number }[],
  extra: { customer?: string; cancelAfter?: string; region?: string } = {},
) {
  return {
    orderId,
    channel: 'web',
    customer: { id: extra.customer ?? 'C-1', name: 'Ada' },
    lines: lines.map((l, i) => ({ lineId: String(i + 1), sku: l.sku, quantity: l.quantity, unitPrice: 5 })),
    shipTo: extra.region === undefined ? shipTo : { ...shipTo, region: extra.region },
    ...(extra.cancelAfter === undefined ? {} : { cancelAfter: extra.cancelAfter }),
  };
}

/** The hub's events about an order, in log order. */
async function hubEvents(store: Store, orderId: string) {
  const page = await store.listEvents({ subject: orderId, source: '/manifold', limit: 500 });
  return page.items.map((e) => e.event);
}

function conformance(kind: StoreKind) {
  let t: TestStore;
  let store: Store;
  let config: CompiledConfig;
  let hub: Hub;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
    config = compileConfig(yaml(), 'test.yaml', {});
    expect(config.locations.get('DC-WEST')?.coordinates).toBeDefined();
    hub = composeHub(config, store, { logger: pino({ level: 'silent' }), delivery: false });
  });
  afterAll(async () => {
    await hub.orders.stop();
    await hub.inventory.stop();
    await t.cleanup();
  });

  async function create(b: ReturnType<typeof body>) {
    const created = await hub.orders.service.create('shop', b, randomUUID());
    expect(created.status).toBe(201);
    return store.orders.getOrder(b.orderId);
  }

  /** A WMS reports stock received; the facts are applied, then backorders filled. */
  async function receive(system: string, sku: string, location: string, quantity: number) {
    const [result] = await hub.ingest.ingest(
      system,
      [inventoryEvent(system, sku, location, quantity)],
      false,
    );
    expect(result?.status).toBe('accepted');
    await hub.inventory.settle();
    await hub.orders.settle();
  }

  const position = async (sku: string, location: string) =>
    (await store.inventory.positions(sku)).find((p) => p.location === location);
  const committedMoves = async (sku: string) =>
    (await store.inventory.ledger({ sku, limit: 1000 })).filter((e) => e.reason === 'order_committed');

  it('fills a backordered order when stock is received: committed, released, hold lifted', async () => {
    const sku = freshSku();
    const id = freshOrderId();
    const before = await create(body(id, [{ sku, quantity: 3 }]));
    expect(before).toMatchObject({ milestone: 'accepted', holds: ['backordered'] });
    expect(before?.state.lines[0]).toMatchObject({ committed: 0, backordered: 3 });
    expect((await store.orders.backorderedFor(sku, 10)).map((o) => o.orderId)).toEqual([id]);

    await receive('wms-east', sku, 'DC-EAST', 5);

    const after = await store.orders.getOrder(id);
    expect(after).toMatchObject({ milestone: 'released', status: 'released', holds: [] });
    expect(after?.state.lines[0]).toMatchObject({
      location: 'DC-EAST',
      committed: 3,
      backordered: 0,
      released: 3,
    });
    expect((await position(sku, 'DC-EAST'))?.buckets).toMatchObject({ on_hand: 5, committed: 3 });
    expect(await store.orders.backorderedFor(sku, 10)).toEqual([]);
    const out = await hubEvents(store, id);
    const released = out.filter((e) => e.type === 'com.manifold.order.released.v1');
    expect(released.map((e) => e.data)).toEqual([
      expect.objectContaining({
        orderId: id,
        location: 'DC-EAST',
        lines: [{ lineId: '1', sku, quantity: 3 }],
      }),
    ]);
    const milestones = out
      .filter((e) => e.type === 'com.manifold.order.milestone.v1')
      .map((e) => (e.data as { milestone: string }).milestone);
    expect(milestones.slice(-2)).toEqual(['committed', 'released']);
    // The release goes to the WMS's outbox; the timeline says why.
    const timeline = await hub.orders.service.timeline(after as NonNullable<typeof after>);
    expect(timeline.entries.map((e) => e.note)).toContainEqual(
      expect.stringContaining('backorder filled: 3 units committed'),
    );
  });

  /** Ingests one fact as `system`, then lets the applier and the fill catch up. */
  async function fact(system: string, type: string, data: Record<string, unknown>) {
    const [result] = await hub.ingest.ingest(
      system,
      [
        {
          specversion: '1.0',
          id: randomUUID(),
          source: `/${system}`,
          type: `com.manifold.inventory.${type}.v1`,
          time: new Date().toISOString(),
          data,
        } as CloudEvent,
      ],
      false,
    );
    expect(result?.status, JSON.stringify(result)).toBe('accepted');
    await hub.inventory.settle();
    await hub.orders.settle();
  }

  it('fills a backorder when a count finds stock (counted up)', async () => {
    const sku = freshSku();
    const id = freshOrderId();
    await create(body(id, [{ sku, quantity: 2 }]));
    expect((await store.orders.getOrder(id))?.holds).toEqual(['backordered']);

    await fact('wms-east', 'counted', { sku, location: 'DC-EAST', onHand: 7 });

    const after = await store.orders.getOrder(id);
    expect(after).toMatchObject({ milestone: 'released', holds: [] });
    expect(after?.state.lines[0]).toMatchObject({ location: 'DC-EAST', committed: 2, backordered: 0 });
    expect((await position(sku, 'DC-EAST'))?.buckets).toMatchObject({ on_hand: 7, committed: 2 });
    expect(await store.orders.backorderedFor(sku, 10)).toEqual([]);
  });

  it('fills a backorder when incoming units turn on hand (moved out of quarantine), not while only expected or held', async () => {
    const sku = freshSku();
    const id = freshOrderId();
    await create(body(id, [{ sku, quantity: 3 }]));
    const stillWaiting = async () => {
      const order = await store.orders.getOrder(id);
      expect(order?.holds).toEqual(['backordered']);
      expect(order?.state.lines[0]).toMatchObject({ committed: 0, backordered: 3 });
    };
    // Expected from the ERP: not on hand, the order waits.
    await fact('erp', 'incoming', {
      sku,
      location: 'DC-EAST',
      quantity: 4,
      expectedAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    await stillWaiting();
    // Arrived into quality hold: on hand but not free, the order still waits.
    await fact('wms-east', 'received', { sku, location: 'DC-EAST', quantity: 4, quarantine: true });
    await stillWaiting();
    // Released from quality hold (moved): free stock, the backorder is filled.
    await fact('wms-east', 'moved', {
      sku,
      location: 'DC-EAST',
      from: 'quarantined',
      to: 'available',
      quantity: 4,
      reason: 'quality_release',
    });
    const after = await store.orders.getOrder(id);
    expect(after).toMatchObject({ milestone: 'released', holds: [] });
    expect(after?.state.lines[0]).toMatchObject({ location: 'DC-EAST', committed: 3, backordered: 0 });
    expect((await position(sku, 'DC-EAST'))?.buckets).toMatchObject({
      on_hand: 4,
      quarantined: 0,
      committed: 3,
    });
    expect(await committedMoves(sku)).toHaveLength(1);
  });

  /**
   * A fill never splits a line (docs/orders.md#backorder-fill): a line with units committed at one
   * location waits for stock there, even when another location serving the order has some. Filled at its
   * own location, the line is released at one WMS only, so that WMS picking all of it is no short pick.
   */
  it('a line with units at one location is filled only there: no split, no false short pick', async () => {
    const sku = freshSku();
    const id = freshOrderId();
    await receive('wms-east', sku, 'DC-EAST', 1);
    await create(body(id, [{ sku, quantity: 2 }]));
    await receive('wms-west', sku, 'DC-WEST', 1);
    const waiting = await store.orders.getOrder(id);
    expect(waiting?.holds).toEqual(['backordered']);
    expect(waiting?.state.lines[0]).toMatchObject({
      committed: 1,
      backordered: 1,
      released: 1,
      committedAt: { 'DC-EAST': 1 },
    });
    expect((await position(sku, 'DC-WEST'))?.buckets).toMatchObject({ on_hand: 1, committed: 0 });
    const releasedAt = async () =>
      (await hubEvents(store, id))
        .filter((e) => e.type === 'com.manifold.order.released.v1')
        .map((e) => (e.data as { location: string }).location);
    expect(await releasedAt()).toEqual(['DC-EAST']);

    await receive('wms-east', sku, 'DC-EAST', 1);
    const filled = await store.orders.getOrder(id);
    expect(filled?.holds).toEqual([]);
    expect(filled?.state.lines[0]).toMatchObject({
      committed: 2,
      backordered: 0,
      released: 2,
      committedAt: { 'DC-EAST': 2 },
    });
    expect(await releasedAt()).toEqual(['DC-EAST', 'DC-EAST']);
    const [picked] = await hub.ingest.ingest(
      'wms-east',
      [
        orderEvent('wms-east', 'picked', {
          orderId: id,
          location: 'DC-EAST',
          lines: [{ lineId: '1', quantity: 2 }],
        }),
      ],
      false,
    );
    expect(picked?.status).toBe('accepted');
    await hub.orders.settle();
    const shortPicks = await store.delivery.listExceptions({ subject: id, code: 'short_pick', limit: 10 });
    expect(shortPicks.map((e) => e.detail)).toEqual([]);
    const after = await store.orders.getOrder(id);
    expect(after?.state.lines[0]).toMatchObject({ committed: 2, picked: 2, committedAt: { 'DC-EAST': 2 } });
    expect((await position(sku, 'DC-EAST'))?.buckets).toMatchObject({ on_hand: 2, committed: 2 });
    expect((await position(sku, 'DC-WEST'))?.buckets).toMatchObject({ on_hand: 1, committed: 0 });
  });

  it('serves the oldest backordered order first when two compete for short stock', async () => {
    const sku = freshSku();
    const older = freshOrderId();
    const newer = freshOrderId();
    await create(body(older, [{ sku, quantity: 3 }]));
    await create(body(newer, [{ sku, quantity: 3 }]));
    expect((await store.orders.backorderedFor(sku, 10)).map((o) => o.orderId)).toEqual([older, newer]);

    await receive('wms-east', sku, 'DC-EAST', 4);

    expect((await store.orders.getOrder(older))?.state.lines[0]).toMatchObject({
      committed: 3,
      backordered: 0,
      released: 3,
    });
    const second = await store.orders.getOrder(newer);
    expect(second?.state.lines[0]).toMatchObject({ committed: 1, backordered: 2, released: 1 });
    expect(second?.holds).toEqual(['backordered']);
    expect((await position(sku, 'DC-EAST'))?.buckets).toMatchObject({ on_hand: 4, committed: 4 });
    expect((await store.orders.backorderedFor(sku, 10)).map((o) => o.orderId)).toEqual([newer]);

    // More stock at the other location: the newer order's line has its first unit at DC-EAST, so it is
    // not split; it waits for DC-EAST.
    await receive('wms-west', sku, 'DC-WEST', 10);
    const waiting = await store.orders.getOrder(newer);
    expect(waiting?.state.lines[0]).toMatchObject({ committed: 1, backordered: 2, released: 1 });
    expect(waiting?.state.lines[0]?.committedAt).toEqual({ 'DC-EAST': 1 });
    expect(waiting?.holds).toEqual(['backordered']);
    expect((await position(sku, 'DC-WEST'))?.buckets).toMatchObject({ on_hand: 10, committed: 0 });
    // Stock at the line's own location fills the rest there.
    await receive('wms-east', sku, 'DC-EAST', 2);
    const done = await store.orders.getOrder(newer);
    expect(done?.state.lines[0]).toMatchObject({ committed: 3, backordered: 0, released: 3 });
    expect(done?.state.lines[0]?.committedAt).toEqual({ 'DC-EAST': 3 });
    expect(done?.holds).toEqual([]);
  });

  it('ships complete: nothing committed until one location has every line, then all of it there', async () => {
    const a = freshSku();
    const b = freshSku();
    const id = freshOrderId();
    await receive('wms-east', a, 'DC-EAST', 5);
    await receive('wms-west', b, 'DC-WEST', 5);
    const taken = await create(
      body(
        id,
        [
          { sku: a, quantity: 2 },
          { sku: b, quantity: 2 },
        ],
        { customer: 'C-COMPLETE' },
      ),
    );
    // Split would commit a at DC-EAST and b at DC-WEST; ship-complete commits nothing.
    expect(taken?.state.lines.map((l) => [l.committed, l.backordered])).toEqual([
      [0, 2],
      [0, 2],
    ]);
    await receive('wms-east', b, 'DC-EAST', 1);
    expect((await store.orders.getOrder(id))?.state.lines.map((l) => l.committed)).toEqual([0, 0]);
    await receive('wms-east', b, 'DC-EAST', 1);
    const filled = await store.orders.getOrder(id);
    expect(filled?.state.lines.map((l) => [l.location, l.committed, l.backordered])).toEqual([
      ['DC-EAST', 2, 0],
      ['DC-EAST', 2, 0],
    ]);
    expect((await position(b, 'DC-WEST'))?.buckets.committed ?? 0).toBe(0);
  });

  it('commits at the nearest location for a nearest customer, in config order for the others', async () => {
    const sku = freshSku();
    await receive('wms-east', sku, 'DC-EAST', 10);
    await receive('wms-west', sku, 'DC-WEST', 10);
    const near = freshOrderId();
    const plain = freshOrderId();
    const anywhere = freshOrderId();
    // A Californian ship-to: DC-WEST is nearer, though DC-EAST comes first in config.
    await create(body(near, [{ sku, quantity: 2 }], { customer: 'C-NEAR', region: 'CA' }));
    await create(body(plain, [{ sku, quantity: 2 }], { region: 'CA' }));
    // Placed by country only (the hint puts the US at Chicago): DC-EAST is nearer.
    await create(body(anywhere, [{ sku, quantity: 2 }], { customer: 'C-NEAR', region: 'TX' }));
    expect((await store.orders.getOrder(near))?.state.lines[0]?.location).toBe('DC-WEST');
    expect((await store.orders.getOrder(plain))?.state.lines[0]?.location).toBe('DC-EAST');
    expect((await store.orders.getOrder(anywhere))?.state.lines[0]?.location).toBe('DC-EAST');
  });

  it('writes a fill once: computed by two processes, crashed after its write, or its facts read again', async () => {
    const sku = freshSku();
    const id = freshOrderId();
    await create(body(id, [{ sku, quantity: 2 }]));
    // The fact is logged and applied (by another process, which wakes no filler here), but not yet
    // looked at by any filler.
    const start = await store.log.cursor(FILL_CURSOR);
    const elsewhere = new IngestService(config, store);
    const [logged] = await elsewhere.ingest(
      'wms-east',
      [inventoryEvent('wms-east', sku, 'DC-EAST', 10)],
      false,
    );
    expect(logged?.status).toBe('accepted');
    await new InventoryEngine(config, store, elsewhere).settle();
    expect(await store.log.cursor(FILL_CURSOR)).toBe(start);

    // A second process on the same store: both fill from the same fact at once.
    const other = new OrderEngine(config, store, hub.ingest);
    // …and this one "crashes" right after its write reached the store (before it could note it).
    const commit = store.orders.commit.bind(store.orders);
    let crashed = false;
    store.orders.commit = async (unit) => {
      await commit(unit);
      if (!crashed && unit.cursor?.name === FILL_CURSOR) {
        crashed = true;
        throw new Error('crash after the write');
      }
    };
    try {
      await Promise.allSettled([hub.orders.processor.fill.step(), other.processor.fill.step()]);
      await hub.orders.settle();
      await other.settle();
    } finally {
      store.orders.commit = commit;
    }
    expect(crashed).toBe(true);
    const once = async () => {
      expect((await store.orders.getOrder(id))?.state.lines[0]).toMatchObject({ committed: 2, released: 2 });
      expect((await position(sku, 'DC-EAST'))?.buckets).toMatchObject({ on_hand: 10, committed: 2 });
      expect(await committedMoves(sku)).toHaveLength(1);
      const released = (await hubEvents(store, id)).filter(
        (e) => e.type === 'com.manifold.order.released.v1',
      );
      expect(released).toHaveLength(1);
    };
    await once();

    // The log read again from before the fact (a restored cursor): nothing is filled twice.
    const end = await store.log.cursor(FILL_CURSOR);
    expect(end).toBeGreaterThan(start);
    expect(await store.log.moveCursor(FILL_CURSOR, end, start)).toBe(true);
    await hub.orders.settle();
    expect(await store.log.cursor(FILL_CURSOR)).toBeGreaterThanOrEqual(end);
    await once();
  });

  describe('cancelAfter', () => {
    it('cancels every unit not yet picked once the date has passed, and tells the channel', async () => {
      const sku = freshSku();
      const id = freshOrderId();
      const later = freshOrderId();
      await receive('wms-east', sku, 'DC-EAST', 3);
      await create(body(id, [{ sku, quantity: 5 }], { cancelAfter: '2020-01-31' }));
      await create(body(later, [{ sku, quantity: 1 }], { cancelAfter: '2999-01-01T00:00:00Z' }));
      // 3 committed, released and picked; 2 backordered.
      const [result] = await hub.ingest.ingest(
        'wms-east',
        [
          orderEvent('wms-east', 'picked', {
            orderId: id,
            location: 'DC-EAST',
            lines: [{ lineId: '1', quantity: 3 }],
          }),
        ],
        false,
      );
      expect(result?.status).toBe('accepted');
      await hub.orders.settle();
      const picked = await store.orders.getOrder(id);
      expect(picked?.state.lines[0]).toMatchObject({ committed: 3, backordered: 2, picked: 3 });

      const due = await store.orders.pastCancelAfter(new Date().toISOString(), 100);
      expect(due.map((o) => o.orderId)).toContain(id);
      expect(due.map((o) => o.orderId)).not.toContain(later);

      expect(await hub.orders.processor.cancelAfter.sweep()).toBeGreaterThanOrEqual(1);

      const after = await store.orders.getOrder(id);
      expect(after?.state.lines[0]).toMatchObject({ ordered: 5, cancelled: 2, committed: 3, picked: 3 });
      expect(after?.holds).toEqual([]);
      const timeline = await hub.orders.service.timeline(after as NonNullable<typeof after>);
      expect(timeline.entries.map((e) => e.note)).toContainEqual(
        'cancelAfter 2020-01-31 passed: cancelled line 1: 2 (not yet picked)',
      );
      const out = await hubEvents(store, id);
      const expired = out.filter((e) => e.type === 'com.manifold.order.expired.v1');
      expect(expired.map((e) => e.data)).toEqual([
        { orderId: id, cancelAfter: '2020-01-31', lines: [{ lineId: '1', sku, quantity: 2 }] },
      ]);
      // The channel is told through its subscription.
      const seq = (await store.listEvents({ subject: id, source: '/manifold', limit: 500 })).items.find(
        (e) => e.event.type === 'com.manifold.order.expired.v1',
      )?.seq;
      expect(seq).toBeDefined();
      const outbox = await store.listOutbox({ eventSeq: seq as number, limit: 10 });
      expect(outbox.map((o) => o.subscription)).toEqual(['shop-orders']);
      expect(
        (await store.orders.pastCancelAfter(new Date().toISOString(), 100)).map((o) => o.orderId),
      ).not.toContain(id);
      // Nothing left to cancel: a second pass changes nothing.
      await hub.orders.processor.cancelAfter.sweep();
      expect(
        (await hubEvents(store, id)).filter((e) => e.type === 'com.manifold.order.expired.v1'),
      ).toHaveLength(1);
      expect((await store.orders.getOrder(later))?.state.lines[0]?.cancelled).toBe(0);
    });

    it('is run by the process holding the lease only', async () => {
      const sku = freshSku();
      const id = freshOrderId();
      await create(body(id, [{ sku, quantity: 1 }], { cancelAfter: '2020-01-31' }));
      // Another process holds the lease: this one's pass does nothing.
      const now = new Date().toISOString();
      expect(await store.ops.tryLease(CANCEL_AFTER_LEASE, 'other-process', now, 60_000)).toBe(true);
      await hub.orders.cancelAfter.run();
      expect((await store.orders.getOrder(id))?.state.lines[0]?.cancelled).toBe(0);
      // It gives the lease up (stops): the next pass here takes it and cancels.
      await store.ops.releaseLease(CANCEL_AFTER_LEASE, 'other-process');
      await hub.orders.cancelAfter.run();
      expect((await store.orders.getOrder(id))?.state.lines[0]?.cancelled).toBe(1);
      await hub.orders.cancelAfter.stop();
    });

    it('gives committed units back and withdraws released ones from the WMS', async () => {
      const sku = freshSku();
      const id = freshOrderId();
      await receive('wms-east', sku, 'DC-EAST', 2);
      await create(body(id, [{ sku, quantity: 4 }], { cancelAfter: '2020-01-31T12:00:00+02:00' }));
      expect((await position(sku, 'DC-EAST'))?.buckets.committed).toBe(2);
      await hub.orders.processor.cancelAfter.sweep();
      const after = await store.orders.getOrder(id);
      expect(after).toMatchObject({ milestone: 'cancelled', status: 'cancelled' });
      expect(after?.state.lines[0]).toMatchObject({
        cancelled: 4,
        committed: 0,
        released: 0,
        backordered: 0,
      });
      expect((await position(sku, 'DC-EAST'))?.buckets.committed).toBe(0);
      const out = await hubEvents(store, id);
      expect(
        out.filter((e) => e.type === 'com.manifold.order.release-cancelled.v1').map((e) => e.data),
      ).toEqual([
        expect.objectContaining({ location: 'DC-EAST', lines: [{ lineId: '1', sku, quantity: 2 }] }),
      ]);
      expect(out.filter((e) => e.type === 'com.manifold.order.expired.v1').map((e) => e.data)).toEqual([
        expect.objectContaining({ lines: [{ lineId: '1', sku, quantity: 4 }] }),
      ]);
      // Stock arriving later does not fill a cancelled order.
      await receive('wms-east', sku, 'DC-EAST', 5);
      expect((await store.orders.getOrder(id))?.state.lines[0]?.committed).toBe(0);
    });
  });
}

await describeEachStore('backorders and cancelAfter', (_, kind) => conformance(kind));
