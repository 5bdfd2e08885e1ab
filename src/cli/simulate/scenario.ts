/**
 * (Over 400 lines: one class, because the three ways an order is placed — the API, a storefront's own
 * webhook, an X12 850 — share the order numbering, the interchange control numbers, the SKU mix and the
 * run's counters, and the reservations give back the holds the orders met; split, each part would take
 * all of that state as arguments.)
 *
 * The systems that start things:
 *
 * - **Stock**: each location's WMS counts every SKU of the run (`inventory.counted.v1`), the ERP announces
 *   incoming purchase orders (`inventory.incoming.v1`). Two SKUs are scarce: more is asked of them than
 *   there is, so the oversell protection works for its living.
 * - **Orders**, at `--orders-per-second`: the storefront and the B2B portal `POST /v1/orders` with an
 *   Idempotency-Key, the EDI partner posts X12 850s to `/v1/edi/<partner>`; the ERP cancels a few soon
 *   after. With `duplicates`, a share of orders and 850s is sent again.
 * - **Reservations**: the storefront holds scarce stock (`POST /v1/reservations`), and gives half back.
 */
import type { Actors, BookedOrder } from './actors.js';
import { type NativeOrder, nativeOrderRequest } from './native-orders.js';
import type { SimSystem } from './sim-config.js';
import type { SimContext } from './sim-context.js';
import { purchaseOrderInterchange, SHIP_TO } from './x12-orders.js';

/** Plentiful SKUs (counted high at every location) and scarce ones (a few units). */
const PLENTIFUL = ['WIDGET', 'GADGET', 'GIZMO', 'SPROCKET', 'FLANGE', 'BRACKET'];
const SCARCE = ['LIMITED', 'RARE'];
const PLENTIFUL_ON_HAND = 1000;
const SCARCE_ON_HAND = [8, 4];
const SCARCE_LINE_SHARE = 0.15;
const ERP_CANCEL_SHARE = 0.05;

/** An order source: a channel's system and how it sends orders. */
interface OrderSource {
  system: SimSystem & { key: string };
  channel: string;
  /** `api`: `POST /v1/orders`; `webhook`: the platform's own order webhook; `x12`: an 850. */
  via: 'api' | 'webhook' | 'x12';
  weight: number;
}

export class Scenario {
  readonly skus: { sku: string; scarce: boolean }[];
  private readonly sources: OrderSource[];
  private interchangeControl: number;
  private orderNumber = 0;
  /** Holds still open (id → the key that made it): given back at the end, so none expires after the run. */
  private readonly holds = new Map<string, string>();

  constructor(
    private readonly sim: SimContext,
    private readonly actors: Actors,
  ) {
    this.skus = [
      ...PLENTIFUL.map((name) => ({ sku: `${name}-${sim.tag}`, scarce: false })),
      ...SCARCE.map((name) => ({ sku: `${name}-${sim.tag}`, scarce: true })),
    ];
    this.sources = [...sim.config.systems.values()].flatMap((system): OrderSource[] => {
      const playable = sim.playable(system.name);
      if (playable === undefined || system.channel === undefined) return [];
      if (!sim.config.locations.some((l) => l.channels.includes(system.channel as string))) return [];
      if (system.x12 !== undefined)
        return sim.config.hubX12
          ? [{ system: playable, channel: system.channel, via: 'x12', weight: 1 }]
          : [];
      if (system.kind === 'commerce') {
        const api: OrderSource = {
          system: playable,
          channel: system.channel,
          via: 'api',
          weight: system.name === 'shop' ? 3 : 2,
        };
        // A storefront with a native order route sends some of its orders as its own webhooks.
        return system.native ? [api, { ...api, via: 'webhook', weight: 1 }] : [api];
      }
      return [];
    });
    // No channel system places orders (a 3PL recipe): the ERP does, on the first channel a location serves.
    const erp = [...sim.config.systems.values()].find((s) => s.kind === 'erp');
    const [channel] = sim.config.locations.flatMap((l) => l.channels);
    const byErp = erp && channel && this.sources.length === 0 ? sim.playable(erp.name) : undefined;
    if (byErp && channel) this.sources.push({ system: byErp, channel, via: 'api', weight: 1 });
    // ISA13 is unique per partner for ever (a repeat is answered as a resend): start from the clock.
    this.interchangeControl = (Math.floor(Date.now() / 1000) % 90_000_000) * 10;
  }

  /** The channels that place orders in this run. */
  sourceNames(): string[] {
    const how = { x12: 'X12 850', webhook: 'native webhook', api: 'API' } as const;
    return this.sources.map((s) => `${s.system.name} (${s.channel}, ${how[s.via]})`);
  }

  /** The units of `sku` counted at the start at the `index`-th location. */
  onHandAt = (sku: { scarce: boolean }, index: number) =>
    sku.scarce ? (SCARCE_ON_HAND[index] ?? 2) : PLENTIFUL_ON_HAND;

  /** Counts every SKU at every location (as its WMS) and announces incoming stock (as the ERP). */
  async seedStock(): Promise<void> {
    const sim = this.sim;
    const erp = [...sim.config.systems.values()].find((s) => s.kind === 'erp' && s.key !== undefined);
    const sends: Promise<unknown>[] = [];
    sim.config.locations.forEach((location, index) => {
      const wms = [...sim.config.systems.values()].find(
        (s) => s.kind === 'wms' && s.key !== undefined && s.locations.includes(location.name),
      );
      for (const { sku, scarce } of this.skus) {
        const onHand = this.onHandAt({ scarce }, index);
        if (wms)
          sends.push(
            sim.sendEvent(wms.name, 'com.manifold.inventory.counted.v1', {
              sku,
              location: location.name,
              onHand,
            }),
          );
        if (erp && !scarce)
          sends.push(
            sim.sendEvent(erp.name, 'com.manifold.inventory.incoming.v1', {
              sku,
              location: location.name,
              quantity: 200,
              expectedAt: new Date(Date.now() + 7 * 86_400_000).toISOString(),
            }),
          );
      }
    });
    await Promise.all(sends);
  }

  /** Waits (at most `timeoutMs`) until the hub shows the counted stock of every SKU. */
  async stockVisible(adminKey: string, timeoutMs = 15_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answers = await Promise.all(
        this.skus.map(({ sku }) =>
          this.sim.hub.request('GET', `/v1/inventory/${encodeURIComponent(sku)}`, adminKey),
        ),
      );
      if (
        answers.every(
          (a) =>
            a.status === 200 &&
            (a.body?.positions ?? []).some(
              (p: { buckets?: { on_hand?: number } }) => (p.buckets?.on_hand ?? 0) > 0,
            ),
        )
      )
        return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** One tick of demand: an order from a weighted channel, and now and then a reservation. */
  placeOrder(): void {
    if (this.sources.length === 0) return;
    const sim = this.sim;
    const total = this.sources.reduce((t, s) => t + s.weight, 0);
    const draw = sim.random() * total;
    let cumulative = 0;
    // Each channel's first order comes first, so even a short run exercises every path.
    const source =
      this.sources[this.orderNumber] ??
      this.sources.find((s) => {
        cumulative += s.weight;
        return draw < cumulative;
      }) ??
      (this.sources[0] as OrderSource);
    this.orderNumber += 1;
    const order = this.makeOrder(source);
    const counts = sim.counters.byChannel[source.channel] ?? { placed: 0, accepted: 0 };
    sim.counters.byChannel[source.channel] = counts;
    sim.counters.ordersPlaced += 1;
    counts.placed += 1;
    const placed =
      source.via === 'x12'
        ? this.sendPurchaseOrder(source, order)
        : source.via === 'webhook'
          ? this.sendNativeOrder(source, order)
          : this.postOrder(source, order);
    void placed.then((orderId) => {
      if (orderId === undefined) return;
      sim.counters.ordersAccepted += 1;
      counts.accepted += 1;
      this.actors.book.set(orderId, order.booked);
      const erp = [...sim.config.systems.values()].find((s) => s.kind === 'erp' && s.key !== undefined);
      if (erp && sim.chance(ERP_CANCEL_SHARE)) {
        sim.schedule(sim.between(50, 400), async () => {
          const answer = await sim.sendEvent(erp.name, 'com.manifold.order.cancelled.v1', {
            orderId,
            reason: 'customer called the sales desk',
          });
          if (answer !== undefined && answer.status < 300) sim.counters.cancelledByErp += 1;
        });
      }
    });
    if (sim.chance(0.5)) void this.reserve();
  }

  private makeOrder(source: OrderSource): {
    body: Record<string, unknown>;
    booked: BookedOrder;
    poNumber: string;
  } {
    const sim = this.sim;
    const lineCount = sim.between(1, 3);
    const used = new Set<string>();
    const lines: BookedOrder['lines'] = [];
    for (let i = 1; i <= lineCount; i += 1) {
      const scarce = sim.chance(SCARCE_LINE_SHARE);
      const pool = this.skus.filter((s) => s.scarce === scarce && !used.has(s.sku));
      if (pool.length === 0) continue;
      const { sku } = sim.pick(pool);
      used.add(sku);
      const quantity = source.channel === 'web' ? sim.between(1, 3) : sim.between(2, 8);
      lines.push({
        lineId: String(lines.length + 1),
        sku,
        quantity,
        unitPrice: sim.between(500, 5000) / 100,
      });
    }
    if (lines.length === 0) {
      const { sku } = this.skus[0] as { sku: string };
      lines.push({ lineId: '1', sku, quantity: 1, unitPrice: 9.9 });
    }
    const customerNumber = sim.between(100, 999);
    const shipTo = { ...sim.pick(SHIP_TO), country: 'US' };
    const poNumber = `PO${sim.tag}${this.orderNumber}`;
    const orderId =
      source.via === 'x12'
        ? `${source.system.name}-${poNumber}`
        : // Each channel numbers its own orders (WEB-…, B2B-…): the example routes milestones by that prefix.
          `${source.channel.toUpperCase()}-${sim.tag}-${this.orderNumber}`;
    return {
      poNumber,
      booked: { channel: source.channel, lines },
      body: {
        orderId,
        channel: source.channel,
        customer: { id: `C-${customerNumber}`, name: `Customer ${customerNumber}` },
        lines,
        shipTo,
      },
    };
  }

  /** `POST /v1/orders` (and, with `duplicates`, the same request again); the order id when accepted. */
  private async postOrder(
    source: OrderSource,
    order: { body: Record<string, unknown> },
  ): Promise<string | undefined> {
    const sim = this.sim;
    const key = `checkout-${String(order.body.orderId)}`;
    const answer = await sim.hub.postOrder(source.system.key, order.body, key);
    if (answer.status !== 201 && answer.status !== 202) {
      sim.counters.ordersRefused += 1;
      sim.rejected(`order ${String(order.body.orderId)}`, answer);
      return undefined;
    }
    for (const line of (answer.body?.lines ?? []) as { backordered?: number }[])
      sim.counters.backorderedUnits += line.backordered ?? 0;
    if (sim.faults.duplicates > 0 && sim.chance(sim.faults.duplicates)) {
      sim.schedule(sim.between(20, 300), async () => {
        const again = await sim.hub.postOrder(source.system.key, order.body, key);
        if (again.headers.get('idempotent-replayed') === 'true') sim.counters.replayedOrders += 1;
        else if (again.status >= 300) sim.rejected(`order ${String(order.body.orderId)} again`, again);
      });
    }
    return String(order.body.orderId);
  }

  /**
   * The storefront's own `orders/create` webhook (native-orders.ts), signed as its `inbound.auth` says (and,
   * with `duplicates`, the same webhook again: same webhook id, answered as a duplicate). The booked order
   * takes the id the route's mapping gives it.
   */
  private async sendNativeOrder(
    source: OrderSource,
    order: { body: Record<string, unknown>; booked: BookedOrder },
  ): Promise<string | undefined> {
    const sim = this.sim;
    const native = source.system.native;
    if (native === undefined) return undefined;
    const platformId = (Math.floor(Date.now() / 1000) % 1_000_000_000) * 1000 + (this.orderNumber % 1000);
    const webhookId = `sim-${sim.tag}-${this.orderNumber}`;
    const request = await nativeOrderRequest(
      source.system.name,
      native,
      {
        platformId,
        channel: source.channel,
        customer: order.body.customer as NativeOrder['customer'],
        lines: order.booked.lines,
        shipTo: order.body.shipTo as NativeOrder['shipTo'],
      },
      source.system.key,
      webhookId,
    );
    const send = () =>
      sim.hub.postInbound(source.system.name, native.route.name, request.body, request.headers);
    const answer = await send();
    const status = (answer.body as { status?: string } | undefined)?.status;
    if (answer.status !== 202 || status !== 'accepted' || request.orderId === undefined) {
      sim.counters.ordersRefused += 1;
      sim.rejected(`webhook order ${platformId}`, answer);
      return undefined;
    }
    if (sim.faults.duplicates > 0 && sim.chance(sim.faults.duplicates)) {
      sim.schedule(sim.between(20, 300), async () => {
        const again = await send();
        const repeat = (again.body as { status?: string } | undefined)?.status;
        if (again.status === 200 && repeat === 'duplicate') sim.counters.replayedOrders += 1;
        else sim.rejected(`webhook order ${platformId} again`, again);
      });
    }
    sim.counters.nativeWebhookOrders += 1;
    return request.orderId;
  }

  /** The partner's 850 to `/v1/edi/<partner>` (and, with `duplicates`, the same interchange again). */
  private async sendPurchaseOrder(
    source: OrderSource,
    order: { body: Record<string, unknown>; booked: BookedOrder; poNumber: string },
  ): Promise<string | undefined> {
    const sim = this.sim;
    const x12 = source.system.x12;
    const hubX12 = sim.config.hubX12;
    if (x12 === undefined || hubX12 === undefined) return undefined;
    this.interchangeControl = (this.interchangeControl % 999_999_998) + 1;
    const text = purchaseOrderInterchange(
      {
        poNumber: order.poNumber,
        customer: order.body.customer as { id: string; name: string },
        shipTo: order.body.shipTo as Parameters<typeof purchaseOrderInterchange>[0]['shipTo'],
        lines: order.booked.lines,
      },
      { partner: x12, hub: hubX12 },
      this.interchangeControl,
    );
    const answer = await sim.hub.postEdi(source.system.key, source.system.name, text);
    const sets = setsOf(answer.body);
    if (answer.status !== 200 || !sets.some((s) => s.outcome === 'applied')) {
      sim.counters.ordersRefused += 1;
      sim.rejected(`850 ${order.poNumber}`, {
        ...answer,
        body: {
          detail:
            sets.map((s) => `${s.outcome} ${s.detail ?? ''}`).join('; ') || String(answer.body).slice(0, 200),
        },
      });
      return undefined;
    }
    if (sim.faults.duplicates > 0 && sim.chance(sim.faults.duplicates)) {
      sim.schedule(sim.between(20, 300), async () => {
        const again = await sim.hub.postEdi(source.system.key, source.system.name, text);
        if (again.headers.get('x-manifold-resent') === 'true') sim.counters.resentInterchanges += 1;
        else sim.rejected(`850 ${order.poNumber} again`, again);
      });
    }
    return String(order.body.orderId);
  }

  /** Gives a hold back (once). */
  private async release(id: string): Promise<void> {
    const key = this.holds.get(id);
    if (key === undefined) return;
    this.holds.delete(id);
    const released = await this.sim.hub.request('DELETE', `/v1/reservations/${id}`, key);
    if (released.status === 200) this.sim.counters.reservationsReleased += 1;
  }

  /**
   * Gives back every hold still open when the traffic stops: the hub would otherwise expire them after
   * their TTL and send availability to receivers that are gone by then.
   */
  async releaseHolds(): Promise<number> {
    const ids = [...this.holds.keys()];
    await Promise.all(ids.map((id) => this.release(id)));
    return ids.length;
  }

  /** The storefront holds a few units of a scarce SKU, and gives half of its holds back after a while. */
  private async reserve(): Promise<void> {
    const sim = this.sim;
    const shop = [...sim.config.systems.values()].find(
      (s) => s.kind === 'commerce' && s.channel !== undefined && s.key !== undefined,
    );
    if (shop?.key === undefined || shop.channel === undefined) return;
    const key = shop.key;
    const { sku } = sim.pick(this.skus.filter((s) => s.scarce));
    const quantity = sim.between(1, 3);
    const answer = await sim.hub.request(
      'POST',
      '/v1/reservations',
      key,
      { sku, channel: shop.channel, quantity, ttlSeconds: 30, reference: sim.id('cart') },
      { 'idempotency-key': sim.id('hold') },
    );
    if (answer.status === 201) {
      sim.counters.reservationsHeld += 1;
      const id = String(answer.body.id);
      this.holds.set(id, key);
      if (sim.chance(0.5)) sim.schedule(sim.between(500, 3000), () => this.release(id));
    } else if (answer.status === 409 && String(answer.body?.type ?? '').endsWith('insufficient-stock')) {
      sim.counters.reservationsRefused += 1;
      sim.counters.reservationsRefusedUnits += quantity;
    } else {
      sim.counters.reservationsFailed += 1;
      sim.rejected(`reservation of ${sku}`, answer);
    }
  }
}

function setsOf(body: unknown): { outcome: string; detail?: string }[] {
  const sets = (body as { sets?: unknown } | undefined)?.sets;
  return Array.isArray(sets) ? (sets as { outcome: string; detail?: string }[]) : [];
}
