/**
 * Canonical CloudEvents → webhook request (CloudEvents HTTP binding, structured and batched modes): the body,
 * its content type, and the idempotency key receivers dedupe by.
 */
import { createHash } from 'node:crypto';
import type { CloudEvent } from '../../domain/cloud-event.js';

/** Content type of one event sent in structured mode: the whole envelope is the JSON body. */
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

/** Content type of a batch: a JSON array of structured events. */
export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json; charset=utf-8';

/** A request body ready to send (and to sign: the signature covers exactly `body`). */
export interface RequestBody {
  contentType: string;
  body: string;
}

/**
 * The body for `events`: one event as a structured CloudEvent, or, with `batch`, an array of them in the
 * given order. Structured mode takes exactly one event, a batch at least one; anything else is a bug of
 * the caller and throws.
 */
export function toRequestBody(events: readonly CloudEvent[], batch: boolean): RequestBody {
  if (batch) {
    if (events.length === 0) throw new RangeError('a batch needs at least one event');
    return { contentType: BATCH_CONTENT_TYPE, body: JSON.stringify(events) };
  }
  if (events.length !== 1) {
    throw new RangeError(`structured mode sends one event per request, got ${events.length}`);
  }
  return { contentType: STRUCTURED_CONTENT_TYPE, body: JSON.stringify(events[0]) };
}

/** Event ids that can go in a header as they are: visible ASCII, no leading or trailing space. */
const HEADER_SAFE_ID = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/**
 * The `Idempotency-Key` of a request carrying `events`.
 *
 * One event: its id, as docs/delivery.md says, so receivers can dedupe by the header or by the `id` in the
 * body alike. A batch of several: `sha256-<hex of SHA-256(the ids joined by "\n")>`. The first event's id
 * would be wrong here: if a retried or replayed batch is made up differently ([a, b] then [a, b, c]),
 * a receiver deduping by key would drop `c` as a repeat of `a`. The digest is the same only for the same
 * ids in the same order; receivers of batches should dedupe per event id anyway.
 * An id that cannot be a header value (non-ASCII, control characters) is sent as the digest of that id.
 */
export function idempotencyKey(events: readonly CloudEvent[]): string {
  const only = events.length === 1 ? events[0] : undefined;
  if (only !== undefined && HEADER_SAFE_ID.test(only.id)) return only.id;
  const digest = createHash('sha256')
    .update(events.map((event) => event.id).join('\n'), 'utf8')
    .digest('hex');
  return `sha256-${digest}`;
}
