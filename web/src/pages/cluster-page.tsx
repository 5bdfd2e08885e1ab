/**
 * `/cluster`: the hub processes sharing the store — alive or dead by the process registry's TTL, the one
 * that answered, the one reporting the store-wide metrics — and the singleton loops' leases each holds
 * (docs/console.md#cluster-cluster).
 */
import { Badge, Empty, ErrorBox, PageHeader } from '../components.js';
import { formatTime } from '../format.js';
import type { ClusterProcessView, ClusterView } from '../types.js';
import { useApi } from '../use-api.js';

/** How often the page reads the hub again (the heartbeat is every 5 s). */
export const CLUSTER_REFRESH_MS = 5000;

export function ClusterPage() {
  const { data, error } = useApi<ClusterView>('/v1/cluster', { refreshMs: CLUSTER_REFRESH_MS });
  return (
    <section data-testid="cluster-page">
      <PageHeader title="Cluster">
        <span className="muted" data-testid="cluster-updated">
          {data
            ? `${data.alive} alive of ${data.processes.length} · updated ${formatTime(data.at)} · refreshes every ${CLUSTER_REFRESH_MS / 1000} s`
            : ''}
        </span>
      </PageHeader>
      <ErrorBox error={error} />
      {data ? (
        <>
          <ProcessTable view={data} />
          {data.unattributed.length > 0 ? (
            <div className="card" data-testid="cluster-unattributed">
              <h2>Leases of no registered process</h2>
              <ul>
                {data.unattributed.map((l) => (
                  <li key={l.name}>
                    <code>{l.name}</code> held by <code>{l.owner}</code>{' '}
                    <span className="muted">
                      {l.expired ? 'expired' : 'until'} {formatTime(l.expiresAt)}
                    </span>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
        </>
      ) : (
        !error && <p className="muted">Loading…</p>
      )}
    </section>
  );
}

function ProcessTable({ view }: { view: ClusterView }) {
  if (view.processes.length === 0) return <Empty>No hub process is registered on the store.</Empty>;
  return (
    <div className="card">
      <p className="muted">
        A process is dead once its heartbeat is older than {view.ttlMs / 1000} s; dead ones are kept a day.
        Leases name the singleton loops (pollers, the alert evaluator, the cancelAfter check) and who runs
        them.
      </p>
      <table data-testid="cluster-processes">
        <thead>
          <tr>
            <th>Process</th>
            <th>State</th>
            <th>Version</th>
            <th>Started</th>
            <th>Last heartbeat</th>
            <th>Leases</th>
          </tr>
        </thead>
        <tbody>
          {view.processes.map((p) => (
            <ProcessRow key={p.incarnation} process={p} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ProcessRow({ process: p }: { process: ClusterProcessView }) {
  return (
    <tr data-testid={`cluster-process-${p.incarnation}`} data-status={p.status}>
      <td>
        <strong>
          {p.host}:{p.pid}
        </strong>
        {p.self ? (
          <>
            {' '}
            <Badge tone="info">this console's</Badge>
          </>
        ) : null}
        <div className="muted" title="incarnation">
          <code>{p.incarnation.slice(0, 8)}</code>
          {p.address ? ` · ${p.address}` : ''}
        </div>
      </td>
      <td>
        <Badge tone={p.status === 'alive' ? 'ok' : 'bad'}>{p.status}</Badge>
        {p.reportsStoreMetrics ? (
          <div className="muted" title="emits the store-wide metrics">
            metrics reporter
          </div>
        ) : null}
      </td>
      <td>{p.version}</td>
      <td>{formatTime(p.startedAt)}</td>
      <td>{formatTime(p.heartbeatAt)}</td>
      <td data-testid="cluster-leases">
        {p.leases.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          <ul className="plain">
            {p.leases.map((l) => (
              <li key={l.name}>
                <code>{l.name}</code>{' '}
                <span className="muted">
                  {l.expired ? 'expired' : 'until'} {formatTime(l.expiresAt)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}
