/**
 * The inbound X12 set dispatch table: by ST01, how a sound transaction set from a partner becomes its
 * effects — canonical events to ingest as the partner, exceptions to open, notes for an order's timeline —
 * over the pure mappings of `mappings/inbound-*.ts` (docs/edi.md *Mappings*). 850 and a client's 940 →
 * `order.accepted`, 945 and a 3PL's 856 → `order.shipped`, 214 → `order.delivered` or `carrier_exception`, 846 →
 * `inventory.incoming`, 860 → `order.changed`. The protocol around it (envelopes, TA1 and 997/999,
 * resends, applying the effects) is the kind's inbound role, `inbound.ts` and `inbound-apply.ts`.
 */
import type { CompiledSystem } from '../../config/compiled-config.js';
import type { Fact } from '../../domain/event-catalogue.js';
import type { UnitTable } from '../../domain/orders/units.js';
import { map214 } from './mappings/inbound-214.js';
import { map846 } from './mappings/inbound-846.js';
import { type MappingProblem, type MappingResult, map850 } from './mappings/inbound-850.js';
import { map856, orderReference856 } from './mappings/inbound-856.js';
import { map860, poNumber860 } from './mappings/inbound-860.js';
import { map940 } from './mappings/inbound-940.js';
import { map945, orderReference945 } from './mappings/inbound-945.js';
import type { ItemLookup } from './mappings/item-ids.js';
import { type ItemTables, type MissingItem, withPartnerItems } from './partner-items.js';
import type { TransactionSet } from './x12/index.js';

/** How a shipment set names its order (the segment and element of the reference) and is mapped. */
interface ShipmentReading {
  reference: typeof orderReference945;
  segment: string;
  element: number;
  map: typeof map945;
}
const SHIPPING_ADVICE: ShipmentReading = {
  reference: orderReference945,
  segment: 'W06',
  element: 2,
  map: map945,
};
const SHIP_NOTICE: ShipmentReading = {
  reference: orderReference856,
  segment: 'PRF',
  element: 1,
  map: map856,
};

/** An order as the sets need it (the store's order satisfies it). */
export interface KnownOrder {
  orderId: string;
  document: { orderId: string; lines: readonly { lineId: string; sku: string }[] };
}

/** What the inbound sets need of the hub: the configured systems, the orders, the clock. */
export interface InboundSetDeps {
  systems: ReadonlyMap<string, CompiledSystem>;
  /** The unit table (`units:`): units a PO line may be in, per SKU. */
  units?: UnitTable;
  orders: { getOrder(orderId: string): Promise<KnownOrder | undefined> };
  now: () => Date;
  /** The partners' item tables (docs/edi.md#item-ids); without a store, `itemMap` alone maps items. */
  items?: ItemTables;
  /** `ownership:` — fact → the systems allowed to assert it (an 846 from the on-hand owner is a count). */
  ownership?: ReadonlyMap<Fact, readonly string[]>;
}

/** What a mapped set does: events ingested as the partner (all or none), then exceptions opened. */
export interface SetEffect {
  events: { type: string; data: Record<string, unknown>; correlationid?: string }[];
  /** Opened once the events are in (the partner is their `system`, the raw set their payload). */
  exceptions?: { code: string; detail: string; subject: string }[];
  /** What became of the set, for the answer's `sets`. */
  detail: string;
  /** Facts that move nothing but belong on an order's timeline (a carrier's in-transit statuses). */
  notes?: { orderId: string; note: string }[];
  /** Held, nothing applied: an item of the set is not in its table (`onMissing: park`) → `xref_missing`. */
  parked?: MissingItem;
}

/** An inbound set type: its mapping to effects; `unnumbered` keeps the 850's single event id without `-1`. */
export interface SetMapping {
  map(set: TransactionSet, partnerName: string, partner: CompiledSystem): Promise<MappingResult<SetEffect>>;
  unnumbered?: boolean;
}

/** A problem about the whole set, at its ST. */
function setProblem(set: TransactionSet, segment: string, detail: string): MappingResult<never> {
  const problem: MappingProblem = { segment, ordinal: set.header.ordinal, detail };
  return { ok: false, problems: [problem] };
}

/** The inbound sets, by ST01. */
export function inboundSetMappings(deps: InboundSetDeps): Record<string, SetMapping> {
  const sets = new InboundSets(deps);
  return {
    '850': { map: (set, name, partner) => sets.purchaseOrder(set, name, partner), unnumbered: true },
    '945': { map: (set, name, partner) => sets.shippingAdvice(set, name, partner, SHIPPING_ADVICE) },
    // A 3PL's ship notice for an order it was sent: read like its 945.
    '856': { map: (set, name, partner) => sets.shippingAdvice(set, name, partner, SHIP_NOTICE) },
    '214': { map: (set, name) => sets.shipmentStatus(set, name) },
    '846': { map: (set, name, partner) => sets.inventoryAdvice(set, name, partner) },
    '860': { map: (set, name, partner) => sets.changeRequest(set, name, partner) },
    // A client's warehouse shipping order (Manifold fronts its 3PL): an order on the partner's channel.
    '940': {
      map: (set, name, partner) => sets.purchaseOrder(set, name, partner, map940),
      unnumbered: true,
    },
  };
}

/** The effect of a set held for a missing item: nothing applied, the set parked as `xref_missing`. */
function parkedEffect(missing: MissingItem): MappingResult<SetEffect> {
  return {
    ok: true,
    data: {
      events: [],
      detail: `held: no item ${missing.ids.map((id) => `'${id}'`).join(' or ')} in table '${missing.table}'`,
      parked: missing,
    },
  };
}

class InboundSets {
  constructor(private readonly deps: InboundSetDeps) {}

  /** Runs a pure mapping with the partner's item table (docs/edi.md#item-ids). */
  private async withItems<R>(
    partner: CompiledSystem,
    map: (items: ItemLookup | undefined) => MappingResult<R>,
  ): Promise<MappingResult<R> | { parked: MissingItem }> {
    const done = await withPartnerItems(this.deps.items ?? { tables: undefined }, partner.x12, map);
    return 'missing' in done ? { parked: done.missing } : done.result;
  }

  /** 850 (or a client's 940) → `order.accepted`, through the same path as `POST /v1/orders`. */
  async purchaseOrder(
    set: TransactionSet,
    partnerName: string,
    partner: CompiledSystem,
    map: typeof map850 = map850,
  ): Promise<MappingResult<SetEffect>> {
    const mapped = await this.withItems(partner, (items) =>
      map(set, {
        name: partnerName,
        channel: partner.channel ?? partnerName,
        ...(items ? { items } : {}),
        ...(partner.x12?.units ? { units: partner.x12.units } : {}),
        ...(this.deps.units ? { unitTable: this.deps.units } : {}),
      }),
    );
    if ('parked' in mapped) return parkedEffect(mapped.parked);
    if (!mapped.ok) return mapped;
    const orderId = String(mapped.data.orderId);
    return {
      ok: true,
      data: {
        events: [{ type: 'com.manifold.order.accepted.v1', data: mapped.data, correlationid: orderId }],
        detail: `order ${orderId}`,
      },
    };
  }

  /** 860 → `order.changed` of the order BCH03 names (the hub answers with `change-acknowledged`, an 865). */
  async changeRequest(
    set: TransactionSet,
    partnerName: string,
    partner: CompiledSystem,
  ): Promise<MappingResult<SetEffect>> {
    const po = poNumber860(set);
    if (!po.ok) return po;
    const order = await this.findOrder([po.data], partnerName);
    if (!order) {
      const bch = set.segments.find((s) => s.id === 'BCH') ?? set.header;
      return {
        ok: false,
        problems: [
          {
            segment: 'BCH',
            ordinal: bch.ordinal,
            element: 3,
            detail: `no order '${po.data}' (nor '${partnerName}-${po.data}')`,
          },
        ],
      };
    }
    const units = {
      ...(partner.x12?.units ? { codes: partner.x12.units } : {}),
      ...(this.deps.units ? { table: this.deps.units } : {}),
    };
    const mapped = await this.withItems(partner, (items) => map860(set, order.document, items, units));
    if ('parked' in mapped) return parkedEffect(mapped.parked);
    if (!mapped.ok) return mapped;
    return {
      ok: true,
      data: {
        events: [{ type: 'com.manifold.order.changed.v1', data: mapped.data, correlationid: order.orderId }],
        detail: `change ${String(mapped.data.changeId)} of order ${order.orderId}`,
      },
    };
  }

  /** 945 (or 856) → `order.shipped` from the partner's location. */
  async shippingAdvice(
    set: TransactionSet,
    partnerName: string,
    partner: CompiledSystem,
    read: ShipmentReading,
  ): Promise<MappingResult<SetEffect>> {
    const location = partner.locations[0];
    if (!location) {
      return setProblem(
        set,
        'ST',
        `partner ${partnerName} has no location to ship from (systems.${partnerName}.locations)`,
      );
    }
    const reference = read.reference(set);
    if (!reference.ok) return reference;
    const order = await this.findOrder([reference.data], partnerName);
    if (!order) {
      const at = set.segments.find((s) => s.id === read.segment) ?? set.header;
      return {
        ok: false,
        problems: [
          {
            segment: read.segment,
            ordinal: at.ordinal,
            element: read.element,
            detail: `no order '${reference.data}' (nor '<partner>-${reference.data}')`,
          },
        ],
      };
    }
    const mapped = await this.withItems(partner, (items) =>
      read.map(set, { order: order.document, location, ...(items ? { items } : {}) }),
    );
    if ('parked' in mapped) return parkedEffect(mapped.parked);
    if (!mapped.ok) return mapped;
    return {
      ok: true,
      data: {
        events: [{ type: 'com.manifold.order.shipped.v1', data: mapped.data, correlationid: order.orderId }],
        detail: `order ${order.orderId} shipped from ${location}`,
      },
    };
  }

  /**
   * 214 → `order.delivered` for AT7 `D1`; `carrier_exception` exceptions for `SD`, `AH`, `A9`; in-transit
   * and other statuses are acknowledged and listed in the answer, not turned into events.
   */
  async shipmentStatus(set: TransactionSet, partnerName: string): Promise<MappingResult<SetEffect>> {
    const mapped = map214(set);
    if (!mapped.ok) return mapped;
    const order = await this.findOrder(mapped.data.references, partnerName);
    if (!order) {
      return setProblem(
        set,
        'L11',
        `no order for reference(s) ${mapped.data.references.map((r) => `'${r}'`).join(', ')} (L11*PO, B10-02; as is or with an EDI partner's prefix)`,
      );
    }
    const effect: SetEffect = { events: [], exceptions: [], detail: '', notes: [] };
    const notes: string[] = [];
    for (const status of mapped.data.statuses) {
      const when = status.at ? ` at ${status.at}` : '';
      switch (status.kind) {
        case 'delivered':
          if (effect.events.length === 0) {
            effect.events.push({
              type: 'com.manifold.order.delivered.v1',
              data: { orderId: order.orderId, ...(status.at ? { deliveredAt: status.at } : {}) },
              correlationid: order.orderId,
            });
          }
          notes.push(`${status.code} delivered${when}`);
          break;
        case 'exception':
          effect.exceptions?.push({
            code: 'carrier_exception',
            subject: order.orderId,
            detail: `carrier ${partnerName} reports AT7 ${status.code}${status.reason ? ` (reason ${status.reason})` : ''} for order ${order.orderId}${when} (segment ${status.ordinal})`,
          });
          notes.push(`${status.code} carrier_exception${when}`);
          break;
        case 'in-transit':
          notes.push(`${status.code} in transit${when}`);
          effect.notes?.push({
            orderId: order.orderId,
            note: `${partnerName} (X12 214): AT7 ${status.code} in transit${when}`,
          });
          break;
        case 'other':
          notes.push(`${status.code} not mapped${when}`);
          break;
      }
    }
    effect.detail = `order ${order.orderId}: ${notes.join('; ')}`;
    return { ok: true, data: effect };
  }

  /**
   * 846 → per item at the partner's location: `inventory.counted` from its QTY*17 when the partner owns
   * `inventory.on_hand` (a 3PL counting its warehouse), else `inventory.incoming` from its QTY*33.
   */
  async inventoryAdvice(
    set: TransactionSet,
    partnerName: string,
    partner: CompiledSystem,
  ): Promise<MappingResult<SetEffect>> {
    const location = partner.locations[0];
    if (!location) {
      return setProblem(
        set,
        'ST',
        `partner ${partnerName} has no location to expect stock at (systems.${partnerName}.locations)`,
      );
    }
    const onHand = this.deps.ownership?.get('inventory.on_hand')?.includes(partnerName) ?? false;
    const receivedAt = this.deps.now().toISOString();
    const mapped = await this.withItems(partner, (items) =>
      map846(set, {
        location,
        receivedAt,
        reading: onHand ? 'on-hand' : 'incoming',
        ...(items ? { items } : {}),
      }),
    );
    if ('parked' in mapped) return parkedEffect(mapped.parked);
    if (!mapped.ok) return mapped;
    if (onHand) {
      return {
        ok: true,
        data: {
          events: mapped.data.map((data) => ({ type: 'com.manifold.inventory.counted.v1', data })),
          detail: `on hand at ${location}: ${mapped.data.map((d) => `${String(d.sku)} ${String(d.onHand)}`).join(', ')}`,
        },
      };
    }
    return {
      ok: true,
      data: {
        events: mapped.data.map((data) => ({ type: 'com.manifold.inventory.incoming.v1', data })),
        detail:
          mapped.data.length === 0
            ? 'no item with units available'
            : `incoming at ${location}: ${mapped.data.map((d) => `${String(d.sku)} ${String(d.quantity)}`).join(', ')}`,
      },
    };
  }

  /**
   * The order a partner's reference names: as is, else prefixed like the 850 path does (`<partner>-<x>`),
   * the sending partner first, then the other EDI partners (a 3PL or carrier ships another partner's orders).
   */
  private async findOrder(references: readonly string[], partnerName: string) {
    const prefixes = [
      partnerName,
      ...[...this.deps.systems.values()].filter((s) => s.x12 && s.name !== partnerName).map((s) => s.name),
    ];
    for (const reference of references) {
      for (const candidate of [reference, ...prefixes.map((p) => `${p}-${reference}`)]) {
        const order = await this.deps.orders.getOrder(candidate);
        if (order) return order;
      }
    }
    return undefined;
  }
}
