/**
 * Follows the event log for one consumer (the order processor, the inventory fact applier): events of its
 * types, in log order, once each. A batch is computed against the store as it is, then written in one
 * transaction together with the move of the consumer's cursor (compare-and-set), so a batch is applied
 * exactly once even with several processes on one store (docs/adr/0002-inventory-from-the-log.md).
 *
 * What the consumer owns, so that each user only says what a batch writes:
 * - the cursor and the batching (`step`);
 * - the one retry-on-conflict loop: a write whose condition no longer holds (`ConditionNotMet`) is computed
 *   again; the handler may first take note of the refused write so the next attempt leaves it out;
 * - setting aside (optional): an event that cannot be processed at all is recorded by the handler while the
 *   cursor moves past it, so nothing behind it stalls;
 * - waiters: callers that want to know when the log has been consumed up to a position (by this process,
 *   or by another holding the consumer's lease: the cursor is also read while they wait);
 * - applying one logged event again (an operator's retry), through the same retry loop, without the cursor.
 */
import { NotFoundError } from '../errors.js';
import { ConditionNotMet } from '../store/condition-not-met.js';
import type { InboundEventRow } from '../store/log-port.js';
import type { Store } from '../store/store-port.js';

/** The cursor move written with a batch: from where it was read to the batch's last event. */
export interface CursorMove {
  name: string;
  from: number;
  to: number;
}

/** What one attempt at a batch knows of the earlier attempts. */
export interface Attempt {
  /** 0 for the first attempt. */
  readonly number: number;
  /** Keys of writes the store refused on an earlier attempt (the handler names and reads them). */
  readonly refused: Set<string>;
  /** How many times the store refused each key so far in this batch (the handler counts). */
  readonly refusals: Map<string, number>;
}

/** What a consumer does with its events; `W` is what one batch writes. */
export interface LogHandler<W> {
  /** Runs once per batch before its first attempt (slow calls that must not be repeated per attempt). */
  prepare?(events: readonly InboundEventRow[]): Promise<void>;
  /** Computes the batch's writes against the store as it is now. */
  compute(events: readonly InboundEventRow[], attempt: Attempt): Promise<W>;
  /**
   * Writes a batch in one transaction, with the cursor move when there is one (none when applying one
   * event again). Throws `ConditionNotMet` when something read by `compute` moved.
   */
  write(work: W, cursor: CursorMove | undefined): Promise<void>;
  /** After a successful write (tell others, drop what was kept for the batch). */
  written?(work: W, events: readonly InboundEventRow[]): void;
  /** Takes note of a refused write before the next attempt (adds its key to `attempt.refused`). */
  refused?(error: ConditionNotMet, work: W, attempt: Attempt): void;
  /**
   * Records an event that cannot be processed (an exception holding it, for an operator) and moves the
   * cursor past it in the same write. Without it, such an error stops the step and the event is retried.
   */
  setAside?(row: InboundEventRow, error: unknown, cursor: CursorMove): Promise<void>;
  /** Throws (a 409) when applying `row` again would only fail the same way again. */
  stillFailing?(work: W): void;
}

export interface LogConsumerOptions {
  /** The cursor's name in the store. */
  cursor: string;
  /** The event types consumed. */
  types: readonly string[];
  /** Events read per batch. */
  batch: number;
  /** Attempts at one batch before giving up. */
  attempts: number;
  /** Attempts at applying one event again before giving up. */
  reapplyAttempts: number;
  /**
   * After a conflict: `reread` reads the cursor and the batch again on every attempt (when another
   * process moved the cursor, its next events are taken on); `yield` keeps the batch and, when another
   * process moved the cursor, stops the step with 0 (that process has the batch).
   */
  onConflict: 'reread' | 'yield';
  /** Names the consumer in errors. */
  label: string;
  /**
   * The last log position the consumer may take events up to (another consumer's cursor it must not
   * overtake); unbounded when absent.
   */
  upTo?: () => Promise<number>;
}

/** How often waiters see the cursor read from the store, ms. */
const WATCH_MS = 50;

export class LogConsumer<W> {
  private waiters: { seq: number; resolve: () => void }[] = [];
  private watching: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly handler: LogHandler<W>,
    readonly options: LogConsumerOptions,
  ) {}

  /** Where the cursor stands. */
  position(): Promise<number> {
    return this.store.log.cursor(this.options.cursor);
  }

  /** Resolves true once the log has been consumed up to `seq`, false after `timeoutMs`. */
  async waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    if ((await this.position()) >= seq) return true;
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
      this.watch();
    });
  }

  /**
   * While callers wait, reads the cursor every 50 ms: in a cluster, another process may hold the consumer's
   * lease and move the cursor (this process then steps nothing that would tell them).
   */
  private watch(): void {
    if (this.watching) return;
    this.watching = setInterval(() => {
      if (this.waiters.length === 0) {
        clearInterval(this.watching);
        this.watching = undefined;
        return;
      }
      this.position().then(
        (at) => this.release(at),
        () => undefined, // the next read, or the waiter's timeout, answers
      );
    }, WATCH_MS);
    this.watching.unref();
  }

  /** Whether events are left for the consumer (its next event, within `upTo`). */
  async pending(): Promise<boolean> {
    const [next] = await this.store.log.eventsAfter(await this.position(), this.options.types, 1);
    if (!next) return false;
    return !this.options.upTo || next.seq <= (await this.options.upTo());
  }

  private release(upTo: number): void {
    const ready = this.waiters.filter((w) => w.seq <= upTo);
    this.waiters = this.waiters.filter((w) => w.seq > upTo);
    for (const w of ready) w.resolve();
  }

  private async read(from: number): Promise<InboundEventRow[]> {
    const events = await this.store.log.eventsAfter(from, this.options.types, this.options.batch);
    if (!this.options.upTo || events.length === 0) return events;
    const limit = await this.options.upTo();
    return events.filter((e) => e.seq <= limit);
  }

  /** Consumes the next batch; returns how many events it consumed (0: caught up, or another process has it). */
  async step(): Promise<number> {
    const from = await this.position();
    const events = await this.read(from);
    if (events.length === 0) {
      this.release(from);
      return 0;
    }
    if (!this.handler.setAside) return this.consume(from, events);
    try {
      return await this.consume(from, events);
    } catch (error) {
      if (error instanceof ConditionNotMet) throw error;
      // Something in the batch cannot be processed (a bug, data a hub contract refuses). Nothing may stall
      // the events behind it: the first event goes alone, and when it fails too it is set aside while the
      // cursor moves past it; the next step takes the rest.
      const first = events[0] as InboundEventRow;
      if (events.length > 1)
        return this.consume(from, [first]).catch(() => this.setAside(from, first, error));
      return this.setAside(from, first, error);
    }
  }

  private async setAside(from: number, row: InboundEventRow, error: unknown): Promise<number> {
    await this.handler.setAside?.(row, error, { name: this.options.cursor, from, to: row.seq });
    this.release(row.seq);
    return 1;
  }

  /** The retry-on-conflict loop over one batch read at `from`. */
  private async consume(from: number, events: InboundEventRow[]): Promise<number> {
    const { attempts, onConflict, label } = this.options;
    await this.handler.prepare?.(events);
    const refused = new Set<string>();
    const refusals = new Map<string, number>();
    for (let number = 0; number < attempts; number += 1) {
      if (onConflict === 'reread' && number > 0) {
        from = await this.position();
        events = await this.read(from);
        if (events.length === 0) return 0;
      }
      const last = events[events.length - 1] as InboundEventRow;
      const attempt = { number, refused, refusals };
      const work = await this.handler.compute(events, attempt);
      try {
        await this.handler.write(work, { name: this.options.cursor, from, to: last.seq });
        this.handler.written?.(work, events);
        this.release(last.seq);
        return events.length;
      } catch (error) {
        if (!(error instanceof ConditionNotMet)) throw error;
        if (error.step >= 0 && this.handler.refused) this.handler.refused(error, work, attempt);
        else if (onConflict === 'yield' && (await this.position()) !== from) return 0;
      }
    }
    throw new Error(`${label}: could not write a batch in ${attempts} attempts`);
  }

  /** The logged event at `seq`, when it is one of the consumer's types; else 404. */
  async logged(seq: number, what: string): Promise<InboundEventRow> {
    const [logged] = (await this.store.listEvents({ afterSeq: seq - 1, limit: 1 })).items;
    if (logged?.seq !== seq || !this.options.types.includes(logged.event.type)) {
      throw new NotFoundError(`no ${what} at log position ${seq}`);
    }
    return {
      seq,
      system: logged.system,
      type: logged.event.type,
      envelope: logged.event as unknown as Record<string, unknown>,
    };
  }

  /**
   * Applies one logged event again, as the store is now, without moving the cursor (an operator's retry
   * of the exception it raised, after fixing the cause). `what` names the event in the 404.
   */
  async reapply(seq: number, what: string): Promise<void> {
    const row = await this.logged(seq, what);
    const { reapplyAttempts, label } = this.options;
    const refused = new Set<string>();
    const refusals = new Map<string, number>();
    for (let number = 0; number < reapplyAttempts; number += 1) {
      const attempt = { number, refused, refusals };
      const work = await this.handler.compute([row], attempt);
      this.handler.stillFailing?.(work);
      try {
        await this.handler.write(work, undefined);
        this.handler.written?.(work, []);
        return;
      } catch (error) {
        if (!(error instanceof ConditionNotMet)) throw error;
        if (error.step >= 0) this.handler.refused?.(error, work, attempt);
      }
    }
    throw new Error(`${label}: could not apply event ${seq} again`);
  }
}
