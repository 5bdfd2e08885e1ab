/** The hub's HTTP app in-process, on a throw-away store, for `inject()` tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import type { CompiledConfig } from '../../src/config/compiled-config.js';
import { compileConfig } from '../../src/config/load-config.js';
import type { DeliveryEngine, DeliveryEngineOptions } from '../../src/engine/delivery/delivery-engine.js';
import type { InventoryEngine } from '../../src/engine/inventory/inventory-engine.js';
import type { OrderEngine } from '../../src/engine/orders/order-engine.js';
import { composeHub, type Hub } from '../../src/main/compose.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store-port.js';
import { testConfigYaml } from './test-config.js';

export interface TestApp {
  app: FastifyInstance;
  /** The delivery engine, when asked for. */
  engine?: DeliveryEngine;
  store: Store;
  config: CompiledConfig;
  /** Reservations, reconciliation and the inventory loops (not started: call `settle()`). */
  inventory: InventoryEngine;
  /** The order processor and service (the loop is woken by ingest; `settle()` waits for it). */
  orders: OrderEngine;
  /**
   * Everything the hub is composed of, by the same composition root as `manifold serve` (the process
   * registry, the sources, the alerts: not started).
   */
  context: Hub;
  close(): Promise<void>;
}

/** Builds the app on a fresh SQLite file; `close()` removes it. */
export async function buildTestApp(
  options: {
    bodyLimit?: string;
    yaml?: string;
    delivery?: DeliveryEngineOptions;
    /** The alert engine's clock (alerts, service levels). */
    now?: () => Date;
  } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-api-'));
  const config = compileConfig(options.yaml ?? testConfigYaml(options), 'test.yaml', {});
  const store = new SqliteStore({ path: join(dir, 'hub.db') });
  await store.migrate();
  const logger = pino({ level: 'silent' });
  const context = composeHub(config, store, {
    logger,
    delivery: options.delivery ?? false,
    ...(options.now ? { now: options.now } : {}),
  });
  const { app } = await buildApp({ services: context, logger });
  // What the connector kinds prepare (the EDI partners' item seeds), as the hub's `connectors` loop does at start.
  await context.loops.find((loop) => loop.name === 'connectors')?.start();
  // Only delivery runs on its own; the other loops are driven by the tests (`settle()`, `evaluate()`).
  context.delivery?.start();
  return {
    app,
    store,
    config,
    inventory: context.inventory,
    orders: context.orders,
    context,
    ...(context.delivery ? { engine: context.delivery } : {}),
    close: async () => {
      await app.close();
      await context.stop(2000);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POSTs to an in-process hub with a system's key; objects are sent as JSON (a CloudEvent by default). */
export function postAs(
  app: FastifyInstance,
  url: string,
  key: string,
  payload: unknown,
  contentType = 'application/cloudevents+json',
) {
  return app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}
