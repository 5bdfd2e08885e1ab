/**
 * The operations store on SQL (`alert_state`, `leases`, migration 0007), shared by both adapters through
 * their `StepRunner` like `sql-edi.ts`.
 */
import type { AlertInstance } from '../domain/alerts/alert-state.js';
import type { OpsStore, StoredAlert } from './ops-port.js';
import type { StepRunner } from './sql-inventory.js';

export class SqlOps implements OpsStore {
  constructor(private readonly runner: StepRunner) {}

  async tryLease(name: string, owner: string, now: string, ttlMs: number): Promise<boolean> {
    const until = new Date(Date.parse(now) + ttlMs).toISOString();
    const [, row] = await this.runner.write([
      {
        // Taken when free, renewed by its owner, taken over once expired; otherwise left alone.
        sql: `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
              ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
              WHERE leases.owner = excluded.owner OR leases.expires_at < ?`,
        params: [name, owner, until, now],
        mode: 'run',
      },
      { sql: 'SELECT owner FROM leases WHERE name = ?', params: [name], mode: 'get' },
    ]);
    return (row as { owner?: string } | undefined)?.owner === owner;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.runner.write([
      { sql: 'DELETE FROM leases WHERE name = ? AND owner = ?', params: [name, owner], mode: 'run' },
    ]);
  }

  async alertStates(): Promise<StoredAlert[]> {
    const rows = await this.runner.read<{ key: string; state: string; updated_at: string }>(
      'SELECT key, state, updated_at FROM alert_state ORDER BY key',
      [],
    );
    return rows.map((r) => ({
      key: r.key,
      alert: JSON.parse(r.state) as AlertInstance,
      updatedAt: String(r.updated_at),
    }));
  }

  async saveAlertStates(alerts: StoredAlert[], at: string): Promise<void> {
    if (alerts.length === 0) return;
    await this.runner.write(
      alerts.map(({ key, alert }) => ({
        sql: `INSERT INTO alert_state (key, state, updated_at) VALUES (?, ?, ?)
              ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
        params: [key, JSON.stringify(alert), at],
        mode: 'run' as const,
      })),
    );
  }
}
