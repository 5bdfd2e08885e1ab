/**
 * Data schemas of the v1 inventory events (docs/inventory.md): the inbound facts a WMS or ERP asserts, and
 * the availability and position events the hub emits.
 */
import { type Static, Type } from '@sinclair/typebox';
import {
  Count,
  DateTime,
  dataSchema,
  Identifier,
  INVENTORY_BUCKETS,
  MAX_QUANTITY,
  MOVABLE_BUCKETS,
  Quantity,
  REASON_CODES,
  StringEnum,
} from './common-schemas.js';

const sku = () => Identifier('Stock keeping unit.');
const location = () => Identifier('Location (warehouse, store) holding the stock.');
const reason = () => StringEnum(REASON_CODES, 'Ledger reason code (docs/inventory.md).');

/** `com.manifold.inventory.counted.v1`: an absolute on-hand count from the WMS. */
export const InventoryCountedSchema = dataSchema(
  {
    type: 'com.manifold.inventory.counted.v1',
    title: 'Inventory counted',
    description: 'An absolute on-hand count of a SKU at a location (cycle count); sets on_hand to onHand.',
  },
  { sku: sku(), location: location(), onHand: Count('Units physically on hand.') },
);
/** The `data` of `com.manifold.inventory.counted.v1`. */
export type InventoryCountedData = Static<typeof InventoryCountedSchema>;

/** `com.manifold.inventory.adjusted.v1`: a signed on-hand change with its reason. */
export const InventoryAdjustedSchema = dataSchema(
  {
    type: 'com.manifold.inventory.adjusted.v1',
    title: 'Inventory adjusted',
    description:
      'A change to on_hand of a SKU at a location by delta units (negative removes), with a reason.',
  },
  {
    sku: sku(),
    location: location(),
    delta: Type.Integer({
      not: { const: 0 },
      minimum: -MAX_QUANTITY,
      maximum: MAX_QUANTITY,
      description: 'Signed whole units added to on_hand; not 0.',
    }),
    reason: reason(),
  },
);
/** The `data` of `com.manifold.inventory.adjusted.v1`. */
export type InventoryAdjustedData = Static<typeof InventoryAdjustedSchema>;

/** `com.manifold.inventory.received.v1`: units received at a location (into quarantine when flagged). */
export const InventoryReceivedSchema = dataSchema(
  {
    type: 'com.manifold.inventory.received.v1',
    title: 'Inventory received',
    description: 'Units of a SKU received at a location; with quarantine true they go on quality hold.',
  },
  {
    sku: sku(),
    location: location(),
    quantity: Quantity(),
    quarantine: Type.Optional(Type.Boolean({ description: 'Receive into quarantine (quality hold).' })),
  },
);
/** The `data` of `com.manifold.inventory.received.v1`. */
export type InventoryReceivedData = Static<typeof InventoryReceivedSchema>;

/** `com.manifold.inventory.moved.v1`: units moved between buckets at one location. */
export const InventoryMovedSchema = dataSchema(
  {
    type: 'com.manifold.inventory.moved.v1',
    title: 'Inventory moved',
    description: 'Units of a SKU moved from one bucket to another at a location (e.g. quality release).',
  },
  {
    sku: sku(),
    location: location(),
    from: StringEnum(MOVABLE_BUCKETS, 'Bucket the units leave.'),
    to: StringEnum(MOVABLE_BUCKETS, 'Bucket the units enter.'),
    quantity: Quantity(),
    reason: reason(),
  },
);
/** The `data` of `com.manifold.inventory.moved.v1`. */
export type InventoryMovedData = Static<typeof InventoryMovedSchema>;

/** `com.manifold.inventory.incoming.v1`: expected inbound units (PO, transfer) from the ERP. */
export const InventoryIncomingSchema = dataSchema(
  {
    type: 'com.manifold.inventory.incoming.v1',
    title: 'Inventory incoming',
    description: 'Units of a SKU expected at a location (purchase order, transfer), not yet on hand.',
  },
  {
    sku: sku(),
    location: location(),
    quantity: Quantity(),
    expectedAt: DateTime('When the units are expected (RFC 3339).'),
  },
);
/** The `data` of `com.manifold.inventory.incoming.v1`. */
export type InventoryIncomingData = Static<typeof InventoryIncomingSchema>;

/** `com.manifold.inventory.availability.v1`: channel availability (ATP), emitted by the hub. */
export const InventoryAvailabilitySchema = dataSchema(
  {
    type: 'com.manifold.inventory.availability.v1',
    title: 'Inventory availability',
    description:
      'Available to promise of a SKU on a channel, after safety stock; last value wins (coalesced).',
  },
  {
    sku: sku(),
    channel: Identifier('Sales channel.'),
    available: Count('Units the channel may sell.'),
  },
);
/** The `data` of `com.manifold.inventory.availability.v1`. */
export type InventoryAvailabilityData = Static<typeof InventoryAvailabilitySchema>;

/** Bucket levels of a position: every bucket of docs/inventory.md, whole units, never negative. */
export const BucketLevelsSchema = Type.Object(
  Object.fromEntries(INVENTORY_BUCKETS.map((bucket) => [bucket, Count(`Units in ${bucket}.`)])) as Record<
    (typeof INVENTORY_BUCKETS)[number],
    ReturnType<typeof Count>
  >,
  { additionalProperties: false, description: 'Units per bucket.' },
);

/** `com.manifold.inventory.position.v1`: the full position of a SKU at a location, emitted by the hub. */
export const InventoryPositionSchema = dataSchema(
  {
    type: 'com.manifold.inventory.position.v1',
    title: 'Inventory position',
    description: 'All buckets of a SKU at a location after a change; available is derived from them.',
  },
  {
    sku: sku(),
    location: location(),
    buckets: BucketLevelsSchema,
    available: Type.Optional(
      Type.Integer({ description: 'Derived available units; negative only after an oversell.' }),
    ),
  },
);
/** The `data` of `com.manifold.inventory.position.v1`. */
export type InventoryPositionData = Static<typeof InventoryPositionSchema>;

/** Every inventory data schema; each one's `$id` names its type. */
export const INVENTORY_DATA_SCHEMAS = [
  InventoryCountedSchema,
  InventoryAdjustedSchema,
  InventoryReceivedSchema,
  InventoryMovedSchema,
  InventoryIncomingSchema,
  InventoryAvailabilitySchema,
  InventoryPositionSchema,
] as const;
