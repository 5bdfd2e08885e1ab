/**
 * The inventory vocabulary the movement rules speak: ledger reason codes and the buckets a physical move
 * may use. Defined here, below their users; `contracts/` builds the event schemas from these lists.
 */

/** Ledger reason codes (docs/inventory.md), a closed list: a new code is a contract change. */
export const REASON_CODES = [
  'received',
  'putaway',
  'cycle_count',
  'correction',
  'shrinkage',
  'damaged',
  'quality_hold',
  'quality_release',
  'reservation_created',
  'reservation_released',
  'reservation_expired',
  'reservation_committed',
  'order_committed',
  'order_cancelled',
  'allocated',
  'shipped',
  'delivered',
  'return_received',
  'return_restocked',
  'return_scrapped',
  'transfer_out',
  'transfer_in',
  'reconciliation',
] as const;
/** A ledger reason code. */
export type ReasonCode = (typeof REASON_CODES)[number];

/** Buckets a physical movement (`inventory.moved.v1`) may take units from or put them into. */
export const MOVABLE_BUCKETS = ['available', 'quarantined', 'damaged', 'returned'] as const;
/** A bucket `inventory.moved.v1` may move units between. */
export type MovableBucket = (typeof MOVABLE_BUCKETS)[number];
