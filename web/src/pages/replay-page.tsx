/**
 * `/replay`: sends a selection of the log (time range, types) to one subscription again, with the original
 * idempotency keys, and follows its progress.
 */
import { type FormEvent, useState } from 'react';
import { api } from '../api.js';
import { ErrorBox, PageHeader, When } from '../components.js';
import type { Overview, ReplayView } from '../types.js';
import { useApi } from '../use-api.js';

/** `datetime-local` value (local time, minutes) of a date. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function ReplayPage() {
  const overview = useApi<Overview>('/v1/overview');
  const [subscription, setSubscription] = useState('');
  const [from, setFrom] = useState(() => localInput(new Date(Date.now() - 3600_000)));
  const [to, setTo] = useState('');
  const [types, setTypes] = useState('');
  const [note, setNote] = useState('');
  const [failure, setFailure] = useState<Error>();
  const [replayId, setReplayId] = useState<number>();
  const [sending, setSending] = useState(false);
  const progress = useApi<ReplayView>(replayId === undefined ? undefined : `/v1/replays/${replayId}`, {
    refreshMs: 1000,
  });
  const subscriptions = overview.data?.subscriptions ?? [];
  const chosen = subscription || subscriptions[0]?.name || '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    setSending(true);
    try {
      const typeList = types
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
      const replay = await api<ReplayView>('/v1/replays', {
        method: 'POST',
        body: {
          subscription: chosen,
          from: new Date(from).toISOString(),
          ...(to ? { to: new Date(to).toISOString() } : {}),
          ...(typeList.length > 0 ? { types: typeList } : {}),
          ...(note.trim() ? { note: note.trim() } : {}),
        },
      });
      setReplayId(replay.id);
    } catch (reason) {
      setFailure(reason as Error);
    } finally {
      setSending(false);
    }
  };

  const shown = progress.data;
  return (
    <section data-testid="replay-page">
      <PageHeader title="Replay" />
      <p className="muted">
        Sends the events logged in a time range to one subscription again. They keep their ids, so receivers
        that dedupe by <code>Idempotency-Key</code> apply each once. Only types the subscription takes are
        sent.
      </p>
      <form className="card form-grid" onSubmit={submit} data-testid="replay-form">
        <label>
          Subscription
          <select
            value={chosen}
            onChange={(e) => setSubscription(e.target.value)}
            data-testid="replay-subscription"
          >
            {subscriptions.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name} → {s.target}
              </option>
            ))}
          </select>
        </label>
        <label>
          From (ingested at or after)
          <input
            type="datetime-local"
            required
            value={from}
            onChange={(e) => setFrom(e.target.value)}
            data-testid="replay-from"
          />
        </label>
        <label>
          To (before; empty: now)
          <input
            type="datetime-local"
            value={to}
            onChange={(e) => setTo(e.target.value)}
            data-testid="replay-to"
          />
        </label>
        <label>
          Types (comma-separated patterns; empty: all the subscription takes)
          <input
            value={types}
            onChange={(e) => setTypes(e.target.value)}
            placeholder="com.manifold.order.*"
            data-testid="replay-types"
          />
        </label>
        <label className="wide">
          Note (why, for the audit log)
          <input value={note} onChange={(e) => setNote(e.target.value)} data-testid="replay-note" />
        </label>
        <div className="wide">
          <button
            type="submit"
            className="primary"
            disabled={sending || chosen === ''}
            data-testid="replay-submit"
          >
            {sending ? 'Queuing…' : 'Replay'}
          </button>
        </div>
      </form>
      <ErrorBox error={failure ?? progress.error} />
      {shown ? (
        <div className="card" data-testid="replay-progress">
          <h2>
            Replay #{shown.id}: <span data-testid="replay-status">{shown.status}</span>
          </h2>
          <p>
            {shown.delivered} of {shown.total} delivered, {shown.pending} pending, {shown.parked} parked ·
            queued <When at={shown.createdAt} /> by {shown.createdBy}
          </p>
          <progress max={Math.max(shown.total, 1)} value={shown.delivered} />
        </div>
      ) : null}
    </section>
  );
}
