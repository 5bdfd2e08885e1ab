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
   * Set for a state-like type: every event carries the whole current value of its key (a count, a
   * position, a figure), so a newer event of the same type and key makes an older one moot. Only these may
   * be coalesced in delivery (docs/delivery.md §3: a pending row superseded by a newer pending row of the
   * same subscription, key and type is skipped, never sent).
   */
  state?: {
    /** Why the type is state-like, and why it does or does not coalesce by default. */
    why: string;
    /** Coalesced for every subscription unless it sets `coalesce: false`. */
    coalesceByDefault?: true;
  };
}

const fact = (f: Fact): TypeOwnership => ({ kind: 'fact', fact: f });
const hub: TypeOwnership = { kind: 'hub' };

export const CATALOGUE: readonly CatalogueEntry[] = [
  {
    type: 'com.manifold.inventory.counted.v1',
    ownership: fact('inventory.on_hand'),
    subjectFrom: 'sku@location',
    state: {
      why: 'an absolute on-hand count of its key; off by default: an ERP may post an adjustment journal per count',
    },
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
    state: {
      why: 'the absolute expected quantity of its key; off by default: a WMS may book each one as an advance notice',
    },
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
    state: {
      why: 'the whole available-to-promise figure of its key; on by default: a storefront needs only the latest',
      coalesceByDefault: true,
    },
  },
  {
    type: 'com.manifold.inventory.position.v1',
    ownership: hub,
    subjectFrom: 'sku@location',
    state: {
      why: 'every bucket of its key; off by default: a stock ledger or a report may keep each step',
    },
  },
  { type: 'com.manifold.ops.alert.v1', ownership: hub, subjectFrom: 'rule' },
];

const BY_TYPE = new Map(CATALOGUE.map((entry) => [entry.type, entry]));

/** The catalogue entry of a type, or undefined when the type is not in the v1 catalogue. */
export function catalogueEntry(type: string): CatalogueEntry | undefined {
  return BY_TYPE.get(type);
}

const STATE_TYPES = CATALOGUE.filter((entry) => entry.state).map((entry) => entry.type);
const DEFAULT_COALESCING = CATALOGUE.filter((entry) => entry.state?.coalesceByDefault).map(
  (entry) => entry.type,
);

/** The state-like types (the only ones `coalesce: true` may take), in catalogue order. */
export function stateTypes(): readonly string[] {
  return STATE_TYPES;
}

/** The types delivery coalesces for a subscription that does not set `coalesce`, in catalogue order. */
export function defaultCoalescingTypes(): readonly string[] {
  return DEFAULT_COALESCING;
}

/**
 * The types a subscription's delivery coalesces (docs/delivery.md §3), in catalogue order: with
 * `coalesce: true` every state-like type it takes, with `coalesce: false` none, unset those that coalesce
 * by default.
 */
export function coalescingTypesFor(
  matchesType: (type: string) => boolean,
  coalesce: boolean | undefined,
): readonly string[] {
  if (coalesce === false) return [];
  const types = coalesce === true ? STATE_TYPES : DEFAULT_COALESCING;
  return types.filter(matchesType);
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
