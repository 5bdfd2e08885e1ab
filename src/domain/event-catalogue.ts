/**
 * The v1 event catalogue (docs/architecture.md): every type, who may assert it, and its partition key.
 * Types are never changed, only added; a breaking change is a new `.vN`.
 */

/** Facts and transitions of the ownership matrix (`ownership:` in the configuration). */
export const FACTS = [
  'order.accepted',
  'order.picked',
  'order.packed',
  'order.shipped',
  'order.delivered',
  'order.invoiced',
  'order.cancelled',
  'order.returned',
  'order.changed',
  'order.hold.payment',
  'order.hold.fraud',
  'order.hold.credit',
  'order.hold.manual',
  'inventory.on_hand',
  'inventory.incoming',
] as const;
export type Fact = (typeof FACTS)[number];

/** Milestones a platform status code can map to through `statusMaps` (docs/orders.md). */
export const MILESTONES = [
  'accepted',
  'committed',
  'released',
  'picked',
  'packed',
  'shipped',
  'delivered',
  'invoiced',
  'cancelled',
  'returned',
  'credited',
] as const;
export type Milestone = (typeof MILESTONES)[number];

/** How ownership of an inbound type is decided. */
export type TypeOwnership =
  | { kind: 'fact'; fact: Fact }
  /** `status-reported`: the fact is the milestone the caller's status code maps to. */
  | { kind: 'status-map' }
  /** `held`/`hold-released`: the fact is `order.hold.<kind>` of the data's `hold` (docs/orders.md#holds). */
  | { kind: 'hold' }
  /** Emitted by the hub itself; no external system may assert it. */
  | { kind: 'hub' };

export interface CatalogueEntry {
  type: string;
  ownership: TypeOwnership;
  /** Which data field(s) make the subject (partition key): the order id, or `sku@location`. */
  subjectFrom: 'orderId' | 'sku@location' | 'sku@channel' | 'rule';
  /**
   * Last value per partition key in delivery (docs/delivery.md §3): a pending row of this type that has a newer
   * pending row of the same subscription and key (also of a coalescing type) is skipped, never sent.
   * Only for types whose every event carries the whole current value of its key.
   */
  coalesce?: true;
}

const fact = (f: Fact): TypeOwnership => ({ kind: 'fact', fact: f });
const hub: TypeOwnership = { kind: 'hub' };

export const CATALOGUE: readonly CatalogueEntry[] = [
  {
    type: 'com.manifold.inventory.counted.v1',
    ownership: fact('inventory.on_hand'),
    subjectFrom: 'sku@location',
  },
  {
    type: 'com.manifold.inventory.adjusted.v1',
    ownership: fact('inventory.on_hand'),
    subjectFrom: 'sku@location',
  },
  {
    type: 'com.manifold.inventory.received.v1',
    ownership: fact('inventory.on_hand'),
    subjectFrom: 'sku@location',
  },
  {
    type: 'com.manifold.inventory.moved.v1',
    ownership: fact('inventory.on_hand'),
    subjectFrom: 'sku@location',
  },
  {
    type: 'com.manifold.inventory.incoming.v1',
    ownership: fact('inventory.incoming'),
    subjectFrom: 'sku@location',
  },
  { type: 'com.manifold.order.accepted.v1', ownership: fact('order.accepted'), subjectFrom: 'orderId' },
  { type: 'com.manifold.order.picked.v1', ownership: fact('order.picked'), subjectFrom: 'orderId' },
  { type: 'com.manifold.order.packed.v1', ownership: fact('order.packed'), subjectFrom: 'orderId' },
  { type: 'com.manifold.order.shipped.v1', ownership: fact('order.shipped'), subjectFrom: 'orderId' },
  { type: 'com.manifold.order.delivered.v1', ownership: fact('order.delivered'), subjectFrom: 'orderId' },
  { type: 'com.manifold.order.invoiced.v1', ownership: fact('order.invoiced'), subjectFrom: 'orderId' },
  { type: 'com.manifold.order.cancelled.v1', ownership: fact('order.cancelled'), subjectFrom: 'orderId' },
  { type: 'com.manifold.order.returned.v1', ownership: fact('order.returned'), subjectFrom: 'orderId' },
  {
    type: 'com.manifold.order.status-reported.v1',
    ownership: { kind: 'status-map' },
    subjectFrom: 'orderId',
  },
  { type: 'com.manifold.order.changed.v1', ownership: fact('order.changed'), subjectFrom: 'orderId' },
  { type: 'com.manifold.order.held.v1', ownership: { kind: 'hold' }, subjectFrom: 'orderId' },
  { type: 'com.manifold.order.hold-released.v1', ownership: { kind: 'hold' }, subjectFrom: 'orderId' },
  { type: 'com.manifold.order.milestone.v1', ownership: hub, subjectFrom: 'orderId' },
  { type: 'com.manifold.order.released.v1', ownership: hub, subjectFrom: 'orderId' },
  { type: 'com.manifold.order.exception.v1', ownership: hub, subjectFrom: 'orderId' },
  { type: 'com.manifold.order.release-cancelled.v1', ownership: hub, subjectFrom: 'orderId' },
  { type: 'com.manifold.order.change-acknowledged.v1', ownership: hub, subjectFrom: 'orderId' },
  { type: 'com.manifold.order.expired.v1', ownership: hub, subjectFrom: 'orderId' },
  {
    type: 'com.manifold.inventory.availability.v1',
    ownership: hub,
    subjectFrom: 'sku@channel',
    coalesce: true,
  },
  { type: 'com.manifold.inventory.position.v1', ownership: hub, subjectFrom: 'sku@location' },
  { type: 'com.manifold.ops.alert.v1', ownership: hub, subjectFrom: 'rule' },
];

const BY_TYPE = new Map(CATALOGUE.map((entry) => [entry.type, entry]));

/** The catalogue entry of a type, or undefined when the type is not in the v1 catalogue. */
export function catalogueEntry(type: string): CatalogueEntry | undefined {
  return BY_TYPE.get(type);
}

const COALESCABLE = CATALOGUE.filter((entry) => entry.coalesce).map((entry) => entry.type);

/** The types delivery coalesces (last value per subscription and partition key), in catalogue order. */
export function coalescableTypes(): readonly string[] {
  return COALESCABLE;
}

/** The system name the hub uses as `source` (`/manifold`) for events it emits. */
export const HUB_SYSTEM = 'manifold';

/**
 * The partition key of an event from its data: the order id, `sku@location` or `sku@channel`.
 * Undefined when the data lacks the fields (schema validation reports that separately).
 */
export function partitionKeyOf(entry: CatalogueEntry, data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  switch (entry.subjectFrom) {
    case 'orderId':
      return typeof d.orderId === 'string' ? d.orderId : undefined;
    case 'sku@location':
      return typeof d.sku === 'string' && typeof d.location === 'string'
        ? `${d.sku}@${d.location}`
        : undefined;
    case 'sku@channel':
      return typeof d.sku === 'string' && typeof d.channel === 'string' ? `${d.sku}@${d.channel}` : undefined;
    case 'rule':
      return typeof d.rule === 'string' ? d.rule : undefined;
  }
}
