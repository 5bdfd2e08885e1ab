/**
 * The effects executor: carries out what the lifecycle (`domain/orders/lifecycle.ts`) decided for an order,
 * as writes of the batch's unit — the new state with the milestone event it causes, the inventory
 * movements of each effect, releases to and withdrawals from a location's WMS, exceptions — and the
 * commitment of stock where the allocation policy (`domain/orders/allocation.ts`) puts it.
 */
import { allocationRuleFor, type CompiledConfig, servingLocations } from '../../config/compiled-config.js';
import {
  pickFields,
  RELEASE_COMMERCIAL_KEYS,
  RELEASE_LINE_COMMERCIAL_KEYS,
} from '../../contracts/order-commercial-schemas.js';
import { HUB_SYSTEM, type Milestone } from '../../domain/event-catalogue.js';
import {
  type AllocationPolicy,
  allocateUnsplit,
  allocationPolicy,
  type ShipToLike,
  shipToCoordinates,
} from '../../domain/orders/allocation.js';
import { isHeld, unreleased } from '../../domain/orders/holds.js';
import {
  apply,
  effective,
  type OrderEffect,
  type OrderInput,
  type Transition,
} from '../../domain/orders/lifecycle.js';
import { backorderedLines } from '../../domain/orders/open-work.js';
import type { Movement } from '../../store/inventory-port.js';
import type { OrderDocument, OrderRecord } from '../../store/order-port.js';
import type { EventContext, StockView, Working } from './event-context.js';

export class OrderEffects {
  constructor(
    private readonly config: CompiledConfig,
    /** One policy for every order (tests); by default each order's rule of `orders.allocation`. */
    private readonly allocation?: AllocationPolicy,
  ) {}

  /** The allocation policy of an order: its customer's, channel's or the default rule of the config. */
  policyFor(record: OrderRecord): AllocationPolicy {
    if (this.allocation) return this.allocation;
    const allocation = this.config.orders.allocation;
    const rule = allocationRuleFor(allocation, record.channel, record.document.customer.id);
    const origin =
      rule.policy === 'nearest'
        ? shipToCoordinates(record.document.shipTo as ShipToLike, allocation.regions)
        : undefined;
    return allocationPolicy(rule, origin, (location) => this.config.locations.get(location)?.coordinates);
  }

  /** An owner's event: the lifecycle transition, its inventory effects and its events. */
  async transition(ctx: EventContext, w: Working, input: OrderInput, stock: StockView): Promise<void> {
    const before = w.record.milestone;
    const t = apply(w.record.state, input);
    this.record(ctx, w, t);
    ctx.annotate(w.record, before, t.milestone, t.inferred, t.late);
    for (const effect of t.effects) await this.effect(ctx, w, effect, stock);
  }

  /** Applies a hub-side input (no inventory effects of its own) and emits the milestone it causes. */
  transitionSync(ctx: EventContext, w: Working, input: OrderInput): Transition {
    const t = apply(w.record.state, input);
    this.record(ctx, w, t);
    return t;
  }

  /** Stores a transition's state on the working order; a milestone or status change is emitted. */
  record(ctx: EventContext, w: Working, t: Transition): void {
    const before = { milestone: w.record.milestone, status: w.record.status };
    w.record.state = t.state;
    w.record.milestone = t.milestone;
    w.record.status = t.status;
    w.record.updatedAt = ctx.at;
    if (t.milestone !== before.milestone || t.status !== before.status) {
      ctx.milestone(w.record, before.milestone as Milestone, t.milestone, t.status, t.inferred);
    }
  }

  /**
   * Commits lines at locations by the order's policy, backorders the rest, releases what was committed.
   * `fill`: the lines are already backordered (stock arrived): what cannot be committed stays
   * backordered without a new exception, and the `backordered` hold is lifted once nothing is left.
   * Returns the units committed.
   */
  async commitStock(
    ctx: EventContext,
    w: Working,
    stock: StockView,
    lines: { lineId: string; sku: string; quantity: number }[],
    exclude?: string,
    fill = false,
  ): Promise<number> {
    const locations = servingLocations(this.config, w.record.channel).filter((name) => name !== exclude);
    for (const sku of new Set(lines.map((l) => l.sku))) await stock.load(sku);
    const request = { lines, locations, free: (sku: string, location: string) => stock.free(sku, location) };
    // A line is never split over locations by a fill, a raise or a resume: a line with a location is
    // committed there only (docs/orders.md#backorder-fill). A short pick's recommit (`exclude`) is the one
    // exception: its shortfall goes elsewhere on purpose.
    const policy = this.policyFor(w.record);
    const allocated =
      exclude === undefined
        ? allocateUnsplit(
            policy,
            request,
            (lineId) => w.record.state.lines.find((l) => l.lineId === lineId)?.location,
          )
        : policy.allocate(request);
    const committed: { lineId: string; location: string; quantity: number }[] = [];
    const backordered: { lineId: string; quantity: number }[] = [];
    for (const line of allocated) {
      const { sku, location } = line;
      if (line.commit > 0 && location) {
        const movement: Movement = {
          sku,
          location,
          deltas: { committed: line.commit },
          reason: 'order_committed',
          guard: 'promise',
          system: HUB_SYSTEM,
          documentRef: w.record.orderId,
          ...ctx.trace,
        };
        if (ctx.move(movement)) {
          committed.push({ lineId: line.lineId, location, quantity: line.commit });
        } else {
          backordered.push({ lineId: line.lineId, quantity: line.commit });
        }
      }
      if (line.backorder > 0) backordered.push({ lineId: line.lineId, quantity: line.backorder });
    }
    if (fill) {
      if (committed.length === 0) return 0;
      this.transitionSync(ctx, w, { kind: 'committed', lines: committed, backordered: [] });
      if (backorderedLines(w.record.state).length === 0)
        w.record.holds = w.record.holds.filter((h) => h !== 'backordered');
    } else this.transitionSync(ctx, w, { kind: 'committed', lines: committed, backordered });
    if (!fill && backordered.length > 0) {
      if (!w.record.holds.includes('backordered')) w.record.holds.push('backordered');
      const what = backordered.map((b) => `line ${b.lineId}: ${b.quantity}`).join(', ');
      ctx.exception(
        w.record,
        'backordered',
        `order ${w.record.orderId}: not enough stock at the locations serving ${w.record.channel}; backordered ${what}`,
      );
    }
    const total = committed.reduce((n, c) => n + c.quantity, 0);
    // A held order keeps what it committed and goes to no warehouse until its last hold is released.
    if (isHeld(w.record.state)) return total;
    const byLocation = new Map<string, { lineId: string; quantity: number }[]>();
    for (const c of committed)
      byLocation.set(c.location, [
        ...(byLocation.get(c.location) ?? []),
        { lineId: c.lineId, quantity: c.quantity },
      ]);
    for (const [location, released] of byLocation) this.release(ctx, w, location, released);
    return total;
  }

  /** Sends committed units of a location to its WMS (`order.released.v1`) and records them released. */
  release(
    ctx: EventContext,
    w: Working,
    location: string,
    released: { lineId: string; quantity: number }[],
  ): void {
    const doc = w.record.document;
    ctx.emit('com.manifold.order.released.v1', {
      orderId: w.record.orderId,
      location,
      channel: w.record.channel,
      customer: doc.customer,
      lines: released.map((r) => {
        const line = doc.lines.find((l) => l.lineId === r.lineId) as OrderDocument['lines'][number];
        return {
          lineId: r.lineId,
          sku: line.sku,
          quantity: r.quantity,
          ...pickFields(line, RELEASE_LINE_COMMERCIAL_KEYS),
        };
      }),
      shipTo: doc.shipTo,
      ...pickFields(doc, RELEASE_COMMERCIAL_KEYS),
    });
    this.transitionSync(ctx, w, { kind: 'released', location, lines: released });
  }

  /** Releases everything committed and not yet released (an order whose last hold was released). */
  releaseOpen(ctx: EventContext, w: Working): void {
    for (const { location, lines } of unreleased(w.record.state))
      this.release(
        ctx,
        w,
        location,
        lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity })),
      );
  }

  /** Carries out one effect of a transition. */
  async effect(ctx: EventContext, w: Working, effect: OrderEffect, stock: StockView): Promise<void> {
    const base = { system: HUB_SYSTEM, documentRef: w.record.orderId, ...ctx.trace };
    switch (effect.kind) {
      case 'ship':
        ctx.move({
          ...base,
          sku: effect.sku,
          location: effect.location,
          deltas: { on_hand: -effect.quantity, committed: -effect.committed, in_transit: effect.quantity },
          reason: 'shipped',
          guard: 'fact',
        });
        return;
      case 'deliver':
        ctx.move({
          ...base,
          sku: effect.sku,
          location: effect.location,
          deltas: { in_transit: -effect.quantity },
          reason: 'delivered',
          guard: 'fact',
        });
        return;
      case 'releaseCommitment':
        ctx.move({
          ...base,
          sku: effect.sku,
          location: effect.location,
          deltas: { committed: -effect.quantity },
          reason: 'order_cancelled',
          guard: 'promise',
        });
        return;
      case 'returnReceived':
        ctx.move({
          ...base,
          sku: effect.sku,
          location: effect.location,
          deltas: { on_hand: effect.quantity, returned: effect.quantity },
          reason: 'return_received',
          guard: 'fact',
        });
        return;
      case 'cancelRelease': {
        const reason =
          ctx.row.type === 'oversold'
            ? 'backordered: the location was found oversold'
            : (ctx.envelope.data as { reason?: unknown } | undefined)?.reason;
        ctx.emit('com.manifold.order.release-cancelled.v1', {
          orderId: w.record.orderId,
          location: effect.location,
          lines: effect.lines,
          ...(typeof reason === 'string' ? { reason } : {}),
        });
        return;
      }
      case 'exception':
        ctx.exception(w.record, effect.code, effect.detail);
        return;
      case 'shortPick': {
        const line = w.record.state.lines.find((l) => l.lineId === effect.lineId);
        if (!line) return;
        // The shortfall's commitment at the short location is given back…
        const map =
          line.committedAt ??
          (line.location === undefined
            ? {}
            : { [line.location]: line.committed - effective(line, 'shipped') });
        const freed = Math.min(effect.shortfall, map[effect.location] ?? 0);
        if (freed > 0) {
          ctx.move({
            ...base,
            sku: effect.sku,
            location: effect.location,
            deltas: { committed: -freed },
            reason: 'order_cancelled',
            guard: 'promise',
          });
          map[effect.location] = (map[effect.location] ?? 0) - freed;
          if (map[effect.location] === 0) delete map[effect.location];
          line.committedAt = map;
          line.committed -= freed;
          line.released = Math.max(line.picked, line.released - freed);
        }
        ctx.exception(
          w.record,
          'short_pick',
          `order ${w.record.orderId} line ${line.lineId} (${line.sku}): ${effect.shortfall} short at ${effect.location}; policy ${this.config.orders.shortPick}`,
        );
        // …and committed elsewhere (policy recommit) or backordered.
        if (this.config.orders.shortPick === 'recommit') {
          await this.commitStock(
            ctx,
            w,
            stock,
            [{ lineId: line.lineId, sku: line.sku, quantity: effect.shortfall }],
            effect.location,
          );
        } else {
          this.transitionSync(ctx, w, {
            kind: 'committed',
            lines: [],
            backordered: [{ lineId: line.lineId, quantity: effect.shortfall }],
          });
          if (!w.record.holds.includes('backordered')) w.record.holds.push('backordered');
          ctx.exception(
            w.record,
            'backordered',
            `order ${w.record.orderId} line ${line.lineId} (${line.sku}): the ${effect.shortfall} short at ${effect.location} are backordered (policy shortPick: backorder)`,
          );
        }
        return;
      }
    }
  }
}
