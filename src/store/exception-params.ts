/** The values of a new exception row, in the column order both adapters insert them. */
import type { NewException } from './delivery-port.js';

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
