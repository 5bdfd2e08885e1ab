/**
 * Durable state of connector instances (`connector_state`, migration 0011): per instance (a subscription
 * name, `<kind>:<partner>` for a watched folder, a poller's name), keys the connector chooses, each a JSON
 * value. Connectors reach it through `ConnectorState` (src/connectors/connector-port.ts), scoped to their
 * own instance. `commit` is the one write that joins the log: a source's events and the state saying how
 * far it read (a poll cursor) in one transaction.
 */
import type { LeaseFence } from './lease-fence.js';
import type { AppendOutcome, NewEvent } from './store-port.js';

export interface ConnectorStateStore {
  /** The value of `key` for `connector`, or undefined. */
  get(connector: string, key: string): Promise<unknown>;
  /**
   * Sets (or replaces) `key`; `at` is the UTC ISO time of the change. With `fence` (a singleton's own
   * state), `LeaseLost` and nothing written when the lease has moved.
   */
  put(connector: string, key: string, value: unknown, at: string, fence?: LeaseFence): Promise<void>;
  /** Removes `key` (nothing when absent). */
  delete(connector: string, key: string): Promise<void>;
  /**
   * Appends `events` (with their outbox rows) and sets `state`'s keys of `connector` in one durable
   * transaction: both or neither. A `(source, id)` already in the log (or repeated in `events`) is a
   * duplicate, as for `Store.append`; the state is written all the same. `at` is the UTC ISO time.
   * `fence`: the lease the writer (a poller) holds, checked in the same transaction — `LeaseLost`, and
   * neither events nor state written, when another process has taken it (docs/durability.md#fencing).
   */
  commit(
    connector: string,
    events: NewEvent[],
    state: Record<string, unknown>,
    at: string,
    fence?: LeaseFence,
  ): Promise<AppendOutcome[]>;
  /** Every key of `connector`, ordered by key. */
  list(connector: string): Promise<{ key: string; value: unknown; updatedAt: string }[]>;
}
