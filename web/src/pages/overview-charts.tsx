/**
 * The overview's charts over time (docs/console.md#charts-over-time): for the hub or one subscription,
 * throughput in and out, backlog, delivery latency p50/p99 and error rate over 15 minutes, an hour or a day,
 * from the one-minute rollups every hub process writes to the store (`GET /v1/metrics/series`).
 */
import { useMemo, useState } from 'react';
import type { MetricSeriesView } from '../../../src/contracts/views/series-views.js';
import { CHART_COLORS, type ChartWindow, TimeChart, WindowPicker } from '../charts.js';
import { ErrorBox } from '../components.js';
import { useApi } from '../use-api.js';

/** The rollups are written once a minute: reading more often shows nothing new. */
export const CHARTS_REFRESH_MS = 30_000;

export function OverviewCharts({ subscriptions }: { subscriptions: readonly string[] }) {
  const [window, setWindow] = useState<ChartWindow>('1h');
  const [subscription, setSubscription] = useState('');
  const path = `/v1/metrics/series?window=${window}${
    subscription ? `&subscription=${encodeURIComponent(subscription)}` : ''
  }`;
  const { data, error } = useApi<MetricSeriesView>(path, { refreshMs: CHARTS_REFRESH_MS });
  const charts = useMemo(() => (data ? chartsOf(data) : []), [data]);
  return (
    <div className="card" data-testid="overview-charts">
      <div className="chart-toolbar">
        <h2>Over time</h2>
        <select
          value={subscription}
          onChange={(e) => setSubscription(e.currentTarget.value)}
          data-testid="charts-subscription"
          aria-label="Subscription"
        >
          <option value="">the whole hub</option>
          {subscriptions.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <WindowPicker value={window} onChange={setWindow} testId="charts-window" />
      </div>
      <ErrorBox error={error} />
      {data ? (
        <div className="charts-grid" data-testid="charts-loaded" data-path={path}>
          {charts.map((c) => (
            <TimeChart key={c.testId} {...c} t={data.t} syncKey="overview" />
          ))}
        </div>
      ) : null}
      <p className="legend">
        Per {data && data.stepSeconds >= 120 ? `${data.stepSeconds / 60} minutes` : 'minute'}, every hub
        process summed; the current minute fills in as the processes write it. Latency percentiles are bucket
        bounds (the true value is at most that, and more than the bound below).
      </p>
    </div>
  );
}

function chartsOf(data: MetricSeriesView) {
  const hub = data.subscription === undefined;
  return [
    {
      title: 'Throughput (events per step)',
      testId: 'chart-throughput',
      series: [
        { label: hub ? 'ingested' : 'queued', values: data.in, color: CHART_COLORS[0] as string },
        { label: 'delivered', values: data.out, color: CHART_COLORS[1] as string },
      ],
    },
    {
      title: 'Backlog (pending rows)',
      testId: 'chart-backlog',
      series: [{ label: 'backlog', values: data.backlog, color: CHART_COLORS[2] as string }],
    },
    {
      title: 'Delivery latency',
      testId: 'chart-latency',
      format: formatMs,
      series: [
        { label: 'p50', values: data.p50Ms, color: CHART_COLORS[0] as string },
        { label: 'p99', values: data.p99Ms, color: CHART_COLORS[3] as string },
      ],
    },
    {
      title: 'Error rate (failed attempts)',
      testId: 'chart-errors',
      format: (v: number) => `${Math.round(v * 100)}%`,
      series: [{ label: 'error rate', values: data.errorRate, color: CHART_COLORS[3] as string }],
    },
  ];
}

function formatMs(ms: number): string {
  if (ms >= 60_000) return `${Math.round(ms / 6000) / 10} min`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms)} ms`;
}
