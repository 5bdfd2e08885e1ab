/**
 * `/orders/{id}`: the order's active holds (payment, fraud, credit, manual: nothing goes to a warehouse while
 * one is set), its lines and milestones (inferred and late ones marked), then every event in and out of it
 * in log order with its deliveries collapsed to one line (opened for every attempt; an EDI delivery names
 * its X12 document and 997), the EDI documents sent and their 997s, the tracking numbers and the notes. An
 * event that came by a native webhook opens the raw request it came from (body and headers, secrets
 * stripped).
 */

import { useState } from 'react';
import { MILESTONES } from '../../../src/domain/event-catalogue.js';
import { Badge, Empty, ErrorBox, PageHeader, When } from '../components.js';
import { formatTime, shortType } from '../format.js';
import { Link } from '../router.js';
import type { OrderView, Timeline, TimelineEntry, TimelinePackage } from '../types.js';
import { useApi } from '../use-api.js';
import { CommercialPanel, LineItem } from './order-commercial.js';
import { customerName } from './orders-page.js';
import { AckBadge, Deliveries, x12Name } from './timeline-deliveries.js';

const QUANTITIES = [
  'ordered',
  'committed',
  'backordered',
  'picked',
  'packed',
  'shipped',
  'delivered',
  'cancelled',
  'returned',
  'invoiced',
] as const;

export function OrderTimelinePage({ orderId }: { orderId: string }) {
  const path = `/v1/orders/${encodeURIComponent(orderId)}`;
  const order = useApi<OrderView>(path, { refreshMs: 5000 });
  const timeline = useApi<Timeline>(`${path}/timeline`, { refreshMs: 5000 });
  const entries = timeline.data?.entries ?? [];
  const inferred = new Set(entries.flatMap((e) => e.inferred ?? []));
  const late = entries.filter((e) => e.late);
  const tracking = entries.filter((e) => e.tracking);
  const notes = entries.filter((e) => e.note);
  const edi = entries.flatMap((e) =>
    e.deliveries.filter((d) => d.x12).map((d) => ({ entry: e, delivery: d })),
  );

  return (
    <section data-testid="order-timeline-page">
      <PageHeader title={<>Order {orderId}</>}>
        <Link href="/orders">← All orders</Link>
      </PageHeader>
      <ErrorBox error={order.error ?? timeline.error} />
      {order.data ? (
        <div className="card">
          <dl className="facts" data-testid="order-facts">
            <dt>Milestone</dt>
            <dd data-testid="order-milestone">{order.data.milestone}</dd>
            <dt>Status</dt>
            <dd data-testid="order-status">{order.data.status}</dd>
            <dt>Channel</dt>
            <dd>
              {order.data.channel} (from {order.data.system})
            </dd>
            <dt>Customer</dt>
            <dd>{customerName(order.data.customer)}</dd>
            <dt>Created</dt>
            <dd>
              <When at={order.data.createdAt} />
            </dd>
            <dt>Active holds</dt>
            <dd data-testid="order-active-holds">
              {order.data.activeHolds.length === 0
                ? 'none: released to the warehouses'
                : order.data.activeHolds.map((h) => (
                    <span key={h.kind} title={`since ${formatTime(h.since)}, by ${h.by}`}>
                      <Badge tone="bad">{h.kind}</Badge> {h.reason}{' '}
                    </span>
                  ))}
            </dd>
            <dt>Exceptions</dt>
            <dd>
              {order.data.holds.length === 0
                ? 'none'
                : order.data.holds.map((h) => (
                    <Badge key={h} tone="bad">
                      {h}
                    </Badge>
                  ))}
            </dd>
          </dl>
          <ol className="milestones" data-testid="milestones">
            {MILESTONES.filter((m) => order.data?.reached.includes(m)).map((m) => (
              <li
                key={m}
                className={`${inferred.has(m) ? 'inferred' : ''} ${m === order.data?.milestone ? 'current' : ''}`}
                data-testid={`milestone-${m}`}
              >
                {m}
                {inferred.has(m) ? <small> inferred</small> : null}
                {late.some((e) => shortType(e.type) === `order.${m}`) ? (
                  <small className="late"> late report</small>
                ) : null}
              </li>
            ))}
          </ol>
          <table className="compact" data-testid="order-lines">
            <thead>
              <tr>
                <th>Line</th>
                <th>SKU</th>
                <th>Ordered as</th>
                <th>Item</th>
                <th>Location</th>
                {QUANTITIES.map((q) => (
                  <th key={q} className="num">
                    {q}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {order.data.lines.map((line) => (
                <tr key={line.lineId}>
                  <td>{line.lineId}</td>
                  <td>
                    <Link href={`/inventory/${encodeURIComponent(line.sku)}`}>{line.sku}</Link>
                  </td>
                  <td data-testid="line-uom">
                    {line.uom && line.uom !== 'EA' ? `${line.quantity} ${line.uom}` : '—'}
                  </td>
                  <td>
                    <LineItem line={line} currency={order.data?.currency} />
                  </td>
                  <td>{line.location ?? '—'}</td>
                  {QUANTITIES.map((q) => (
                    <td key={q} className="num">
                      {line[q]}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {order.data ? <CommercialPanel order={order.data} /> : null}

      {tracking.length > 0 || notes.length > 0 || edi.length > 0 ? (
        <div className="grid-3">
          <div className="card" data-testid="tracking">
            <h3>Tracking</h3>
            {tracking.length === 0 ? (
              <Empty>No tracking number yet.</Empty>
            ) : (
              <ul className="plain">
                {tracking.map((e) => (
                  <li key={`${e.seq}-${e.tracking}`}>
                    <code>{e.tracking}</code> <span className="muted">from {e.system}</span>
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className="card" data-testid="edi-documents">
            <h3>EDI documents</h3>
            {edi.length === 0 ? (
              <Empty>None sent.</Empty>
            ) : (
              <ul className="plain">
                {edi.map(({ entry, delivery }) => (
                  <li key={`${entry.seq}-${delivery.subscription}`}>
                    {delivery.x12 ? x12Name(delivery.x12) : ''} to {delivery.target}:{' '}
                    <AckBadge status={delivery.x12?.acknowledgement ?? 'pending'} />
                  </li>
                ))}
              </ul>
            )}
          </div>
          <div className="card" data-testid="notes">
            <h3>Notes</h3>
            {notes.length === 0 ? (
              <Empty>No notes.</Empty>
            ) : (
              <ul className="plain">
                {notes.map((e) => (
                  <li key={`${e.seq ?? e.at}-note`}>
                    <span className="muted">
                      <When at={e.at} />
                    </span>{' '}
                    {e.note}
                  </li>
                ))}
              </ul>
            )}
          </div>
        </div>
      ) : null}

      <div className="card">
        <h2>Timeline</h2>
        {timeline.data && entries.length === 0 ? <Empty>No events yet.</Empty> : null}
        <ol className="timeline" data-testid="timeline">
          {entries.map((entry, i) => (
            <TimelineItem
              key={`${entry.seq ?? 'n'}-${entry.at}-${entry.type}`}
              entry={entry}
              previous={entries[i - 1]?.at}
            />
          ))}
        </ol>
      </div>
    </section>
  );
}

function TimelineItem({ entry, previous }: { entry: TimelineEntry; previous: string | undefined }) {
  return (
    <li
      className={`timeline-entry dir-${entry.direction}`}
      data-testid="timeline-entry"
      data-type={entry.type}
    >
      <div className="timeline-head">
        <span className={`direction direction-${entry.direction}`}>
          {entry.direction === 'in' ? 'IN' : 'OUT'}
        </span>
        <strong>{entry.type === 'note' ? 'note' : shortType(entry.type)}</strong>
        {entry.system ? (
          <span className="muted">{entry.direction === 'in' ? `from ${entry.system}` : 'by the hub'}</span>
        ) : null}
        <span className="muted">
          <When at={entry.at} previous={previous} />
        </span>
        {entry.milestoneAfter && entry.milestoneAfter === entry.milestoneBefore ? (
          <span className="muted">milestone stays {entry.milestoneAfter}</span>
        ) : entry.milestoneAfter ? (
          <span>
            {entry.milestoneBefore ?? '∅'} → <strong>{entry.milestoneAfter}</strong>
          </span>
        ) : null}
        {(entry.inferred ?? []).length > 0 ? (
          <Badge tone="info">inferred {entry.inferred?.join(', ')}</Badge>
        ) : null}
        {entry.late ? <Badge tone="warn">late</Badge> : null}
        {entry.tracking ? (
          <span>
            tracking <code>{entry.tracking}</code>
          </span>
        ) : null}
        {entry.location ? <span className="muted">@ {entry.location}</span> : null}
      </div>
      {entry.carrier ? (
        <div className="muted small">
          carrier <code>{entry.carrier}</code>
          {entry.service ? <> · service {entry.service}</> : null}
        </div>
      ) : null}
      {entry.packages && entry.packages.length > 0 ? <Packages packages={entry.packages} /> : null}
      {entry.note && entry.type !== 'note' ? <div className="muted">{entry.note}</div> : null}
      {entry.type === 'note' ? <div>{entry.note}</div> : null}
      {entry.id ? (
        <div className="muted small">
          id <code>{entry.id}</code>
          {entry.correlationid ? (
            <>
              {' '}
              · correlation <code>{entry.correlationid}</code>
            </>
          ) : null}
        </div>
      ) : null}
      {entry.request ? <RawRequest id={entry.request} /> : null}
      {entry.deliveries.length > 0 ? <Deliveries deliveries={entry.deliveries} /> : null}
    </li>
  );
}

interface InboundRequestView {
  id: string;
  route: string;
  receivedAt: string;
  contentType?: string;
  headers: Record<string, string>;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  outcome: string;
}

/** The native webhook request an event came from, loaded when opened. */
function RawRequest({ id }: { id: string }) {
  const [open, setOpen] = useState(false);
  const request = useApi<InboundRequestView>(
    open ? `/v1/inbound-requests/${encodeURIComponent(id)}` : undefined,
  );
  return (
    <details
      className="raw-request"
      data-testid="raw-request"
      onToggle={(event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}
    >
      <summary>Raw request (native webhook)</summary>
      <ErrorBox error={request.error} />
      {request.data ? (
        <div>
          <div className="muted small">
            POST /v1/inbound/…/{request.data.route} · {formatTime(request.data.receivedAt)} ·{' '}
            {request.data.outcome}
          </div>
          <pre data-testid="raw-request-headers">
            {Object.entries(request.data.headers)
              .map(([name, value]) => `${name}: ${value}`)
              .join('\n')}
          </pre>
          <pre data-testid="raw-request-body">{prettyBody(request.data)}</pre>
        </div>
      ) : null}
    </details>
  );
}

/** A JSON body indented; anything else as received. */
function prettyBody(request: InboundRequestView): string {
  if (request.bodyEncoding === 'base64') return `(base64) ${request.body}`;
  try {
    return JSON.stringify(JSON.parse(request.body), null, 2);
  } catch {
    return request.body;
  }
}

/** The packages of a shipment: SSCC-18, tracking, weight and contents (line × quantity in its unit). */
function Packages({ packages }: { packages: TimelinePackage[] }) {
  return (
    <table className="compact packages" data-testid="packages">
      <thead>
        <tr>
          <th>SSCC</th>
          <th>Tracking</th>
          <th className="num">Weight</th>
          <th>Contents</th>
        </tr>
      </thead>
      <tbody>
        {packages.map((p) => (
          <tr key={p.sscc} data-testid={`package-${p.sscc}`}>
            <td>
              <code>{p.sscc}</code>
            </td>
            <td>{p.tracking ? <code>{p.tracking}</code> : '—'}</td>
            <td className="num">{p.weight ? `${p.weight.value} ${p.weight.unit}` : '—'}</td>
            <td>
              {p.lines.map((l) => `line ${l.lineId} × ${l.quantity}${l.uom ? ` ${l.uom}` : ''}`).join(', ')}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
