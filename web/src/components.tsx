/** Small pieces the pages share. */
import type { ReactNode } from 'react';
import type { ApiError } from './api.js';
import { formatTimestamp } from './format.js';
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

/**
 * A timestamp as the console shows them all (`formatTimestamp`): local time and age, the ISO instant on
 * hover. `previous` is the timestamp shown just above it: a repeated date is left out.
 */
export function When({ at, previous }: { at: string | undefined; previous?: string | undefined }) {
  const { text, title } = formatTimestamp(at, { previous });
  return (
    <time dateTime={at} title={title} className="when" data-testid="when">
      {text}
    </time>
  );
}

/** The direction of a list: newest first (the console's default) or oldest first. */
export type ListOrder = 'desc' | 'asc';

/** `?order=` of a list page: `asc` when asked for, else newest first. */
export function listOrder(value: string | null): ListOrder {
  return value === 'asc' ? 'asc' : 'desc';
}

/** The select that turns a list newest first or oldest first. */
export function SortControl({
  value,
  onChange,
  testId,
}: {
  value: ListOrder;
  onChange: (order: ListOrder) => void;
  testId: string;
}) {
  return (
    <label>
      Sort
      <select
        value={value}
        onChange={(e) => onChange(listOrder((e.target as HTMLSelectElement).value))}
        data-testid={testId}
      >
        <option value="desc">newest first</option>
        <option value="asc">oldest first</option>
      </select>
    </label>
  );
}
