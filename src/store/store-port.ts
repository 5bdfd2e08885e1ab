/**
 * The store port: everything the engine and API need from persistence, implemented once per engine
 * (`sqlite/`, `postgres/`). Every adapter passes the same conformance suite (test/store-conformance.test.ts).
 *
 * Durability contract: a promise returned by a write resolves only after the change is durable
 * (SQLite WAL with synchronous=FULL, PostgreSQL with synchronous_commit=on). Concurrent writes share
 * one commit (group commit); each write is still atomic on its own.
 */
import type { CloudEvent, LoggedEvent } from '../domain/cloud-event.js';
import type { ConnectorStateStore } from './connector-state-port.js';
import type { DeliveryStore } from './delivery-port.js';
import type { EdiStore } from './edi-port.js';
import type { InboundRequestStore } from './inbound-request-port.js';
import type { InventoryStore } from './inventory-port.js';
import type { LogStore } from './log-port.js';
import type { MetricsStore } from './metrics-port.js';
import type { OpsStore } from './ops-port.js';
import type { OrderStore } from './order-port.js';
import type { ProcessStore } from './process-port.js';
import type { RetentionStore } from './retention-port.js';
import type { XrefStore } from './xref-port.js';

/** An outbox row to create with an event: one per subscription the event matches. */
export interface OutboxTarget {
  subscription: string;
  /** The subscription's target system. */
  target: string;
}

/** An event to append: validated, authorised, with `subject` and `partitionkey` filled in. */
export interface NewEvent {
  /** The authenticated system that sent it (or `manifold`). */
  system: string;
  event: CloudEvent;
  outbox: OutboxTarget[];
}

export type AppendOutcome =
  /** First receipt of `(source, id)`: the event and its outbox rows were written. */
  | { status: 'accepted'; seq: number }
  /** `(source, id)` was already in the log (or earlier in the same append): nothing was written. */
  | { status: 'duplicate'; seq: number };

/** Filters of `GET /v1/events`. Times compare against the hub's ingest time. */
export interface EventQuery {
  /** A type, or a pattern where `*` matches any run of characters (`com.manifold.order.*`), as subscriptions. */
  type?: string;
  subject?: string;
  source?: string;
  correlationid?: string;
  /** Ingested at or after (ISO 8601). */
  since?: string;
  /** Ingested before (ISO 8601). */
  until?: string;
  /** Cursor: only events with `seq` greater than this. */
  afterSeq?: number;
  limit: number;
}

export interface EventPage {
  items: LoggedEvent[];
  /** The cursor for the next page, absent on the last page. */
  nextAfterSeq?: number;
}

export const OUTBOX_STATUSES = ['pending', 'delivered', 'parked', 'skipped'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export interface OutboxRow {
  id: number;
  subscription: string;
  target: string;
  eventSeq: number;
  partitionKey: string;
  status: OutboxStatus;
  attempts: number;
  /** A skipped availability figure: the newer outbox row of its key that went instead (coalescing). */
  supersededBy?: number;
  createdAt: string;
}

export interface OutboxQuery {
  subscription?: string;
  eventSeq?: number;
  afterId?: number;
  limit: number;
}

export interface StoreHealth {
  ok: boolean;
  /** Migrations applied / known to this build. */
  applied: number;
  known: number;
  detail?: string;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Outbox claims, attempts, exceptions, audit and replays (usable after `migrate()`). */
  readonly delivery: DeliveryStore;
  /** Positions, ledger, reservations and drift reports (after `migrate()`). */
  readonly inventory: InventoryStore;
  /** The hub's cursors and counters, the log read by type, idempotency keys (after `migrate()`). */
  readonly log: LogStore;
  /** Orders, their timeline annotations, and the order processor's atomic unit (after `migrate()`). */
  readonly orders: OrderStore;
  /** Outbound X12 interchanges and the partners' 997/999 answers (after `migrate()`). */
  readonly edi: EdiStore;
  /** Alert state and leases of singleton loops (after `migrate()`). */
  readonly ops: OpsStore;
  /** One-minute rollups of the hub's figures, added by every process, summed on read (after `migrate()`). */
  readonly metrics: MetricsStore;
  /** The registry of running hub process incarnations and their heartbeats (after `migrate()`). */
  readonly processes: ProcessStore;
  /** Durable key/value state of each connector instance (after `migrate()`). */
  readonly connectorState: ConnectorStateStore;
  /** Requests received by native webhooks, with the events they produced (after `migrate()`). */
  readonly inboundRequests: InboundRequestStore;
  /** Cross-reference tables: keys of ours and a system's values for them (after `migrate()`). */
  readonly xref: XrefStore;
  /** What retention may prune, and the bounded pruning itself (after `migrate()`). */
  readonly retention: RetentionStore;
  /** Applies the adapter's numbered migrations not yet applied; returns the names it applied. */
  migrate(): Promise<string[]>;
  /** Reachable and fully migrated? Never throws. */
  health(): Promise<StoreHealth>;
  /**
   * Appends events with their outbox rows, all or nothing, durably. A `(source, id)` already in the log
   * (or repeated within `events`) is reported as a duplicate and not written again.
   */
  append(events: NewEvent[]): Promise<AppendOutcome[]>;
  /** Reads the log in `seq` order. */
  listEvents(query: EventQuery): Promise<EventPage>;
  /** Reads outbox rows in id order. */
  listOutbox(query: OutboxQuery): Promise<OutboxRow[]>;
  /** Flushes pending writes and releases connections. */
  close(): Promise<void>;
}
