/**
 * The series the console charts (docs/console.md#charts-over-time), read from the one-minute rollups of the
 * store: for the hub or one subscription, over a window, in steps of one minute (ten for 24 h), every
 * process's counts summed, latency percentiles read from the summed histograms.
 */
import {
  addHistogram,
  emptyHistogram,
  histogramQuantile,
  LATENCY_BUCKETS_MS,
} from '../../domain/metrics/latency-histogram.js';
import type { MinuteRollup } from '../../store/metrics-port.js';
import type { Store } from '../../store/store-port.js';

export const SERIES_WINDOWS = {
  '15m': { minutes: 15, stepMinutes: 1 },
  '1h': { minutes: 60, stepMinutes: 1 },
  '24h': { minutes: 1440, stepMinutes: 10 },
} as const;
export type SeriesWindow = keyof typeof SERIES_WINDOWS;

export function isSeriesWindow(value: string): value is SeriesWindow {
  return Object.hasOwn(SERIES_WINDOWS, value);
}

/** Columns of equal length, one entry per step (`t`: the step's start, Unix seconds). */
export interface MetricSeries {
  window: SeriesWindow;
  stepSeconds: number;
  /** The subscription, absent for the hub. */
  subscription?: string;
  /** Upper bounds of the latency buckets the percentiles are read from (ms). */
  latencyBucketsMs: number[];
  t: number[];
  /** Hub: events accepted by ingest; a subscription: events queued for it. */
  in: number[];
  /** Events delivered. */
  out: number[];
  attempts: number[];
  failed: number[];
  /** Failed attempts ÷ attempts (null without attempts). */
  errorRate: (number | null)[];
  /** Largest backlog sample of the step (null when no process sampled one). */
  backlog: (number | null)[];
  /** Delivery latency percentiles (bucket upper bounds, ms; null without deliveries). */
  p50Ms: (number | null)[];
  p99Ms: (number | null)[];
}

const MINUTE_MS = 60_000;

/** Reads the window ending with the current minute. */
export async function readMetricSeries(
  store: Store,
  window: SeriesWindow,
  subscription: string | undefined,
  nowMs: number,
): Promise<MetricSeries> {
  const { minutes, stepMinutes } = SERIES_WINDOWS[window];
  const stepMs = stepMinutes * MINUTE_MS;
  const end = Math.floor(nowMs / stepMs) * stepMs + stepMs;
  const start = end - minutes * MINUTE_MS;
  const rows = await store.metrics.minutes({
    from: new Date(start).toISOString(),
    until: new Date(end).toISOString(),
    ...(subscription === undefined ? {} : { subscription }),
  });
  return foldSeries(rows, { window, subscription, start, end, stepMs });
}

interface Step {
  in: number;
  out: number;
  attempts: number;
  failed: number;
  backlog: number | null;
  latency: number[];
  /** Hub backlog: the sum over subscriptions, per minute. */
  minuteBacklog: Map<string, number>;
}

/** Folds summed minutes into steps (exported for tests). */
export function foldSeries(
  rows: readonly MinuteRollup[],
  p: { window: SeriesWindow; subscription: string | undefined; start: number; end: number; stepMs: number },
): MetricSeries {
  const count = Math.round((p.end - p.start) / p.stepMs);
  const steps: Step[] = Array.from({ length: count }, () => ({
    in: 0,
    out: 0,
    attempts: 0,
    failed: 0,
    backlog: null,
    latency: emptyHistogram(),
    minuteBacklog: new Map(),
  }));
  const hub = p.subscription === undefined;
  for (const row of rows) {
    const step = steps[Math.floor((Date.parse(row.minute) - p.start) / p.stepMs)];
    if (!step) continue;
    // The hub's "in" is what ingest accepted; a subscription's is what was queued for it.
    if (hub ? row.subscription === '' : true) step.in += row.ingested;
    step.out += row.delivered;
    step.attempts += row.attempts;
    step.failed += row.failed;
    addHistogram(step.latency, row.latency);
    if (row.backlog !== undefined) {
      if (hub) step.minuteBacklog.set(row.minute, (step.minuteBacklog.get(row.minute) ?? 0) + row.backlog);
      else step.backlog = Math.max(step.backlog ?? 0, row.backlog);
    }
  }
  if (hub) {
    for (const step of steps) {
      if (step.minuteBacklog.size > 0) step.backlog = Math.max(...step.minuteBacklog.values());
    }
  }
  return {
    window: p.window,
    stepSeconds: p.stepMs / 1000,
    ...(hub ? {} : { subscription: p.subscription }),
    latencyBucketsMs: [...LATENCY_BUCKETS_MS],
    t: steps.map((_, i) => (p.start + i * p.stepMs) / 1000),
    in: steps.map((s) => s.in),
    out: steps.map((s) => s.out),
    attempts: steps.map((s) => s.attempts),
    failed: steps.map((s) => s.failed),
    errorRate: steps.map((s) => (s.attempts === 0 ? null : s.failed / s.attempts)),
    backlog: steps.map((s) => s.backlog),
    p50Ms: steps.map((s) => histogramQuantile(s.latency, 0.5) ?? null),
    p99Ms: steps.map((s) => histogramQuantile(s.latency, 0.99) ?? null),
  };
}
