/**
 * The order processor: follows the log's order events in order, once each, like the inventory fact
 * applier (docs/adr/0002-inventory-from-the-log.md), on the shared log consumer (`engine/log-consumer.ts`:
 * cursor, batches, set-aside, retries). For each event it finds the order and runs the pure lifecycle
 * (`domain/orders/lifecycle.ts`) on the input the event means (`domain/orders/event-inputs.ts`), and the
 * effects executor (`order-effects.ts`) turns the decisions into writes of one transaction: the order, the
 * inventory movements its effects call for, the hub events it emits (milestones in order per order,
 * releases to the WMS, exceptions) with their outbox rows, the timeline annotation, exceptions, and the
 * cursor.
 *
 * Acceptance (`order-acceptance.ts`): optional validation call-out (`orders.validate`), then stock is
 * committed where the allocation policy (`domain/orders/allocation.ts`) puts it and the rest is
 * backordered; the committed lines are released to each location's WMS with
 * `com.manifold.order.released.v1`. Oversold locations give commitments back (`oversold-rebalance.ts`).
 */
import type { CompiledConfig } from '../../config/compiled-config.js';
import type { OrderAcceptedData } from '../../contracts/order-schemas.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import type { AllocationPolicy } from '../../domain/orders/allocation.js';
import {
  ACCEPTED_TYPE,
  CHANGED_TYPE,
  HELD_TYPE,
  HOLD_RELEASED_TYPE,
  inputOf,
  ORDER_TYPES,
} from '../../domain/orders/event-inputs.js';
import { derive, type OrderInput, type OrderState } from '../../domain/orders/lifecycle.js';
import { ConflictError } from '../../errors.js';
import type { Movement } from '../../store/inventory-port.js';
import type { InboundEventRow } from '../../store/log-port.js';
import type { OrderRecord, OrderUnit } from '../../store/order-port.js';
import type { NewEvent, Store } from '../../store/store-port.js';
import type { IngestService } from '../ingest-service.js';
import { type CursorMove, LogConsumer } from '../log-consumer.js';
import { eventTrace } from '../observability/trace-context.js';
import { BackorderFill } from './backorder-fill.js';
import { CancelAfter } from './cancel-after.js';
import { EventContext, noteRefused, StockView, type Working } from './event-context.js';
import { OrderAcceptance, type Validator } from './order-acceptance.js';
import { OrderChanges } from './order-changes.js';
import { OrderEffects } from './order-effects.js';
import { OversoldRebalance } from './oversold-rebalance.js';

export { documentOf, mergeEnrichment, type Validator } from './order-acceptance.js';
export { ORDER_TYPES };

export const ORDER_CURSOR = 'orders';

const BATCH = 100;

export class OrderProcessor {
  private readonly log: LogConsumer<OrderUnit>;
  private readonly effects: OrderEffects;
  private readonly acceptance: OrderAcceptance;
  private readonly changes: OrderChanges;
  private readonly oversold: OversoldRebalance;
  /** Fills backorders when stock arrives (`backorder-fill.ts`). */
  readonly fill: BackorderFill;
  /** Cancels open units once an order's `cancelAfter` has passed (`cancel-after.ts`). */
  readonly cancelAfter: CancelAfter;
  /** The re-application of events that waited for their order (one after another). */
  private waiting: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
    private readonly ingest: IngestService,
    validator: Validator | undefined,
    private readonly now: () => Date = () => new Date(),
    private readonly onChange: () => void = () => undefined,
    /** One allocation policy for every order (default: each order's rule of `orders.allocation`). */
    allocation?: AllocationPolicy,
  ) {
    this.effects = new OrderEffects(config, allocation);
    this.acceptance = new OrderAcceptance(config, store, this.effects, validator);
    this.changes = new OrderChanges(this.effects, () => this.config.units ?? {});
    const written = (unit: OrderUnit) => {
      this.ingest.appended(unit.events);
      this.onChange();
    };
    this.oversold = new OversoldRebalance(store, this.effects, this.hubEvent, now, written);
    this.fill = new BackorderFill(store, this.effects, this.hubEvent, now, written);
    this.cancelAfter = new CancelAfter(store, this.effects, this.hubEvent, now, written);
    this.log = new LogConsumer<OrderUnit>(
      store,
      {
        prepare: (events) => this.acceptance.validateNew(events),
        compute: (events, attempt) => this.compute(events, attempt.refused),
        write: (unit, cursor) => this.store.orders.commit(cursor ? { ...unit, cursor } : unit),
        written: (unit, events) => {
          for (const e of events) this.acceptance.forget(e.seq);
          this.ingest.appended(unit.events);
          if (unit.movements.length > 0) this.onChange();
          const arrived = events
            .filter((e) => e.type === ACCEPTED_TYPE)
            .map((e) => (e.envelope.data as { orderId: string }).orderId);
          if (arrived.length > 0) this.releaseWaiting(arrived);
        },
        // A commitment the stock refused is decided again on a fresh read; other refused movements are
        // dropped (and reported) on the next attempt.
        refused: (error, unit, attempt) => noteRefused(unit.movements[error.step] as Movement, attempt),
        setAside: (row, error, cursor) => this.setAside(row, error, cursor),
        stillFailing: (unit) => {
          const again = unit.exceptions.find((e) =>
            ['unknown_status', 'unknown_order', 'unknown_unit'].includes(e.code),
          );
          if (again) throw new ConflictError('still-failing', 'Still failing', again.detail);
        },
      },
      {
        cursor: ORDER_CURSOR,
        types: ORDER_TYPES,
        batch: BATCH,
        attempts: 50,
        reapplyAttempts: 20,
        // Anything but a refused movement moved under us: recompute, unless another process took the batch.
        onConflict: 'yield',
        label: 'orders',
      },
    );
  }

  /** Resolves once the processor has consumed the log up to `seq`. */
  waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    return this.log.waitFor(seq, timeoutMs);
  }

  /** Processes the next batch; returns how many events it consumed (0: caught up). */
  step(): Promise<number> {
    return this.log.step();
  }

  /** Whether logged events are left for it. */
  pending(): Promise<boolean> {
    return this.log.pending();
  }

  /**
   * Processes one logged order event again (an operator's retry of its `unknown_status`, `unknown_order`
   * or `order_processing_failed` exception, after fixing the cause: a statusMaps entry, the order).
   * 409 when it would only fail the same way again.
   */
  reapply(seq: number): Promise<void> {
    return this.log.reapply(seq, 'order event');
  }

  /** Resolves once the events that waited for newly arrived orders have been applied again (tests, shutdown). */
  waitingSettled(): Promise<void> {
    return this.waiting;
  }

  /**
   * Events that named an order before it arrived (a cancel ahead of its create: `unknown_order`) are applied
   * again as soon as the order is accepted, in log order, and their exceptions closed as retried by
   * `manifold` — not left for an operator (docs/orders.md). One that still fails stays open.
   */
  private releaseWaiting(orderIds: string[]): void {
    this.waiting = this.waiting.then(() => this.retryWaiting(orderIds)).catch(() => undefined);
  }

  private async retryWaiting(orderIds: string[]): Promise<void> {
    for (const orderId of new Set(orderIds)) {
      const open = await this.store.delivery.listExceptions({
        code: 'unknown_order',
        subject: orderId,
        status: 'open',
        limit: 1000,
      });
      open.sort((a, b) => (a.eventSeq ?? 0) - (b.eventSeq ?? 0));
      for (const exception of open) {
        if (exception.eventSeq === undefined) continue;
        try {
          await this.reapply(exception.eventSeq);
        } catch {
          continue;
        }
        await this.store.delivery.retryExceptions([exception.id], {
          who: 'manifold',
          at: this.now().toISOString(),
          note: `order ${orderId} arrived; the event was applied again automatically`,
        });
      }
    }
  }

  /**
   * Takes back the newest commitments at locations an owner's count left oversold; returns how many
   * orders it changed.
   */
  rebalance(): Promise<number> {
    return this.oversold.rebalance();
  }

  /** Makes a hub event: `cause` is the inbound event, whose trace the hub event joins. */
  readonly hubEvent = (event: CloudEvent, cause?: CloudEvent): NewEvent =>
    this.ingest.hubEvent(event, cause && eventTrace(cause));

  /**
   * Records an event that could not be processed as an `order_processing_failed` exception; the cursor
   * moves past it in the same write.
   */
  private async setAside(row: InboundEventRow, error: unknown, cursor: CursorMove): Promise<void> {
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
      cursor,
      at,
    });
    this.acceptance.forget(row.seq);
  }

  private async compute(events: readonly InboundEventRow[], refused: Set<string>): Promise<OrderUnit> {
    const at = this.now().toISOString();
    const unit: OrderUnit = { events: [], movements: [], orders: [], annotations: [], exceptions: [], at };
    const working = new Map<string, Working>();
    const stock = new StockView(this.store, unit);
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
      const ctx = new EventContext(this.hubEvent, row, envelope, unit, refused, at);
      if (row.type === ACCEPTED_TYPE) {
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
        const w = await this.acceptance.accept(ctx, row, envelope.data as OrderAcceptedData, stock);
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
      if (row.type === CHANGED_TYPE || row.type === HELD_TYPE || row.type === HOLD_RELEASED_TYPE) {
        await this.changes.handle(ctx, w, row.type, stock);
        continue;
      }
      const input = this.inputOf(ctx, w.record, row, envelope);
      if (!input) continue;
      await this.effects.transition(ctx, w, input, stock);
    }
    for (const w of working.values()) unit.orders.push({ record: w.record, expectVersion: w.expectVersion });
    return unit;
  }

  /** The lifecycle input of an owner's event; undefined (with the reason recorded) when there is none. */
  private inputOf(
    ctx: EventContext,
    record: OrderRecord,
    row: InboundEventRow,
    envelope: CloudEvent,
  ): OrderInput | undefined {
    const data = envelope.data as Record<string, unknown> & { orderId: string };
    const statusMap = this.config.statusMaps.get(row.system);
    const outcome = inputOf(
      row.type,
      data,
      record.state,
      (code) => statusMap?.get(code),
      this.config.units ?? {},
    );
    switch (outcome.kind) {
      case 'input':
        return outcome.input;
      case 'unknown-status':
        ctx.annotate(
          record,
          record.state.milestone,
          record.state.milestone,
          [],
          false,
          `status '${outcome.code}' of ${row.system} is not in statusMaps`,
        );
        ctx.exception(
          record,
          'unknown_status',
          `${row.system} reported status '${outcome.code}' for order ${data.orderId}; no statusMaps entry maps it to a milestone — add one, then retry`,
        );
        return undefined;
      case 'unknown-unit':
        ctx.annotate(record, record.state.milestone, record.state.milestone, [], false, outcome.detail);
        ctx.exception(
          record,
          'unknown_unit',
          `${row.type} ${envelope.id} from ${row.system} for order ${data.orderId}: ${outcome.detail}; add the unit to units:, then retry`,
        );
        return undefined;
      case 'not-moving':
        ctx.annotate(
          record,
          record.state.milestone,
          record.state.milestone,
          [],
          false,
          `status '${outcome.code}' maps to ${outcome.milestone}, which a status report does not move`,
        );
        return undefined;
    }
  }
}

/** Recomputes the status and milestone of stored state (for reads). */
export function statusOf(state: OrderState): string {
  return derive(state.lines).status;
}
