/**
 * `manifold serve`: opens the store (migrating it), composes the hub's services (compose.ts), builds the
 * API over them, starts the loops, listens, and shuts down gracefully:
 * on SIGTERM/SIGINT it stops taking requests, lets in-flight ones finish (bounded), flushes the store
 * and exits. A hard kill needs nothing: every acknowledged write is already on disk.
 */
import pino, { type Logger } from 'pino';
import { buildApp, type HubApp } from '../api/app.js';
import type { CompiledConfig } from '../config/compiled-config.js';
import { tracingFor } from '../engine/observability/tracing.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store-port.js';
import { composeHub, type Hub } from './compose.js';

export interface RunningHub {
  url: string;
  /** The hub's services and loops. */
  services: Hub;
  /** The HTTP app over them. */
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
  // What loads but is probably not what was meant (docs/operations.md#configuration-warnings-and-errors).
  for (const warning of config.warnings ?? []) {
    const { file, line, column, path, message } = warning;
    logger.warn({ file, line, column, path }, `configuration: ${message}`);
  }
  const store = await openStore(config.store);
  // One process at a time runs each log follower (the others would only race it for the same batches).
  const services = composeHub(config, store, { logger, singletons: true });
  const hub = await buildApp({ services, logger });
  // The process registers before the first request, so that every Idempotency-Key it claims names a
  // live incarnation; then delivery and the loops start.
  await services.start();
  const url = await hub.app.listen({ host: config.server.host, port: config.server.port });
  // An earlier incarnation of this hub (same host, same address) is dead: its keys in flight are freed.
  const replaced = await services.processes.listening(new URL(url).host).catch((error: unknown) => {
    // Not fatal: the earlier incarnation is then taken for dead once its heartbeat expires.
    logger.warn({ err: error }, 'could not record the listening address in the process registry');
    return [];
  });
  logger.info(
    { url, store: store.kind, config: config.file, incarnation: services.processes.incarnation, replaced },
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
      // Loops stop in the reverse order they started; deliveries in flight finish and are recorded
      // (at most graceMs), anything cut off is sent again after restart.
      await services.stop(graceMs);
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
  return { url, services, hub, store, logger, stop };
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
