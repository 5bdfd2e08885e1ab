/**
 * The order side of the hub: the order processor's loop (woken by ingest of order events, and on a timer)
 * and the service behind the order routes.
 */
import type { CompiledConfig } from '../../config/compiled-config.js';
import { validateOrder } from '../../connectors/http/order-validator.js';
import type { Store } from '../../store/store-port.js';
import { IdempotencyKeys } from '../idempotency-keys.js';
import type { IngestService } from '../ingest-service.js';
import { Loop } from '../inventory/inventory-engine.js';
import { ProcessRegistry } from '../process-registry.js';
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
}

export class OrderEngine {
  readonly processor: OrderProcessor;
  readonly service: OrderService;
  private readonly loop: Loop;
  private readonly types = new Set(ORDER_TYPES);
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
    this.loop = new Loop(
      'orders',
      async () => {
        const n = await this.processor.step();
        // Oversold locations take back the newest commitments (cheap when nothing is oversold).
        if (n === 0) await this.processor.rebalance();
        return n;
      },
      options.onError ?? (() => undefined),
    );
  }

  /** Wakes the processor when order events were ingested. */
  ingested(types: Iterable<string>): void {
    for (const type of types) {
      if (this.types.has(type)) {
        void this.loop.wake();
        return;
      }
    }
  }

  start(): void {
    if (this.timer) return;
    void this.loop.wake();
    this.timer = setInterval(() => void this.loop.wake(), this.options.intervalMs ?? 1_000);
    this.timer.unref();
  }

  /** Processes everything logged so far (tests). */
  async settle(): Promise<void> {
    await this.loop.wake();
    await this.processor.waitingSettled();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.loop.idle();
    await this.processor.waitingSettled();
  }
}
