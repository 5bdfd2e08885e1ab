/**
 * Requests received by native webhooks (`inbound_requests`, migration 0013): the raw body and headers
 * (secrets stripped by the connector), what became of each, and the events it produced. The order timeline
 * links an event to its request (`forEvents`); a mapping preview lists past requests (`list`).
 */

/** What became of a request: events applied, all repeats, no event at all, or kept as an exception. */
export type InboundRequestOutcome = 'accepted' | 'duplicate' | 'ignored' | 'parked';

export interface InboundRequestRecord {
  id: string;
  system: string;
  route: string;
  receivedAt: string;
  contentType?: string;
  /** Lower-case names; secrets stripped. */
  headers: Record<string, string>;
  /** The raw body: text, or base64 when `bodyEncoding` says so (not UTF-8). */
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  outcome: InboundRequestOutcome;
  /** The exception holding it, while parked (and after, for the record). */
  exceptionId?: number;
  /** The events it produced that are in the log (source `/<system>`), in log order. */
  events: { id: string; seq: number }[];
  updatedAt: string;
}

/**
 * A request to keep, with the ids of the events it produces (their source is `/<system>`). It may be
 * written before or beside the events' own commit: the log positions are read from the log.
 */
export type NewInboundRequest = Omit<InboundRequestRecord, 'updatedAt' | 'events'> & { eventIds: string[] };

export interface InboundRequestQuery {
  system: string;
  route?: string;
  /** Received at or after (UTC ISO 8601). */
  since?: string;
  /** Oldest first; at most this many (default 100, at most 1,000). */
  limit?: number;
  /** Paging: requests received after this one (same `receivedAt` order, then id). */
  afterId?: string;
}

export interface InboundRequestStore {
  /** Keeps a request (durably, before resolving). */
  record(request: NewInboundRequest): Promise<void>;
  /** What became of a kept request after all (a duplicate, parked; a retry that applied it): more event ids. */
  settle(
    id: string,
    change: { outcome: InboundRequestOutcome; eventIds?: string[]; exceptionId?: number },
    at: string,
  ): Promise<void>;
  get(id: string): Promise<InboundRequestRecord | undefined>;
  /** Requests of a system (and route), oldest first: for a mapping preview over past traffic. */
  list(query: InboundRequestQuery): Promise<InboundRequestRecord[]>;
  /**
   * Which request produced each of these events (log positions): the first received when several carried
   * it (a resend); events from elsewhere are left out.
   */
  forEvents(seqs: readonly number[]): Promise<{ seq: number; requestId: string }[]>;
}
