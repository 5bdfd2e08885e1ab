/**
 * `/exceptions`: the operators' queue, newest first (or oldest first), filtered by code, subscription and
 * status. Each open exception can be retried (its parked event is sent again) or resolved with a note;
 * several can be retried at once.
 */
import { type FormEvent, useState } from 'react';
import { api, query } from '../api.js';
import { Badge, Empty, ErrorBox, listOrder, PageHeader, SortControl, When } from '../components.js';
import { Link, navigate, useLocation } from '../router.js';
import type { ExceptionPage, Overview } from '../types.js';
import { useApi } from '../use-api.js';

const PAGE_SIZE = 50;

/** Where an exception's subject leads: an order, or a SKU's inventory for `sku@location`. */
function SubjectLink({ subject }: { subject: string | undefined }) {
  if (!subject) return <>—</>;
  const at = subject.lastIndexOf('@');
  if (at > 0) {
    return <Link href={`/inventory/${encodeURIComponent(subject.slice(0, at))}`}>{subject}</Link>;
  }
  return <Link href={`/orders/${encodeURIComponent(subject)}`}>{subject}</Link>;
}

export function ExceptionsPage() {
  const { search } = useLocation();
  const code = search.get('code') ?? '';
  const subscription = search.get('subscription') ?? '';
  const status = search.get('status') ?? 'open';
  const cursor = search.get('cursor') ?? '';
  const order = listOrder(search.get('order'));
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [message, setMessage] = useState<string>();
  const [failure, setFailure] = useState<Error>();
  const [resolving, setResolving] = useState<number>();
  const [busy, setBusy] = useState(false);
  const overview = useApi<Overview>('/v1/overview');
  const list = useApi<ExceptionPage>(
    `/v1/exceptions${query({ code, subscription, status: status === 'all' ? '' : status, order, cursor, limit: PAGE_SIZE })}`,
    { refreshMs: 5000 },
  );
  const items = list.data?.items ?? [];
  const codes = [
    ...new Set([...(overview.data?.exceptions.byCode ?? []).map((c) => c.code), ...(code ? [code] : [])]),
  ].sort();

  const filter = (next: Record<string, string>) => {
    setSelected(new Set());
    navigate(
      `/exceptions${query({ code, subscription, status, order: order === 'desc' ? '' : order, ...next, cursor: next.cursor ?? '' })}`,
    );
  };

  const act = async (what: string, action: () => Promise<string>) => {
    setBusy(true);
    setFailure(undefined);
    setMessage(undefined);
    try {
      setMessage(await action());
    } catch (reason) {
      setFailure(new Error(`${what} failed: ${(reason as Error).message}`));
    } finally {
      setBusy(false);
      list.reload();
    }
  };
  const retry = (id: number) =>
    act(`Retry of #${id}`, async () => {
      await api(`/v1/exceptions/${id}/retry`, { method: 'POST', body: {} });
      return `Exception #${id} retried: its event is queued for delivery again.`;
    });
  const retrySelected = () =>
    act('Bulk retry', async () => {
      const ids = [...selected].sort((a, b) => a - b);
      const failed: string[] = [];
      for (const id of ids) {
        try {
          await api(`/v1/exceptions/${id}/retry`, { method: 'POST', body: {} });
        } catch (reason) {
          failed.push(`#${id}: ${(reason as Error).message}`);
        }
      }
      setSelected(new Set());
      const done = `${ids.length - failed.length} of ${ids.length} retried.`;
      if (failed.length > 0) throw new Error(`${done} ${failed.join('; ')}`);
      return done;
    });
  const resolve = (id: number, note: string) =>
    act(`Resolve of #${id}`, async () => {
      await api(`/v1/exceptions/${id}/resolve`, { method: 'POST', body: { note } });
      setResolving(undefined);
      return `Exception #${id} resolved without sending.`;
    });

  const openIds = items.filter((e) => e.status === 'open').map((e) => e.id);
  const allSelected = openIds.length > 0 && openIds.every((id) => selected.has(id));

  return (
    <section data-testid="exceptions-page">
      <PageHeader title="Exceptions">
        <Link href="/replay">Replay a selection →</Link>
      </PageHeader>
      <div className="card toolbar">
        <div className="inline-form">
          <label>
            Code
            <select value={code} onChange={(e) => filter({ code: e.target.value })} data-testid="filter-code">
              <option value="">any</option>
              {codes.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <label>
            Subscription
            <select
              value={subscription}
              onChange={(e) => filter({ subscription: e.target.value })}
              data-testid="filter-subscription"
            >
              <option value="">any</option>
              {(overview.data?.subscriptions ?? []).map((s) => (
                <option key={s.name} value={s.name}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Status
            <select
              value={status}
              onChange={(e) => filter({ status: e.target.value })}
              data-testid="filter-status"
            >
              <option value="open">open</option>
              <option value="resolved">resolved</option>
              <option value="all">all</option>
            </select>
          </label>
          <SortControl
            value={order}
            onChange={(next) => filter({ order: next === 'desc' ? '' : next })}
            testId="exceptions-sort"
          />
        </div>
        <button
          type="button"
          className="primary"
          disabled={busy || selected.size === 0}
          onClick={retrySelected}
          data-testid="bulk-retry"
        >
          Retry selected ({selected.size})
        </button>
      </div>
      {message ? (
        <p className="notice" role="status" data-testid="action-message">
          {message}
        </p>
      ) : null}
      <ErrorBox error={failure ?? list.error} />
      <div className="card">
        {list.data && items.length === 0 ? (
          <Empty>No exceptions match.</Empty>
        ) : (
          <table data-testid="exceptions-table">
            <thead>
              <tr>
                <th>
                  <input
                    type="checkbox"
                    aria-label="Select all open exceptions on this page"
                    checked={allSelected}
                    onChange={() => setSelected(allSelected ? new Set() : new Set(openIds))}
                    data-testid="select-all"
                  />
                </th>
                <th>#</th>
                <th>Code</th>
                <th>Subscription / system</th>
                <th>Subject</th>
                <th>Detail</th>
                <th>Created</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((e, i) => (
                <tr key={e.id} data-testid={`exception-row-${e.id}`} data-subject={e.subject ?? ''}>
                  <td>
                    {e.status === 'open' ? (
                      <input
                        type="checkbox"
                        aria-label={`Select exception ${e.id}`}
                        checked={selected.has(e.id)}
                        onChange={() => {
                          const next = new Set(selected);
                          if (next.has(e.id)) next.delete(e.id);
                          else next.add(e.id);
                          setSelected(next);
                        }}
                        data-testid="select"
                      />
                    ) : null}
                  </td>
                  <td>{e.id}</td>
                  <td>
                    <Badge tone="bad">{e.code}</Badge>
                  </td>
                  <td>
                    {e.subscription ?? '—'}
                    {e.system ? <div className="muted small">{e.system}</div> : null}
                  </td>
                  <td className="nowrap">
                    <SubjectLink subject={e.subject} />
                  </td>
                  <td className="detail">
                    {e.detail}
                    {e.attempts !== undefined ? (
                      <div className="muted small">
                        {e.attempts} attempts{e.lastStatus !== undefined ? `, last HTTP ${e.lastStatus}` : ''}
                        {e.lastError ? `, ${e.lastError}` : ''}
                      </div>
                    ) : null}
                  </td>
                  <td className="nowrap">
                    <When at={e.createdAt} previous={items[i - 1]?.createdAt} />
                  </td>
                  <td>
                    {e.status === 'open' ? (
                      <Badge tone="warn">open</Badge>
                    ) : (
                      <span title={e.note ?? ''}>
                        <Badge tone="muted">{e.resolution ?? 'resolved'}</Badge>
                        <div className="muted small">{e.resolvedBy}</div>
                      </span>
                    )}
                  </td>
                  <td className="actions">
                    {e.status === 'open' && resolving !== e.id ? (
                      <>
                        <button type="button" disabled={busy} onClick={() => retry(e.id)} data-testid="retry">
                          Retry
                        </button>
                        <button
                          type="button"
                          disabled={busy}
                          onClick={() => setResolving(e.id)}
                          data-testid="resolve"
                        >
                          Resolve…
                        </button>
                      </>
                    ) : null}
                    {resolving === e.id ? (
                      <ResolveForm
                        busy={busy}
                        onCancel={() => setResolving(undefined)}
                        onResolve={(note) => resolve(e.id, note)}
                      />
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div className="pager">
          <button
            type="button"
            disabled={!cursor}
            onClick={() => filter({ cursor: '' })}
            data-testid="exceptions-first"
          >
            ← First page
          </button>
          <button
            type="button"
            disabled={!list.data?.next}
            onClick={() => filter({ cursor: list.data?.next ?? '' })}
            data-testid="exceptions-next"
          >
            Next →
          </button>
        </div>
      </div>
    </section>
  );
}

function ResolveForm({
  busy,
  onCancel,
  onResolve,
}: {
  busy: boolean;
  onCancel: () => void;
  onResolve: (note: string) => void;
}) {
  const [note, setNote] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (note.trim() !== '') onResolve(note.trim());
  };
  return (
    <form onSubmit={submit} className="resolve-form" data-testid="resolve-form">
      <input
        value={note}
        onChange={(e) => setNote(e.target.value)}
        placeholder="Why (required)"
        aria-label="Why it is resolved without sending"
        data-testid="resolve-note"
      />
      <button type="submit" disabled={busy || note.trim() === ''} data-testid="resolve-confirm">
        Resolve
      </button>
      <button type="button" className="link-button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
