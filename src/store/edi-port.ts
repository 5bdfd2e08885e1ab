/**
 * Outbound X12 interchanges (docs/edi.md): what was rendered for one event of one EDI
 * subscription (so a retry resends the same document, same ISA13), and the partner's 997/999 answer.
 */

export type EdiAckStatus = 'accepted' | 'rejected';

/** An interchange to keep for `(subscription, event)`. */
export interface NewEdiOutbound {
  subscription: string;
  /** The event's `source` and `id` (together unique in the log). */
  eventSource: string;
  eventId: string;
  partner: string;
  /** ST01: 855, 856, 810, 846 or 940. */
  setId: string;
  /** ISA13, GS06, ST02 as numbers. */
  isa13: number;
  gsControl: number;
  stControl: number;
  /** The interchange as sent. */
  body: string;
  createdAt: string;
}

export interface EdiOutboundRecord extends NewEdiOutbound {
  ackStatus?: EdiAckStatus;
  ackAt?: string;
  /** The AK5/IK5 (or AK9) codes of a rejection, e.g. `['5']`. */
  ackCodes?: string[];
}

/** A 997/999's verdict on one set (ST control given) or on a whole group (ST control absent). */
export interface EdiAcknowledgement {
  partner: string;
  gsControl: number;
  stControl?: number;
  /** ST01 of the acknowledged set (AK201), when known: narrows the match. */
  setId?: string;
  status: EdiAckStatus;
  codes: string[];
  at: string;
}

export interface EdiOutboundQuery {
  partner?: string;
  /** Only interchanges without a 997/999, created before this time (ISO 8601). */
  unacknowledgedBefore?: string;
  limit: number;
}

export interface EdiStore {
  /**
   * Keeps `row` unless an interchange is already kept for its `(subscription, event)`; returns the kept
   * one (the first rendered wins, so two hubs rendering the same event send the same document).
   */
  saveOutbound(row: NewEdiOutbound): Promise<EdiOutboundRecord>;
  getOutbound(
    subscription: string,
    eventSource: string,
    eventId: string,
  ): Promise<EdiOutboundRecord | undefined>;
  /** Records a 997/999 verdict on the partner's matching interchanges; returns how many rows it set. */
  recordAcknowledgement(ack: EdiAcknowledgement): Promise<number>;
  listOutbound(query: EdiOutboundQuery): Promise<EdiOutboundRecord[]>;
}
