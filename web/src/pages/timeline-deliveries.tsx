/**
 * The deliveries of one timeline event, collapsed to a line that says how many went where and how they
 * fared (and, for an EDI delivery, which X12 document it was and its 997), opened on a click to the table
 * of every delivery with its attempts.
 */
import { Badge } from '../components.js';
import { formatMs } from '../format.js';
import type { TimelineDelivery } from '../types.js';

type X12 = NonNullable<TimelineDelivery['x12']>;

export function AckBadge({ status }: { status: string }) {
  const tone =
    status === 'accepted' ? 'ok' : status === 'pending' ? 'warn' : status === 'rejected' ? 'bad' : 'info';
  return <Badge tone={tone}>997 {status}</Badge>;
}

/** `855 · ISA 123 · ST 0001`: the set and the control numbers of an X12 document the hub sent. */
export function x12Name(x12: X12): string {
  const st = x12.transactionSet === undefined ? '' : ` · ST ${String(x12.transactionSet).padStart(4, '0')}`;
  return `${x12.set} · ISA ${x12.interchange}${st}`;
}

function statusTone(status: string) {
  return status === 'delivered'
    ? 'ok'
    : status === 'parked'
      ? 'bad'
      : status === 'pending'
        ? 'warn'
        : 'muted';
}

/** `2 delivered, 1 pending`, the worst first. */
export function deliveryCounts(deliveries: readonly TimelineDelivery[]): string {
  const rank = ['parked', 'pending', 'skipped', 'delivered'];
  const counts = new Map<string, number>();
  for (const d of deliveries) counts.set(d.status, (counts.get(d.status) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => {
      const ra = rank.indexOf(a) < 0 ? rank.length : rank.indexOf(a);
      const rb = rank.indexOf(b) < 0 ? rank.length : rank.indexOf(b);
      return ra - rb || (a < b ? -1 : 1);
    })
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
}

export function Deliveries({ deliveries }: { deliveries: TimelineDelivery[] }) {
  const edi = deliveries.filter((d) => d.x12);
  const worst = deliveries.some((d) => d.status === 'parked')
    ? 'bad'
    : deliveries.some((d) => d.status === 'pending')
      ? 'warn'
      : 'ok';
  return (
    <details className="deliveries-group" data-testid="deliveries">
      <summary data-testid="deliveries-summary">
        <span className={`dot tone-${worst}`} />
        {deliveries.length === 1 ? '1 delivery' : `${deliveries.length} deliveries`}:{' '}
        {deliveryCounts(deliveries)}
        {edi.map((d) => (
          <span key={d.subscription} className="edi-doc" data-testid="edi-summary">
            {' '}
            · {x12Name(d.x12 as X12)} to {d.target} <AckBadge status={(d.x12 as X12).acknowledgement} />
          </span>
        ))}
      </summary>
      <table className="compact deliveries">
        <thead>
          <tr>
            <th className="col-delivery">Delivery</th>
            <th className="col-status">Status</th>
            <th>Attempts</th>
            <th className="num col-latency">Ingest → 2xx</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.map((d) => (
            <DeliveryRow key={d.subscription} delivery={d} />
          ))}
        </tbody>
      </table>
    </details>
  );
}

function DeliveryRow({ delivery }: { delivery: TimelineDelivery }) {
  const x12 = delivery.x12;
  return (
    <tr data-testid={`delivery-${delivery.subscription}`}>
      <td>
        {delivery.subscription} → {delivery.target}
        {x12 ? (
          <div className="small" data-testid="edi-document">
            X12 {x12Name(x12)}
            {x12.group !== undefined ? ` · GS ${x12.group}` : ''} <AckBadge status={x12.acknowledgement} />
            {x12.codes && x12.codes.length > 0 ? (
              <span className="muted"> {x12.codes.join(', ')}</span>
            ) : null}
          </div>
        ) : null}
      </td>
      <td>
        <Badge tone={statusTone(delivery.status)}>{delivery.status}</Badge>
      </td>
      <td>
        {delivery.attempts.length === 0
          ? '—'
          : delivery.attempts.map((a) => (
              <div key={a.attempt} className="small">
                #{a.attempt} {a.outcome}
                {a.httpStatus !== undefined ? ` (${a.httpStatus})` : ''} in {formatMs(a.latencyMs)}
                {a.error ? <span className="muted"> — {a.error}</span> : null}
              </div>
            ))}
      </td>
      <td className="num">{formatMs(delivery.latencyFromIngestMs)}</td>
    </tr>
  );
}
