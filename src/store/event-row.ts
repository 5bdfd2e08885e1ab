/** A new event as both adapters store it: the indexed columns and the envelope text. */
import type { NewEvent } from './store-port.js';

/** The columns of an `events` row, plus the outbox key, for one new event. */
export interface EventRow {
  source: string;
  id: string;
  type: string;
  subject: string;
  correlationid: string | null;
  system: string;
  /** The envelope as JSON text (throws for data JSON cannot hold, e.g. a BigInt: that unit fails alone). */
  envelope: string;
  /** The outbox rows' key: `partitionkey`, else the subject. */
  partitionKey: string;
}

/** Serialises one new event into its row. */
export function eventRow({ system, event }: NewEvent): EventRow {
  return {
    source: event.source,
    id: event.id,
    type: event.type,
    subject: event.subject ?? '',
    correlationid: event.correlationid ?? null,
    system,
    envelope: JSON.stringify(event),
    partitionKey: event.partitionkey ?? event.subject ?? '',
  };
}
