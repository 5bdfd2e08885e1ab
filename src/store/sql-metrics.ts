/**
 * The one-minute rollups on SQL (`metric_minutes`, migration 0015), shared by both adapters through their
 * `StepRunner` like `sql-ops.ts`. Writes add to a process's row with an upsert; reads sum over processes.
 */
import { LATENCY_BUCKET_COUNT } from '../domain/metrics/latency-histogram.js';
import type { MetricsStore, MinuteRange, MinuteRollup } from './metrics-port.js';
import type { SqlStep, StepRunner } from './sql-step.js';

const COUNTS = ['ingested', 'duplicates', 'rejected', 'delivered', 'attempts', 'failed'] as const;
const BUCKETS = Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) => `l${String(i).padStart(2, '0')}`);
const ADDED = [...COUNTS, ...BUCKETS];

const UPSERT = `INSERT INTO metric_minutes (minute, subscription, process, ${ADDED.join(', ')}, backlog)
  VALUES (?, ?, ?, ${ADDED.map(() => '?').join(', ')}, ?)
  ON CONFLICT (minute, subscription, process) DO UPDATE SET
  ${ADDED.map((c) => `${c} = metric_minutes.${c} + excluded.${c}`).join(', ')},
  backlog = COALESCE(excluded.backlog, metric_minutes.backlog)`;

const SELECT = `SELECT minute, subscription, ${ADDED.map((c) => `SUM(${c}) AS ${c}`).join(', ')},
  MAX(backlog) AS backlog FROM metric_minutes`;

type Row = Record<string, string | number | null>;

export class SqlMetrics implements MetricsStore {
  constructor(private readonly runner: StepRunner) {}

  async addMinutes(process: string, rows: MinuteRollup[], pruneBefore?: string): Promise<void> {
    const steps: SqlStep[] = rows.map((r) => ({
      sql: UPSERT,
      params: [
        r.minute,
        r.subscription,
        process,
        ...COUNTS.map((c) => r[c]),
        ...BUCKETS.map((_, i) => r.latency[i] ?? 0),
        r.backlog ?? null,
      ],
      mode: 'run',
    }));
    if (pruneBefore !== undefined) {
      steps.push({ sql: 'DELETE FROM metric_minutes WHERE minute < ?', params: [pruneBefore], mode: 'run' });
    }
    if (steps.length > 0) await this.runner.write(steps);
  }

  async minutes(range: MinuteRange): Promise<MinuteRollup[]> {
    const params: unknown[] = [range.from, range.until];
    let where = 'WHERE minute >= ? AND minute < ?';
    if (range.subscription !== undefined) {
      where += ' AND subscription = ?';
      params.push(range.subscription);
    }
    const rows = await this.runner.read<Row>(
      `${SELECT} ${where} GROUP BY minute, subscription ORDER BY minute, subscription`,
      params,
    );
    return rows.map((r) => ({
      minute: String(r.minute),
      subscription: String(r.subscription),
      ingested: Number(r.ingested),
      duplicates: Number(r.duplicates),
      rejected: Number(r.rejected),
      delivered: Number(r.delivered),
      attempts: Number(r.attempts),
      failed: Number(r.failed),
      ...(r.backlog === null || r.backlog === undefined ? {} : { backlog: Number(r.backlog) }),
      latency: BUCKETS.map((c) => Number(r[c])),
    }));
  }
}
