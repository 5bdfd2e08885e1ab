/**
 * Connector state on SQL (`connector_state`, migration 0011), shared by both adapters through their
 * `StepRunner` like `sql-edi.ts`.
 */
import { ConditionNotMet } from './condition-not-met.js';
import type { ConnectorStateStore } from './connector-state-port.js';
import { fencedWrite, type LeaseFence } from './lease-fence.js';
import { planAppend } from './sql-append.js';
import type { StepRunner } from './sql-step.js';
import type { AppendOutcome, NewEvent } from './store-port.js';

/** Tries of `commit` when another writer logs one of its events between its read and its write. */
const COMMIT_TRIES = 5;

export class SqlConnectorState implements ConnectorStateStore {
  constructor(private readonly runner: StepRunner) {}

  async get(connector: string, key: string): Promise<unknown> {
    const [row] = await this.runner.read<{ value: string }>(
      'SELECT value FROM connector_state WHERE connector = ? AND key = ?',
      [connector, key],
    );
    return row === undefined ? undefined : JSON.parse(row.value);
  }

  async commit(
    connector: string,
    events: NewEvent[],
    state: Record<string, unknown>,
    at: string,
    fence?: LeaseFence,
  ): Promise<AppendOutcome[]> {
    const values = Object.entries(state).map(([key, value]) => {
      const text = JSON.stringify(value);
      if (text === undefined)
        throw new TypeError(`connector state '${key}' of ${connector}: not a JSON value`);
      return [key, text] as const;
    });
    for (let attempt = 1; ; attempt++) {
      // The events already logged are duplicates; the others are inserted so that one another writer logs
      // in between fails the transaction (nothing written), and the log is read again.
      const append = await planAppend(this.runner, events, at);
      const steps = [...append.steps];
      for (const [key, text] of values) {
        steps.push({
          sql: `INSERT INTO connector_state (connector, key, value, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          params: [connector, key, text, at],
          mode: 'run',
        });
      }
      if (steps.length === 0) return append.outcomes([]);
      let results: unknown[];
      try {
        results = await fencedWrite(this.runner, fence, steps, { appendsToLog: append.appendsToLog });
      } catch (error) {
        if (error instanceof ConditionNotMet && attempt < COMMIT_TRIES) continue;
        throw error;
      }
      return append.outcomes(results);
    }
  }

  async put(connector: string, key: string, value: unknown, at: string, fence?: LeaseFence): Promise<void> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`connector state '${key}' of ${connector}: not a JSON value`);
    await fencedWrite(this.runner, fence, [
      {
        sql: `INSERT INTO connector_state (connector, key, value, updated_at) VALUES (?, ?, ?, ?)
              ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        params: [connector, key, text, at],
        mode: 'run',
      },
    ]);
  }

  async delete(connector: string, key: string): Promise<void> {
    await this.runner.write([
      {
        sql: 'DELETE FROM connector_state WHERE connector = ? AND key = ?',
        params: [connector, key],
        mode: 'run',
      },
    ]);
  }

  async list(connector: string): Promise<{ key: string; value: unknown; updatedAt: string }[]> {
    const rows = await this.runner.read<{ key: string; value: string; updated_at: string }>(
      'SELECT key, value, updated_at FROM connector_state WHERE connector = ? ORDER BY key',
      [connector],
    );
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value), updatedAt: String(r.updated_at) }));
  }
}
