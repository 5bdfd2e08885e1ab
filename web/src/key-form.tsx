/** Asks for the admin key once per browser session and checks it against the hub before keeping it. */
import { type FormEvent, useState } from 'react';
import { ApiError, api, rememberKey } from './api.js';

export function KeyForm({ message }: { message: string | undefined }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [checking, setChecking] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const candidate = key.trim();
    if (candidate === '') return;
    setChecking(true);
    setError(undefined);
    try {
      await api('/v1/overview', { key: candidate });
      rememberKey(candidate);
    } catch (reason) {
      setError(
        reason instanceof ApiError && (reason.status === 401 || reason.status === 403)
          ? `The hub refused this key (${reason.status}): ${reason.message}`
          : `Could not reach the hub: ${(reason as Error).message}`,
      );
    } finally {
      setChecking(false);
    }
  };

  const shown = error ?? message;
  return (
    <div className="key-page">
      <form className="card key-form" onSubmit={submit} data-testid="key-form">
        <h1>
          Manifold <span className="brand-sub">console</span>
        </h1>
        <p className="muted">
          Enter the hub's admin key (<code>server.adminKey</code>, <code>MANIFOLD_ADMIN_KEY</code>). It is
          kept for this browser session only and sent to this hub alone.
        </p>
        {shown ? (
          <p className="error" role="alert" data-testid="key-error">
            {shown}
          </p>
        ) : null}
        <label>
          Admin key
          <input
            type="password"
            autoComplete="current-password"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            data-testid="key-input"
          />
        </label>
        <button type="submit" className="primary" disabled={checking} data-testid="key-submit">
          {checking ? 'Checking…' : 'Open the console'}
        </button>
      </form>
    </div>
  );
}
