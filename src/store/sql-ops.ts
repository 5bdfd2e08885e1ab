/**
 * The operations store on SQL (`alert_state`, `leases`, migration 0007; `delivery_circuits`, 0010), shared by both adapters through
 * their `StepRunner` like `sql-edi.ts`.
 */
import type { AlertInstance } from '../domain/alerts/alert-state.js';
import type { OpsStore, StoredAlert, StoredCircuit, StoredLease } from './ops-port.js';
import type { StepRunner } from './sql-step.js';

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

  async leases(): Promise<StoredLease[]> {
    const rows = await this.runner.read<Record<'name' | 'owner' | 'expires_at', string>>(
      'SELECT name, owner, expires_at FROM leases ORDER BY name',
      [],
    );
    return rows.map((r) => ({ name: r.name, owner: r.owner, expiresAt: String(r.expires_at) }));
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

  async saveCircuit(circuit: StoredCircuit): Promise<number> {
    const [, row] = await this.runner.write([
      {
        sql: `INSERT INTO delivery_circuits (system, state, opened_at_ms, retry_at_ms, open_period_ms, version,
                updated_by, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)
              ON CONFLICT (system) DO UPDATE SET state = excluded.state, opened_at_ms = excluded.opened_at_ms,
                retry_at_ms = excluded.retry_at_ms, open_period_ms = excluded.open_period_ms,
                version = delivery_circuits.version + 1, updated_by = excluded.updated_by,
                updated_at = excluded.updated_at`,
        params: [
          circuit.system,
          circuit.state,
          circuit.openedAt ?? null,
          circuit.retryAt ?? null,
          circuit.openPeriodMs,
          circuit.updatedBy,
          circuit.updatedAt,
        ],
        mode: 'run',
      },
      {
        sql: 'SELECT version FROM delivery_circuits WHERE system = ?',
        params: [circuit.system],
        mode: 'get',
      },
    ]);
    return Number((row as { version: number | string }).version);
  }

  async circuits(): Promise<StoredCircuit[]> {
    type Row = Record<'opened_at_ms' | 'retry_at_ms', number | string | null> &
      Record<'open_period_ms' | 'version', number | string> &
      Record<'system' | 'state' | 'updated_by' | 'updated_at', string>;
    const rows = await this.runner.read<Row>('SELECT * FROM delivery_circuits ORDER BY system', []);
    return rows.map((r) => ({
      system: r.system,
      state: r.state === 'open' ? 'open' : 'closed',
      ...(r.opened_at_ms === null ? {} : { openedAt: Number(r.opened_at_ms) }),
      ...(r.retry_at_ms === null ? {} : { retryAt: Number(r.retry_at_ms) }),
      openPeriodMs: Number(r.open_period_ms),
      version: Number(r.version),
      updatedBy: r.updated_by,
      updatedAt: String(r.updated_at),
    }));
  }
}
