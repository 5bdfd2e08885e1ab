/**
 * The order processor (issue #5): follows the log's order events in order, once each, like the inventory
 * fact applier (ADR 0002). For each event it runs the pure lifecycle (`domain/orders/lifecycle.ts`) and
 * writes, in one transaction: the order, the inventory movements its effects call for, the hub events it
 * emits (milestones in order per order, releases to the WMS, exceptions) with their outbox rows, the
 * timeline annotation, exceptions, and its cursor.
 *
 * Acceptance: optional validation call-out (`orders.validate`), then stock is committed at the locations
 * the allocation policy picks (as reservations: the channel's locations in config order, the first that
 * fills a SKU's lines; else the one with most stock gets what it has) and the rest is backordered; the
 * committed lines are released to each location's WMS with `com.manifold.order.released.v1`.
 */
import { type CompiledConfig, servingLocations } from '../../config/compiled-config.js';
import type { ValidationOutcome } from '../../connectors/http/order-validator.js';
import { validateEvent } from '../../contracts/index.js';
import type { OrderAcceptedData } from '../../contracts/order-schemas.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { HUB_SYSTEM, type Milestone } from '../../domain/event-catalogue.js';
import {
  apply,
  derive,
  effective,
  newOrder,
  type OrderEffect,
  type OrderInput,
  type OrderState,
  type Transition,
} from '../../domain/orders/lifecycle.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { ConditionNotMet } from '../../store/condition-not-met.js';
import type { InventoryException, Movement } from '../../store/inventory-port.js';
import type { InboundEventRow } from '../../store/log-port.js';
import type { OrderAnnotation, OrderDocument, OrderRecord, OrderUnit } from '../../store/order-port.js';
import type { NewEvent, Store } from '../../store/store-port.js';
import type { IngestService } from '../ingest-service.js';
import { eventTrace } from '../observability/trace-context.js';

export const ORDER_CURSOR = 'orders';

export const ORDER_TYPES = [
  'com.manifold.order.accepted.v1',
  'com.manifold.order.picked.v1',
  'com.manifold.order.packed.v1',
  'com.manifold.order.shipped.v1',
  'com.manifold.order.delivered.v1',
  'com.manifold.order.invoiced.v1',
  'com.manifold.order.cancelled.v1',
  'com.manifold.order.returned.v1',
  'com.manifold.order.status-reported.v1',
];

const BATCH = 100;

export type Validator = (order: OrderDocument) => Promise<ValidationOutcome>;

interface Working {
  record: OrderRecord;
  expectVersion: number;
}

/** Everything computed for one batch. */
interface Computed {
  unit: OrderUnit;
}

/** Per-line progress as `order.milestone.v1` carries it. */
function progress(state: OrderState) {
  return state.lines.map((l) => ({
    lineId: l.lineId,
    sku: l.sku,
    ordered: l.ordered,
    committed: l.committed,
    backordered: l.backordered,
    picked: effective(l, 'picked'),
    packed: effective(l, 'packed'),
    shipped: effective(l, 'shipped'),
    delivered: effective(l, 'delivered'),
    cancelled: l.cancelled,
    returned: l.returned,
    invoiced: l.invoiced,
  }));
}

export class OrderProcessor {
  private waiters: { seq: number; resolve: () => void }[] = [];
  /** Validation answers per accepted event, kept across recomputations of a batch. */
  private readonly validations = new Map<number, ValidationOutcome>();

  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
    private readonly ingest: IngestService,
    private readonly validator: Validator | undefined,
    private readonly now: () => Date = () => new Date(),
    private readonly onChange: () => void = () => undefined,
  ) {}

  /** Resolves once the processor has consumed the log up to `seq`. */
  async waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    if ((await this.store.log.cursor(ORDER_CURSOR)) >= seq) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.push(waiter);
    });
  }

  private release(upTo: number): void {
    const ready = this.waiters.filter((w) => w.seq <= upTo);
    this.waiters = this.waiters.filter((w) => w.seq > upTo);
    for (const w of ready) w.resolve();
  }

  /** Processes the next batch; returns how many events it consumed (0: caught up). */
  async step(): Promise<number> {
    const from = await this.store.log.cursor(ORDER_CURSOR);
    const events = await this.store.log.eventsAfter(from, ORDER_TYPES, BATCH);
    const last = events[events.length - 1];
    if (!last) {
      this.release(from);
      return 0;
    }
    try {
      return await this.process(from, events);
    } catch (error) {
      if (error instanceof ConditionNotMet) throw error;
      // Something in the batch cannot be processed (a bug, data a hub contract refuses). Nothing may stall
      // the orders behind it: the events go one by one, and the one that fails is set aside as an
      // exception holding the event, for an operator, while the cursor moves past it.
      const [first] = events;
      if (events.length > 1)
        return this.process(from, [first as InboundEventRow]).catch(() =>
          this.setAside(from, first as InboundEventRow, error),
        );
      return this.setAside(from, first as InboundEventRow, error);
    }
  }

  private async process(from: number, events: InboundEventRow[]): Promise<number> {
    const last = events[events.length - 1] as InboundEventRow;
    await this.validateNew(events);
    const refused = new Set<string>();
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const { unit } = await this.compute(events, refused);
      unit.cursor = { name: ORDER_CURSOR, from, to: last.seq };
      try {
        await this.store.orders.commit(unit);
        for (const e of events) this.validations.delete(e.seq);
        this.ingest.appended(unit.events);
        if (unit.movements.length > 0) this.onChange();
        this.release(last.seq);
        return events.length;
      } catch (error) {
        if (!(error instanceof ConditionNotMet)) throw error;
        // A movement the stock refused is dropped (and reported); anything else moved under us: recompute.
        if (error.step >= 0) refused.add(movementKey(unit.movements[error.step] as Movement));
        else if ((await this.store.log.cursor(ORDER_CURSOR)) !== from) return 0; // another process
      }
    }
    throw new Error('orders: could not write a batch in 50 attempts');
  }

  /**
   * Processes one logged order event again (an operator's retry of its `unknown_status`, `unknown_order`
   * or `order_processing_failed` exception, after fixing the cause: a statusMaps entry, the order).
   * 409 when it would only fail the same way again.
   */
  async reapply(seq: number): Promise<void> {
    const [logged] = (await this.store.listEvents({ afterSeq: seq - 1, limit: 1 })).items;
    if (logged?.seq !== seq || !ORDER_TYPES.includes(logged.event.type)) {
      throw new NotFoundError(`no order event at log position ${seq}`);
    }
    const row: InboundEventRow = {
      seq,
      system: logged.system,
      type: logged.event.type,
      envelope: logged.event as unknown as Record<string, unknown>,
    };
    const refused = new Set<string>();
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const { unit } = await this.compute([row], refused);
      const again = unit.exceptions.find((e) => ['unknown_status', 'unknown_order'].includes(e.code));
      if (again) throw new ConflictError('still-failing', 'Still failing', again.detail);
      try {
        await this.store.orders.commit(unit);
        this.ingest.appended(unit.events);
        if (unit.movements.length > 0) this.onChange();
        return;
      } catch (error) {
        if (!(error instanceof ConditionNotMet)) throw error;
        if (error.step >= 0) refused.add(movementKey(unit.movements[error.step] as Movement));
      }
    }
    throw new Error(`orders: could not apply event ${seq} again`);
  }

  /** Records an event that could not be processed as an `order_processing_failed` exception and skips it. */
  private async setAside(from: number, row: InboundEventRow, error: unknown): Promise<number> {
    const data = row.envelope.data as { orderId?: string } | undefined;
    const at = this.now().toISOString();
    await this.store.orders.commit({
      events: [],
      movements: [],
      orders: [],
      annotations: [],
      exceptions: [
        {
          code: 'order_processing_failed',
          detail: `${row.type} ${String(row.envelope.id)} from ${row.system} could not be processed and was set aside: ${(error as Error).message ?? String(error)}`,
          system: row.system,
          subject: data?.orderId ?? `event:${row.seq}`,
          eventSeq: row.seq,
          eventId: String(row.envelope.id),
          payload: JSON.stringify(row.envelope),
        },
      ],
      cursor: { name: ORDER_CURSOR, from, to: row.seq },
      at,
    });
    this.validations.delete(row.seq);
    this.release(row.seq);
    return 1;
  }

  /** Calls the validator for new orders of the batch, concurrently. */
  private async validateNew(events: InboundEventRow[]): Promise<void> {
    const validator = this.validator;
    if (!validator) return;
    const pending = events.filter(
      (e) => e.type === 'com.manifold.order.accepted.v1' && !this.validations.has(e.seq),
    );
    await Promise.all(
      pending.map(async (e) => {
        const data = e.envelope.data as OrderAcceptedData;
        if (await this.store.orders.getOrder(data.orderId)) return;
        this.validations.set(e.seq, await validator(documentOf(e, data)));
      }),
    );
  }

  private async compute(events: InboundEventRow[], refused: Set<string>): Promise<Computed> {
    const at = this.now().toISOString();
    const unit: OrderUnit = { events: [], movements: [], orders: [], annotations: [], exceptions: [], at };
    const working = new Map<string, Working>();
    const stock = new StockView(this.store);
    const load = async (orderId: string): Promise<Working | undefined> => {
      const known = working.get(orderId);
      if (known) return known;
      const stored = await this.store.orders.getOrder(orderId);
      if (!stored) return undefined;
      const w = { record: stored, expectVersion: stored.version };
      working.set(orderId, w);
      return w;
    };
    for (const row of events) {
      const envelope = row.envelope as unknown as CloudEvent;
      const data = envelope.data as { orderId: string };
      const ctx = new EventContext(this, row, envelope, unit, refused, at);
      if (row.type === 'com.manifold.order.accepted.v1') {
        const existing = await load(data.orderId);
        if (existing) {
          ctx.annotate(
            existing.record,
            existing.record.state.milestone,
            existing.record.state.milestone,
            [],
            false,
            'duplicate acceptance: the order already exists; nothing applied',
          );
          ctx.exception(
            existing.record,
            'duplicate_order',
            `order ${data.orderId} was accepted again by ${row.system} (event ${envelope.id}); the first acceptance stands`,
          );
          continue;
        }
        const w = await this.accept(ctx, row, envelope.data as OrderAcceptedData, stock);
        working.set(data.orderId, w);
        continue;
      }
      const w = await load(data.orderId);
      if (!w) {
        unit.exceptions.push({
          code: 'unknown_order',
          detail: `${row.type} ${envelope.id} from ${row.system} names order ${data.orderId}, which Manifold has not accepted`,
          system: row.system,
          subject: data.orderId,
          eventSeq: row.seq,
          eventId: envelope.id,
          payload: JSON.stringify(envelope),
        });
        continue;
      }
      // A channel's system may only speak for its own channel's orders (the event data carries no channel,
      // so ingest could not check it): anything else is refused here, kept as an exception.
      const own = this.config.systems.get(row.system)?.channel;
      if (own !== undefined && own !== w.record.channel) {
        ctx.annotate(
          w.record,
          w.record.milestone,
          w.record.milestone,
          [],
          false,
          `refused: ${row.system} speaks for channel ${own}, not ${w.record.channel}`,
        );
        unit.exceptions.push({
          code: 'ownership_violation',
          detail: `${row.type} ${envelope.id} from ${row.system} (channel ${own}) names order ${data.orderId} of channel ${w.record.channel}; not applied`,
          system: row.system,
          subject: data.orderId,
          eventSeq: row.seq,
          eventId: envelope.id,
          payload: JSON.stringify(envelope),
        });
        continue;
      }
      const input = this.inputOf(ctx, w.record, row, envelope);
      if (!input) continue;
      await this.transition(ctx, w, input, stock);
    }
    for (const w of working.values()) unit.orders.push({ record: w.record, expectVersion: w.expectVersion });
    return { unit };
  }

  /** The lifecycle input of an owner's event; undefined (with the reason recorded) when there is none. */
  private inputOf(
    ctx: EventContext,
    record: OrderRecord,
    row: InboundEventRow,
    envelope: CloudEvent,
  ): OrderInput | undefined {
    const data = envelope.data as Record<string, unknown> & { orderId: string };
    const lines = data.lines as { lineId: string; quantity: number }[] | undefined;
    const location = typeof data.location === 'string' ? data.location : undefined;
    switch (row.type) {
      case 'com.manifold.order.picked.v1':
      case 'com.manifold.order.packed.v1':
      case 'com.manifold.order.shipped.v1':
      case 'com.manifold.order.delivered.v1': {
        const kind = row.type.split('.')[3] as 'picked' | 'packed' | 'shipped' | 'delivered';
        return { kind, ...(location ? { location } : {}), ...(lines ? { lines } : {}) };
      }
      case 'com.manifold.order.invoiced.v1':
        return { kind: 'invoiced', lines: lines ?? [] };
      case 'com.manifold.order.cancelled.v1':
        return { kind: 'cancelled', ...(lines ? { lines } : {}) };
      case 'com.manifold.order.returned.v1':
        return { kind: 'returned', location: location ?? '', lines: lines ?? [] };
      case 'com.manifold.order.status-reported.v1': {
        const code = String(data.status);
        const milestone = this.config.statusMaps.get(row.system)?.get(code);
        if (milestone === undefined) {
          ctx.annotate(
            record,
            record.state.milestone,
            record.state.milestone,
            [],
            false,
            `status '${code}' of ${row.system} is not in statusMaps`,
          );
          ctx.exception(
            record,
            'unknown_status',
            `${row.system} reported status '${code}' for order ${data.orderId}; no statusMaps entry maps it to a milestone — add one, then retry`,
          );
          return undefined;
        }
        // A status carries no quantities: it speaks for every unit still open at that stage — for a
        // delivery, every unit shipped and not yet delivered (a carrier cannot deliver what never left).
        const all = (stage: 'picked' | 'packed' | 'shipped' | 'delivered' | 'invoiced') =>
          record.state.lines
            .map((l) => {
              const open = l.ordered - l.cancelled;
              const quantity =
                stage === 'invoiced'
                  ? open - l.invoiced
                  : stage === 'delivered'
                    ? effective(l, 'shipped') - effective(l, 'delivered')
                    : open - effective(l, stage);
              return { lineId: l.lineId, quantity: Math.max(0, quantity) };
            })
            .filter((q) => q.quantity > 0);
        switch (milestone) {
          case 'picked':
          case 'packed':
          case 'shipped':
          case 'delivered':
            return { kind: milestone, lines: all(milestone) };
          case 'invoiced':
            return { kind: 'invoiced', lines: all('invoiced') };
          case 'cancelled':
            return { kind: 'cancelled' };
          default:
            ctx.annotate(
              record,
              record.state.milestone,
              record.state.milestone,
              [],
              false,
              `status '${code}' maps to ${milestone}, which a status report does not move`,
            );
            return undefined;
        }
      }
      default:
        return undefined;
    }
  }

  /** A new order: validation outcome, commitment, release. */
  private async accept(
    ctx: EventContext,
    row: InboundEventRow,
    data: OrderAcceptedData,
    stock: StockView,
  ): Promise<Working> {
    const document = documentOf(row, data);
    const validation = this.validations.get(row.seq);
    let hold: string | undefined;
    if (validation?.decision === 'accept') {
      const before = document.customer;
      mergeEnrichment(document, validation.fields);
      // Enriched customer fields travel in hub events (releases); fields their contract refuses (an
      // email that is not one) stay in `enrichment` instead of stalling the order.
      const probe = validateEvent({
        specversion: '1.0',
        id: 'probe',
        source: `/${HUB_SYSTEM}`,
        type: 'com.manifold.order.released.v1',
        data: {
          orderId: data.orderId,
          location: 'probe',
          customer: document.customer,
          lines: [{ lineId: '1', sku: 'probe', quantity: 1 }],
          shipTo: document.shipTo,
        },
      });
      if (probe.length > 0) {
        document.enrichment = { ...document.enrichment, customer: validation.fields.customer };
        document.customer = before;
      }
    } else if (validation?.decision === 'refuse')
      hold = `refused by ${this.config.orders.validate?.system}: ${validation.reason}`;
    else if (validation?.decision === 'unavailable') {
      if (this.config.orders.validate?.onTimeout === 'hold')
        hold = `validation unavailable (${validation.reason}); held by policy onTimeout: hold`;
    }
    const state = newOrder(data.orderId, data.channel, document.lines);
    const record: OrderRecord = {
      orderId: data.orderId,
      channel: data.channel,
      system: row.system,
      milestone: 'accepted',
      status: 'accepted',
      holds: [],
      state,
      document,
      version: 0,
      createdAt: ctx.at,
      updatedAt: ctx.at,
    };
    const w: Working = { record, expectVersion: 0 };
    ctx.milestone(record, null, 'accepted', 'accepted', []);
    ctx.annotate(
      record,
      undefined,
      'accepted',
      [],
      false,
      validation?.decision === 'accept' && Object.keys(validation.fields).length > 0
        ? 'validated and enriched'
        : undefined,
    );
    if (hold !== undefined) {
      record.holds.push('credit_hold');
      ctx.exception(
        record,
        'credit_hold',
        `order ${data.orderId} on credit hold: ${hold}; no stock committed`,
      );
      return w;
    }
    await this.commitStock(
      ctx,
      w,
      stock,
      document.lines.map((l) => ({ lineId: l.lineId, sku: l.sku, quantity: l.quantity })),
    );
    return w;
  }

  /** Commits lines at locations by policy, backorders the rest, releases what was committed. */
  private async commitStock(
    ctx: EventContext,
    w: Working,
    stock: StockView,
    lines: { lineId: string; sku: string; quantity: number }[],
    exclude?: string,
  ): Promise<void> {
    const serving = servingLocations(this.config, w.record.channel).filter((name) => name !== exclude);
    const committed: { lineId: string; location: string; quantity: number }[] = [];
    const backordered: { lineId: string; quantity: number }[] = [];
    for (const sku of new Set(lines.map((l) => l.sku))) {
      const ofSku = lines.filter((l) => l.sku === sku);
      const demand = ofSku.reduce((n, l) => n + l.quantity, 0);
      await stock.load(sku);
      let location = serving.find((loc) => stock.free(sku, loc) >= demand);
      if (!location) {
        location = [...serving].sort((a, b) => stock.free(sku, b) - stock.free(sku, a))[0];
      }
      let free = location ? Math.max(0, stock.free(sku, location)) : 0;
      for (const line of ofSku) {
        const take = Math.min(free, line.quantity);
        free -= take;
        if (take > 0 && location) {
          const movement: Movement = {
            sku,
            location,
            deltas: { committed: take },
            reason: 'order_committed',
            guard: 'promise',
            system: HUB_SYSTEM,
            documentRef: w.record.orderId,
            ...ctx.trace,
          };
          if (ctx.move(movement)) {
            stock.take(sku, location, take);
            committed.push({ lineId: line.lineId, location, quantity: take });
          } else {
            backordered.push({ lineId: line.lineId, quantity: take });
          }
        }
        if (line.quantity - take > 0)
          backordered.push({ lineId: line.lineId, quantity: line.quantity - take });
      }
    }
    this.transitionSync(ctx, w, { kind: 'committed', lines: committed, backordered });
    if (backordered.length > 0) {
      if (!w.record.holds.includes('backordered')) w.record.holds.push('backordered');
      const what = backordered.map((b) => `line ${b.lineId}: ${b.quantity}`).join(', ');
      ctx.exception(
        w.record,
        'backordered',
        `order ${w.record.orderId}: not enough stock at the locations serving ${w.record.channel}; backordered ${what}`,
      );
    }
    const byLocation = new Map<string, { lineId: string; quantity: number }[]>();
    for (const c of committed)
      byLocation.set(c.location, [
        ...(byLocation.get(c.location) ?? []),
        { lineId: c.lineId, quantity: c.quantity },
      ]);
    for (const [location, released] of byLocation) {
      const doc = w.record.document;
      ctx.emit('com.manifold.order.released.v1', {
        orderId: w.record.orderId,
        location,
        channel: w.record.channel,
        customer: doc.customer,
        lines: released.map((r) => ({
          lineId: r.lineId,
          sku: (doc.lines.find((l) => l.lineId === r.lineId) as { sku: string }).sku,
          quantity: r.quantity,
        })),
        shipTo: doc.shipTo,
      });
      this.transitionSync(ctx, w, { kind: 'released', location, lines: released });
    }
  }

  /** Applies a hub-side input (no inventory effects of its own) and emits the milestone it causes. */
  private transitionSync(ctx: EventContext, w: Working, input: OrderInput): Transition {
    const t = apply(w.record.state, input);
    this.store_(ctx, w, t);
    return t;
  }

  private store_(ctx: EventContext, w: Working, t: Transition): void {
    const before = { milestone: w.record.milestone, status: w.record.status };
    w.record.state = t.state;
    w.record.milestone = t.milestone;
    w.record.status = t.status;
    w.record.updatedAt = ctx.at;
    if (t.milestone !== before.milestone || t.status !== before.status) {
      ctx.milestone(w.record, before.milestone as Milestone, t.milestone, t.status, t.inferred);
    }
  }

  /** An owner's event: the lifecycle transition, its inventory effects and its events. */
  private async transition(
    ctx: EventContext,
    w: Working,
    input: OrderInput,
    stock: StockView,
  ): Promise<void> {
    const before = w.record.milestone;
    const t = apply(w.record.state, input);
    this.store_(ctx, w, t);
    ctx.annotate(w.record, before, t.milestone, t.inferred, t.late);
    for (const effect of t.effects) await this.effect(ctx, w, effect, stock);
  }

  private async effect(ctx: EventContext, w: Working, effect: OrderEffect, stock: StockView): Promise<void> {
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

  /**
   * Backorders the newest commitments at locations an owner's count left oversold (DESIGN §2.2): for each
   * open `oversold` exception whose position still has negative `available`, committed units not yet
   * picked are taken back from the newest orders first until the shortfall is covered; released ones are
   * withdrawn from the WMS. The oversold exception then resolves itself when the publisher sees the
   * position recovered. Returns how many orders it changed.
   */
  async rebalance(): Promise<number> {
    const open = await this.store.delivery.listExceptions({ code: 'oversold', status: 'open', limit: 100 });
    let changed = 0;
    for (const exception of open) {
      const subject = exception.subject ?? '';
      const at = subject.lastIndexOf('@');
      if (at <= 0) continue;
      const sku = subject.slice(0, at);
      const location = subject.slice(at + 1);
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const position = (await this.store.inventory.positions(sku)).find((p) => p.location === location);
        if (!position || position.available >= 0) break;
        let shortfall = -position.available;
        const now = this.now().toISOString();
        const unit: OrderUnit = {
          events: [],
          movements: [],
          orders: [],
          annotations: [],
          exceptions: [],
          at: now,
        };
        const stock = new StockView(this.store);
        for (const record of await this.store.orders.openOrders(1000)) {
          if (shortfall <= 0) break;
          const lines = record.state.lines
            .filter((l) => l.sku === sku)
            .map((l) => {
              const here = l.committedAt?.[location] ?? (l.location === location ? l.committed : 0);
              return {
                lineId: l.lineId,
                quantity: Math.max(0, Math.min(here, l.committed - effective(l, 'picked'))),
              };
            })
            .filter((l) => l.quantity > 0);
          if (lines.length === 0) continue;
          const take: { lineId: string; quantity: number }[] = [];
          for (const l of lines) {
            const q = Math.min(l.quantity, shortfall);
            if (q <= 0) break;
            take.push({ lineId: l.lineId, quantity: q });
            shortfall -= q;
          }
          const row: InboundEventRow = {
            seq: 0,
            system: HUB_SYSTEM,
            type: 'oversold',
            envelope: { id: `oversold-${exception.id}` },
          };
          const ctx = new EventContext(
            this,
            row,
            row.envelope as unknown as CloudEvent,
            unit,
            new Set(),
            now,
            `oversold-${exception.id}-v${record.version}`,
          );
          const w: Working = { record: { ...record }, expectVersion: record.version };
          const before = w.record.milestone;
          const t = apply(w.record.state, { kind: 'backorder', location, lines: take });
          this.store_(ctx, w, t);
          for (const effect of t.effects) await this.effect(ctx, w, effect, stock);
          if (!w.record.holds.includes('backordered')) w.record.holds.push('backordered');
          const what = take.map((l) => `line ${l.lineId}: ${l.quantity}`).join(', ');
          ctx.exception(
            w.record,
            'backordered',
            `order ${record.orderId}: ${sku}@${location} was found oversold (exception ${exception.id}); backordered ${what}, newest orders first`,
          );
          void before;
          unit.orders.push({ record: w.record, expectVersion: w.expectVersion });
        }
        if (unit.orders.length === 0) break;
        try {
          await this.store.orders.commit(unit);
          this.ingest.appended(unit.events);
          this.onChange();
          changed += unit.orders.length;
          break;
        } catch (error) {
          if (!(error instanceof ConditionNotMet)) throw error; // an order or the stock moved: again
        }
      }
    }
    return changed;
  }

  /** Exposed to the per-event context: `cause` is the inbound event, whose trace the hub event joins. */
  hubEvent(event: CloudEvent, cause?: CloudEvent): NewEvent {
    return this.ingest.hubEvent(event, cause && eventTrace(cause));
  }
}

const movementKey = (m: Movement) =>
  `${m.sku}|${m.location}|${m.reason}|${m.eventId ?? ''}|${JSON.stringify(m.deltas)}`;

/** Free stock per SKU × location as read at the start of a computation, minus what it committed. */
class StockView {
  private readonly free_ = new Map<string, number>();
  private readonly loaded = new Set<string>();
  constructor(private readonly store: Store) {}
  async load(sku: string): Promise<void> {
    if (this.loaded.has(sku)) return;
    this.loaded.add(sku);
    for (const p of await this.store.inventory.positions(sku))
      this.free_.set(`${sku}@${p.location}`, p.available);
  }
  free(sku: string, location: string): number {
    return this.free_.get(`${sku}@${location}`) ?? 0;
  }
  take(sku: string, location: string, quantity: number): void {
    this.free_.set(`${sku}@${location}`, this.free(sku, location) - quantity);
  }
}

/** What one inbound event adds to the batch's unit. */
class EventContext {
  private emitted = 0;
  readonly trace: { eventId: string; correlationId?: string };

  constructor(
    private readonly processor: OrderProcessor,
    readonly row: InboundEventRow,
    readonly envelope: CloudEvent,
    private readonly unit: OrderUnit,
    private readonly refused: Set<string>,
    readonly at: string,
    /** What emitted event ids are derived from: the inbound event's log position by default. */
    private readonly idBase: string = String(row.seq),
  ) {
    this.trace = {
      eventId: envelope.id,
      ...(typeof envelope.correlationid === 'string' ? { correlationId: envelope.correlationid } : {}),
    };
  }

  /** Queues a movement; false (and an exception) when the store refused it on an earlier attempt. */
  move(movement: Movement): boolean {
    const m = { ...movement, eventId: this.envelope.id };
    if (this.refused.has(movementKey(m))) {
      this.unit.exceptions.push({
        code: 'inventory_mismatch',
        detail: `${m.reason} of ${JSON.stringify(m.deltas)} for ${m.sku}@${m.location} (order ${m.documentRef}) was refused by the stock: the position does not hold those units; inventory left unchanged`,
        system: this.row.system,
        subject: `${m.sku}@${m.location}`,
        eventSeq: this.row.seq,
        eventId: this.envelope.id,
      });
      return false;
    }
    this.unit.movements.push(m);
    return true;
  }

  emit(type: string, data: Record<string, unknown>): void {
    this.emitted += 1;
    const kind = type.split('.')[3];
    this.unit.events.push(
      this.processor.hubEvent(
        {
          specversion: '1.0',
          id: `${kind}:${(data as { orderId: string }).orderId}:${this.idBase}:${this.emitted}`,
          source: `/${HUB_SYSTEM}`,
          type,
          time: this.at,
          datacontenttype: 'application/json',
          causationid: this.envelope.id,
          ...(typeof this.envelope.correlationid === 'string'
            ? { correlationid: this.envelope.correlationid }
            : {}),
          data,
        },
        this.envelope,
      ),
    );
  }

  milestone(
    record: OrderRecord,
    previous: Milestone | null,
    milestone: Milestone,
    status: string,
    inferred: Milestone[],
  ): void {
    this.emit('com.manifold.order.milestone.v1', {
      orderId: record.orderId,
      milestone,
      previous,
      inferred,
      status,
      lines: progress(record.state),
    });
  }

  exception(record: OrderRecord, code: string, detail: string): void {
    this.unit.exceptions.push({
      code,
      detail,
      system: this.row.system,
      subject: record.orderId,
      eventSeq: this.row.seq,
      eventId: this.envelope.id,
      ...(code === 'unknown_status' || code === 'duplicate_order'
        ? { payload: JSON.stringify(this.envelope) }
        : {}),
    } satisfies InventoryException);
    this.emit('com.manifold.order.exception.v1', {
      orderId: record.orderId,
      code,
      detail: detail.slice(0, 4096),
    });
  }

  annotate(
    record: OrderRecord,
    before: string | undefined,
    after: string,
    inferred: string[],
    late: boolean,
    note?: string,
  ): void {
    const annotation: OrderAnnotation = {
      orderId: record.orderId,
      eventSeq: this.row.seq,
      ...(before === undefined ? {} : { before }),
      after,
      status: record.status,
      inferred,
      late,
      ...(note === undefined ? {} : { note }),
      at: this.at,
    };
    this.unit.annotations.push(annotation);
  }
}

/** The canonical order document of an acceptance. */
export function documentOf(row: InboundEventRow, data: OrderAcceptedData): OrderDocument {
  return {
    orderId: data.orderId,
    channel: data.channel,
    customer: { ...(data.customer as Record<string, unknown>) },
    shipTo: { ...(data.shipTo as Record<string, unknown>) },
    lines: data.lines.map((l) => ({
      lineId: l.lineId,
      sku: l.sku,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
    })),
    acceptedEvent: { source: String(row.envelope.source), id: String(row.envelope.id) },
  };
}

/** Merges a validator's fields: customer fields, unit prices per line, the rest as enrichment. */
export function mergeEnrichment(document: OrderDocument, fields: Record<string, unknown>): void {
  const { customer, lines, ...rest } = fields;
  if (typeof customer === 'object' && customer !== null)
    document.customer = { ...document.customer, ...customer };
  if (Array.isArray(lines)) {
    for (const l of lines as { lineId?: string; unitPrice?: number }[]) {
      const line = document.lines.find((x) => x.lineId === l.lineId);
      if (line && typeof l.unitPrice === 'number') line.unitPrice = l.unitPrice;
    }
  }
  if (Object.keys(rest).length > 0) document.enrichment = { ...document.enrichment, ...rest };
}

/** Recomputes the status and milestone of stored state (for reads). */
export function statusOf(state: OrderState): string {
  return derive(state.lines).status;
}
