/**
 * Durable state of connector instances (`connector_state`, migration 0011): per instance (a subscription
 * name, `<kind>:<partner>` for a watched folder, a poller's name), keys the connector chooses, each a JSON
 * value. Connectors reach it through `ConnectorState` (src/connectors/connector-port.ts), scoped to their
 * own instance.
 */
export interface ConnectorStateStore {
  /** The value of `key` for `connector`, or undefined. */
  get(connector: string, key: string): Promise<unknown>;
  /** Sets (or replaces) `key`; `at` is the UTC ISO time of the change. */
  put(connector: string, key: string, value: unknown, at: string): Promise<void>;
  /** Removes `key` (nothing when absent). */
  delete(connector: string, key: string): Promise<void>;
  /** Every key of `connector`, ordered by key. */
  list(connector: string): Promise<{ key: string; value: unknown; updatedAt: string }[]>;
}
