/** Inventory buckets of a position (docs/inventory.md), in the order every answer and event lists them. */
export const INVENTORY_BUCKETS = [
  'on_hand',
  'reserved',
  'committed',
  'allocated',
  'quarantined',
  'damaged',
  'returned',
  'incoming',
  'in_transit',
] as const;
/** A bucket of an inventory position. */
export type InventoryBucket = (typeof INVENTORY_BUCKETS)[number];
