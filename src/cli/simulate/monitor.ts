/**
 * Watches the hub every 500 ms through `GET /v1/backlog?since=<the run's start>`: the backlog of every
 * subscription made of the run's own rows only (for the largest backlog, the drain after an outage and
 * whether the run drained), the age of each one's oldest pending row and the targets' circuits. What was
 * waiting before the run started is left out. `GET /metrics` gives the counters whose growth the report
 * shows (duplicates suppressed, the delivery latency histogram); those are the hub's, every delivery.
 */
import { type HubClient, type MetricSample, parseMetrics } from './hub-client.js';
import type { OutageFigures } from './report.js';

/** One scrape: milliseconds into the run and the backlog per subscription. */
export interface BacklogSample {
  atMs: number;
  backlog: Map<string, number>;
  /** Age of the oldest pending row of the run, per subscription with a backlog (seconds). */
  oldestSeconds: Map<string, number>;
  /** Targets whose circuit is not closed, and its state. */
  circuits: Map<string, string>;
}

/** Counters read at the start and at the end of a run. */
export interface CounterSnapshot {
  duplicates: number | null;
  /** le → cumulative count of `manifold_delivery_latency_seconds`, summed over subscriptions. */
  latencyBuckets: Map<number, number>;
}

export class HubMonitor {
  readonly samples: BacklogSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<unknown> | undefined;

  /** The last read failed (no sample taken): the run's backlog is unknown. */
  unreadable: string | undefined;

  constructor(
    private readonly hub: HubClient,
    private readonly elapsedMs: () => number,
    /** The run's start, by the hub's clock: rows created before it are not the run's. */
    private readonly since: string,
    private readonly adminKey: string,
    private readonly intervalMs = 500,
  ) {}

  /** Reads the counters now (null figures when the hub has no such metric). */
  async counters(): Promise<CounterSnapshot> {
    const text = await this.hub.metrics();
    return countersOf(text === undefined ? [] : parseMetrics(text), text !== undefined);
  }

  start(): void {
    const tick = () => {
      this.polling = this.poll().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  /** The latest sample's total backlog of the run (undefined before the first, or when the last read failed). */
  latestTotal(): number | undefined {
    const last = this.samples.at(-1);
    return last === undefined || this.unreadable !== undefined ? undefined : sum(last.backlog, undefined);
  }

  /** Reads the run's backlog now and keeps it as a sample. */
  async poll(): Promise<BacklogSample | undefined> {
    const answer = await this.hub.request(
      'GET',
      `/v1/backlog?since=${encodeURIComponent(this.since)}`,
      this.adminKey,
    );
    if (answer.status !== 200) {
      this.unreadable = answer.error ?? `GET /v1/backlog answered ${answer.status}`;
      return undefined;
    }
    this.unreadable = undefined;
    const sample = backlogSample(this.elapsedMs(), answer.body as BacklogAnswer);
    this.samples.push(sample);
    return sample;
  }

  /** The largest total backlog and, per subscription, the largest backlog seen. */
  largest(): {
    largest: number | null;
    largestAtMs: number | null;
    perSubscription: Record<string, number>;
    atEnd: Record<string, number>;
  } {
    let largest: number | null = null;
    let largestAtMs: number | null = null;
    const perSubscription: Record<string, number> = {};
    for (const sample of this.samples) {
      const total = sum(sample.backlog, undefined);
      if (largest === null || total > largest) {
        largest = total;
        largestAtMs = sample.atMs;
      }
      for (const [name, value] of sample.backlog)
        perSubscription[name] = Math.max(perSubscription[name] ?? 0, value);
    }
    const last = this.samples.at(-1)?.backlog ?? new Map<string, number>();
    const atEnd = Object.fromEntries([...last].filter(([, value]) => value > 0));
    return { largest, largestAtMs, perSubscription, atEnd };
  }

  /**
   * The drain after an outage of `subscriptions` that ended at `toMs`: from then until their backlog is
   * back to the most it held in the 5 s before the outage began (its healthy level under the same load).
   */
  drain(
    subscriptions: readonly string[],
    fromMs: number,
    toMs: number,
  ): Pick<OutageFigures, 'backlogAtRecovery' | 'drainMs'> {
    const of = (sample: BacklogSample) => sum(sample.backlog, subscriptions);
    const before = this.samples.filter((s) => s.atMs >= fromMs - 5000 && s.atMs < fromMs);
    const healthy = before.length === 0 ? 0 : Math.max(...before.map(of));
    const after = this.samples.filter((s) => s.atMs >= toMs);
    const first = after[0];
    const drained = after.find((s) => of(s) <= healthy);
    return {
      backlogAtRecovery: first === undefined ? null : of(first),
      drainMs: drained === undefined ? null : drained.atMs - toMs,
    };
  }
}

/** The answer of `GET /v1/backlog` (src/api/routes/backlog-routes.ts). */
export interface BacklogAnswer {
  subscriptions: { name: string; pending: number; oldestPendingSeconds: number }[];
  targets: { system: string; circuit: string }[];
}

export function backlogSample(atMs: number, body: BacklogAnswer): BacklogSample {
  const backlog = new Map<string, number>();
  const oldestSeconds = new Map<string, number>();
  for (const s of body.subscriptions ?? []) {
    backlog.set(s.name, s.pending);
    if (s.pending > 0) oldestSeconds.set(s.name, s.oldestPendingSeconds);
  }
  const circuits = new Map<string, string>();
  for (const t of body.targets ?? []) if (t.circuit !== 'closed') circuits.set(t.system, t.circuit);
  return { atMs, backlog, oldestSeconds, circuits };
}

/** The subscriptions of a sample with rows of the run still pending, most first. */
export function behindIn(
  sample: BacklogSample | undefined,
): { subscription: string; pending: number; oldestPendingSeconds: number }[] {
  if (sample === undefined) return [];
  return [...sample.backlog]
    .filter(([, pending]) => pending > 0)
    .map(([subscription, pending]) => ({
      subscription,
      pending,
      oldestPendingSeconds: Math.round(sample.oldestSeconds.get(subscription) ?? 0),
    }))
    .sort((a, b) => b.pending - a.pending || a.subscription.localeCompare(b.subscription));
}

function sum(backlog: Map<string, number>, only: readonly string[] | undefined): number {
  let total = 0;
  for (const [name, value] of backlog) if (only === undefined || only.includes(name)) total += value;
  return total;
}

function countersOf(samples: MetricSample[], present: boolean): CounterSnapshot {
  const duplicates = samples.filter((s) => s.name === 'manifold_ingest_duplicates_total');
  const latencyBuckets = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== 'manifold_delivery_latency_seconds_bucket' || s.labels.le === undefined) continue;
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    latencyBuckets.set(le, (latencyBuckets.get(le) ?? 0) + s.value);
  }
  return {
    // A labelled counter appears with its first increment: a page without it means none yet.
    duplicates: present ? duplicates.reduce((t, s) => t + s.value, 0) : null,
    latencyBuckets,
  };
}

/** The p-th percentile of the histogram's growth between two snapshots, as a bucket upper bound (ms). */
export function histogramPercentile(start: CounterSnapshot, end: CounterSnapshot, p: number): number | null {
  const bounds = [...end.latencyBuckets.keys()].sort((a, b) => a - b);
  const grown = bounds.map((le) => (end.latencyBuckets.get(le) ?? 0) - (start.latencyBuckets.get(le) ?? 0));
  const total = grown.at(-1) ?? 0;
  if (total <= 0) return null;
  const index = grown.findIndex((count) => count >= (p / 100) * total);
  const le = bounds[index];
  return le === undefined || !Number.isFinite(le) ? null : le * 1000;
}
