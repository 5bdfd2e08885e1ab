/**
 * The inventory half of the store port (docs/inventory.md): materialized positions with a version,
 * the ledger they are derived from, reservations and reconciliation reports. (Idempotency keys, the hub's
 * cursors and counters, and reading the log are the log store's: `log-port.ts`.) One implementation (`sql-inventory.ts`) runs on both adapters through a `StepRunner`.
 *
 * Every change of a position is a `Movement`: signed bucket deltas applied by one conditional UPDATE that
 * re-checks the invariants against the row as it is at write time (so concurrent writers cannot oversell,
 * whatever they read before), plus its ledger row. A unit of movements is all or nothing; a movement whose
 * condition is false raises `ConditionNotMet` with the movement's index and nothing is written.
 */
import type { ReasonCode } from '../contracts/common-schemas.js';
import type { BucketDeltas, Position } from '../domain/inventory/position.js';
import type { LeaseFence } from './lease-fence.js';
import type { IdempotencyRecord } from './log-port.js';
import type { AppendOutcome, NewEvent } from './store-port.js';

/** A position as stored: every bucket, the derived `available`, and the compare-and-set version. */
export interface PositionRecord {
  sku: string;
  location: string;
  buckets: Position;
  available: number;
  /** Bumped by every change; 0 for a position never written. */
  version: number;
  updatedAt?: string;
}

/** Who and what caused a ledger entry. */
export interface LedgerContext {
  /** The system that asserted the fact, or `manifold` for the hub's own movements. */
  system: string;
  /** The CloudEvent id behind it, when an event caused it. */
  eventId?: string;
  correlationId?: string;
  /** The business document: reservation id, order id, snapshot report, PO number. */
  documentRef?: string;
}

/** One change of one position, with its ledger entry. */
export interface Movement extends LedgerContext {
  sku: string;
  location: string;
  deltas: BucketDeltas;
  reason: ReasonCode;
  /**
   * `promise`: Manifold's own movement (reserve, commit): refused when it lowers `available` below zero.
   * `fact`: an owner's physical fact (count, damage): buckets stay ≥ 0, `available` may go negative.
   * Both keep every bucket ≥ 0 and `allocated ≤ committed`.
   */
  guard: 'promise' | 'fact';
  /** Compare-and-set: apply only when the position is at this version (0: not written yet). */
  expectVersion?: number;
}

export interface LedgerRecord extends LedgerContext {
  id: number;
  sku: string;
  location: string;
  deltas: BucketDeltas;
  reason: ReasonCode;
  /** The position's version after this entry. */
  version: number;
  at: string;
}

export interface LedgerQuery {
  sku: string;
  location?: string;
  /** Only entries at these locations (a reader's scope). */
  locations?: readonly string[];
  /** Cursor (newest first): entries with a smaller id. */
  beforeId?: number;
  limit: number;
}

export const RESERVATION_STATUSES = ['open', 'released', 'expired', 'committed'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export interface ReservationLine {
  sku: string;
  location: string;
  quantity: number;
}

export interface ReservationRecord {
  id: string;
  channel: string;
  /** The system that holds it (its channel's system, or `admin:<key>`). */
  system: string;
  status: ReservationStatus;
  reference?: string;
  orderId?: string;
  expiresAt: string;
  createdAt: string;
  closedAt?: string;
  closedBy?: string;
  lines: ReservationLine[];
}

/** An exception opened together with a unit of movements. */
export interface InventoryException {
  code: string;
  detail: string;
  system?: string;
  subject?: string;
  eventSeq?: number;
  eventId?: string;
  payload?: string;
  /** Open it only when no exception of this code is open for the subject. */
  onePerSubject?: boolean;
}

/** Extra writes of a unit: a cursor to move (compare-and-set) and exceptions to open. */
export interface UnitExtras {
  cursor?: { name: string; from: number; to: number };
  exceptions?: InventoryException[];
}

/** One batch of the availability publisher (`publishAvailability`). */
export interface AvailabilityBatch {
  /** Hub events, ready for the log, with their outbox rows. */
  events: NewEvent[];
  /** The figures now published per SKU and channel (stored with the batch's last ledger id, `cursor.to`). */
  published: { sku: string; channel: string; available: number }[];
  /** Positions whose open `oversold` exception is resolved when `available` is ≥ 0 at write time. */
  recovered: { sku: string; location: string }[];
  /** The publisher's cursor, moved from `from` to the batch's last ledger id `to` (compare-and-set). */
  cursor: { name: string; from: number; to: number };
  at: string;
}

export interface DriftLine {
  sku: string;
  location: string;
  theirs: number;
  ours: number;
  difference: number;
}

export interface DriftReport {
  id: number;
  system: string;
  mode: 'report' | 'adopt';
  full: boolean;
  counted: number;
  drifting: number;
  units: number;
  at: string;
  lines: DriftLine[];
}

export interface NewDriftReport extends Omit<DriftReport, 'id' | 'lines'> {
  lines: DriftLine[];
}

export interface DriftQuery {
  sku?: string;
  location?: string;
  system?: string;
  /** Only the newest report (default) or every report. */
  latest: boolean;
  limit: number;
}

export interface InventoryStore {
  /** Every location's position of a SKU, in location order. */
  positions(sku: string): Promise<PositionRecord[]>;
  /** Every position at some locations (all when omitted). */
  positionsAt(locations?: string[]): Promise<PositionRecord[]>;
  /** Positions recomputed from the ledger alone (sum of deltas per SKU × location). */
  positionsFromLedger(sku?: string): Promise<PositionRecord[]>;
  /** Whether the SKU has a position anywhere. */
  knownSku(sku: string): Promise<boolean>;
  /** The ledger of a SKU, newest first. */
  ledger(query: LedgerQuery): Promise<LedgerRecord[]>;
  /** Ledger entries after an id, oldest first (the availability publisher's feed). */
  ledgerAfter(afterId: number, limit: number): Promise<LedgerRecord[]>;

  /** Applies movements (and extras) in one transaction; `ConditionNotMet(index)` when one is refused. */
  applyMovements(movements: Movement[], extras?: UnitExtras, at?: string): Promise<void>;

  /**
   * Creates a reservation with its `reserved` movements (one per line, checked in aggregate by the
   * caller's grouping) and, when given, its idempotency record, in one transaction. `ConditionNotMet`
   * when stock is short at write time (index of the movement).
   */
  createReservation(
    reservation: ReservationRecord,
    movements: Movement[],
    idempotency?: IdempotencyRecord,
  ): Promise<void>;
  /**
   * Closes an open, unexpired (for `committed`) reservation with its movements. `ConditionNotMet(-1)` when
   * it is no longer open (or expired before a commit).
   */
  closeReservation(
    id: string,
    close: { status: Exclude<ReservationStatus, 'open'>; at: string; by: string; orderId?: string },
    movements: Movement[],
    /** The lease the writer holds (the expiry sweep), checked first: `LeaseLost`, nothing written. */
    fence?: LeaseFence,
  ): Promise<void>;
  getReservation(id: string): Promise<ReservationRecord | undefined>;
  /** Ids of open reservations expired at `now`, oldest expiry first. */
  expiredReservations(now: string, limit: number): Promise<string[]>;

  /** The last published availability per SKU and channel. */
  publishedAvailability(keys: { sku: string; channel: string }[]): Promise<Map<string, number>>;
  /**
   * Writes a batch of the availability publisher in one transaction: its events (appended as
   * `Store.append` would, duplicates reported and not written again), the figures published, the
   * recovered positions' exceptions, and the cursor. `ConditionNotMet` when the cursor has moved (or
   * another writer logged one of the events meanwhile), `LeaseLost` when `fence` no longer holds: nothing
   * written either way. Resolves with one outcome per event.
   */
  publishAvailability(batch: AvailabilityBatch, fence?: LeaseFence): Promise<AppendOutcome[]>;

  saveDriftReport(report: NewDriftReport): Promise<number>;
  driftReports(query: DriftQuery): Promise<DriftReport[]>;
  /** Each system's newest drift report, without its lines (metrics and alerts). */
  latestDrift(): Promise<Omit<DriftReport, 'lines'>[]>;
}
