/** Exception rows both ways: the values of a new row, in the column order it is inserted, and a row read back. */
import type { ExceptionRecord, NewException } from './delivery-port.js';

/** A column value as either engine returns it (PostgreSQL: dates, and BIGINTs as strings). */
export type DbValue = string | number | boolean | Date | null;
export type DbRow = Record<string, DbValue>;

/**
 * Columns: code, detail, subscription, system, outbox_id, event_seq, event_id, subject, last_status,
 * last_body, last_error, attempts, first_attempt_at, last_attempt_at, payload, created_at.
 */
export function exceptionParams(e: NewException): unknown[] {
  return [
    e.code,
    e.detail,
    e.subscription ?? null,
    e.system ?? null,
    e.outboxId ?? null,
    e.eventSeq ?? null,
    e.eventId ?? null,
    e.subject ?? null,
    e.lastStatus ?? null,
    e.lastBody ?? null,
    e.lastError ?? null,
    e.attempts ?? null,
    e.firstAttemptAt ?? null,
    e.lastAttemptAt ?? null,
    e.payload ?? null,
    e.at,
  ];
}

/** Database columns of an exception, and the record's names for them. */
const EXCEPTION_FIELDS = [
  ['subscription', 'subscription'],
  ['system', 'system'],
  ['outbox_id', 'outboxId'],
  ['event_seq', 'eventSeq'],
  ['event_id', 'eventId'],
  ['subject', 'subject'],
  ['last_status', 'lastStatus'],
  ['last_body', 'lastBody'],
  ['last_error', 'lastError'],
  ['attempts', 'attempts'],
  ['first_attempt_at', 'firstAttemptAt'],
  ['last_attempt_at', 'lastAttemptAt'],
  ['payload', 'payload'],
  ['resolved_at', 'resolvedAt'],
  ['resolved_by', 'resolvedBy'],
  ['resolution', 'resolution'],
  ['note', 'note'],
] as const;

/** BIGINT columns, which pg returns as strings. */
const BIGINT_COLUMNS = new Set(['id', 'outbox_id', 'event_seq']);

function fromDb(column: string, value: DbValue): DbValue {
  if (value instanceof Date) return value.toISOString();
  if (BIGINT_COLUMNS.has(column) && value !== null) return Number(value);
  return value;
}

export function toException(r: DbRow): ExceptionRecord {
  const record: Record<string, DbValue> = {
    id: fromDb('id', r.id ?? null),
    code: r.code ?? null,
    status: r.status ?? null,
    detail: r.detail ?? null,
    createdAt: fromDb('created_at', r.created_at ?? null),
  };
  for (const [column, name] of EXCEPTION_FIELDS) {
    const value = r[column];
    if (value !== null && value !== undefined) record[name] = fromDb(column, value);
  }
  return record as unknown as ExceptionRecord;
}
