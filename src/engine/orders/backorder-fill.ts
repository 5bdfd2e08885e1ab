/**
 * Fills backorders when stock arrives (docs/orders.md#backorder-fill): follows the owners' inventory facts
 * (`received`, `counted`, `adjusted`, `moved`, `incoming`) on the shared log consumer, behind the fact
 * applier (never ahead of its cursor, so the positions it reads already hold the fact). For each fact
 * whose SKU has free stock at its location, the orders backordered for that SKU are taken oldest
 * accepted first (the `order_backorders` index of the store), and each one's backordered lines go through
 * the same commitment as an acceptance (`OrderEffects.commitStock`: the order's allocation policy, the
 * commitment, the release to the WMS) until the free stock is used. A line that already has units
 * committed is filled at its own location only: a fill never splits a line over two warehouses.
 *
 * Durable and idempotent: a batch's commitments, releases, orders and the cursor are one transaction
 * (a crash before it leaves nothing; the batch is computed again); orders are written at the version
 * read and hub event ids derive from the fact's log position, so a fill computed twice cannot be written
 * twice, and a fact seen again finds its orders no longer backordered.
 */
import type { CloudEvent } from '../../domain/cloud-event.js';
import { backorderedLines } from '../../domain/orders/open-work.js';
import type { Movement } from '../../store/inventory-port.js';
import type { InboundEventRow } from '../../store/log-port.js';
import type { OrderUnit } from '../../store/order-port.js';
import type { Store } from '../../store/store-port.js';
import { FACT_CURSOR, FACT_TYPES } from '../inventory/fact-applier.js';
import { LogConsumer } from '../log-consumer.js';
import { EventContext, type HubEventFactory, noteRefused, StockView, type Working } from './event-context.js';
import type { OrderEffects } from './order-effects.js';

export const FILL_CURSOR = 'backorder-fill';

/** Facts read per transaction. */
const BATCH = 100;
/** Backordered orders looked at per SKU and fact, oldest first. */
const ORDERS_PER_SKU = 200;

export class BackorderFill {
  private readonly log: LogConsumer<OrderUnit>;

  constructor(
    private readonly store: Store,
    private readonly effects: OrderEffects,
    private readonly hubEvent: HubEventFactory,
    private readonly now: () => Date,
    /** Told after a unit was written (append its events, wake the availability publisher). */
    written: (unit: OrderUnit) => void,
  ) {
    this.log = new LogConsumer<OrderUnit>(
      store,
      {
        compute: (events, attempt) => this.compute(events, attempt.refused),
        write: (unit, cursor) => this.store.orders.commit(cursor ? { ...unit, cursor } : unit),
        written: (unit) => {
          if (unit.events.length > 0 || unit.movements.length > 0) written(unit);
        },
        // A commitment the stock refused is decided again on a fresh read; other refused movements are
        // dropped (and reported) on the next attempt.
        refused: (error, unit, attempt) => noteRefused(unit.movements[error.step] as Movement, attempt),
      },
      {
        cursor: FILL_CURSOR,
        types: FACT_TYPES,
        batch: BATCH,
        attempts: 50,
        reapplyAttempts: 20,
        onConflict: 'reread',
        label: 'backorder fill',
        upTo: () => this.store.log.cursor(FACT_CURSOR),
      },
    );
  }

  /** Fills from the next batch of facts; returns how many facts it consumed (0: caught up). */
  step(): Promise<number> {
    return this.log.step();
  }

  /** Whether logged facts are left for it (up to the fact applier's cursor). */
  pending(): Promise<boolean> {
    return this.log.pending();
  }

  /** Resolves once the facts up to `seq` have been looked at. */
  waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    return this.log.waitFor(seq, timeoutMs);
  }

  private async compute(events: readonly InboundEventRow[], refused: Set<string>): Promise<OrderUnit> {
    const at = this.now().toISOString();
    const unit: OrderUnit = { events: [], movements: [], orders: [], annotations: [], exceptions: [], at };
    const stock = new StockView(this.store, unit);
    const working = new Map<string, Working>();
    // One read for the batch: a SKU without backordered orders needs neither its stock nor its orders.
    const skus = new Set(events.map((row) => (row.envelope.data as { sku: string }).sku));
    const backordered = await this.store.orders.skusWithBackorders([...skus]);
    for (const row of events) {
      const { sku, location } = row.envelope.data as { sku: string; location: string };
      if (!backordered.has(sku)) continue;
      await stock.load(sku);
      if (stock.free(sku, location) <= 0) continue;
      for (const stored of await this.store.orders.backorderedFor(sku, ORDERS_PER_SKU)) {
        if (stock.free(sku, location) <= 0) break;
        const w = working.get(stored.orderId) ?? { record: stored, expectVersion: stored.version };
        const lines = backorderedLines(w.record.state);
        if (!lines.some((l) => l.sku === sku)) continue;
        const envelope = row.envelope as unknown as CloudEvent;
        const ctx = new EventContext(this.hubEvent, row, envelope, unit, refused, at, `fill-${row.seq}`);
        const before = w.record.milestone;
        const record = { ...w.record, holds: [...w.record.holds] };
        const candidate: Working = { record, expectVersion: w.expectVersion };
        const committed = await this.effects.commitStock(ctx, candidate, stock, lines, undefined, true);
        if (committed === 0) continue;
        working.set(stored.orderId, candidate);
        const left = backorderedLines(candidate.record.state).reduce((n, l) => n + l.quantity, 0);
        // A note of its own on the timeline (the fact is not an event of the order).
        unit.annotations.push({
          orderId: stored.orderId,
          eventSeq: 0,
          before,
          after: candidate.record.milestone,
          status: candidate.record.status,
          inferred: [],
          late: false,
          note: `backorder filled: ${committed} units committed after ${row.type} of ${sku}@${location} (event ${String(row.envelope.id)})${left > 0 ? `; ${left} still backordered` : ''}`,
          at,
        });
      }
    }
    for (const w of working.values()) unit.orders.push({ record: w.record, expectVersion: w.expectVersion });
    return unit;
  }
}
