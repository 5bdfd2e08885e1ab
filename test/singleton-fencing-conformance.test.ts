/**
 * Fenced writes of the inventory and order singletons on every adapter (docs/durability.md#fencing), beside
 * `lease-fencing-conformance.test.ts`: the availability publisher's batch, the reservation expiry sweep's
 * releases and the cancelAfter check's cancellations. A holder whose lease was taken over (another owner
 * took it once it expired, at the next epoch) gets `LeaseLost` and writes nothing — no event, no outbox
 * row, no figure, no cursor move, no release, no change of the order — while the current holder's writes,
 * and unfenced ones, go through as before.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompiledConfig } from '../src/config/compiled-config.js';
import { compileConfig } from '../src/config/load-config.js';
import { IdempotencyKeys } from '../src/engine/idempotency-keys.js';
import { IngestService } from '../src/engine/ingest-service.js';
import { AvailabilityPublisher, PUBLISHER_CURSOR } from '../src/engine/inventory/availability-publisher.js';
import { ReservationService } from '../src/engine/inventory/reservation-service.js';
import { CANCEL_AFTER_LEASE, type CancelAfter, CancelAfterLoop } from '../src/engine/orders/cancel-after.js';
import { ProcessRegistry } from '../src/engine/process-registry.js';
import { composeHub, type Hub } from '../src/main/compose.js';
import { ConditionNotMet } from '../src/store/condition-not-met.js';
import type { InventoryStore, Movement } from '../src/store/inventory-port.js';
import { type LeaseFence, LeaseLost } from '../src/store/lease-fence.js';
import type { Store } from '../src/store/store-port.js';
import { freshOrderId, freshSku, shipTo } from './support/orders.js';
import { describeEachStore, openTestStore, type StoreKind, type TestStore } from './support/stores.js';
import { testConfigYaml } from './support/test-config.js';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

/** The channels' availability and the positions go to the shop; order events too (the cancelAfter check). */
const SUBSCRIPTIONS = `subscriptions:
  - name: shop-stock
    target: shop
    types: [com.manifold.inventory.availability.v1, com.manifold.inventory.position.v1]
    http: { url: http://127.0.0.1:9/shop-stock }
  - name: shop-orders
    target: shop
    types: [com.manifold.order.*]
    http: { url: http://127.0.0.1:9/shop-orders }
`;

function received(sku: string, quantity: number): Movement {
  return {
    sku,
    location: 'DC-EAST',
    deltas: { on_hand: quantity },
    reason: 'received',
    guard: 'fact',
    system: 'wms-east',
  };
}

function conformance(kind: StoreKind) {
  let t: TestStore;
  let store: Store;
  let config: CompiledConfig;

  beforeEach(async () => {
    t = await openTestStore(kind);
    store = t.store;
    config = compileConfig(testConfigYaml({ subscriptions: SUBSCRIPTIONS }), 'test.yaml', {});
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** `a` takes `name`, then `b` takes it over once it expired: a's fence is stale, b's current. */
  async function takenOver(name: string): Promise<{ stale: LeaseFence; current: LeaseFence }> {
    const first = await store.ops.takeLease(name, 'a', at(0), 10_000);
    const second = await store.ops.takeLease(name, 'b', at(10_001), 10_000);
    expect(second).toBe((first as number) + 1);
    return {
      stale: { name, holder: 'a', epoch: first as number },
      current: { name, holder: 'b', epoch: second as number },
    };
  }

  /** What the hub has published: its events, their outbox rows, the figures and the cursor. */
  async function published(sku: string) {
    const events = (await store.listEvents({ source: '/manifold', limit: 100 })).items;
    const outbox = await store.listOutbox({ subscription: 'shop-stock', limit: 100 });
    const figures = await store.inventory.publishedAvailability([{ sku, channel: 'web' }]); // every channel
    return {
      events: events.map((e) => e.event.type).sort(),
      outbox: outbox.length,
      figures: [...figures].sort(),
      cursor: await store.log.cursor(PUBLISHER_CURSOR),
    };
  }

  describe('the availability publisher', () => {
    it('a stale holder appends no event, records no figure, leaves the cursor; the holder publishes it all', async () => {
      const woken: string[] = [];
      const ingest = new IngestService(config, store, (subscriptions) => woken.push(...subscriptions));
      const publisher = new AvailabilityPublisher(config, store, ingest, () => new Date(T0));
      const sku = freshSku();
      await store.inventory.applyMovements([received(sku, 10)]);
      const [entry] = await store.inventory.ledger({ sku, limit: 1 });
      const { stale, current } = await takenOver('inventory-publisher');

      await expect(publisher.step(stale)).rejects.toBeInstanceOf(LeaseLost);
      expect(await published(sku)).toEqual({ events: [], outbox: 0, figures: [], cursor: 0 });
      expect(woken).toEqual([]);

      expect(await publisher.step(current)).toBe(1);
      const after = await published(sku);
      expect(after.events).toEqual([
        'com.manifold.inventory.availability.v1', // web: 10 − safety stock 2
        'com.manifold.inventory.availability.v1', // b2b
        'com.manifold.inventory.availability.v1', // edi-acme
        'com.manifold.inventory.position.v1',
      ]);
      expect(after.outbox).toBe(4);
      expect(after.figures).toEqual([
        [`${sku}@b2b`, 10],
        [`${sku}@edi-acme`, 10],
        [`${sku}@web`, 8],
      ]);
      expect(after.cursor).toBe(entry?.id);
      expect(woken).toEqual(['shop-stock']);
      expect(await publisher.step(current)).toBe(0); // caught up
    });

    it('without a fence publishes as before; a batch is one write with its cursor (moved: nothing written)', async () => {
      const ingest = new IngestService(config, store);
      const publisher = new AvailabilityPublisher(config, store, ingest, () => new Date(T0));
      const sku = freshSku();
      await store.inventory.applyMovements([received(sku, 5)]);
      const [entry] = await store.inventory.ledger({ sku, limit: 1 });

      // Another publisher moves the cursor between this one's read of it and its write: nothing of this
      // batch is written, and the step reports no progress.
      const racing = Object.create(store, {
        inventory: {
          value: Object.create(store.inventory, {
            ledgerAfter: {
              value: async (afterId: number, limit: number) => {
                const entries = await store.inventory.ledgerAfter(afterId, limit);
                expect(await store.log.moveCursor(PUBLISHER_CURSOR, afterId, afterId + 1_000_000)).toBe(true);
                return entries;
              },
            },
          }) as InventoryStore,
        },
      }) as Store;
      const raced = new AvailabilityPublisher(config, racing, ingest, () => new Date(T0));
      expect(await raced.step()).toBe(0);
      expect(await published(sku)).toEqual({ events: [], outbox: 0, figures: [], cursor: 1_000_000 });
      expect(await store.log.moveCursor(PUBLISHER_CURSOR, 1_000_000, 0)).toBe(true);

      expect(await publisher.step()).toBe(1);
      const after = await published(sku);
      expect(after.events).toHaveLength(4);
      expect(after.figures).toEqual([
        [`${sku}@b2b`, 5],
        [`${sku}@edi-acme`, 5],
        [`${sku}@web`, 3],
      ]);
      expect(after.cursor).toBe(entry?.id);
    });

    it('the store refuses a batch whose cursor moved, and reports events already logged as duplicates', async () => {
      const ingest = new IngestService(config, store);
      const sku = freshSku();
      const event = ingest.hubEvent({
        specversion: '1.0',
        id: `availability:${sku}@web:1`,
        source: '/manifold',
        type: 'com.manifold.inventory.availability.v1',
        time: at(0),
        datacontenttype: 'application/json',
        data: { sku, channel: 'web', available: 3 },
      });
      const batch = {
        events: [event],
        published: [{ sku, channel: 'web', available: 3 }],
        recovered: [],
        cursor: { name: PUBLISHER_CURSOR, from: 7, to: 8 },
        at: at(0),
      };
      await expect(store.inventory.publishAvailability(batch)).rejects.toBeInstanceOf(ConditionNotMet);
      expect(await published(sku)).toEqual({ events: [], outbox: 0, figures: [], cursor: 0 });

      const [first] = await store.append([event]); // logged by an earlier, non-atomic publication
      const outcomes = await store.inventory.publishAvailability({
        ...batch,
        cursor: { ...batch.cursor, from: 0 },
      });
      expect(outcomes).toEqual([{ status: 'duplicate', seq: first?.seq }]);
      expect(await published(sku)).toMatchObject({
        events: [event.event.type],
        figures: [[`${sku}@web`, 3]],
        cursor: 8,
      });
    });
    it('a batch of many events is appended in order, each with its outbox rows', async () => {
      const ingest = new IngestService(config, store);
      const skus = Array.from({ length: 230 }, () => freshSku());
      const events = skus.flatMap((sku) =>
        ['web', 'b2b'].map((channel) =>
          ingest.hubEvent({
            specversion: '1.0',
            id: `availability:${sku}@${channel}:9`,
            source: '/manifold',
            type: 'com.manifold.inventory.availability.v1',
            time: at(0),
            datacontenttype: 'application/json',
            data: { sku, channel, available: 1 },
          }),
        ),
      );
      const [logged] = await store.append([events[300] as (typeof events)[number]]);
      const outcomes = await store.inventory.publishAvailability({
        events: [...events, events[0] as (typeof events)[number]],
        published: [],
        recovered: [],
        cursor: { name: PUBLISHER_CURSOR, from: 0, to: 9 },
        at: at(0),
      });
      expect(outcomes).toHaveLength(461);
      expect(outcomes[300]).toEqual({ status: 'duplicate', seq: logged?.seq });
      expect(outcomes[460]).toEqual({ status: 'duplicate', seq: outcomes[0]?.seq });
      const accepted = outcomes.slice(0, 460).filter((o) => o.status === 'accepted');
      expect(accepted).toHaveLength(459);
      const seqs = accepted.map((o) => o.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      const page = await store.listEvents({ source: '/manifold', limit: 1000 });
      expect(page.items.map((e) => e.event.id)).toEqual([
        events[300]?.event.id,
        ...events.filter((_, i) => i !== 300).map((e) => e.event.id),
      ]);
      const outbox = await store.listOutbox({ subscription: 'shop-stock', limit: 1000 });
      expect(outbox.map((o) => o.eventSeq)).toEqual([logged?.seq, ...seqs]);
      expect(outbox.map((o) => o.partitionKey)).toEqual(
        page.items.map(
          (e) => `${(e.event.data as { sku: string }).sku}@${(e.event.data as { channel: string }).channel}`,
        ),
      );
    });
  });

  describe('the reservation expiry sweep', () => {
    it('a stale holder releases nothing and stops; the holder releases the expired hold', async () => {
      let clock = T0;
      const now = () => new Date(clock);
      const keys = new IdempotencyKeys(store, new ProcessRegistry(store), now);
      const reservations = new ReservationService(config, store, keys, now);
      const sku = freshSku();
      await store.inventory.applyMovements([received(sku, 10)]);
      const shop = { kind: 'system', name: 'shop' } as const;
      const ids: string[] = [];
      for (const quantity of [2, 3]) {
        const created = await reservations.reserve(shop, {
          channel: 'web',
          lines: [{ sku, quantity }],
          ttlSeconds: 60,
        });
        ids.push((created.body as { id: string }).id);
      }
      clock = T0 + 61_000;
      const { stale, current } = await takenOver('reservation-expiry');

      await expect(reservations.expire(500, stale)).rejects.toBeInstanceOf(LeaseLost);
      for (const id of ids) expect((await store.inventory.getReservation(id))?.status).toBe('open');
      expect((await store.inventory.positions(sku))[0]?.buckets.reserved).toBe(5);
      expect((await store.inventory.ledger({ sku, limit: 10 })).map((e) => e.reason)).not.toContain(
        'reservation_expired',
      );

      expect(await reservations.expire(500, current)).toBe(2);
      for (const id of ids) expect((await store.inventory.getReservation(id))?.status).toBe('expired');
      expect((await store.inventory.positions(sku))[0]?.buckets.reserved).toBe(0);
    });

    it('closeReservation with a stale fence writes nothing; without one it closes as before', async () => {
      const keys = new IdempotencyKeys(store, new ProcessRegistry(store), () => new Date(T0));
      const reservations = new ReservationService(config, store, keys, () => new Date(T0));
      const sku = freshSku();
      await store.inventory.applyMovements([received(sku, 4)]);
      const created = await reservations.reserve(
        { kind: 'system', name: 'shop' },
        { channel: 'web', lines: [{ sku, quantity: 1 }], ttlSeconds: 60 },
      );
      const id = (created.body as { id: string }).id;
      const { stale } = await takenOver('reservation-expiry');
      const close = { status: 'expired' as const, at: at(61_000), by: 'manifold' };
      const movements: Movement[] = [
        {
          sku,
          location: 'DC-EAST',
          deltas: { reserved: -1 },
          reason: 'reservation_expired',
          guard: 'promise',
          system: 'manifold',
          documentRef: id,
        },
      ];
      await expect(store.inventory.closeReservation(id, close, movements, stale)).rejects.toBeInstanceOf(
        LeaseLost,
      );
      expect((await store.inventory.getReservation(id))?.status).toBe('open');
      await store.inventory.closeReservation(id, close, movements);
      expect((await store.inventory.getReservation(id))?.status).toBe('expired');
      expect((await store.inventory.positions(sku))[0]?.buckets.reserved).toBe(0);
    });
  });

  describe('the cancelAfter check', () => {
    let hub: Hub;
    beforeEach(() => {
      hub = composeHub(config, store, { logger: pino({ level: 'silent' }), delivery: false });
    });
    afterEach(async () => {
      await hub.orders.stop();
      await hub.inventory.stop();
    });

    /** A backordered order (no stock) whose cancelAfter has passed. */
    async function overdueOrder() {
      const orderId = freshOrderId();
      const created = await hub.orders.service.create(
        'shop',
        {
          orderId,
          channel: 'web',
          customer: { id: 'C-1', name: 'Ada' },
          lines: [{ lineId: '1', sku: freshSku(), quantity: 2, unitPrice: 5 }],
          shipTo,
          cancelAfter: '2020-01-31',
        },
        randomUUID(),
      );
      expect(created.status).toBe(201);
      const record = await store.orders.getOrder(orderId);
      expect(record?.state.lines[0]).toMatchObject({ backordered: 2, cancelled: 0 });
      return record as NonNullable<typeof record>;
    }

    const expiredEvents = async (orderId: string) =>
      (await store.listEvents({ subject: orderId, source: '/manifold', limit: 100 })).items.filter(
        (e) => e.event.type === 'com.manifold.order.expired.v1',
      );

    it('a stale holder cancels nothing; the holder cancels the open units', async () => {
      const order = await overdueOrder();
      const { stale, current } = await takenOver(CANCEL_AFTER_LEASE);
      const check = hub.orders.processor.cancelAfter;

      await expect(check.sweep(stale)).rejects.toBeInstanceOf(LeaseLost);
      expect(await store.orders.getOrder(order.orderId)).toEqual(order);
      expect(await expiredEvents(order.orderId)).toEqual([]);

      expect(await check.sweep(current)).toBe(1);
      const after = await store.orders.getOrder(order.orderId);
      expect(after?.state.lines[0]).toMatchObject({ cancelled: 2, backordered: 0 });
      expect(await expiredEvents(order.orderId)).toHaveLength(1);
    });

    it('the loop fences its pass with the epoch it took; a takeover mid-pass ends it, not leading', async () => {
      const order = await overdueOrder();
      const errors: unknown[] = [];
      let clock = T0;
      const real = hub.orders.processor.cancelAfter;
      // The process pauses between taking the lease and writing: another takes the lease over meanwhile.
      const paused = {
        sweep: async (fence?: LeaseFence) => {
          expect(fence).toMatchObject({ name: CANCEL_AFTER_LEASE, holder: 'a', epoch: 1 });
          expect(await store.ops.takeLease(CANCEL_AFTER_LEASE, 'b', at(60_001), 60_000)).toBe(2);
          return real.sweep(fence);
        },
      } as unknown as CancelAfter;
      const loop = new CancelAfterLoop(store, paused, {
        leaseOwner: 'a',
        intervalMs: 20_000,
        now: () => new Date(clock),
        onError: (_, error) => errors.push(error),
      });
      await loop.run();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(LeaseLost);
      expect(loop.isLeading).toBe(false);
      expect(await store.orders.getOrder(order.orderId)).toEqual(order);
      expect(await expiredEvents(order.orderId)).toEqual([]);
      await loop.stop();
      expect((await store.ops.leases()).map((l) => l.owner)).toEqual(['b']); // not released by a non-holder

      // Once b's lease expires, a takes it again (epoch 3) and its pass cancels.
      clock = T0 + 200_000;
      const again = new CancelAfterLoop(store, real, { leaseOwner: 'a', now: () => new Date(clock) });
      await again.run();
      expect(again.isLeading).toBe(true);
      expect((await store.orders.getOrder(order.orderId))?.state.lines[0]).toMatchObject({ cancelled: 2 });
      await again.stop();
    });
  });
}

await describeEachStore('singleton fencing', (_, kind) => conformance(kind));
