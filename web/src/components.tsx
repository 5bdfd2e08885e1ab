/** Small pieces the pages share. */
import type { ReactNode } from 'react';
import type { ApiError } from './api.js';
import type { Health } from './types.js';

export function ErrorBox({ error }: { error: ApiError | Error | undefined }) {
  if (!error) return null;
  return (
    <p className="error" role="alert" data-testid="error">
      {error.message}
    </p>
  );
}

export function HealthBadge({ health }: { health: Health }) {
  return (
    <span className={`badge health-${health}`} data-testid="health">
      {health}
    </span>
  );
}

export function Badge({
  tone,
  children,
}: {
  tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted';
  children: ReactNode;
}) {
  return <span className={`badge tone-${tone}`}>{children}</span>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** A page title with an optional line of context and actions on the right. */
export function PageHeader({ title, children }: { title: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-header">
      <h1>{title}</h1>
      {children ? <div className="page-actions">{children}</div> : null}
    </div>
  );
}
