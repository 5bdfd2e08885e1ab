/**
 * The operations store on SQL (`alert_state`, `leases`, migrations 0007 and 0018; `delivery_circuits`, 0010), shared by both adapters through
 * their `StepRunner` like `sql-edi.ts`.
 */
import type { AlertInstance } from '../domain/alerts/alert-state.js';
import { fencedWrite, type LeaseFence } from './lease-fence.js';
import type { OpsStore, StoredAlert, StoredCircuit, StoredLease } from './ops-port.js';
import type { StepRunner } from './sql-step.js';

export class SqlOps implements OpsStore {
  constructor(private readonly runner: StepRunner) {}

  async takeLease(name: string, owner: string, now: string, ttlMs: number): Promise<number | undefined> {
    const until = new Date(Date.parse(now) + ttlMs).toISOString();
    const [, row] = await this.runner.write([
      {
        // Taken when free (released: no owner, no expiry), renewed by its owner, taken over once expired;
        // otherwise left alone. Passing to another holder (or a new tenure after a release) raises the epoch.
        sql: `INSERT INTO leases (name, owner, expires_at, epoch) VALUES (?, ?, ?, 1)
              ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
                epoch = CASE WHEN leases.owner = excluded.owner THEN leases.epoch ELSE leases.epoch + 1 END
              WHERE leases.owner = excluded.owner OR leases.expires_at < ?`,
        params: [name, owner, until, now],
        mode: 'run',
      },
      { sql: 'SELECT owner, epoch FROM leases WHERE name = ?', params: [name], mode: 'get' },
    ]);
    const held = row as { owner?: string; epoch?: number | string } | undefined;
    return held?.owner === owner ? Number(held.epoch) : undefined;
  }

  async tryLease(name: string, owner: string, now: string, ttlMs: number): Promise<boolean> {
    return (await this.takeLease(name, owner, now, ttlMs)) !== undefined;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    // The row stays (its epoch goes on counting); '' is before every time, so anyone may take it at once.
    await this.runner.write([
      {
        sql: `UPDATE leases SET owner = '', expires_at = '' WHERE name = ? AND owner = ?`,
        params: [name, owner],
        mode: 'run',
      },
    ]);
  }

  async leases(): Promise<StoredLease[]> {
    const rows = await this.runner.read<
      Record<'name' | 'owner' | 'expires_at', string> & { epoch: number | string }
    >(`SELECT name, owner, expires_at, epoch FROM leases WHERE owner <> '' ORDER BY name`, []);
    return rows.map((r) => ({
      name: r.name,
      owner: r.owner,
      expiresAt: String(r.expires_at),
      epoch: Number(r.epoch),
    }));
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

  async saveAlertStates(alerts: StoredAlert[], at: string, fence?: LeaseFence): Promise<void> {
    if (alerts.length === 0) return;
    await fencedWrite(
      this.runner,
      fence,
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
