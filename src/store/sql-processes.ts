/**
 * The process registry on SQL (`processes`, migration 0008), shared by both adapters through their
 * `StepRunner` like `sql-ops.ts`.
 */
import type { ProcessInfo, ProcessRecord, ProcessStore } from './process-port.js';
import type { StepRunner } from './sql-step.js';

type ProcessRow = Record<'incarnation' | 'host' | 'version' | 'started_at' | 'heartbeat_at', string> & {
  pid: number | string;
  address: string | null;
};

const toRecord = (row: ProcessRow): ProcessRecord => ({
  incarnation: row.incarnation,
  host: row.host,
  pid: Number(row.pid),
  version: row.version,
  ...(row.address === null ? {} : { address: row.address }),
  startedAt: String(row.started_at),
  heartbeatAt: String(row.heartbeat_at),
});

const since = (now: string, ttlMs: number) => new Date(Date.parse(now) - ttlMs).toISOString();

export class SqlProcesses implements ProcessStore {
  constructor(private readonly runner: StepRunner) {}

  async register(incarnation: string, info: ProcessInfo, at: string): Promise<void> {
    await this.runner.write([
      {
        sql: `INSERT INTO processes (incarnation, host, pid, address, version, started_at, heartbeat_at)
              VALUES (?, ?, ?, NULL, ?, ?, ?)
              ON CONFLICT (incarnation) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
        params: [incarnation, info.host, info.pid, info.version, at, at],
        mode: 'run',
      },
    ]);
  }

  async claimAddress(incarnation: string, host: string, address: string): Promise<string[]> {
    const [gone] = (await this.runner.write([
      {
        sql: 'DELETE FROM processes WHERE host = ? AND address = ? AND incarnation <> ? RETURNING incarnation',
        params: [host, address, incarnation],
        mode: 'all',
      },
      {
        sql: 'UPDATE processes SET address = ? WHERE incarnation = ?',
        params: [address, incarnation],
        mode: 'run',
      },
    ])) as [{ incarnation: string }[]];
    return gone.map((row) => row.incarnation);
  }

  async heartbeat(incarnation: string, at: string): Promise<boolean> {
    const [result] = (await this.runner.write([
      {
        sql: 'UPDATE processes SET heartbeat_at = ? WHERE incarnation = ?',
        params: [at, incarnation],
        mode: 'run',
      },
    ])) as [{ changes: number }];
    return result.changes > 0;
  }

  async live(now: string, ttlMs: number): Promise<ProcessRecord[]> {
    const rows = await this.runner.read<ProcessRow>(
      'SELECT * FROM processes WHERE heartbeat_at >= ? ORDER BY started_at, incarnation',
      [since(now, ttlMs)],
    );
    return rows.map(toRecord);
  }

  async all(): Promise<ProcessRecord[]> {
    const rows = await this.runner.read<ProcessRow>(
      'SELECT * FROM processes ORDER BY started_at, incarnation',
      [],
    );
    return rows.map(toRecord);
  }

  async isAlive(incarnation: string, now: string, ttlMs: number): Promise<boolean> {
    const rows = await this.runner.read<{ incarnation: string }>(
      'SELECT incarnation FROM processes WHERE incarnation = ? AND heartbeat_at >= ?',
      [incarnation, since(now, ttlMs)],
    );
    return rows.length > 0;
  }

  async deregister(incarnation: string): Promise<void> {
    await this.runner.write([
      { sql: 'DELETE FROM processes WHERE incarnation = ?', params: [incarnation], mode: 'run' },
    ]);
  }

  async prune(before: string): Promise<number> {
    const [result] = (await this.runner.write([
      { sql: 'DELETE FROM processes WHERE heartbeat_at < ?', params: [before], mode: 'run' },
    ])) as [{ changes: number }];
    return result.changes;
  }
}
