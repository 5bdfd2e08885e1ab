/**
 * The composition root: the one place that builds the hub's services and background loops.
 *
 * Everything the hub runs is made here, from a {@link CompiledConfig} and an open {@link Store}, and
 * handed to whoever needs it: ingest, the Idempotency-Keys, inventory, orders (and their cancelAfter
 * check), the connectors' inbound roles and sources (each kind's: a watched folder, a poller, an
 * acknowledgement deadline), the alerts, the delivery engine and the process registry. Nothing else constructs a service: the HTTP API (`src/api/`) only registers routes over
 * the services it is given, the engines never import the HTTP layer, and `serve.ts` (the `manifold serve`
 * process) and the in-process test app both call {@link composeHub}, so a test exercises the wiring
 * production runs.
 *
 * The services call one another through callbacks set up here (ingest wakes delivery, inventory and
 * orders; orders tell inventory that stock changed; alerts read the breakers), so no service imports
 * another's owner and no construction order has to be worked around.
 *
 * {@link Hub.start} starts the loops in order, {@link Hub.stop} stops them in the reverse order: the
 * process registry first and last (every Idempotency-Key claimed names a registered incarnation),
 * delivery before the loops that append to the log and after them when stopping (rows they append
 * are delivered; rows cut off by the stop are sent again after a restart). Why the hub is built this
 * way: docs/adr/0005-one-composition-root.md.
 */
import type { Logger } from 'pino';
import type { CompiledConfig } from '../config/compiled-config.js';
import { Cluster } from '../engine/cluster.js';
import {
  DeliveryEngine,
  type DeliveryEngineOptions,
  type TargetChange,
} from '../engine/delivery/delivery-engine.js';
import { IdempotencyKeys } from '../engine/idempotency-keys.js';
import { InboundService } from '../engine/inbound/inbound-service.js';
import { SourceLoops, type SourceLoopsOptions } from '../engine/inbound/source-loops.js';
import { IngestService } from '../engine/ingest-service.js';
import { InventoryEngine } from '../engine/inventory/inventory-engine.js';
import { AlertEngine } from '../engine/observability/alert-engine.js';
import { MinuteRollups } from '../engine/observability/minute-rollups.js';
import { Telemetry } from '../engine/observability/telemetry.js';
import { OrderEngine } from '../engine/orders/order-engine.js';
import { ProcessRegistry } from '../engine/process-registry.js';
import { RetentionLoop } from '../engine/retention/retention-loop.js';
import type { SingletonLeaseOptions } from '../engine/singleton-lease.js';
import type { Store } from '../store/store-port.js';

export interface ComposeOptions {
  logger: Logger;
  /** The hub's metrics; a fresh one when omitted. */
  telemetry?: Telemetry;
  /** This process in the store's process registry; a fresh one (registered by `start()`) when omitted. */
  processes?: ProcessRegistry;
  /**
   * The delivery engine: built by default (options given here override the hub's own), or left out with
   * `false` (tests of the API or of the loops that leave the outbox undelivered).
   */
  delivery?: DeliveryEngineOptions | false;
  /** Lease and back-off settings of the pollers (tests shorten them). */
  sources?: SourceLoopsOptions['scheduled'];
  /** The alert engine's clock (alerts and service levels; tests set the time). */
  now?: () => Date;
  /**
   * Runs the log followers (fact applier, availability publisher, reservation expiry, order processor,
   * backorder fill) as singletons of the cluster, each under a lease of this process's incarnation, with
   * these lease settings (`true`: the defaults). `manifold serve` does; in-process tests that build one hub
   * need not (without it every hub steps every follower, and the cursors' compare-and-set keeps each event
   * applied once). docs/scaling.md#one-follower-per-loop.
   */
  singletons?: boolean | SingletonLeaseOptions;
}

/** A background loop of the hub, started and stopped by {@link Hub}. */
export interface HubLoop {
  readonly name: string;
  start(): void | Promise<void>;
  stop(graceMs: number): Promise<void>;
}

/** The hub's services and background loops, built by {@link composeHub}. */
export interface Hub {
  readonly config: CompiledConfig;
  readonly store: Store;
  readonly logger: Logger;
  /** Metrics and the rolling per-subscription delivery figures. */
  readonly telemetry: Telemetry;
  /** This process in the store's process registry (its incarnation, the live processes). */
  readonly processes: ProcessRegistry;
  /** This process's one-minute rollups for the console's charts (written each minute and at stop). */
  readonly rollups: MinuteRollups;
  /** The hub processes on the store and the leases each holds (`GET /v1/cluster`). */
  readonly cluster: Cluster;
  /** One set of Idempotency-Keys for every route that takes one, owned by this process's incarnation. */
  readonly keys: IdempotencyKeys;
  readonly ingest: IngestService;
  /** Reservations, reconciliation and the inventory loops. */
  readonly inventory: InventoryEngine;
  /** The order processor and the order service. */
  readonly orders: OrderEngine;
  /** The connectors' inbound roles (X12 from trading partners) and what the hub gives them. */
  readonly inbound: InboundService;
  /** The connectors' sources (the watched `x12.inbox` folders, the pollers), pulled on timers. */
  readonly sources: SourceLoops;
  /** The alert rules' evaluation and state. */
  readonly alerts: AlertEngine;
  /** The pruning loop of `retention:` (under a lease: one process at a time). */
  readonly retention: RetentionLoop;
  /** The delivery engine (absent when composed with `delivery: false`). */
  readonly delivery?: DeliveryEngine;
  /** The background loops in the order `start()` starts them. */
  readonly loops: readonly HubLoop[];
  /** Tells the delivery engine a subscription has new work (all when the name is undefined). */
  wakeDelivery(subscription: string | undefined): void;
  /** Registers this process, then starts delivery and the loops, in the order of `loops`. */
  start(): Promise<void>;
  /**
   * Stops the loops in the reverse order; delivery lets requests in flight finish (at most `graceMs`).
   * The store stays open: whoever opened it closes it.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * How often a leased follower looks for events ingested by other processes on a PostgreSQL store, ms: the
 * most an order posted to another process waits for it on that account.
 */
const FOLLOWER_TICK_MS = 100;

/** Builds every service and background loop of the hub over an open store (nothing started). */
export function composeHub(config: CompiledConfig, store: Store, options: ComposeOptions): Hub {
  const { logger } = options;
  const telemetry = options.telemetry ?? new Telemetry();
  const onError = (loop: string, error: unknown) =>
    logger.error({ err: error, loop }, 'background loop failed; retried on the next tick');
  const processes =
    options.processes ??
    new ProcessRegistry(store, {
      onError: (loop, error) =>
        logger.error({ err: error, loop }, 'heartbeat failed; retried on the next tick'),
    });
  const cluster = new Cluster(store, processes);
  const delivery =
    options.delivery === false
      ? undefined
      : new DeliveryEngine(config, store, {
          ...deliveryOptions(store, logger, processes),
          telemetry,
          ...options.delivery,
        });
  const circuits = () =>
    (delivery?.targets() ?? []).map((t) => ({ system: t.system, state: t.circuit.state }));

  // Ingest tells the inventory fact applier and the order processor what it accepted; both are built
  // over ingest, so they join this list once they exist (nothing is ingested before `composeHub` returns).
  const acceptedListeners: ((types: Set<string>) => void)[] = [];
  const ingest = new IngestService(
    config,
    store,
    (subscriptions) => delivery?.wake(subscriptions),
    (types) => {
      for (const listener of acceptedListeners) listener(types);
    },
    telemetry,
  );
  const rollups = new MinuteRollups(store, {
    process: processes.incarnation,
    // Every subscription, so that a drained backlog is charted at 0, not as a gap.
    backlog: async () => {
      const stats = new Map((await store.delivery.deliveryBacklog()).map((s) => [s.subscription, s.pending]));
      return config.subscriptions.map((s) => ({ subscription: s.name, pending: stats.get(s.name) ?? 0 }));
    },
    onError: (error) => onError('metric-minutes', error),
  });
  telemetry.attachRollups(rollups);
  const keys = new IdempotencyKeys(store, processes);
  // Leased followers: only the holder steps, and events another process ingested do not wake it, so it
  // looks for them on a short timer when processes share a PostgreSQL store.
  const singletons = options.singletons
    ? {
        singletons: {
          owner: processes.incarnation,
          ...(options.singletons === true ? {} : options.singletons),
        },
        ...(store.kind === 'postgres' ? { intervalMs: FOLLOWER_TICK_MS } : {}),
      }
    : {};
  const inventoryEngine = new InventoryEngine(config, store, ingest, {
    onError,
    keys,
    idempotencyTtlMs: config.retention.idempotencyKeysMs ?? config.orders.idempotencyHours * 3600_000,
    // Stock that arrived may fill backorders (the order engine exists before any fact is applied).
    onFactsApplied: () => orderEngine.factsApplied(),
    ...singletons,
  });
  const orderEngine = new OrderEngine(config, store, ingest, {
    onError,
    keys,
    leaseOwner: processes.incarnation,
    onStockChange: () => inventoryEngine.changed(),
    ...singletons,
  });
  acceptedListeners.push(
    (types) => inventoryEngine.ingested(types),
    (types) => orderEngine.ingested(types),
  );
  // The connectors' inbound roles count the documents they receive (`manifold_edi_documents_total`).
  const inbound = new InboundService(config, store, ingest, keys, { telemetry });
  const sources = new SourceLoops(inbound, {
    onError,
    store,
    // The singleton loops hold their leases under this process's incarnation (GET /v1/cluster).
    leaseOwner: processes.incarnation,
    telemetry,
    // A poller whose system is down is no hub failure: it backs off, and shows in /readyz and the console.
    onSourceFailure: (source, error) =>
      logger.warn(
        { source, error: error instanceof Error ? error.message : String(error) },
        'poll failed; backing off (see /readyz)',
      ),
    ...(options.sources ? { scheduled: options.sources } : {}),
  });
  const retention = new RetentionLoop(store, config.retention, {
    onError,
    onPruned: (pruned, archives) => {
      for (const [kind, n] of Object.entries(pruned)) if (n > 0) telemetry.pruned.inc({ kind }, n);
      logger.info({ pruned, archives }, 'retention: pruned');
    },
  });
  const alerts = new AlertEngine(config, store, ingest, {
    onError,
    leaseOwner: processes.incarnation,
    ...(options.now ? { now: options.now } : {}),
    circuits,
    onTransition: (alert, transition) => {
      const fields = { alert: alert.rule, scope: alert.scope, severity: alert.severity, value: alert.value };
      if (transition === 'fired') logger.warn(fields, `alert firing: ${alert.summary}`);
      else logger.info(fields, `alert resolved: ${alert.summary}`);
    },
  });
  telemetry.attach({
    role: () => cluster.metricsRole(),
    backlog: () => store.delivery.deliveryBacklog(),
    openExceptions: () => store.delivery.openExceptionCounts(),
    circuits,
    targetLimits: () =>
      (delivery?.targets() ?? []).map((t) => ({
        system: t.system,
        limit: t.concurrency.limit,
        paused: t.concurrency.pausedUntil !== undefined,
      })),
    drift: () => store.inventory.latestDrift(),
    alerts: async () => {
      const { alerts: instances } = await alerts.list();
      return config.alerts.map((rule) => ({
        rule: rule.name,
        firing: instances.some((a) => a.rule === rule.name && a.status === 'firing'),
      }));
    },
  });

  const loops: HubLoop[] = [
    // Registered before the first request, so that every Idempotency-Key claimed names a live
    // incarnation; delivery reads the live processes from it to split the targets' limits.
    { name: 'processes', start: () => processes.start(), stop: () => processes.stop() },
    // Stopped after the loops that count (delivery, ingest's loops): its last write has their last minute.
    {
      name: 'metric-minutes',
      start: async () => rollups.start(),
      stop: () => rollups.stop(),
    },
    // What each connector kind prepares before anything maps (the X12 partners' item seeds).
    {
      name: 'connectors',
      start: () => inbound.prepare(),
      stop: async () => undefined,
    },
    ...(delivery
      ? [
          {
            name: 'delivery',
            start: () => delivery.start(),
            stop: (graceMs: number) => delivery.stop(graceMs),
          },
        ]
      : []),
    { name: 'inventory', start: () => inventoryEngine.start(), stop: () => inventoryEngine.stop() },
    { name: 'orders', start: () => orderEngine.start(), stop: () => orderEngine.stop() },
    // Under a lease: one process cancels what is open on orders past their cancelAfter.
    {
      name: 'order-cancel-after',
      start: () => orderEngine.cancelAfter.start(),
      stop: () => orderEngine.cancelAfter.stop(),
    },
    // Under a lease: one process prunes what is past its retention period.
    { name: 'retention', start: () => retention.start(), stop: () => retention.stop() },
    { name: 'sources', start: () => sources.start(), stop: () => sources.stop() },
    { name: 'alerts', start: () => alerts.start(), stop: () => alerts.stop() },
  ];

  return {
    config,
    store,
    logger,
    telemetry,
    processes,
    rollups,
    cluster,
    keys,
    ingest,
    inventory: inventoryEngine,
    orders: orderEngine,
    inbound,
    sources,
    alerts,
    retention,
    ...(delivery ? { delivery } : {}),
    loops,
    wakeDelivery: (subscription) => delivery?.wake(subscription === undefined ? undefined : [subscription]),
    start: async () => {
      for (const loop of loops) await loop.start();
    },
    stop: async (graceMs = 10_000) => {
      for (const loop of [...loops].reverse()) await loop.stop(graceMs);
    },
  };
}

/** The delivery engine's logging, and its share of the targets' limits when processes share the store. */
function deliveryOptions(store: Store, logger: Logger, processes: ProcessRegistry): DeliveryEngineOptions {
  return {
    // Several processes share a PostgreSQL store: each takes its share of the targets' limits, and their
    // breakers open and close together. SQLite serves one process, which has the whole limit.
    ...(store.kind === 'postgres'
      ? {
          processes,
          onSyncError: (error: unknown) =>
            logger.error({ err: error }, 'reading the shares of delivery limits failed; retried in 1 s'),
        }
      : {}),
    onError: (subscription, error) =>
      logger.error({ err: error, subscription: subscription.name }, 'delivery error'),
    onAttempt: (subscription, claims, response) => {
      if (response.outcome === 'delivered') return;
      logger.warn(
        {
          subscription: subscription.name,
          target: subscription.target,
          events: claims.map((c) => c.event.id),
          correlationids: claims.map((c) => c.event.correlationid).filter(Boolean),
          outcome: response.outcome,
          status: response.status,
          error: response.error,
        },
        'delivery attempt failed',
      );
    },
    onTargetChange: logTargetChange(logger),
  };
}

/**
 * Log lines of a target's changes (docs/delivery.md#6-protecting-targets): a breaker opening is a `warn`
 * (`target`, `state`, `retryAt`, …), its closing and a move of the adaptive concurrency limit (`target`,
 * `limit`, `previous`, `maxLimit`, `reason`) are `info`.
 */
export function logTargetChange(logger: Pick<Logger, 'info' | 'warn'>): (change: TargetChange) => void {
  return (change) => {
    if ('state' in change) {
      if (change.state === 'open') logger.warn(change, 'circuit opened: delivery to the target paused');
      else logger.info(change, 'circuit closed: delivery to the target resumed');
    } else logger.info(change, 'adaptive concurrency limit changed');
  };
}
