/** The format: one CloudEvent as one line of NDJSON (newline-delimited JSON). */
import type { CloudEvent } from '../../domain/cloud-event.js';

/** `events` as NDJSON: each event as JSON on one line, each line ending with `\n`, in the order given. */
export function toNdjson(events: readonly CloudEvent[]): string {
  // JSON.stringify escapes newlines inside strings, so one event is always exactly one line.
  return events.map((event) => `${JSON.stringify(event)}\n`).join('');
}
