/** `/`: the flow map, each subscription's figures, and the open exceptions by code, customer and location. */
import { Badge, Empty, ErrorBox, HealthBadge, PageHeader } from '../components.js';
import { formatPercent, formatRate, formatSeconds, formatTime } from '../format.js';
import { Link } from '../router.js';
import type { Overview } from '../types.js';
import { useApi } from '../use-api.js';
import { FlowMap } from './flow-map.js';
import { OverviewCharts } from './overview-charts.js';
import { ServiceLevelsSection } from './service-levels-section.js';

/** How often the overview reads the hub again. */
export const OVERVIEW_REFRESH_MS = 2000;
/** Rows shown per exception count (most first); the rest are summed in one line. */
const LIST_ROWS = 10;

export function OverviewPage() {
  const { data, error } = useApi<Overview>('/v1/overview', { refreshMs: OVERVIEW_REFRESH_MS });
  return (
    <section data-testid="overview-page">
      <PageHeader title="Overview">
        <span className="muted" data-testid="overview-updated">
          {data
            ? `updated ${formatTime(data.generatedAt)} · refreshes every ${OVERVIEW_REFRESH_MS / 1000} s`
            : ''}
        </span>
      </PageHeader>
      <ErrorBox error={error} />
      {data ? (
        <>
          <AlertBanner overview={data} />
          <div className="card">
            <FlowMap overview={data} />
            <p className="legend">
              <span className="swatch health-ok" /> ok <span className="swatch health-degraded" /> degraded{' '}
              <span className="swatch health-failing" /> failing — arrows go from the hub to each
              subscription's target; blue arrows are what each system sent the hub over the last minute.
            </p>
          </div>
          <SubscriptionTable overview={data} />
          <OverviewCharts subscriptions={data.subscriptions.map((s) => s.name)} />
          <ServiceLevelsSection />
          <PollerPanel overview={data} />
          <ExceptionSummary overview={data} />
        </>
      ) : (
        !error && <p className="muted">Loading…</p>
      )}
    </section>
  );
}

function AlertBanner({ overview }: { overview: Overview }) {
  if (overview.alerts.length === 0) return null;
  return (
    <div className="card alerts" data-testid="alerts-firing">
      <h2>Alerts firing: {overview.alerts.length}</h2>
      <ul>
        {overview.alerts.map((a) => (
          <li key={`${a.rule}[${a.scope ?? ''}]`} className={`alert-${a.severity}`}>
            <strong>{a.rule}</strong> <span className="muted">({a.severity})</span> {a.summary}
            {a.since ? <span className="muted"> · since {formatTime(a.since)}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The pollers of systems without webhooks (docs/connectors.md#polling); nothing when none is configured. */
function PollerPanel({ overview }: { overview: Overview }) {
  if (overview.pollers.length === 0) return null;
  return (
    <div className="card" data-testid="pollers">
      <h2>Pollers</h2>
      <table>
        <thead>
          <tr>
            <th>Poller</th>
            <th>State</th>
            <th>Last success</th>
            <th>Next run</th>
          </tr>
        </thead>
        <tbody>
          {overview.pollers.map((p) => (
            <tr key={p.name} data-testid={`poller-row-${p.name}`}>
              <td>
                <strong>
                  {p.system} · {p.poll}
                </strong>
                <div className="muted small">every {formatSeconds(p.everyMs / 1000)}</div>
              </td>
              <td>
                <Badge tone={p.state === 'ok' ? 'ok' : p.state === 'failing' ? 'bad' : 'muted'}>
                  {p.state}
                </Badge>
                {p.state === 'failing' ? (
                  <div className="muted small">
                    {p.failures} failed in a row: {p.lastError}
                  </div>
                ) : null}
              </td>
              <td>{p.lastSuccessAt ? formatTime(p.lastSuccessAt) : '—'}</td>
              <td>{p.nextRunAt ? formatTime(p.nextRunAt) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SubscriptionTable({ overview }: { overview: Overview }) {
  return (
    <div className="card">
      <h2>Subscriptions</h2>
      {overview.subscriptions.length === 0 ? (
        <Empty>No subscriptions are configured.</Empty>
      ) : (
        <table data-testid="subscriptions-table">
          <thead>
            <tr>
              <th>Subscription</th>
              <th>Target</th>
              <th>Health</th>
              <th className="num">Backlog</th>
              <th className="num">Parked</th>
              <th className="num">Oldest pending</th>
              <th className="num">Throughput/s</th>
              <th className="num">Error rate</th>
              <th>Circuit</th>
            </tr>
          </thead>
          <tbody>
            {overview.subscriptions.map((s) => (
              <tr key={s.name} data-testid={`subscription-row-${s.name}`}>
                <td>
                  <strong>{s.name}</strong>
                  <div className="muted small">{s.types.join(', ')}</div>
                </td>
                <td>{s.target}</td>
                <td>
                  <HealthBadge health={s.health} />
                  {s.reasons.length > 0 ? (
                    <div className="muted small" data-testid="health-reasons">
                      {s.reasons.join(', ')}
                    </div>
                  ) : null}
                </td>
                <td className="num" data-testid="backlog">
                  {s.backlog}
                </td>
                <td className="num" data-testid="parked">
                  {s.parked > 0 ? (
                    <Link href={`/exceptions?subscription=${encodeURIComponent(s.name)}`}>{s.parked}</Link>
                  ) : (
                    0
                  )}
                </td>
                <td className="num" data-testid="oldest-pending">
                  {formatSeconds(s.oldestPendingSeconds)}
                </td>
                <td className="num" title={`${s.delivered} delivered in the last ${s.windowSeconds} s`}>
                  {formatRate(s.throughputPerSecond)}
                </td>
                <td
                  className="num"
                  data-testid="error-rate"
                  title={`${s.failed} failed attempts in the last ${s.windowSeconds} s`}
                >
                  {formatPercent(s.errorRate)}
                </td>
                <td>
                  <span className={`circuit circuit-${s.circuit}`}>{s.circuit.replace('_', '-')}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function CountList<K extends string>({
  title,
  rows,
  field,
  testId,
  href,
}: {
  title: string;
  rows: ({ count: number } & Record<K, string>)[];
  field: K;
  testId: string;
  href?: (value: string) => string;
}) {
  return (
    <div className="card" data-testid={testId}>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <Empty>None open.</Empty>
      ) : (
        <table className="compact">
          <tbody>
            {rows.slice(0, LIST_ROWS).map((row) => (
              <tr key={row[field]}>
                <td>{href ? <Link href={href(row[field])}>{row[field]}</Link> : row[field]}</td>
                <td className="num">{row.count}</td>
              </tr>
            ))}
            {rows.length > LIST_ROWS ? (
              <tr className="muted">
                <td>{`and ${rows.length - LIST_ROWS} more`}</td>
                <td className="num">{rows.slice(LIST_ROWS).reduce((sum, row) => sum + row.count, 0)}</td>
              </tr>
            ) : null}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ExceptionSummary({ overview }: { overview: Overview }) {
  const { exceptions } = overview;
  return (
    <>
      <h2>
        Open exceptions: <span data-testid="exceptions-open">{exceptions.open}</span>
        {exceptions.sampled ? (
          <span className="muted small"> (customers and locations counted over the oldest 1,000)</span>
        ) : null}
      </h2>
      <div className="grid-3">
        <CountList
          title="By code"
          rows={exceptions.byCode}
          field="code"
          testId="exceptions-by-code"
          href={(code) => `/exceptions?code=${encodeURIComponent(code)}`}
        />
        <CountList
          title="By customer"
          rows={exceptions.byCustomer}
          field="customer"
          testId="exceptions-by-customer"
        />
        <CountList
          title="By location"
          rows={exceptions.byLocation}
          field="location"
          testId="exceptions-by-location"
        />
      </div>
    </>
  );
}
