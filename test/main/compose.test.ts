/**
 * The composition root on every store adapter (`STORES=` narrows): `composeHub` builds every service
 * and loop over an open store, `start()` registers the process and starts the loops in order, `stop()`
 * stops them in reverse and deregisters it; ingest reaches delivery and the inventory loop through the
 * wiring made there. And the layering it exists for: the engines never import the HTTP layer, and the API
 * constructs none of the engine's services.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import { PROCESS_TTL_MS } from '../../src/engine/process-registry.js';
import { composeHub, type Hub } from '../../src/main/compose.js';
import type { Store } from '../../src/store/store-port.js';
import { type Sink, startSink } from '../support/sink.js';
import { describeEachStore, openTestStore, type StoreKind, type TestStore } from '../support/stores.js';
import { adjustedEvent, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

const logger = pino({ level: 'silent' });

function conformance(kind: StoreKind) {
  let t: TestStore;
  let store: Store;
  let sink: Sink;
  let hub: Hub | undefined;

  beforeEach(async () => {
    t = await openTestStore(kind);
    store = t.store;
    sink = await startSink();
  });
  afterEach(async () => {
    await hub?.stop(2000);
    hub = undefined;
    await sink.close();
    await t.cleanup();
  });

  const config = () =>
    compileConfig(
      testConfigYaml({
        subscriptions: `subscriptions:
  - name: erp-adjustments
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    http: { url: ${sink.url}/erp }`,
      }),
      'test.yaml',
      {},
    );
  const isLive = async (incarnation: string) =>
    (await store.processes.live(new Date().toISOString(), PROCESS_TTL_MS)).some(
      (p) => p.incarnation === incarnation,
    );

  it('starts the process registry, delivery and the loops in order, and stops them in reverse', async () => {
    hub = composeHub(config(), store, { logger });
    expect(hub.loops.map((loop) => loop.name)).toEqual([
      'processes',
      'metric-minutes',
      'connectors',
      'delivery',
      'inventory',
      'orders',
      'order-cancel-after',
      'retention',
      'sources',
      'alerts',
    ]);
    // Composing builds; it starts nothing.
    expect(await isLive(hub.processes.incarnation)).toBe(false);
    await hub.start();
    expect(await isLive(hub.processes.incarnation)).toBe(true);
    await hub.stop(2000);
    expect(await isLive(hub.processes.incarnation)).toBe(false);
    hub = undefined;
  });

  it('wires ingest to delivery and to the inventory loop', async () => {
    // Delivery polls once a minute here: the event arrives in time only because ingest woke it.
    hub = composeHub(config(), store, { logger, delivery: { pollMs: 60_000 } });
    await hub.start();
    const event = adjustedEvent({
      data: { sku: 'SKU-COMPOSE', location: 'DC-EAST', delta: 4, reason: 'correction' },
    });
    const [result] = await hub.ingest.ingest('wms-east', [event], false);
    expect(result?.status).toBe('accepted');
    const [received] = await sink.waitFor(1, 20_000);
    expect(received?.events.map((e) => e.id)).toEqual([event.id]);
    await until(
      async () => (await store.inventory.positions('SKU-COMPOSE'))[0]?.buckets.on_hand === 4,
      'the inventory loop to apply the adjustment',
      20_000,
    );
  }, 30_000);

  it('leaves delivery out when asked: no loop for it, and waking it does nothing', async () => {
    hub = composeHub(config(), store, { logger, delivery: false });
    expect(hub.delivery).toBeUndefined();
    expect(hub.loops.map((loop) => loop.name)).not.toContain('delivery');
    expect(() => hub?.wakeDelivery('erp-adjustments')).not.toThrow();
  });
}

await describeEachStore('composition root', (_, kind) => conformance(kind));

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(folder: string): string[] {
  return readdirSync(join(SRC, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(SRC, folder, file));
}

describe('layering of the composition root', () => {
  it('no engine file imports the HTTP layer', () => {
    const offenders = sources('engine').filter((file) =>
      /from '(\.\.\/)+api\//.test(readFileSync(file, 'utf8')),
    );
    expect(offenders.map((file) => relative(SRC, file))).toEqual([]);
  });

  it('no API file constructs a class it imports from the engine', () => {
    const offenders: string[] = [];
    for (const file of sources('api')) {
      const text = readFileSync(file, 'utf8');
      // Value imports from the engine (type-only imports cannot be constructed).
      for (const match of text.matchAll(/import \{([^}]*)\} from '(?:\.\.\/)+engine\/[^']+'/g)) {
        for (const name of (match[1] ?? '').split(',').map((n) => n.trim())) {
          if (name && !name.startsWith('type ') && new RegExp(`new ${name}\\b`).test(text)) {
            offenders.push(`${relative(SRC, file)}: new ${name}`);
          }
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
