/**
 * Movement rules of docs/inventory.md: one pure function per inbound inventory event and per order-driven
 * movement. Each looks at the current position and either returns the bucket deltas to record (with their
 * reason code) or refuses. Rules never throw and never touch storage; the store applies the deltas
 * atomically with a compare-and-set on the position.
 *
 * Invariants kept by every accepted result: every bucket stays ≥ 0 and `allocated ≤ committed`. Manifold's
 * own movements never take `available` below zero; physical facts from the owner (count, adjustment,
 * moves into quarantine/damaged/returned) may, and the result then reports the shortfall.
 */

import { applyDeltas, available, type Bucket, type BucketDeltas, type Position } from './position.js';
import type { MovableBucket, ReasonCode } from './reason-codes.js';

/** Why a rule refused a movement; stable codes the API maps to problem types. */
export const REFUSAL_CODES = [
  'invalid-quantity',
  'insufficient-stock',
  'bucket-underflow',
  'allocation-exceeds-commitment',
  'same-bucket',
] as const;
/** A rule refusal code. */
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Consequences the caller must act on besides recording the deltas. */
export interface RuleEffects {
  /** `available` is negative after the change: open or update the location's oversold exception. */
  oversold?: { shortfall: number };
}

/** An accepted movement: the deltas to record in the ledger, with their reason. */
export interface RuleAccepted {
  ok: true;
  deltas: BucketDeltas;
  reason: ReasonCode;
  effects?: RuleEffects;
}

/** A refused movement; nothing is recorded. `available` is set on `insufficient-stock`. */
export interface RuleRefused {
  ok: false;
  code: RefusalCode;
  detail: string;
  available?: number;
}

/** The outcome of a rule. */
export type RuleResult = RuleAccepted | RuleRefused;

/** Reasons a reservation may be released with: by its holder or by expiry. */
export type ReservationReleaseReason = 'reservation_released' | 'reservation_expired';

/** Accepts the deltas, flagging `oversold` whenever the resulting position has negative `available`. */
function accept(position: Position, deltas: BucketDeltas, reason: ReasonCode): RuleAccepted {
  const after = available(applyDeltas(position, deltas));
  if (after < 0) return { ok: true, deltas, reason, effects: { oversold: { shortfall: -after } } };
  return { ok: true, deltas, reason };
}

function refuse(code: RefusalCode, detail: string): RuleRefused {
  return { ok: false, code, detail };
}

/** Movements are in whole units, at least one. */
function invalidQuantity(rule: string, quantity: number): RuleRefused | undefined {
  if (Number.isSafeInteger(quantity) && quantity > 0) return undefined;
  return refuse('invalid-quantity', `${rule}: quantity must be a whole number ≥ 1, got ${quantity}`);
}

/** Absolute levels (a count, an expected quantity) are whole units, zero allowed. */
function invalidLevel(rule: string, level: number): RuleRefused | undefined {
  if (Number.isSafeInteger(level) && level >= 0) return undefined;
  return refuse('invalid-quantity', `${rule}: level must be a whole number ≥ 0, got ${level}`);
}

/** Refuses taking `quantity` out of a bucket that holds fewer units. */
function underflow(
  rule: string,
  position: Position,
  bucket: Bucket,
  quantity: number,
): RuleRefused | undefined {
  if (position[bucket] >= quantity) return undefined;
  return refuse('bucket-underflow', `${rule} ${quantity}: only ${position[bucket]} in ${bucket}`);
}

/** Refuses promising more than the free stock. */
function insufficientStock(rule: string, position: Position, quantity: number): RuleRefused | undefined {
  const free = available(position);
  if (free >= quantity) return undefined;
  return {
    ok: false,
    code: 'insufficient-stock',
    detail: `${rule} ${quantity}: only ${Math.max(0, free)} available`,
    available: free,
  };
}

// Inbound facts from the owner systems.

/** `inventory.counted`: the WMS's absolute count sets `on_hand`; it may leave the location oversold. */
export function counted(position: Position, onHand: number): RuleResult {
  return (
    invalidLevel('counted', onHand) ?? accept(position, { on_hand: onHand - position.on_hand }, 'cycle_count')
  );
}

/** `inventory.adjusted`: a signed `on_hand` change; refused below zero, may leave the location oversold. */
export function adjusted(position: Position, delta: number, reason: ReasonCode): RuleResult {
  if (!Number.isSafeInteger(delta) || delta === 0) {
    return refuse('invalid-quantity', `adjusted: delta must be a non-zero whole number, got ${delta}`);
  }
  if (position.on_hand + delta < 0) {
    return refuse('bucket-underflow', `adjusted ${delta}: only ${position.on_hand} in on_hand`);
  }
  return accept(position, { on_hand: delta }, reason);
}

/** `inventory.received`: units arrive on hand, straight into quality hold when `quarantine` is set. */
export function received(position: Position, quantity: number, quarantine = false): RuleResult {
  const deltas: BucketDeltas = quarantine
    ? { on_hand: quantity, quarantined: quantity }
    : { on_hand: quantity };
  return invalidQuantity('received', quantity) ?? accept(position, deltas, 'received');
}

/**
 * `inventory.moved`: units change state at the location. `available` is free stock on hand, not a stored
 * bucket, so moving out of it only grows the target bucket. The owner reports a physical fact, so a move
 * out of `available` is accepted even beyond free stock (then flagged oversold); a move out of a stored
 * bucket needs the units to be there.
 */
export function moved(
  position: Position,
  from: MovableBucket,
  to: MovableBucket,
  quantity: number,
  reason: ReasonCode,
): RuleResult {
  const bad = invalidQuantity('moved', quantity);
  if (bad) return bad;
  if (from === to) return refuse('same-bucket', `moved: from and to are both ${from}`);
  const deltas: BucketDeltas = {};
  if (from !== 'available') {
    const short = underflow(`moved ${from}→${to}`, position, from, quantity);
    if (short) return short;
    deltas[from] = -quantity;
  }
  if (to !== 'available') deltas[to] = quantity;
  return accept(position, deltas, reason);
}

/**
 * `inventory.incoming`: the ERP's expected inbound for this SKU at this location, taken as the absolute
 * figure (`incoming := quantity`) so a re-sent or revised PO never double-counts. Zero clears it.
 * The closed reason list has no "expected" code; adopting an owner's figure is `reconciliation`.
 */
export function incoming(position: Position, quantity: number): RuleResult {
  return (
    invalidLevel('incoming', quantity) ??
    accept(position, { incoming: quantity - position.incoming }, 'reconciliation')
  );
}

// Order-driven movements: Manifold's own, never take `available` below zero.

/** Holds units for a cart, quote or pending PO, only out of free stock. */
export function reserve(position: Position, quantity: number): RuleResult {
  return (
    invalidQuantity('reserve', quantity) ??
    insufficientStock('reserve', position, quantity) ??
    accept(position, { reserved: quantity }, 'reservation_created')
  );
}

/** Gives held units back to free stock, on release or on expiry. */
export function releaseReservation(
  position: Position,
  quantity: number,
  reason: ReservationReleaseReason = 'reservation_released',
): RuleResult {
  return (
    invalidQuantity('releaseReservation', quantity) ??
    underflow('releaseReservation', position, 'reserved', quantity) ??
    accept(position, { reserved: -quantity }, reason)
  );
}

/** Turns held units into an order commitment in one step; `available` is unchanged. */
export function commitReservation(position: Position, quantity: number): RuleResult {
  return (
    invalidQuantity('commitReservation', quantity) ??
    underflow('commitReservation', position, 'reserved', quantity) ??
    accept(position, { reserved: -quantity, committed: quantity }, 'reservation_committed')
  );
}

/** Commits units to an accepted order line without a prior reservation, only out of free stock. */
export function commit(position: Position, quantity: number): RuleResult {
  return (
    invalidQuantity('commit', quantity) ??
    insufficientStock('commit', position, quantity) ??
    accept(position, { committed: quantity }, 'order_committed')
  );
}

/** `allocated` shrinks with `committed`, by at most `quantity`, so `allocated ≤ committed` holds. */
function releaseAllocation(position: Position, quantity: number): BucketDeltas {
  const taken = Math.min(quantity, position.allocated);
  return taken > 0 ? { allocated: -taken } : {};
}

/** An order line is cancelled: its committed units (and their pick work) are released. */
export function releaseCommitment(position: Position, quantity: number): RuleResult {
  return (
    invalidQuantity('releaseCommitment', quantity) ??
    underflow('releaseCommitment', position, 'committed', quantity) ??
    accept(position, { committed: -quantity, ...releaseAllocation(position, quantity) }, 'order_cancelled')
  );
}

/** The WMS assigns committed units to pick work; never more than is committed. */
export function allocate(position: Position, quantity: number): RuleResult {
  const bad = invalidQuantity('allocate', quantity);
  if (bad) return bad;
  if (position.allocated + quantity > position.committed) {
    return refuse(
      'allocation-exceeds-commitment',
      `allocate ${quantity}: ${position.allocated} of ${position.committed} committed already allocated`,
    );
  }
  return accept(position, { allocated: quantity }, 'allocated');
}

/** Committed units leave the building and are in transit to the customer. */
export function ship(position: Position, quantity: number): RuleResult {
  return (
    invalidQuantity('ship', quantity) ??
    underflow('ship', position, 'on_hand', quantity) ??
    underflow('ship', position, 'committed', quantity) ??
    accept(
      position,
      {
        on_hand: -quantity,
        committed: -quantity,
        ...releaseAllocation(position, quantity),
        in_transit: quantity,
      },
      'shipped',
    )
  );
}

/** The carrier delivered units that were in transit. */
export function deliver(position: Position, quantity: number): RuleResult {
  return (
    invalidQuantity('deliver', quantity) ??
    underflow('deliver', position, 'in_transit', quantity) ??
    accept(position, { in_transit: -quantity }, 'delivered')
  );
}

/** A return arrives: on hand but not sellable until dispositioned. */
export function returnReceived(position: Position, quantity: number): RuleResult {
  return (
    invalidQuantity('returnReceived', quantity) ??
    accept(position, { on_hand: quantity, returned: quantity }, 'return_received')
  );
}

/** Returned units pass inspection and become free stock. */
export function restock(position: Position, quantity: number): RuleResult {
  return (
    invalidQuantity('restock', quantity) ??
    underflow('restock', position, 'returned', quantity) ??
    accept(position, { returned: -quantity }, 'return_restocked')
  );
}

/** Returned units are disposed of: they leave `returned` and the building. */
export function scrap(position: Position, quantity: number): RuleResult {
  return (
    invalidQuantity('scrap', quantity) ??
    underflow('scrap', position, 'returned', quantity) ??
    underflow('scrap', position, 'on_hand', quantity) ??
    accept(position, { returned: -quantity, on_hand: -quantity }, 'return_scrapped')
  );
}
