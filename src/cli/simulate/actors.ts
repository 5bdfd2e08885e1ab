/**
 * The systems that react to what the hub delivers them:
 *
 * - **WMS** (each warehouse): a release is picked, packed and shipped after short delays, as that WMS,
 *   with a carrier and tracking number; sometimes a line is picked short by one unit (the hub recommits
 *   the shortfall elsewhere); with `out-of-order`, a share is shipped first and picked/packed reported
 *   late. A `release-cancelled` stops the work not yet done.
 * - **TMS / carrier**: a shipment is delivered after a while — as `order.delivered.v1`, or as its own
 *   status code mapped to delivered (`statusMaps`, the example's D1); sometimes a delivery exception code
 *   comes first (unmapped: the hub raises `unknown_status` for an operator).
 * - **ERP**: a `delivered` milestone is invoiced.
 * Storefront, portal and the EDI gateway only receive (milestones, availability, 856/846 feeds): the
 * receivers count them.
 */
import type { DeliveredEvent } from './receivers.js';
import type { SimSubscription } from './sim-config.js';
import type { SimContext } from './sim-context.js';

const RELEASED = 'com.manifold.order.released.v1';
const RELEASE_CANCELLED = 'com.manifold.order.release-cancelled.v1';
const SHIPPED = 'com.manifold.order.shipped.v1';
const MILESTONE = 'com.manifold.order.milestone.v1';

/** What the ERP needs to invoice an order: its lines' prices. */
export interface BookedOrder {
  channel: string;
  lines: { lineId: string; sku: string; quantity: number; unitPrice: number }[];
}

const CARRIERS = ['UPSN', 'FDEG', 'USPS', 'DHLE'];
/** Share of releases with a short pick, and of shipments with a delivery exception first. */
const SHORT_PICK_SHARE = 0.05;
const DELIVERY_EXCEPTION_SHARE = 0.03;
/** A code no example `statusMaps` maps: the carrier's "refused by consignee" (X12 214 AT7 A9). */
const DELIVERY_EXCEPTION_CODE = 'A9';

interface ReleaseLine {
  lineId: string;
  sku: string;
  quantity: number;
}

export class Actors {
  /** Orders placed in this run, by order id. */
  readonly book = new Map<string, BookedOrder>();
  private readonly cancelledReleases = new Set<string>();
  private readonly invoiced = new Set<string>();

  constructor(private readonly sim: SimContext) {}

  /** Dispatches a first receipt to the actor of the subscription's target system. */
  onDelivered(subscription: SimSubscription, event: DeliveredEvent): void {
    const system = this.sim.config.systems.get(subscription.target);
    if (system === undefined) return;
    const data = event.data ?? {};
    const orderId = typeof data.orderId === 'string' ? data.orderId : undefined;
    // Only this run's orders: a hub with history may deliver older ones (a replay, a backlog).
    if (orderId === undefined || !orderId.includes(this.sim.tag)) return;
    if (system.kind === 'wms' && event.type === RELEASED) this.release(system.name, orderId, data);
    else if (system.kind === 'wms' && event.type === RELEASE_CANCELLED)
      this.cancelledReleases.add(`${orderId}@${String(data.location)}`);
    else if ((system.kind === 'tms' || system.kind === 'carrier') && event.type === SHIPPED)
      this.ship(system.name, orderId);
    else if (system.kind === 'erp' && event.type === MILESTONE && data.status === 'delivered')
      this.invoice(system.name, orderId, data);
  }

  /** The warehouse works a release: pick → pack → ship, or ship → pick → pack (out of order). */
  private release(wms: string, orderId: string, data: Record<string, unknown>): void {
    const sim = this.sim;
    const location = String(data.location);
    const lines = (data.lines as ReleaseLine[] | undefined) ?? [];
    if (lines.length === 0) return;
    const job = `${orderId}@${location}`;
    const outOfOrder = sim.faults.outOfOrder > 0 && sim.chance(sim.faults.outOfOrder);
    const picked = lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity }));
    const shortLine = picked.find((l) => l.quantity >= 2);
    const short = !outOfOrder && shortLine !== undefined && sim.chance(SHORT_PICK_SHARE);
    if (short && shortLine) shortLine.quantity -= 1;
    const carrier = sim.pick(CARRIERS);
    const tracking = `1Z${sim.tag}${sim.between(100000, 999999)}`;
    const step =
      (type: string, extra: Record<string, unknown> = {}) =>
      async () => {
        if (this.cancelledReleases.has(job)) return false;
        await sim.sendEvent(wms, `com.manifold.order.${type}.v1`, {
          orderId,
          location,
          lines: picked,
          ...extra,
        });
        return true;
      };
    const pick = step('picked');
    const pack = step('packed');
    const ship = async () => {
      const sent = await step('shipped', { carrier, tracking })();
      if (sent) sim.counters.shipped += 1;
      return sent;
    };
    const [first, second, third] = outOfOrder ? [ship, pick, pack] : [pick, pack, ship];
    sim.schedule(sim.between(300, 1500), async () => {
      if (!(await first())) return;
      if (short) sim.counters.shortPicks += 1;
      sim.schedule(sim.between(200, 800), async () => {
        if (!(await second())) return;
        sim.schedule(sim.between(200, 800), () => third());
      });
    });
  }

  /** The carrier delivers a shipment, sometimes after a delivery exception. */
  private ship(tms: string, orderId: string): void {
    const sim = this.sim;
    const code = sim.config.deliveredCodes.get(tms);
    const deliver = async () => {
      const answer =
        code !== undefined && sim.chance(0.5)
          ? await sim.sendEvent(tms, 'com.manifold.order.status-reported.v1', { orderId, status: code })
          : await sim.sendEvent(tms, 'com.manifold.order.delivered.v1', {
              orderId,
              deliveredAt: new Date().toISOString(),
              signedBy: 'Front desk',
            });
      if (answer !== undefined && answer.status < 300) sim.counters.delivered += 1;
    };
    if (sim.chance(DELIVERY_EXCEPTION_SHARE)) {
      sim.schedule(sim.between(300, 800), async () => {
        await sim.sendEvent(tms, 'com.manifold.order.status-reported.v1', {
          orderId,
          status: DELIVERY_EXCEPTION_CODE,
        });
        sim.counters.deliveryExceptions += 1;
        sim.schedule(sim.between(800, 2000), deliver);
      });
    } else {
      sim.schedule(sim.between(500, 2000), deliver);
    }
  }

  /** The ERP invoices what the milestone says was delivered, at the order's prices. */
  private invoice(erp: string, orderId: string, data: Record<string, unknown>): void {
    const booked = this.book.get(orderId);
    if (booked === undefined || this.invoiced.has(orderId)) return;
    this.invoiced.add(orderId);
    const progress = (data.lines as { lineId: string; delivered?: number }[] | undefined) ?? [];
    const lines = progress.flatMap((p) => {
      const line = booked.lines.find((l) => l.lineId === p.lineId);
      return line && (p.delivered ?? 0) > 0
        ? [{ lineId: p.lineId, quantity: p.delivered as number, unitPrice: line.unitPrice }]
        : [];
    });
    if (lines.length === 0) return;
    const total = Math.round(lines.reduce((t, l) => t + l.quantity * l.unitPrice, 0) * 100) / 100;
    this.sim.schedule(this.sim.between(100, 500), async () => {
      const answer = await this.sim.sendEvent(erp, 'com.manifold.order.invoiced.v1', {
        orderId,
        invoiceNumber: `INV-${orderId}`,
        invoiceDate: new Date().toISOString().slice(0, 10),
        lines,
        total,
        currency: 'USD',
      });
      if (answer !== undefined && answer.status < 300) this.sim.counters.invoiced += 1;
    });
  }
}
