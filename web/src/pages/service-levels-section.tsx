/**
 * The overview's "business impact": each service-level alert rule (docs/operations.md#service-levels)
 * with the orders breaching it now, by customer, partner and warehouse. Nothing when none is configured.
 */
import { Empty, ErrorBox } from '../components.js';
import { formatTime } from '../format.js';
import { Link } from '../router.js';
import type { ServiceLevelReport } from '../types.js';
import { useApi } from '../use-api.js';

/** How often the section reads the hub again (each read scans the orders in the lifecycle). */
export const SERVICE_LEVELS_REFRESH_MS = 10_000;
/** Names shown per count (most first). */
const TOP = 3;

function Top<K extends string>({
  rows,
  field,
}: {
  rows: ({ count: number } & Record<K, string>)[];
  field: K;
}) {
  if (rows.length === 0) return <span className="muted">—</span>;
  const shown = rows.slice(0, TOP).map((r) => `${r[field]} ${r.count}`);
  const rest = rows.length - TOP;
  return <span>{rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ')}</span>;
}

export function ServiceLevelsSection() {
  const { data, error } = useApi<ServiceLevelReport>('/v1/service-levels', {
    refreshMs: SERVICE_LEVELS_REFRESH_MS,
  });
  if (!error && (!data || data.levels.length === 0)) return null;
  return (
    <div className="card" data-testid="service-levels">
      <h2>Service levels</h2>
      <ErrorBox error={error} />
      {data && data.levels.length === 0 ? <Empty>No service levels are configured.</Empty> : null}
      {data && data.levels.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th>Service level</th>
              <th className="num">Breaching</th>
              <th>By customer</th>
              <th>By partner</th>
              <th>By warehouse</th>
              <th>Longest</th>
            </tr>
          </thead>
          <tbody>
            {data.levels.map((l) => (
              <tr key={l.rule} data-testid={`service-level-${l.rule}`}>
                <td>
                  <strong>{l.rule}</strong>
                  <div className="muted small">
                    {l.description} ({l.severity})
                  </div>
                </td>
                <td className="num" data-testid="breaching">
                  {l.breaching}
                </td>
                <td>
                  <Top rows={l.byCustomer} field="customer" />
                </td>
                <td>
                  <Top rows={l.byPartner} field="partner" />
                </td>
                <td>
                  <Top rows={l.byLocation} field="location" />
                </td>
                <td>
                  {l.sample[0] ? (
                    l.sample[0].subject.startsWith('x12:') ? (
                      <span>{l.sample[0].subject}</span>
                    ) : (
                      <Link href={`/orders/${encodeURIComponent(l.sample[0].subject)}`}>
                        {l.sample[0].subject}
                      </Link>
                    )
                  ) : (
                    '—'
                  )}
                  {l.sample[0] ? (
                    <div className="muted small">since {formatTime(l.sample[0].since)}</div>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {data ? <p className="muted small">{data.scanned} orders in the lifecycle looked at.</p> : null}
    </div>
  );
}
