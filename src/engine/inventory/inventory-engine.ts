/**
 * The inventory side of the hub: reservations, reconciliation, and three background loops — the fact
 * applier (log → positions), the availability publisher (ledger → channel events) and the expiry sweep.
 * Each loop runs when woken (after an ingest or a reservation) and on a timer as a safety net; one pass
 * of a loop never overlaps another pass of the same loop. With `singletons`, each loop runs in one process
 * of the cluster at a time, the one holding its lease (docs/scaling.md#one-follower-per-loop).
 */
import type { CompiledConfig } from '../../config/compiled-config.js';
import type { Store } from '../../store/store-port.js';
import { Loop } from '../background-loop.js';
import { IdempotencyKeys } from '../idempotency-keys.js';
import type { IngestService } from '../ingest-service.js';
import { ProcessRegistry } from '../process-registry.js';
import { type Singletons, singletonLoop } from '../singleton-lease.js';
import { AvailabilityPublisher } from './availability-publisher.js';
import { FACT_TYPES, FactApplier } from './fact-applier.js';
import { Reconciliation } from './reconciliation.js';
import { ReservationService } from './reservation-service.js';

export interface InventoryEngineOptions {
  now?: () => Date;
  /** How long Idempotency-Keys are kept, ms (default 24 h). */
  idempotencyTtlMs?: number;
  /** The hub's Idempotency-Keys (default: owned by an unregistered incarnation of its own). */
  keys?: IdempotencyKeys;
  /** How often the loops run without being woken, ms (default 1,000). */
  intervalMs?: number;
  onError?: (loop: string, error: unknown) => void;
  /** Told after the fact applier applied facts (wakes the backorder fill, which follows it). */
  onFactsApplied?: () => void;
  /**
   * Makes the loops singletons of the cluster, each under a lease held by `owner` (the hub process's
   * incarnation): several processes on one PostgreSQL store then do each loop's work once, not in a race.
   */
  singletons?: Singletons;
}

export class InventoryEngine {
  readonly reservations: ReservationService;
  readonly reconciliation: Reconciliation;
  readonly publisher: AvailabilityPublisher;
  private readonly applier: FactApplier;
  private readonly facts: Loop;
  private readonly publish: Loop;
  private readonly sweep: Loop;
  private timer: NodeJS.Timeout | undefined;
  private readonly factTypes = new Set(FACT_TYPES);

  constructor(
    config: CompiledConfig,
    store: Store,
    ingest: IngestService,
    private readonly options: InventoryEngineOptions = {},
  ) {
    const now = options.now ?? (() => new Date());
    const onError = options.onError ?? (() => undefined);
    const changed = () => void this.publish.wake();
    const keys = options.keys ?? new IdempotencyKeys(store, new ProcessRegistry(store), now);
    this.reservations = new ReservationService(config, store, keys, now, changed);
    this.reconciliation = new Reconciliation(config, store, now, changed);
    this.publisher = new AvailabilityPublisher(config, store, ingest, now);
    this.applier = new FactApplier(store, now);
    const singleton = (loop: string, pending: () => Promise<boolean>) =>
      singletonLoop(store, options.singletons, loop, pending);
    this.facts = new Loop(
      'inventory-facts',
      async () => {
        const n = await this.applier.step();
        if (n > 0) {
          changed();
          options.onFactsApplied?.();
        }
        return n;
      },
      onError,
      singleton('inventory-facts', () => this.applier.pending()),
    );
    this.publish = new Loop(
      'inventory-publisher',
      (fence) => this.publisher.step(fence),
      onError,
      singleton('inventory-publisher', () => this.publisher.pending()),
    );
    const keepKeysMs = options.idempotencyTtlMs ?? 24 * 3600_000;
    let prunedAt = 0;
    this.sweep = new Loop(
      'reservation-expiry',
      async (fence) => {
        await this.reservations.expire(500, fence);
        // Idempotency-Keys older than their retention are forgotten, every ten minutes at most.
        const at = now().getTime();
        if (at - prunedAt >= 600_000) {
          prunedAt = at;
          await store.log.pruneIdempotency(new Date(at - keepKeysMs).toISOString());
        }
        return 0;
      },
      onError,
      singleton(
        'reservation-expiry',
        async () => (await store.inventory.expiredReservations(now().toISOString(), 1)).length > 0,
      ),
    );
  }

  /** Positions changed elsewhere (the order processor): publish. */
  changed(): void {
    void this.publish.wake();
  }

  /** Tells the engine which types were just ingested (wakes the fact applier for inventory facts). */
  ingested(types: Iterable<string>): void {
    for (const type of types) {
      if (this.factTypes.has(type)) {
        void this.facts.wake();
        return;
      }
    }
  }

  /** Applies a rejected inventory fact again (operator retry); 409 when it is still refused. */
  async reapply(eventSeq: number): Promise<void> {
    await this.applier.reapply(eventSeq);
    void this.publish.wake();
  }

  /** Starts the loops (and runs them once: facts logged and holds expired while the hub was down). */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      void this.facts.wake();
      void this.sweep.wake();
      void this.publish.wake();
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Runs every loop until there is nothing left to do (tests, shutdown). */
  async settle(): Promise<void> {
    await this.facts.settle();
    await this.sweep.settle();
    await this.publish.settle();
    await this.publish.idle();
  }

  /** Stops the timer, lets the passes under way end, and gives the loops' leases up. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([this.facts.stop(), this.sweep.stop(), this.publish.stop()]);
  }
}
