/**
 * The systems that react to what the hub delivers them:
 *
 * - **WMS** (each warehouse): a release is picked, packed and shipped after short delays, as that WMS,
 *   with a carrier and tracking number; sometimes a line is picked short by one unit (the hub recommits
 *   the shortfall elsewhere); with `out-of-order`, a share is shipped first and picked/packed reported
 *   late. A `release-cancelled` stops the work not yet done.
 * - **TMS / carrier**: a shipment is delivered after a while — as `order.delivered.v1`, or as its own
 *   status code mapped to delivered (`statusMaps`, the example's D1); sometimes a delivery exception code
 *   comes first (unmapped: the hub raises `unknown_status` for an operator). When the configuration has
 *   an X12 carrier (a `kind: carrier` system with `x12:`), half of the shipments are reported by it
 *   instead, as 214s: en route (`X6`), sometimes damaged (`A9`: a `carrier_exception`), then delivered
 *   (`D1`).
 * - **ERP**: a `delivered` milestone is invoiced.
 * - **EDI partner** (its gateway): every X12 interchange the hub sends it (855, 856, 810) is answered
 *   with a 997 on `POST /v1/edi/<partner>`, as a trading partner must.
 * Storefront and portal only receive (milestones, availability): the receivers count them.
 */

import {
  acknowledge,
  MemoryControlNumbers,
  parseX12,
  validateX12,
  writeInterchange,
} from '../../connectors/edi/x12/index.js';
import type { DeliveredEvent } from './receivers.js';
import type { SimSubscription, SimSystem } from './sim-config.js';
import type { SimContext } from './sim-context.js';
import { shipmentStatusInterchange } from './x12-status.js';

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
  /** The X12 carrier that reports half of the shipments by 214 (none when the config has no such system). */
  private readonly carrierFeed: SimSystem | undefined;
  /** ISA13s of this run's 214s and 997s: time-based, so that runs on one store never reuse one (a resend). */
  private statusControl = (Math.floor(Date.now() / 1000) % 90_000_000) * 10;
  private readonly ackNumbers = new MemoryControlNumbers(
    900_000_000 + (Math.floor(Date.now() / 1000) % 9_000_000) * 10,
  );

  constructor(private readonly sim: SimContext) {
    this.carrierFeed = [...sim.config.systems.values()].find(
      (s) => s.kind === 'carrier' && s.x12 !== undefined && s.key !== undefined,
    );
  }

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
    else if ((system.kind === 'tms' || system.kind === 'carrier') && event.type === SHIPPED) {
      const tracking = typeof data.tracking === 'string' ? data.tracking : `TRK-${orderId}`;
      if (this.carrierFeed && this.sim.chance(0.5)) this.reportByEdi(this.carrierFeed, orderId, tracking);
      else this.ship(system.name, orderId);
    } else if (system.kind === 'erp' && event.type === MILESTONE && data.status === 'delivered')
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

  /** The partner's gateway answers an interchange from the hub with its 997. */
  onInterchange(subscription: SimSubscription, interchange: string): void {
    const sim = this.sim;
    const partner = sim.config.systems.get(subscription.target);
    if (partner?.key === undefined || partner.x12 === undefined) return;
    const key = partner.key;
    sim.schedule(sim.between(100, 500), async () => {
      const document = parseX12(interchange);
      const [reply] = acknowledge(document, validateX12(document));
      if (reply === undefined) return;
      const ack = await writeInterchange(reply.reply, {
        controlNumbers: this.ackNumbers,
        partner: partner.name,
        newline: true,
      });
      sim.counters.acknowledgementsSent += 1;
      const answer = await sim.hub.postEdi(key, partner.name, ack);
      if (answer.status !== 200) sim.rejected(`997 from ${partner.name}`, answer);
    });
  }

  /** The X12 carrier reports a shipment: en route, sometimes damaged, then delivered — each a 214. */
  private reportByEdi(carrier: SimSystem, orderId: string, tracking: string): void {
    const sim = this.sim;
    const send = async (code: string): Promise<boolean> => {
      const hub = sim.config.hubX12;
      if (carrier.x12 === undefined || carrier.key === undefined || hub === undefined) return false;
      this.statusControl = (this.statusControl % 999_999_998) + 1;
      const text = shipmentStatusInterchange(
        { orderId, tracking, code, at: new Date() },
        { partner: carrier.x12, hub },
        this.statusControl,
      );
      sim.counters.statusInterchanges += 1;
      const answer = await sim.hub.postEdi(carrier.key, carrier.name, text);
      const applied =
        answer.status === 200 &&
        Array.isArray(answer.body?.sets) &&
        answer.body.sets.some((set: { outcome?: string }) => set.outcome === 'applied');
      if (!applied) {
        sim.counters.statusInterchangesRefused += 1;
        sim.rejected(`214 ${code} ${orderId}`, answer);
      }
      return applied;
    };
    const deliver = async () => {
      if (await send('D1')) sim.counters.delivered += 1;
    };
    sim.schedule(sim.between(200, 600), async () => {
      if (await send('X6')) sim.counters.inTransit += 1;
      if (sim.chance(DELIVERY_EXCEPTION_SHARE * 2)) {
        sim.schedule(sim.between(300, 800), async () => {
          if (await send('A9')) sim.counters.deliveryExceptions += 1;
          sim.schedule(sim.between(800, 2000), deliver);
        });
      } else sim.schedule(sim.between(500, 1500), deliver);
    });
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
