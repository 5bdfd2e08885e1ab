/**
 * An inventory position of one SKU at one location (docs/inventory.md): whole units per bucket. Pure data and
 * arithmetic; the rules that decide which deltas are allowed live in `rules.ts`.
 */
import { INVENTORY_BUCKETS } from './buckets.js';

/** The stored buckets of a position: those of the v1 contract (`inventory.position.v1`), in its order. */
export const BUCKETS = INVENTORY_BUCKETS;
/** A stored bucket of a position. */
export type Bucket = (typeof BUCKETS)[number];

/** Units per bucket of one SKU at one location. `available` is derived, never stored. */
export type Position = Record<Bucket, number>;

/** Signed changes to some buckets; a missing bucket is unchanged. This is what a ledger entry records. */
export type BucketDeltas = Partial<Record<Bucket, number>>;

/** A position with every bucket at zero: the state of a SKU never seen at a location. */
export function emptyPosition(): Position {
  return {
    on_hand: 0,
    reserved: 0,
    committed: 0,
    allocated: 0,
    quarantined: 0,
    damaged: 0,
    returned: 0,
    incoming: 0,
    in_transit: 0,
  };
}

/**
 * Free stock: on hand minus what is promised (reserved, committed) or unsellable (quarantined, damaged,
 * returned). Negative means the location is oversold by that many units.
 */
export function available(position: Position): number {
  return availableDelta(position);
}

/** The change of `available` a movement's deltas make (of a whole position: its `available`). */
export function availableDelta(deltas: BucketDeltas): number {
  return (
    (deltas.on_hand ?? 0) -
    (deltas.reserved ?? 0) -
    (deltas.committed ?? 0) -
    (deltas.quarantined ?? 0) -
    (deltas.damaged ?? 0) -
    (deltas.returned ?? 0)
  );
}

/** A new position with the deltas added; the input is left untouched and nothing is checked here. */
export function applyDeltas(position: Position, deltas: BucketDeltas): Position {
  const next = { ...position };
  for (const bucket of BUCKETS) {
    const delta = deltas[bucket];
    if (delta !== undefined) next[bucket] += delta;
  }
  return next;
}
