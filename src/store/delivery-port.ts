/**
 * The delivery half of the store port: claiming outbox work in per-key order, recording attempts,
 * the exception queue, the audit log and replays. Implemented by every adapter; the conformance suite
 * (test/delivery-conformance.test.ts) holds them to the same behaviour.
 */
import type { CloudEvent } from '../domain/cloud-event.js';
import type { SubscriptionFilter } from '../domain/subscription-filter.js';

/** An outbox row handed to the delivery engine, with its event. */
export interface DeliveryClaim {
  outboxId: number;
  subscription: string;
  target: string;
  eventSeq: number;
  partitionKey: string;
  /** Attempts made before this one. */
  attempts: number;
  /** Of `attempts`, those the target throttled (429, 503, Retry-After): they do not count to `maxAttempts`. */
  throttledAttempts: number;
  /** When the first attempt was made (ISO 8601), for `maxAgeMs`. */
  firstAttemptAt?: string;
  ingestedAt: string;
  event: CloudEvent;
  /** Set when the row was created by a replay. */
  replayId?: number;
}

export interface ClaimQuery {
  subscription: string;
  /** Most rows to hand out. */
  limit: number;
  /** The engine's clock (ISO 8601): only rows due by then. */
  now: string;
  /** How long a claim is held before another process may take it (crash of the claimer). */
  leaseMs: number;
  /** Which process claims (for the lease). */
  owner: string;
  /** Outbox ids this process already has in flight (excluded, and they keep their keys blocked). */
  inFlight: ReadonlySet<number>;
  /**
   * Most rows of one key to hand out (default 1: only its head). Above 1, a claimed head comes with the
   * rows of its key that follow it, in order, up to the first one that may not go yet (not due, parked
   * and blocking, of a coalescing type, or in flight): the engine then sends a busy key's next event as
   * soon as the previous one is answered, without a claim in between. Within `limit` in all.
   */
  perKey?: number;
  /** Most keys (heads) among them (default `limit`): a long run of one key need not mean many keys. */
  maxKeys?: number;
  /**
   * The types this subscription coalesces (docs/delivery.md §3), default the catalogue's
   * `defaultCoalescingTypes()`: a due pending row of one of them that has a newer pending row of the same
   * key and type is skipped (`superseded_by` the key's newest row of that type), never handed out.
   */
  coalesce?: readonly string[];
}

export const ATTEMPT_OUTCOMES = ['delivered', 'retryable', 'permanent'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** One attempt to deliver one outbox row, as kept for the timeline and metrics. */
export interface DeliveryAttempt {
  id: number;
  outboxId: number;
  eventSeq: number;
  subscription: string;
  /** 1-based attempt number. */
  attempt: number;
  startedAt: string;
  finishedAt: string;
  outcome: AttemptOutcome;
  status?: number;
  error?: string;
  /** From the hub's ingest of the event to the end of this attempt. */
  latencyMs: number;
}

/** What follows an attempt. */
export type AttemptNext =
  | { kind: 'delivered' }
  /** Try again at `at` (ISO 8601). */
  | { kind: 'retry'; at: string }
  /** Give up: park the row and open an exception. `blocksKey` holds later events of the same key. */
  | { kind: 'park'; blocksKey: boolean; exception: NewException };

export interface AttemptResult {
  claim: DeliveryClaim;
  /** Who claimed the row (`ClaimQuery.owner`): only the current lease holder's result moves the row. */
  owner: string;
  startedAt: string;
  finishedAt: string;
  outcome: AttemptOutcome;
  /** The target throttled this attempt: counted in the row's `throttledAttempts` too. */
  throttled?: boolean;
  status?: number;
  error?: string;
  bodyExcerpt?: string;
  latencyMs: number;
  next: AttemptNext;
}

export const EXCEPTION_STATUSES = ['open', 'resolved'] as const;
export type ExceptionStatus = (typeof EXCEPTION_STATUSES)[number];

/** A new entry of the operators' exception queue (delivery failures and asynchronous rejections). */
export interface NewException {
  /** Stable code, e.g. `delivery_failed`, `delivery_rejected`, `edi_rejected`. */
  code: string;
  detail: string;
  subscription?: string;
  /** The system concerned (the delivery target, or the sender of a rejected document). */
  system?: string;
  outboxId?: number;
  eventSeq?: number;
  eventId?: string;
  subject?: string;
  lastStatus?: number;
  /** First 512 characters of the last response body. */
  lastBody?: string;
  lastError?: string;
  attempts?: number;
  firstAttemptAt?: string;
  lastAttemptAt?: string;
  /** The raw document of an inbound rejection, kept so it can be fixed and replayed. */
  payload?: string;
  at: string;
}

export interface ExceptionRecord extends Omit<NewException, 'at'> {
  id: number;
  status: ExceptionStatus;
  createdAt: string;
  resolvedAt?: string;
  /** Who resolved it (the key's principal, e.g. `admin`). */
  resolvedBy?: string;
  /** `retried` (sent again) or `resolved` (closed by an operator; the parked row is skipped). */
  resolution?: 'retried' | 'resolved';
  note?: string;
}

export interface ExceptionQuery {
  subscription?: string;
  code?: string;
  system?: string;
  /** What it is about: an order id, `sku@location`. */
  subject?: string;
  status?: ExceptionStatus;
  /** Created at or after (ISO 8601). */
  since?: string;
  /** Cursor: ids after this one in the chosen order (greater when `asc`, smaller when `desc`). */
  afterId?: number;
  /** By id, which follows creation: oldest first (`asc`, the default) or newest first (`desc`). */
  order?: 'asc' | 'desc';
  limit: number;
}

/** Who did an admin action, and why. */
export interface Actor {
  /** The principal (`admin`, or a system name). */
  who: string;
  at: string;
  note?: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  /** What the action was about, e.g. `exception:12`, `replay:3`. */
  target: string;
  note?: string;
  detail?: Record<string, unknown>;
}

export interface ReplaySelection {
  subscription: string;
  /** Ingested at or after (ISO 8601). */
  from: string;
  /** Ingested before (ISO 8601). */
  to?: string;
  /** Type patterns (`*` wildcards) — resolved by the engine into `typeList`. */
  types?: string[];
  subject?: string;
  correlationid?: string;
}

export interface ReplayRecord {
  id: number;
  selection: ReplaySelection;
  createdAt: string;
  createdBy: string;
  total: number;
  delivered: number;
  pending: number;
  parked: number;
  status: 'running' | 'completed';
}

export interface BacklogStat {
  subscription: string;
  pending: number;
  parked: number;
  /** Created time of the oldest pending row (ISO 8601). */
  oldestPendingAt?: string;
}

/** Which outbox rows a backlog counts: every one, or those created at or after `createdSince` (ISO 8601). */
export interface BacklogOptions {
  createdSince?: string;
}

export interface OpenExceptionCount {
  code: string;
  subscription?: string;
  count: number;
}

export interface DeliveryStore {
  /** Due rows of a subscription whose key has no earlier pending (or blocking parked) row. */
  claimDeliveries(query: ClaimQuery): Promise<DeliveryClaim[]>;
  /** Records an attempt and its consequence (delivered, retry later, or parked with an exception). */
  completeAttempt(result: AttemptResult): Promise<void>;
  /**
   * Records several attempts in one transaction, in the order given: all or none. A key's records are
   * committed in the order its events were answered, so a crash never leaves a later event recorded as
   * delivered while an earlier one is not.
   */
  completeAttempts(results: readonly AttemptResult[]): Promise<void>;
  /**
   * Gives claimed rows back unsent (the engine let them go: an earlier row of their key failed, the
   * target's breaker opened): another claim, by this process or another, may take them at once instead
   * of after the lease. Only rows still leased by `owner` are touched.
   */
  releaseClaims(outboxIds: readonly number[], owner: string): Promise<void>;
  /** Attempts of one event's deliveries, oldest first. */
  listAttempts(query: { eventSeq: number }): Promise<DeliveryAttempt[]>;
  /**
   * Pending and parked counts, and the oldest pending row, per subscription; with `createdSince`, of the
   * rows created since then only (what one run of traffic made, leaving out what was waiting before).
   */
  deliveryBacklog(options?: BacklogOptions): Promise<BacklogStat[]>;
  /** Open exceptions per code (and subscription, when they have one): metrics, alerts, the console. */
  openExceptionCounts(): Promise<OpenExceptionCount[]>;

  createException(exception: NewException): Promise<ExceptionRecord>;
  listExceptions(query: ExceptionQuery): Promise<ExceptionRecord[]>;
  getException(id: number): Promise<ExceptionRecord | undefined>;
  /**
   * Sends the parked rows of these open exceptions again (due now, with a fresh age budget), marks the
   * exceptions resolved as `retried`, and audits it, in one transaction. Returns those it changed.
   */
  retryExceptions(ids: number[], actor: Actor): Promise<ExceptionRecord[]>;
  /** Closes an open exception without sending (its parked row is skipped, unblocking the key); audited. */
  resolveException(id: number, actor: Actor): Promise<ExceptionRecord | undefined>;
  listAudit(query: { afterId?: number; limit: number }): Promise<AuditEntry[]>;

  /**
   * Queues the selection again for one subscription, in log order, as new outbox rows pointing at the
   * original events (same ids, so receivers dedupe); audited.
   */
  createReplay(
    selection: ReplaySelection,
    types: string[] | undefined,
    target: string,
    actor: Actor,
    /** The subscription's `filter`, applied as ingest applies it. */
    filter?: SubscriptionFilter,
  ): Promise<ReplayRecord>;
  getReplay(id: number): Promise<ReplayRecord | undefined>;
}
