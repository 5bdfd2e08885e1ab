/**
 * The running hub: opens the store (migrating it), builds the API, listens, and shuts down gracefully:
 * on SIGTERM/SIGINT it stops taking requests, lets in-flight ones finish (bounded), flushes the store
 * and exits. A hard kill needs nothing: every acknowledged write is already on disk.
 */
import pino, { type Logger } from 'pino';
import { buildApp, type HubApp } from '../api/app.js';
import type { CompiledConfig } from '../config/compiled-config.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store-port.js';
import { DeliveryEngine } from './delivery/delivery-engine.js';
import { Telemetry } from './observability/telemetry.js';
import { tracingFor } from './observability/tracing.js';
import { ProcessRegistry } from './process-registry.js';

export interface RunningHub {
  url: string;
  hub: HubApp;
  store: Store;
  logger: Logger;
  /** Stops listening, waits for in-flight requests (at most `graceMs`), closes the store. */
  stop(graceMs?: number): Promise<void>;
}

/** Creates the process logger; level from `MANIFOLD_LOG_LEVEL` (default `info`). */
export function createLogger(): Logger {
  return pino(
    { level: process.env.MANIFOLD_LOG_LEVEL ?? 'info', base: { service: 'manifold' } },
    pino.destination({ sync: false }),
  );
}

/** Starts the hub on the configured host and port. */
export async function startHub(config: CompiledConfig, logger: Logger = createLogger()): Promise<RunningHub> {
  const store = await openStore(config.store);
  // Registered before the first request, so that every Idempotency-Key it claims names a live
  // incarnation; the loops built below may ask it how many hub processes are live.
  const processes = new ProcessRegistry(store, {
    onError: (loop, error) =>
      logger.error({ err: error, loop }, 'heartbeat failed; retried on the next tick'),
  });
  await processes.start();
  const telemetry = new Telemetry();
  const delivery = new DeliveryEngine(config, store, {
    telemetry,
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
  });
  const hub = await buildApp({ config, store, logger, delivery, telemetry, processes });
  delivery.start();
  hub.context.inventory.start();
  hub.context.orders.start();
  hub.context.ediEngine.start();
  hub.context.alerts.start();
  const url = await hub.app.listen({ host: config.server.host, port: config.server.port });
  // An earlier incarnation of this hub (same host, same address) is dead: its keys in flight are freed.
  const replaced = await processes.listening(new URL(url).host).catch((error: unknown) => {
    // Not fatal: the earlier incarnation is then taken for dead once its heartbeat expires.
    logger.warn({ err: error }, 'could not record the listening address in the process registry');
    return [];
  });
  logger.info(
    { url, store: store.kind, config: config.file, incarnation: processes.incarnation, replaced },
    'manifold hub listening',
  );
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 10_000): Promise<void> => {
    stopping ??= (async () => {
      hub.beginShutdown();
      const timer = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), graceMs).unref(),
      );
      const closed = await Promise.race([hub.app.close().then(() => 'closed' as const), timer]);
      if (closed === 'timeout') logger.warn({ graceMs }, 'in-flight requests did not finish in time');
      // Deliveries in flight finish and are recorded; anything cut off is sent again after restart.
      await hub.context.alerts.stop();
      await hub.context.ediEngine.stop();
      await hub.context.orders.stop();
      await hub.context.inventory.stop();
      await delivery.stop(graceMs);
      await processes.stop();
      await store.close();
      // The last spans (these deliveries, this shutdown's ingests) are exported before the process ends.
      await tracingFor(config)
        .shutdown()
        .catch((error: unknown) => logger.warn({ err: error }, 'could not export the last spans'));
      logger.info('manifold hub stopped');
      logger.flush();
    })();
    return stopping;
  };
  return { url, hub, store, logger, stop };
}

/** Wires SIGTERM and SIGINT to a graceful stop, then exits. */
export function stopOnSignals(running: RunningHub): void {
  const onSignal = (signal: NodeJS.Signals) => {
    running.logger.info({ signal }, 'shutting down');
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        running.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
