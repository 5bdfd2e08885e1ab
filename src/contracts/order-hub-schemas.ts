/**
 * Data schemas of the v1 order events the hub emits (docs/orders.md): derived milestones, releases to the
 * WMS and exceptions. No external system may assert them; subscribers rely on their shape.
 */
import { type Static, Type } from '@sinclair/typebox';
import { MILESTONES, type Milestone } from '../domain/event-catalogue.js';
import {
  AddressSchema,
  Count,
  CustomerSchema,
  dataSchema,
  EXCEPTION_CODE_PATTERN,
  Identifier,
  Quantity,
  StringEnum,
  Text,
} from './common-schemas.js';
import { RELEASE_COMMERCIAL_FIELDS, RELEASE_LINE_COMMERCIAL_FIELDS } from './order-commercial-schemas.js';

const orderId = () => Identifier('The order id (the partition key of order events).');

/** Per-line quantities of the order lifecycle (docs/orders.md), from which the milestone is derived. */
export const LineProgressSchema = Type.Object(
  {
    lineId: Identifier('The order line id.'),
    sku: Type.Optional(Identifier('Stock keeping unit.')),
    ordered: Count('Units ordered.'),
    committed: Type.Optional(Count('Units committed at a location.')),
    backordered: Type.Optional(Count('Units backordered.')),
    picked: Type.Optional(Count('Units picked.')),
    packed: Type.Optional(Count('Units packed.')),
    shipped: Type.Optional(Count('Units shipped.')),
    delivered: Type.Optional(Count('Units delivered.')),
    cancelled: Type.Optional(Count('Units cancelled.')),
    returned: Type.Optional(Count('Units returned.')),
    invoiced: Type.Optional(Count('Units invoiced.')),
  },
  { additionalProperties: false },
);

/** `com.manifold.order.milestone.v1`: the order reached a new milestone. */
export const OrderMilestoneSchema = dataSchema(
  {
    type: 'com.manifold.order.milestone.v1',
    title: 'Order milestone',
    description:
      'The order moved to a new milestone, derived from its lines; skipped milestones are listed as inferred.',
  },
  {
    orderId: orderId(),
    milestone: StringEnum(MILESTONES, 'The milestone the order is now at.'),
    previous: Type.Unsafe<Milestone | null>({
      type: ['string', 'null'],
      enum: [...MILESTONES, null],
      description: 'The milestone before this one; null for the first.',
    }),
    inferred: Type.Array(StringEnum(MILESTONES), {
      description: 'Milestones skipped on the way (arrived out of order), oldest first.',
    }),
    status: Type.Optional(
      Type.String({
        pattern: '^(partially_)?[a-z_]+$',
        description: 'The milestone, or partially_<milestone> while only some units reached it.',
      }),
    ),
    lines: Type.Array(LineProgressSchema, { minItems: 1, description: 'Per-line quantities.' }),
  },
);
/** The `data` of `com.manifold.order.milestone.v1`. */
export type OrderMilestoneData = Static<typeof OrderMilestoneSchema>;

/** A line released to the WMS for picking. */
export const ReleasedLineSchema = Type.Object(
  {
    lineId: Identifier('The order line id.'),
    sku: Identifier('Stock keeping unit.'),
    quantity: Quantity('Whole units to pick; at least 1.'),
    // From the order line (order-commercial-schemas.ts): description, customerItemId, gtin.
    ...RELEASE_LINE_COMMERCIAL_FIELDS,
  },
  { additionalProperties: false },
);

/** `com.manifold.order.released.v1`: an order (or part of it) released to a location's WMS. */
export const OrderReleasedSchema = dataSchema(
  {
    type: 'com.manifold.order.released.v1',
    title: 'Order released',
    description: 'Committed lines of an order released to the WMS of a location for picking.',
  },
  {
    orderId: orderId(),
    location: Identifier('The location whose WMS is to pick.'),
    channel: Type.Optional(Identifier('The sales channel that took the order.')),
    customer: Type.Optional(CustomerSchema),
    lines: Type.Array(ReleasedLineSchema, { minItems: 1, description: 'Lines to pick.' }),
    shipTo: AddressSchema,
    // From the order (order-commercial-schemas.ts): PO, department, ship window, ship-via, parties, notes.
    ...RELEASE_COMMERCIAL_FIELDS,
  },
);
/** The `data` of `com.manifold.order.released.v1`. */
export type OrderReleasedData = Static<typeof OrderReleasedSchema>;

/** `com.manifold.order.exception.v1`: a hold or problem raised on an order. */
export const OrderExceptionSchema = dataSchema(
  {
    type: 'com.manifold.order.exception.v1',
    title: 'Order exception',
    description:
      'An exception on an order (credit_hold, backordered, short_pick, unknown_status, …) with a detail.',
  },
  {
    orderId: orderId(),
    code: Type.String({
      pattern: EXCEPTION_CODE_PATTERN,
      description: 'Exception code, snake_case, e.g. short_pick.',
    }),
    detail: Text('What happened and what to do, for an operator.', 4096),
  },
);
/** The `data` of `com.manifold.order.exception.v1`. */
export type OrderExceptionData = Static<typeof OrderExceptionSchema>;

/** `com.manifold.order.release-cancelled.v1`: released lines the WMS must no longer pick. */
export const OrderReleaseCancelledSchema = dataSchema(
  {
    type: 'com.manifold.order.release-cancelled.v1',
    title: 'Order release cancelled',
    description:
      'Lines released to a location whose order was cancelled before picking: the WMS must not pick them.',
  },
  {
    orderId: orderId(),
    location: Identifier('The location whose WMS had the release.'),
    lines: Type.Array(ReleasedLineSchema, { minItems: 1, description: 'Released lines withdrawn.' }),
    reason: Type.Optional(Text('Why (the cancellation reason).', 256)),
  },
);
/** The `data` of `com.manifold.order.release-cancelled.v1`. */
export type OrderReleaseCancelledData = Static<typeof OrderReleaseCancelledSchema>;

/** How the hub answered one line of a change. */
export const AcknowledgedLineSchema = Type.Object(
  {
    lineId: Identifier('The order line id.'),
    action: StringEnum(['add', 'update', 'remove'] as const, 'What the change asked of the line.'),
    status: StringEnum(['accepted', 'rejected'] as const, 'Whether the line change was applied.'),
    sku: Type.Optional(Identifier('Stock keeping unit.')),
    quantity: Type.Optional(Count('The quantity the change asked for.')),
    reason: Type.Optional(Text('Why a line change was rejected.', 512)),
  },
  { additionalProperties: false },
);

/** `com.manifold.order.change-acknowledged.v1`: the hub applied or refused an order change. */
export const OrderChangeAcknowledgedSchema = dataSchema(
  {
    type: 'com.manifold.order.change-acknowledged.v1',
    title: 'Order change acknowledged',
    description:
      'The hub applied an order change as a whole, or refused it as a whole (the reason per line); an EDI partner receives it as an 865.',
  },
  {
    orderId: orderId(),
    changeId: Type.Optional(Identifier("The sender's reference of the change.")),
    status: StringEnum(['applied', 'refused'] as const, 'applied or refused, always as a whole.'),
    reason: Type.Optional(Text('Why the change was refused.', 4096)),
    lines: Type.Array(AcknowledgedLineSchema, { description: 'The changed lines and their answer.' }),
  },
);
/** The `data` of `com.manifold.order.change-acknowledged.v1`. */
export type OrderChangeAcknowledgedData = Static<typeof OrderChangeAcknowledgedSchema>;

/** `com.manifold.order.expired.v1`: the hub cancelled what was still open when `cancelAfter` passed. */
export const OrderExpiredSchema = dataSchema(
  {
    type: 'com.manifold.order.expired.v1',
    title: 'Order expired',
    description:
      "The order's cancelAfter passed: the hub cancelled every unit not yet picked (backordered, committed or released); picked units still ship.",
  },
  {
    orderId: orderId(),
    cancelAfter: Text('The cancelAfter of the order, as the channel sent it.', 64),
    lines: Type.Array(ReleasedLineSchema, { minItems: 1, description: 'Units cancelled per line.' }),
  },
);
/** The `data` of `com.manifold.order.expired.v1`. */
export type OrderExpiredData = Static<typeof OrderExpiredSchema>;

/** Every hub-emitted order data schema; each one's `$id` names its type. */
export const ORDER_HUB_DATA_SCHEMAS = [
  OrderMilestoneSchema,
  OrderReleasedSchema,
  OrderExceptionSchema,
  OrderReleaseCancelledSchema,
  OrderChangeAcknowledgedSchema,
  OrderExpiredSchema,
] as const;
