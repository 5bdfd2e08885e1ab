/**
 * Cancels what is still open on orders whose `cancelAfter` has passed (docs/orders.md#cancelafter): every
 * unit not yet picked — backordered, committed (the commitment is given back) or released (withdrawn from
 * the WMS with `com.manifold.order.release-cancelled.v1`) — through the lifecycle's own cancellation, and
 * tells the channel with `com.manifold.order.expired.v1` (and the milestone it causes). Picked units are
 * left to ship.
 *
 * A timed check run by one process at a time: the one holding the `order-cancel-after` lease (like the
 * alert evaluation). Each order is one write at the version read, with event ids derived from it, so two
 * sweeps (a lease taken over mid-sweep) cannot cancel twice; and each write carries the lease's fence
 * (docs/durability.md#fencing), so a process that paused past its lease writes nothing at all.
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { HUB_SYSTEM } from '../../domain/event-catalogue.js';
import { apply } from '../../domain/orders/lifecycle.js';
import { unpickedLines } from '../../domain/orders/open-work.js';
import { ConditionNotMet } from '../../store/condition-not-met.js';
import { type LeaseFence, LeaseLost } from '../../store/lease-fence.js';
import type { InboundEventRow } from '../../store/log-port.js';
import type { OrderUnit } from '../../store/order-port.js';
import type { Store } from '../../store/store-port.js';
import { EventContext, type HubEventFactory, StockView, type Working } from './event-context.js';
import type { OrderEffects } from './order-effects.js';

/** The lease of the process that runs the check. */
export const CANCEL_AFTER_LEASE = 'order-cancel-after';

/** Orders cancelled per pass at most (the next pass takes the rest). */
const PER_PASS = 100;

export class CancelAfter {
  constructor(
    private readonly store: Store,
    private readonly effects: OrderEffects,
    private readonly hubEvent: HubEventFactory,
    private readonly now: () => Date,
    /** Told after a unit was written (append its events, wake the availability publisher). */
    private readonly written: (unit: OrderUnit) => void,
  ) {}

  /**
   * Cancels the open units of orders past their `cancelAfter`; returns how many orders it changed.
   * `fence`: the lease the sweep runs under, checked in each order's write; when it has moved the sweep
   * stops with `LeaseLost` (that order not written, those before it kept).
   */
  async sweep(fence?: LeaseFence): Promise<number> {
    const at = this.now().toISOString();
    let changed = 0;
    for (const record of await this.store.orders.pastCancelAfter(at, PER_PASS)) {
      const lines = unpickedLines(record.state);
      const cancelAfter = record.document.cancelAfter;
      if (lines.length === 0 || cancelAfter === undefined) continue;
      const unit: OrderUnit = { events: [], movements: [], orders: [], annotations: [], exceptions: [], at };
      const reason = `cancelAfter ${cancelAfter} passed`;
      const row: InboundEventRow = {
        seq: 0,
        system: HUB_SYSTEM,
        type: 'cancel-after',
        envelope: { id: `cancel-after-${record.orderId}`, data: { reason } },
      };
      const ctx = new EventContext(
        this.hubEvent,
        row,
        row.envelope as unknown as CloudEvent,
        unit,
        new Set(),
        at,
        `cancel-after-v${record.version}`,
      );
      const w: Working = { record: { ...record, holds: [...record.holds] }, expectVersion: record.version };
      const before = w.record.milestone;
      const t = apply(w.record.state, {
        kind: 'cancelled',
        lines: lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity })),
      });
      this.effects.record(ctx, w, t);
      const stock = new StockView(this.store, unit);
      for (const effect of t.effects) await this.effects.effect(ctx, w, effect, stock);
      w.record.holds = w.record.holds.filter((h) => h !== 'backordered');
      ctx.emit('com.manifold.order.expired.v1', { orderId: record.orderId, cancelAfter, lines });
      ctx.annotate(
        w.record,
        before,
        w.record.milestone,
        [],
        false,
        `${reason}: cancelled ${lines.map((l) => `line ${l.lineId}: ${l.quantity}`).join(', ')} (not yet picked)`,
      );
      unit.orders.push({ record: w.record, expectVersion: w.expectVersion });
      try {
        await this.store.orders.commit(unit, fence);
        this.written(unit);
        changed += 1;
      } catch (error) {
        // The order moved meanwhile (an event, a fill, another process): the next pass reads it again.
        if (!(error instanceof ConditionNotMet)) throw error;
      }
    }
    return changed;
  }
}

export interface CancelAfterLoopOptions {
  /** How often the check runs, ms (default 30 s). */
  intervalMs?: number;
  now?: () => Date;
  onError?: (loop: string, error: unknown) => void;
  /** Who holds this loop's lease: the hub process's incarnation (default: host, pid and a random part). */
  leaseOwner?: string;
}

/** Runs {@link CancelAfter.sweep} on a timer, in the process holding the lease only. */
export class CancelAfterLoop {
  readonly name = 'order-cancel-after';
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private leading = false;
  private readonly owner: string;
  private readonly intervalMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    private readonly check: CancelAfter,
    private readonly options: CancelAfterLoopOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 30_000;
    this.now = options.now ?? (() => new Date());
    this.owner = options.leaseOwner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
    void this.run();
  }

  /** One pass, when this process holds (or takes) the lease; one at a time. */
  run(): Promise<void> {
    this.running ??= this.once()
      .catch((error: unknown) => this.options.onError?.(this.name, error))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async once(): Promise<void> {
    const leaseMs = Math.max(15_000, this.intervalMs * 3);
    const epoch = await this.store.ops.takeLease(
      CANCEL_AFTER_LEASE,
      this.owner,
      this.now().toISOString(),
      leaseMs,
    );
    this.leading = epoch !== undefined;
    if (epoch === undefined) return;
    const fence: LeaseFence = { name: CANCEL_AFTER_LEASE, holder: this.owner, epoch };
    try {
      while ((await this.check.sweep(fence)) >= PER_PASS) {
        // a full pass: there may be more
      }
    } catch (error) {
      // Another process took the lease over (this one paused past it) and runs the check now; reported
      // like the other loops' lost leases, and this one tries for the lease again on its next turn.
      if (error instanceof LeaseLost) this.leading = false;
      throw error;
    }
  }

  /** Whether this process held the lease at its last pass (and had not lost it during the pass). */
  get isLeading(): boolean {
    return this.leading;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.leading)
      await this.store.ops.releaseLease(CANCEL_AFTER_LEASE, this.owner).catch(() => undefined);
    this.leading = false;
  }
}
