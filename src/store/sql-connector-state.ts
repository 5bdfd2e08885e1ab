/**
 * Connector state on SQL (`connector_state`, migration 0011), shared by both adapters through their
 * `StepRunner` like `sql-edi.ts`.
 */
import type { ConnectorStateStore } from './connector-state-port.js';
import type { StepRunner } from './sql-step.js';

export class SqlConnectorState implements ConnectorStateStore {
  constructor(private readonly runner: StepRunner) {}

  async get(connector: string, key: string): Promise<unknown> {
    const [row] = await this.runner.read<{ value: string }>(
      'SELECT value FROM connector_state WHERE connector = ? AND key = ?',
      [connector, key],
    );
    return row === undefined ? undefined : JSON.parse(row.value);
  }

  async put(connector: string, key: string, value: unknown, at: string): Promise<void> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`connector state '${key}' of ${connector}: not a JSON value`);
    await this.runner.write([
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
