/**
 * Orders conformance (docs/orders.md): the order path on every store adapter (`STORES=` narrows). An order
 * created through the service, shipped and delivered through ingest: the stored order, the positions,
 * the hub events in the log (milestones in order, the release) with their outbox rows; one order for ten
 * concurrent creates with one Idempotency-Key; and, on PostgreSQL, two order engines on two stores of the
 * same database following the log concurrently without ever applying an event twice.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CompiledConfig } from '../src/config/compiled-config.js';
import { compileConfig } from '../src/config/load-config.js';
import type { CloudEvent } from '../src/domain/cloud-event.js';
import { gs1CheckDigit } from '../src/domain/orders/packages.js';
import { IngestService } from '../src/engine/ingest-service.js';
import { OrderEngine } from '../src/engine/orders/order-engine.js';
import { ORDER_CURSOR } from '../src/engine/orders/order-processor.js';
import { composeHub, type Hub } from '../src/main/compose.js';
import { ConditionNotMet } from '../src/store/condition-not-met.js';
import type { Movement } from '../src/store/inventory-port.js';
import type { OrderRecord } from '../src/store/order-port.js';
import type { Store } from '../src/store/store-port.js';
import { freshOrderId as freshOrder, freshSku, orderBody, shipTo } from './support/orders.js';
import { describeEachStore, openTestStore, type StoreKind, type TestStore } from './support/stores.js';
import { testConfigYaml } from './support/test-config.js';

/** Every order event to the ERP; releases (only) to DC-EAST's WMS. */
const SUBSCRIPTIONS = `subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: http://127.0.0.1:9/erp }
  - name: wms-east-releases
    target: wms-east
    types: [com.manifold.order.released.v1]
    http: { url: http://127.0.0.1:9/wms-east }
units:
  '*': { CA: 12 }
`;

function received(sku: string, location: string, onHand: number): Movement {
  return {
    sku,
    location,
    deltas: { on_hand: onHand },
    reason: 'received',
    guard: 'fact',
    system: 'wms-east',
    eventId: randomUUID(),
  };
}

function cloudEvent(source: string, type: string, data: Record<string, unknown>): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source,
    type: `com.manifold.order.${type}.v1`,
    time: new Date().toISOString(),
    data,
  } as CloudEvent;
}

const shipped = (orderId: string, quantity: number) =>
  cloudEvent('/wms-east', 'shipped', {
    orderId,
    location: 'DC-EAST',
    lines: [{ lineId: '1', quantity }],
    carrier: 'UPSN',
    tracking: `1Z-${orderId}`,
  });
const picked = (orderId: string, quantity: number) =>
  cloudEvent('/wms-east', 'picked', { orderId, location: 'DC-EAST', lines: [{ lineId: '1', quantity }] });
const delivered = (orderId: string) => cloudEvent('/tms', 'delivered', { orderId });

/** Every event of the log about `subject`, in log order (all pages). */
async function logOf(store: Store, subject: string, source?: string) {
  const items = [];
  let afterSeq: number | undefined;
  for (;;) {
    const page = await store.listEvents({
      subject,
      limit: 500,
      ...(source ? { source } : {}),
      ...(afterSeq === undefined ? {} : { afterSeq }),
    });
    items.push(...page.items);
    if (page.nextAfterSeq === undefined) return items;
    afterSeq = page.nextAfterSeq;
  }
}

function conformance(kind: StoreKind) {
  let t: TestStore;
  let store: Store;
  let config: CompiledConfig;
  let context: Hub;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
    config = compileConfig(testConfigYaml({ subscriptions: SUBSCRIPTIONS }), 'test.yaml', {});
    context = composeHub(config, store, { logger: pino({ level: 'silent' }), delivery: false });
  });
  afterAll(async () => {
    await context.orders.stop();
    await context.inventory.stop();
    await t.cleanup();
  });

  async function ingest(system: string, event: CloudEvent) {
    const [result] = await context.ingest.ingest(system, [event], false);
    expect(result?.status).toBe('accepted');
    await context.orders.settle();
    return result?.seq as number;
  }

  it('creates, commits, releases, ships and delivers an order: stored order, positions, log and outbox', async () => {
    const sku = freshSku();
    await store.inventory.applyMovements([received(sku, 'DC-EAST', 10)]);
    const id = freshOrder();
    const created = await context.orders.service.create('shop', orderBody(id, sku, 3), randomUUID());
    expect(created).toMatchObject({ status: 201, replayed: false });
    expect(created.body).toMatchObject({ orderId: id, milestone: 'released', status: 'released' });

    let order = await store.orders.getOrder(id);
    expect(order).toMatchObject({ orderId: id, channel: 'web', system: 'shop', milestone: 'released' });
    expect(order?.state.lines[0]).toMatchObject({ location: 'DC-EAST', committed: 3, released: 3 });
    expect((await store.inventory.positions(sku))[0]?.buckets).toMatchObject({ on_hand: 10, committed: 3 });

    const shipSeq = await ingest('wms-east', shipped(id, 3));
    expect((await store.inventory.positions(sku))[0]?.buckets).toMatchObject({
      on_hand: 7,
      committed: 0,
      in_transit: 3,
    });
    const deliverSeq = await ingest('tms', delivered(id));

    // The stored order.
    order = await store.orders.getOrder(id);
    expect(order).toMatchObject({ milestone: 'delivered', status: 'delivered', holds: [] });
    expect(order?.state.reached).toEqual([
      'accepted',
      'committed',
      'released',
      'picked',
      'packed',
      'shipped',
      'delivered',
    ]);
    expect(order?.state.lines).toEqual([
      expect.objectContaining({
        lineId: '1',
        sku,
        ordered: 3,
        location: 'DC-EAST',
        committed: 3,
        backordered: 0,
        released: 3,
        shipped: 3,
        delivered: 3,
        cancelled: 0,
      }),
    ]);
    expect(order?.document).toMatchObject({
      orderId: id,
      customer: { id: 'C-1', name: 'Ada' },
      shipTo,
      lines: [{ lineId: '1', sku, quantity: 3, unitPrice: 9.5 }],
      acceptedEvent: { source: '/shop' },
    });
    expect(order?.version).toBeGreaterThanOrEqual(3);

    // The positions and their ledger.
    const [position] = await store.inventory.positions(sku);
    expect(position).toMatchObject({ location: 'DC-EAST', available: 7 });
    expect(position?.buckets).toMatchObject({ on_hand: 7, committed: 0, in_transit: 0 });
    const ledger = await store.inventory.ledger({ sku, limit: 10 });
    expect(ledger.map((e) => e.reason)).toEqual(['delivered', 'shipped', 'order_committed', 'received']);
    for (const entry of ledger.slice(0, 3))
      expect(entry).toMatchObject({ system: 'manifold', documentRef: id });

    // The hub's events: milestones in order, each naming the one before; one release, to DC-EAST.
    const out = await logOf(store, id, '/manifold');
    expect(out.map((e) => e.event.type)).toEqual([
      'com.manifold.order.milestone.v1',
      'com.manifold.order.milestone.v1',
      'com.manifold.order.released.v1',
      'com.manifold.order.milestone.v1',
      'com.manifold.order.milestone.v1',
      'com.manifold.order.milestone.v1',
    ]);
    const milestones = out
      .filter((e) => e.event.type === 'com.manifold.order.milestone.v1')
      .map((e) => e.event.data as { milestone: string; previous: string | null; inferred: string[] });
    expect(milestones.map((m) => [m.previous, m.milestone])).toEqual([
      [null, 'accepted'],
      ['accepted', 'committed'],
      ['committed', 'released'],
      ['released', 'shipped'],
      ['shipped', 'delivered'],
    ]);
    expect(milestones[3]?.inferred).toEqual(['picked', 'packed']);
    const release = out.find((e) => e.event.type === 'com.manifold.order.released.v1');
    expect(release?.event.data).toMatchObject({
      orderId: id,
      location: 'DC-EAST',
      channel: 'web',
      lines: [{ lineId: '1', sku, quantity: 3 }],
      shipTo,
    });
    for (const e of out) {
      expect(e.system).toBe('manifold');
      expect(e.event).toMatchObject({ source: '/manifold', subject: id, partitionkey: id });
    }
    // Seqs strictly increasing, and each caused by an inbound event of the order.
    const inbound = (await logOf(store, id)).filter((e) => e.system !== 'manifold');
    expect(inbound.map((e) => e.event.type)).toEqual([
      'com.manifold.order.accepted.v1',
      'com.manifold.order.shipped.v1',
      'com.manifold.order.delivered.v1',
    ]);
    const inboundIds = new Set(inbound.map((e) => e.event.id));
    for (const e of out) expect(inboundIds.has(String(e.event.causationid))).toBe(true);

    // Outbox rows: the release to the ERP and to DC-EAST's WMS; milestones to the ERP only.
    for (const e of out) {
      const rows = await store.listOutbox({ eventSeq: e.seq, limit: 10 });
      const subscriptions = rows.map((r) => r.subscription).sort();
      if (e.event.type === 'com.manifold.order.released.v1') {
        expect(subscriptions).toEqual(['erp-orders', 'wms-east-releases']);
        expect(rows.find((r) => r.subscription === 'wms-east-releases')).toMatchObject({
          target: 'wms-east',
          partitionKey: id,
          status: 'pending',
        });
      } else {
        expect(subscriptions).toEqual(['erp-orders']);
      }
    }

    // Each inbound event annotated once, in log order.
    const annotations = await store.orders.annotations(id);
    expect(annotations.map((a) => a.eventSeq)).toEqual(inbound.map((e) => e.seq));
    expect(annotations.map((a) => a.eventSeq).slice(1)).toEqual([shipSeq, deliverSeq]);
    expect(annotations[1]).toMatchObject({
      before: 'released',
      after: 'shipped',
      inferred: ['picked', 'packed'],
    });
    expect(annotations[2]).toMatchObject({ before: 'shipped', after: 'delivered', late: false });
    expect(await store.log.cursor(ORDER_CURSOR)).toBeGreaterThanOrEqual(deliverSeq);
  });

  it('keeps an order in cases with its commercial fields and a shipment in packages: eaches in stock, the rest as sent', async () => {
    const sku = freshSku();
    await store.inventory.applyMovements([received(sku, 'DC-EAST', 60)]);
    const id = freshOrder();
    const body = orderBody(id, sku, 2);
    const created = await context.orders.service.create(
      'shop',
      {
        ...body,
        lines: [{ lineId: '1', sku, quantity: 2, uom: 'CA', unitPrice: 60, gtin: '00012345678905' }],
        currency: 'USD',
        customerPo: 'PO-77',
        shipVia: { carrier: 'UPSN', service: 'GROUND' },
        charges: [{ type: 'freight', amount: 12.5 }],
        cancelAfter: '2099-12-31',
      },
      randomUUID(),
    );
    expect(created.status).toBe(201);
    expect((await store.inventory.positions(sku))[0]?.buckets).toMatchObject({ on_hand: 60, committed: 24 });
    const sscc = `00614141123450000`;
    const parcel = `${sscc}${gs1CheckDigit(sscc)}`;
    await ingest(
      'wms-east',
      cloudEvent('/wms-east', 'shipped', {
        orderId: id,
        location: 'DC-EAST',
        lines: [{ lineId: '1', quantity: 1, uom: 'CA' }],
        packages: [
          {
            sscc: parcel,
            weight: { value: 9.5, unit: 'KG' },
            lines: [{ lineId: '1', quantity: 1, uom: 'CA' }],
          },
        ],
      }),
    );
    expect((await store.inventory.positions(sku))[0]?.buckets).toMatchObject({
      on_hand: 48,
      committed: 12,
      in_transit: 12,
    });
    const order = await store.orders.getOrder(id);
    expect(order).toMatchObject({ milestone: 'shipped', status: 'partially_shipped' });
    expect(order?.state.lines[0]).toMatchObject({ ordered: 24, committed: 24, shipped: 12 });
    expect(order?.document).toMatchObject({
      currency: 'USD',
      customerPo: 'PO-77',
      shipVia: { carrier: 'UPSN', service: 'GROUND' },
      charges: [{ type: 'freight', amount: 12.5 }],
      cancelAfter: '2099-12-31',
      lines: [
        { lineId: '1', quantity: 2, uom: 'CA', baseQuantity: 24, unitPrice: 60, gtin: '00012345678905' },
      ],
    });
    const timeline = await context.orders.service.timeline(order as NonNullable<typeof order>);
    expect(timeline.entries.find((e) => e.type === 'com.manifold.order.shipped.v1')).toMatchObject({
      packages: [
        {
          sscc: parcel,
          weight: { value: 9.5, unit: 'KG' },
          lines: [{ lineId: '1', quantity: 1, uom: 'CA' }],
        },
      ],
    });
  });

  it('lists the orders a read scope selects (its own, or its channels) and the ledger at given locations', async () => {
    const sku = freshSku();
    await store.inventory.applyMovements([received(sku, 'DC-EAST', 20), received(sku, 'DC-WEST', 5)]);
    const web = freshOrder();
    const b2b = freshOrder();
    const byErp = freshOrder();
    for (const [system, id, channel] of [
      ['shop', web, 'web'],
      ['portal', b2b, 'b2b'],
      ['erp', byErp, 'web'],
    ] as const) {
      const answer = await context.orders.service.create(
        system,
        { ...orderBody(id, sku, 1), channel },
        randomUUID(),
      );
      expect(answer.status).toBe(201);
    }
    const mine = [web, b2b, byErp];
    const listed = async (readableBy: { system: string; channels: string[] }) =>
      (await store.orders.listOrders({ limit: 500, readableBy }))
        .map((o) => o.orderId)
        .filter((id) => mine.includes(id))
        .sort();
    expect(await listed({ system: 'shop', channels: ['web'] })).toEqual([web, byErp].sort());
    expect(await listed({ system: 'portal', channels: [] })).toEqual([b2b]);
    expect(await listed({ system: 'acme', channels: ['b2b', 'web'] })).toEqual(mine.sort());
    expect(await listed({ system: 'acme', channels: [] })).toEqual([]);
    const at = async (locations: string[]) =>
      new Set((await store.inventory.ledger({ sku, limit: 100, locations })).map((e) => e.location));
    expect(await at(['DC-WEST'])).toEqual(new Set(['DC-WEST']));
    expect(await at(['DC-EAST', 'DC-WEST'])).toEqual(new Set(['DC-EAST', 'DC-WEST']));
    expect(await at([])).toEqual(new Set());
  });

  it('lists orders newest first with order desc, and its cursor goes on to older ones', async () => {
    const sku = freshSku();
    await store.inventory.applyMovements([received(sku, 'DC-EAST', 10)]);
    const since = new Date(Date.now() - 1000).toISOString();
    const ids = [freshOrder(), freshOrder(), freshOrder()];
    for (const id of ids) {
      expect((await context.orders.service.create('shop', orderBody(id, sku, 1), randomUUID())).status).toBe(
        201,
      );
    }
    const stored = await Promise.all(ids.map(async (id) => (await store.orders.getOrder(id)) as OrderRecord));
    const key = (o: OrderRecord) => `${o.createdAt}|${o.orderId}`;
    const oldestFirst = stored.sort((a, b) => (key(a) < key(b) ? -1 : 1)).map((o) => o.orderId);
    const mine = (orders: OrderRecord[]) => orders.map((o) => o.orderId).filter((id) => ids.includes(id));
    expect(mine(await store.orders.listOrders({ since, limit: 500 }))).toEqual(oldestFirst);
    const newestFirst = [...oldestFirst].reverse();
    expect(mine(await store.orders.listOrders({ since, limit: 500, order: 'desc' }))).toEqual(newestFirst);
    const all = await store.orders.listOrders({ since, limit: 500, order: 'desc' });
    const second = all.findIndex((o) => o.orderId === newestFirst[1]);
    const cursor = all[second] as OrderRecord;
    const rest = await store.orders.listOrders({
      since,
      limit: 500,
      order: 'desc',
      after: { createdAt: cursor.createdAt, orderId: cursor.orderId },
    });
    expect(mine(rest)).toEqual([newestFirst[2]]);
  });

  it('makes one order of ten concurrent creates with the same Idempotency-Key', async () => {
    const sku = freshSku();
    await store.inventory.applyMovements([received(sku, 'DC-EAST', 20)]);
    const id = freshOrder();
    const body = orderBody(id, sku, 2);
    const key = randomUUID();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => context.orders.service.create('shop', body, key)),
    );
    const answers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refusals = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(answers.length).toBeGreaterThanOrEqual(1);
    for (const a of answers) {
      expect(a.status).toBe(201);
      expect(a.body).toEqual(answers[0]?.body);
    }
    for (const r of refusals) expect(r).toMatchObject({ status: 409, code: 'idempotency-key-in-flight' });
    const retry = await context.orders.service.create('shop', body, key);
    expect(retry).toEqual({ status: 201, body: answers[0]?.body, replayed: true });

    const accepted = await store.listEvents({
      subject: id,
      type: 'com.manifold.order.accepted.v1',
      limit: 50,
    });
    expect(accepted.items).toHaveLength(1);
    expect(await store.orders.getOrder(id)).toMatchObject({ orderId: id, milestone: 'released' });
    expect((await store.orders.listOrders({ limit: 500 })).filter((o) => o.orderId === id)).toHaveLength(1);
    expect(await store.orders.annotations(id)).toHaveLength(1);
    expect((await store.inventory.positions(sku))[0]?.buckets.committed).toBe(2);
    const out = await logOf(store, id, '/manifold');
    expect(out.filter((e) => e.event.type === 'com.manifold.order.released.v1')).toHaveLength(1);
    expect((await store.delivery.listExceptions({ subject: id, limit: 50 })).map((e) => e.code)).toEqual([]);
  });

  if (kind === 'postgres') {
    it('two order engines on two stores of one database apply every event exactly once', async () => {
      const ORDERS = 30;
      const sku = freshSku();
      await store.inventory.applyMovements([received(sku, 'DC-EAST', 1000)]);
      const errors: unknown[] = [];
      const consumed: [number, number] = [0, 0];
      const conflicts: [number, number] = [0, 0];
      // A second hub process: its own store (pool) on the same database; migrate() finds nothing to do.
      const second = t.reopen();
      expect(await second.migrate()).toEqual([]);
      const stores = [store, second];
      const engines: OrderEngine[] = [];
      const ingests = stores.map((s, i) => {
        // Count the commits another writer got in ahead of (the unit is refused and recomputed).
        const commit = s.orders.commit.bind(s.orders);
        s.orders.commit = async (unit) => {
          try {
            await commit(unit);
          } catch (error) {
            if (error instanceof ConditionNotMet) conflicts[i] = (conflicts[i] ?? 0) + 1;
            throw error;
          }
        };
        const ingest = new IngestService(config, s, undefined, (types) => engines[i]?.ingested(types));
        const engine = new OrderEngine(config, s, ingest, {
          intervalMs: 5,
          onError: (_loop, error) => errors.push(error),
        });
        // Count what each engine's processor consumed (the loop calls `processor.step()` by name).
        const step = engine.processor.step.bind(engine.processor);
        engine.processor.step = async () => {
          const n = await step();
          consumed[i] = (consumed[i] ?? 0) + n;
          return n;
        };
        engines.push(engine);
        return ingest;
      });
      const ids = Array.from({ length: ORDERS }, freshOrder);
      try {
        const quantity = (i: number) => 1 + (i % 3);
        // Before the loops start, each engine consumes a wave of its own ingest alone (only its own loop is
        // woken, and neither timer runs), so both are sure to have applied events whatever the race below.
        const warmUp = [freshOrder(), freshOrder()];
        for (const [i, id] of warmUp.entries()) {
          await (ingests[i] as IngestService).ingest(
            'shop',
            [cloudEvent('/shop', 'accepted', orderBody(id, sku, 1))],
            false,
          );
          await (engines[i] as OrderEngine).settle();
        }
        expect(consumed).toEqual([1, 1]);
        for (const engine of engines) engine.start();
        // Rounds of events, in waves of a few orders spread over both processes' ingest; after each wave
        // both processors also step at once (the same batch from the same cursor), besides their loops.
        const rounds: [string, (id: string, i: number) => CloudEvent][] = [
          ['shop', (id, i) => cloudEvent('/shop', 'accepted', orderBody(id, sku, quantity(i)))],
          ['wms-east', (id, i) => picked(id, quantity(i))],
          ['wms-east', (id, i) => shipped(id, quantity(i))],
          ['tms', (id) => delivered(id)],
        ];
        for (const [system, make] of rounds) {
          for (let from = 0; from < ORDERS; from += 5) {
            await Promise.all(
              ids
                .slice(from, from + 5)
                .map((id, k) =>
                  (ingests[(from + k) % 2] as IngestService).ingest(system, [make(id, from + k)], false),
                ),
            );
            await Promise.all(engines.map((e) => e.processor.step()));
          }
        }
        await Promise.all(engines.map((e) => e.settle()));
        await Promise.all(engines.map((e) => e.settle()));
      } finally {
        for (const engine of engines) await engine.stop();
      }

      expect(errors).toEqual([]);
      // The processes did race: commits were refused because the other got there first.
      expect(conflicts[0] + conflicts[1]).toBeGreaterThan(0);
      expect(consumed[0] + consumed[1]).toBe(ORDERS * 4 + 2);
      const last = (await store.listEvents({ limit: 1, source: '/tms', subject: ids[ORDERS - 1] })).items;
      expect(await store.log.cursor(ORDER_CURSOR)).toBeGreaterThanOrEqual(last[0]?.seq ?? Infinity);

      let units = 0;
      for (const [i, id] of ids.entries()) {
        units += 1 + (i % 3);
        const inbound = (await logOf(store, id)).filter((e) => e.system !== 'manifold');
        expect(inbound).toHaveLength(4);
        const annotations = await store.orders.annotations(id);
        expect(
          annotations.map((a) => a.eventSeq),
          id,
        ).toEqual(inbound.map((e) => e.seq));
        const out = await logOf(store, id, '/manifold');
        const milestones = out
          .filter((e) => e.event.type === 'com.manifold.order.milestone.v1')
          .map((e) => (e.event.data as { milestone: string }).milestone);
        expect(milestones, id).toEqual([
          'accepted',
          'committed',
          'released',
          'picked',
          'shipped',
          'delivered',
        ]);
        expect(
          out.filter((e) => e.event.type === 'com.manifold.order.released.v1'),
          id,
        ).toHaveLength(1);
        const order = await store.orders.getOrder(id);
        expect(order, id).toMatchObject({ milestone: 'delivered', status: 'delivered' });
        expect(order?.state.lines[0], id).toMatchObject({
          committed: 1 + (i % 3),
          shipped: 1 + (i % 3),
          delivered: 1 + (i % 3),
        });
      }
      const [position] = await store.inventory.positions(sku);
      // The two warm-up orders stay committed (one unit each); every other unit was shipped.
      expect(position?.buckets).toMatchObject({ on_hand: 1000 - units, committed: 2, in_transit: 0 });
      const ledger = await store.inventory.ledger({ sku, limit: 1000 });
      const count = (reason: string) => ledger.filter((e) => e.reason === reason).length;
      // The two warm-up orders are committed too, and go no further.
      expect([count('order_committed'), count('shipped'), count('delivered')]).toEqual([
        ORDERS + 2,
        ORDERS,
        ORDERS,
      ]);
      const exceptions = await store.delivery.listExceptions({ limit: 1000 });
      expect(
        exceptions.filter((e) => ids.includes(String(e.subject)) || String(e.subject).startsWith(sku)),
      ).toEqual([]);
    }, 60_000);
  }
}

await describeEachStore('orders store', (_, kind) => conformance(kind));
