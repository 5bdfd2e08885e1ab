/**
 * What the hub gives a connector kind (`ConnectorContext`, src/connectors/connector-port.ts), built the
 * same way for the delivery engine (outbound roles) and the inbound service (inbound roles and sources):
 * the store (each kind narrows it to its own interface), durable per-instance state in `connector_state`,
 * resources shared by the kinds of one engine, and the EDI document counter.
 */
import type { CompiledConfig } from '../config/compiled-config.js';
import type { ConnectorContext, SharedResource } from '../connectors/connector-port.js';
import type { Store } from '../store/store-port.js';
import type { Telemetry } from './observability/telemetry.js';

/** Builds the context; `shared` holds the resources opened through it (the owner closes them). */
export function connectorContext(
  config: CompiledConfig,
  store: Store,
  now: () => Date,
  shared: Map<string, SharedResource>,
  telemetry?: Telemetry,
): ConnectorContext {
  return {
    config,
    stores: store,
    now,
    state: (instance) => ({
      get: async <T>(key: string) => (await store.connectorState.get(instance, key)) as T | undefined,
      put: (key, value) => store.connectorState.put(instance, key, value, now().toISOString()),
      delete: (key) => store.connectorState.delete(instance, key),
    }),
    shared: <T extends SharedResource>(name: string, open: () => T): T => {
      let resource = shared.get(name) as T | undefined;
      if (resource === undefined) {
        resource = open();
        shared.set(name, resource);
      }
      return resource;
    },
    ...(telemetry ? { metrics: { document: (labels) => telemetry.edi.inc(labels) } } : {}),
  };
}
