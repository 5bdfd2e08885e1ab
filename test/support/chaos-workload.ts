/**
 * The clients of the chaos test (test/crash/chaos.test.ts): a storefront and a B2B portal placing orders
 * and holding stock, the two warehouses picking, packing, shipping and receiving, a carrier delivering,
 * and a warehouse counting. Each is a loop of seeded choices; every call is resent until it has a definite
 * answer (see retrying-client.ts), and what was answered is what the test later expects to find.
 */
import { type Call, call, settle } from './retrying-client.js';
import { SeededRandom } from './seeded-random.js';
import { KEYS } from './test-config.js';

export const LOCATIONS = ['DC-EAST', 'DC-WEST'] as const;
export type Location = (typeof LOCATIONS)[number];
/** SKUs that orders, reservations, shipments and receipts share; stock is scarce on purpose. */
export const ORDER_SKUS = ['CHAOS-A', 'CHAOS-B', 'CHAOS-C', 'CHAOS-D'] as const;
/** SKUs only counted and received (absolute counts race with shipments, so they get their own SKUs). */
export const COUNT_SKUS = ['CHAOS-COUNT-1', 'CHAOS-COUNT-2'] as const;
export const SEED_STOCK: Record<Location, number> = { 'DC-EAST': 30, 'DC-WEST': 12 };

const WMS: Record<Location, { token: string; source: string }> = {
  'DC-EAST': { token: KEYS.wmsEast, source: '/wms-east' },
  'DC-WEST': { token: KEYS.wmsWest, source: '/wms-west' },
};

const shipTo = {
  name: 'Chaos Buyer',
  line1: '1 Main St',
  city: 'Springfield',
  postalCode: '12345',
  country: 'US',
};

/** An order line as the hub answers it. */
export interface AnsweredLine {
  lineId: string;
  sku: string;
  ordered: number;
  committed: number;
  backordered: number;
  shipped: number;
  delivered: number;
  location?: string;
  /** Units committed and not yet shipped, per location (the hub's view of the line). */
  committedAt?: Record<string, number>;
}

export interface PlacedOrder {
  orderId: string;
  post: Call;
  /** Events sent about it, in order (pick/pack/ship per location, then delivery). */
  events: Call[];
}

export interface Hold {
  create: Call;
  close?: Call;
  closeKind?: 'commit' | 'release';
}

export interface CountSeries {
  sku: string;
  location: Location;
  /** Counts (`set`) and receipts (`add`), in the order they were acknowledged. */
  steps: { kind: 'set' | 'add'; quantity: number; call: Call }[];
  /** A step went unanswered during the chaos: the series stops (the next one would race its retry). */
  stopped: boolean;
}

/** Everything the clients did, and what they were answered. */
export class Workload {
  readonly orders = new Map<string, PlacedOrder>();
  readonly holds: Hold[] = [];
  readonly receipts: { sku: string; location: Location; quantity: number; call: Call }[] = [];
  readonly counts: CountSeries[] = COUNT_SKUS.map((sku, i) => ({
    sku,
    location: LOCATIONS[i % LOCATIONS.length] as Location,
    steps: [],
    stopped: false,
  }));
  /** Calls left without a definite answer when their client gave up on them during the chaos. */
  readonly unsettled: Call[] = [];
  /** Orders answered with committed units, waiting for the warehouse. */
  private readonly toFulfil: PlacedOrder[] = [];
  private running = true;

  constructor(
    private readonly baseUrl: string,
    private readonly seed: number,
    /** How long a client resends one call during the chaos before it moves on (and retries it at the end). */
    private readonly patienceMs: number,
  ) {}

  /** Every call made, for the final accounting. */
  allCalls(): Call[] {
    return [
      ...[...this.orders.values()].flatMap((o) => [o.post, ...o.events]),
      ...this.holds.flatMap((h) => (h.close ? [h.create, h.close] : [h.create])),
      ...this.receipts.map((r) => r.call),
      ...this.counts.flatMap((s) => s.steps.map((step) => step.call)),
    ];
  }

  /** Starts every client; resolves when they have all stopped (after `stop()`). */
  run(): Promise<void> {
    const clients = [
      this.orderClient('shop', 'web', 'WEB-A', 1),
      this.orderClient('shop', 'web', 'WEB-B', 2),
      this.orderClient('portal', 'b2b', 'B2B', 3),
      this.holdClient('shop', 'web', 4),
      this.holdClient('shop', 'web', 8),
      this.holdClient('portal', 'b2b', 5),
      this.holdClient('portal', 'b2b', 9),
      this.warehouseClient(6),
      this.countClient(7),
    ];
    return Promise.all(clients).then(() => undefined);
  }

  stop(): void {
    this.running = false;
  }

  /** Whether an order is being placed right now (a POST /v1/orders on the wire). */
  placingOrder(): boolean {
    for (const order of this.orders.values()) if (order.post.sending) return true;
    return false;
  }

  /** Sends `c` until answered, or until the client's patience runs out (then it is retried at the end). */
  private async send(c: Call, random: SeededRandom): Promise<boolean> {
    const settled = await settle(this.baseUrl, c, Date.now() + this.patienceMs, () => random.int(50, 250));
    if (!settled) this.unsettled.push(c);
    return settled;
  }

  private pause(random: SeededRandom, min: number, max: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, random.int(min, max)));
  }

  private async orderClient(system: 'shop' | 'portal', channel: string, prefix: string, stream: number) {
    const random = new SeededRandom(this.seed * 31 + stream);
    const token = system === 'shop' ? KEYS.shop : KEYS.portal;
    for (let n = 1; this.running; n += 1) {
      const orderId = `${prefix}-${n}`;
      const skus = random.chance(0.3)
        ? [random.pick(ORDER_SKUS), random.pick(ORDER_SKUS)]
        : [random.pick(ORDER_SKUS)];
      const lines = [...new Set(skus)].map((sku, i) => ({
        lineId: String(i + 1),
        sku,
        quantity: random.int(1, 3),
        unitPrice: 12.5,
      }));
      const post = call({
        label: `order ${orderId}`,
        method: 'POST',
        path: '/v1/orders',
        token,
        idempotencyKey: `${system}-checkout-${orderId}`,
        body: { orderId, channel, customer: { id: `C-${random.int(1, 40)}` }, lines, shipTo },
      });
      const order: PlacedOrder = { orderId, post, events: [] };
      this.orders.set(orderId, order);
      if ((await this.send(post, random)) && post.answer?.status === 201) {
        const answered = post.answer.body.lines as AnsweredLine[];
        if (answered.some((l) => l.committed > 0)) this.toFulfil.push(order);
      }
      await this.pause(random, 150, 400);
    }
  }

  private async holdClient(system: 'shop' | 'portal', channel: string, stream: number) {
    const random = new SeededRandom(this.seed * 31 + stream);
    const token = system === 'shop' ? KEYS.shop : KEYS.portal;
    for (let n = 1; this.running; n += 1) {
      const create = call({
        label: `reserve ${system}-${stream}-${n}`,
        method: 'POST',
        path: '/v1/reservations',
        token,
        idempotencyKey: `${system}-cart-${stream}-${n}`,
        body: { channel, sku: random.pick(ORDER_SKUS), quantity: random.int(1, 3), ttlSeconds: 3600 },
      });
      const hold: Hold = { create };
      this.holds.push(hold);
      if ((await this.send(create, random)) && create.answer?.status === 201) {
        const id = create.answer.body.id as string;
        await this.pause(random, 20, 120);
        const roll = random.next();
        if (roll < 0.45) {
          hold.closeKind = 'commit';
          hold.close = call({
            label: `commit ${id}`,
            method: 'POST',
            path: `/v1/reservations/${id}/commit`,
            token,
            body: { orderId: `${system.toUpperCase()}-RSV-${stream}-${n}` },
          });
        } else if (roll < 0.85) {
          hold.closeKind = 'release';
          hold.close = call({
            label: `release ${id}`,
            method: 'DELETE',
            path: `/v1/reservations/${id}`,
            token,
          });
        }
        if (hold.close) await this.send(hold.close, random);
      }
      await this.pause(random, 60, 260);
    }
  }

  private event(
    label: string,
    token: string,
    event: { id: string; source: string; type: string; data: Record<string, unknown> },
  ): Call {
    return call({
      label,
      method: 'POST',
      path: '/v1/events',
      token,
      contentType: 'application/cloudevents+json',
      body: { specversion: '1.0', ...event },
    });
  }

  private async warehouseClient(stream: number) {
    const random = new SeededRandom(this.seed * 31 + stream);
    for (let n = 1; this.running; n += 1) {
      const order = this.toFulfil.shift();
      if (order === undefined || random.chance(0.25)) {
        if (order) this.toFulfil.unshift(order);
        const location = random.pick(LOCATIONS);
        const sku = random.pick(ORDER_SKUS);
        const quantity = random.int(2, 8);
        const receipt = this.event(`receipt ${n}`, WMS[location].token, {
          id: `receipt-${n}`,
          source: WMS[location].source,
          type: 'com.manifold.inventory.received.v1',
          data: { sku, location, quantity },
        });
        this.receipts.push({ sku, location, quantity, call: receipt });
        await this.send(receipt, random);
      } else if (random.chance(0.8)) {
        await this.fulfil(order, random);
      }
      await this.pause(random, 40, 160);
    }
  }

  /** Picks, packs and ships what the order committed (sometimes only part of the way), then delivers it. */
  private async fulfil(order: PlacedOrder, random: SeededRandom): Promise<void> {
    const lines = ((order.post.answer?.body.lines ?? []) as AnsweredLine[]).filter((l) => l.committed > 0);
    const stages = random.chance(0.15) ? ['shipped'] : ['picked', 'packed', 'shipped'];
    const upTo = random.next();
    const last = upTo < 0.15 ? 'picked' : upTo < 0.25 ? 'packed' : 'shipped';
    for (const location of LOCATIONS) {
      const here = lines.filter((l) => l.location === location);
      if (here.length === 0) continue;
      for (const stage of stages) {
        const c = this.event(`${stage} ${order.orderId} @${location}`, WMS[location].token, {
          id: `${stage}-${order.orderId}-${location}`,
          source: WMS[location].source,
          type: `com.manifold.order.${stage}.v1`,
          data: {
            orderId: order.orderId,
            location,
            lines: here.map((l) => ({ lineId: l.lineId, quantity: l.committed })),
          },
        });
        order.events.push(c);
        if (!(await this.send(c, random))) return; // the rest of this order waits: its call is retried at the end
        if (stage === last) break;
      }
    }
    if (!order.events.some((e) => e.label.startsWith('shipped')) || random.chance(0.5)) return;
    const delivered = this.event(`delivered ${order.orderId}`, KEYS.tms, {
      id: `delivered-${order.orderId}`,
      source: '/tms',
      type: 'com.manifold.order.delivered.v1',
      data: { orderId: order.orderId },
    });
    order.events.push(delivered);
    await this.send(delivered, random);
  }

  private async countClient(stream: number) {
    const random = new SeededRandom(this.seed * 31 + stream);
    for (let n = 1; this.running; n += 1) {
      const series = random.pick(this.counts);
      if (series.stopped) {
        await this.pause(random, 80, 300);
        continue;
      }
      const location = series.location;
      const set = random.chance(0.4);
      const quantity = set ? random.int(0, 60) : random.int(1, 9);
      const c = this.event(`${set ? 'count' : 'receive'} ${series.sku} ${n}`, WMS[location].token, {
        id: `count-series-${n}`,
        source: WMS[location].source,
        type: set ? 'com.manifold.inventory.counted.v1' : 'com.manifold.inventory.received.v1',
        data: set ? { sku: series.sku, location, onHand: quantity } : { sku: series.sku, location, quantity },
      });
      series.steps.push({ kind: set ? 'set' : 'add', quantity, call: c });
      // One at a time, each answered before the next: log order is this order, so the result is known.
      if (!(await this.send(c, random))) series.stopped = true;
      await this.pause(random, 80, 300);
    }
  }
}
