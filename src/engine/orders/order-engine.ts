/**
 * The order side of the hub: the order processor's loop (woken by ingest of order events, and on a timer)
 * and the service behind the order routes.
 */
import type { CompiledConfig } from '../../config/compiled-config.js';
import { validateOrder } from '../../connectors/http/order-validator.js';
import type { Store } from '../../store/store-port.js';
import { Loop } from '../background-loop.js';
import { IdempotencyKeys } from '../idempotency-keys.js';
import type { IngestService } from '../ingest-service.js';
import { FACT_TYPES } from '../inventory/fact-applier.js';
import { ProcessRegistry } from '../process-registry.js';
import { type Singletons, singletonLoop } from '../singleton-lease.js';
import { CancelAfterLoop } from './cancel-after.js';
import { ORDER_TYPES, OrderProcessor } from './order-processor.js';
import { OrderService } from './order-service.js';

export interface OrderEngineOptions {
  now?: () => Date;
  intervalMs?: number;
  onError?: (loop: string, error: unknown) => void;
  /** Told after the processor moved stock (wakes the availability publisher). */
  onStockChange?: () => void;
  /** The hub's Idempotency-Keys (default: owned by an unregistered incarnation of its own). */
  keys?: IdempotencyKeys;
  /** How often the `cancelAfter` check runs, ms (default 30 s). */
  cancelAfterIntervalMs?: number;
  /** Who holds the `cancelAfter` check's lease: the hub process's incarnation. */
  leaseOwner?: string;
  /**
   * Makes the order processor and the backorder fill singletons of the cluster, each under a lease held by
   * `owner`: several processes on one PostgreSQL store then process each event once, not in a race.
   */
  singletons?: Singletons;
}

export class OrderEngine {
  readonly processor: OrderProcessor;
  readonly service: OrderService;
  /** The timed `cancelAfter` check (a hub loop of its own, under a lease; started by the composition root). */
  readonly cancelAfter: CancelAfterLoop;
  private readonly loop: Loop;
  /** Backorders filled from arriving stock, behind the inventory fact applier. */
  private readonly fill: Loop;
  private readonly types = new Set(ORDER_TYPES);
  private readonly factTypes = new Set(FACT_TYPES);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    config: CompiledConfig,
    store: Store,
    ingest: IngestService,
    private readonly options: OrderEngineOptions = {},
  ) {
    const validate = config.orders.validate;
    this.processor = new OrderProcessor(
      config,
      store,
      ingest,
      validate ? (order) => validateOrder(validate.http, order) : undefined,
      options.now,
      options.onStockChange,
    );
    const keys = options.keys ?? new IdempotencyKeys(store, new ProcessRegistry(store), options.now);
    this.service = new OrderService(store, ingest, this.processor, keys, options.now);
    const singleton = (loop: string, pending: () => Promise<boolean>) =>
      singletonLoop(store, options.singletons, loop, pending);
    this.loop = new Loop(
      'orders',
      async () => {
        const n = await this.processor.step();
        // Oversold locations take back the newest commitments (cheap when nothing is oversold).
        if (n === 0) await this.processor.rebalance();
        return n;
      },
      options.onError ?? (() => undefined),
      singleton('orders', () => this.processor.pending()),
    );
    this.fill = new Loop(
      'backorder-fill',
      () => this.processor.fill.step(),
      options.onError ?? (() => undefined),
      singleton('backorder-fill', () => this.processor.fill.pending()),
    );
    this.cancelAfter = new CancelAfterLoop(store, this.processor.cancelAfter, {
      ...(options.cancelAfterIntervalMs === undefined ? {} : { intervalMs: options.cancelAfterIntervalMs }),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.onError === undefined ? {} : { onError: options.onError }),
      ...(options.leaseOwner === undefined ? {} : { leaseOwner: options.leaseOwner }),
    });
  }

  /** Wakes the processor when order events were ingested. */
  ingested(types: Iterable<string>): void {
    let orders = false;
    let facts = false;
    for (const type of types) {
      orders ||= this.types.has(type);
      facts ||= this.factTypes.has(type);
    }
    if (orders) void this.loop.wake();
    // The fill follows the fact applier (woken again by `factsApplied`, and by the timer).
    if (facts) void this.fill.wake();
  }

  /** The inventory fact applier applied facts: backorders may be filled from them now. */
  factsApplied(): void {
    void this.fill.wake();
  }

  start(): void {
    if (this.timer) return;
    void this.loop.wake();
    void this.fill.wake();
    this.timer = setInterval(() => {
      void this.loop.wake();
      void this.fill.wake();
    }, this.options.intervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Processes everything logged so far (tests): order events, then backorder fills. */
  async settle(): Promise<void> {
    await this.loop.settle();
    await this.processor.waitingSettled();
    await this.fill.settle();
  }

  /** Stops the timer, lets the passes under way end, and gives the loops' leases up. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.loop.stop();
    await this.processor.waitingSettled();
    await this.fill.stop();
  }
}
