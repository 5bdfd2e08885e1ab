/**
 * The answers of the order reads: the canonical order (`GET /v1/orders/{id}`, a page of them, the 201 of
 * `POST /v1/orders`) and its timeline (`GET /v1/orders/{id}/timeline`). The routes serialize by these
 * schemas, the order service builds values of these types, and the console reads the same types.
 */
import { type Static, Type } from '@sinclair/typebox';
import { LINE_COMMERCIAL_FIELDS, ORDER_COMMERCIAL_FIELDS } from '../order-commercial-schemas.js';

/** A document the hub keeps as the sender gave it (customer, ship-to, enrichment): any JSON object. */
const Document = (description: string) =>
  Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true, description }));

const Units = (description: string) => Type.Integer({ description });
const PerLocation = (description: string) => Type.Record(Type.String(), Type.Integer(), { description });

/** A line of an order: what was ordered and every lifecycle quantity of it. */
export const OrderLineViewSchema = Type.Object(
  {
    lineId: Type.String(),
    sku: Type.String(),
    ordered: Units('units ordered, in the base unit (EA); every lifecycle quantity here counts these'),
    unitPrice: Type.Optional(Type.Number({ description: 'price of one unit ordered (of `uom`)' })),
    // Units of measure (docs/orders.md#units-of-measure).
    uom: Type.Optional(Type.String({ description: 'the unit ordered (EA, CA, …)' })),
    quantity: Type.Optional(Units('the quantity ordered, in `uom`')),
    baseQuantity: Type.Optional(
      Units('the quantity ordered in the base unit (EA): quantity × the unit factor'),
    ),
    location: Type.Optional(
      Type.String({ description: 'where the units are committed (the first location of committedAt)' }),
    ),
    committed: Units('units committed at a location'),
    backordered: Units('units waiting for stock'),
    released: Units('units released to a WMS for picking'),
    picked: Units('units picked'),
    packed: Units('units packed'),
    shipped: Units('units shipped'),
    delivered: Units('units delivered'),
    cancelled: Units('units cancelled'),
    returned: Units('units returned'),
    invoiced: Units('units invoiced'),
    committedAt: Type.Optional(PerLocation('units committed and not yet shipped, per location')),
    inTransitAt: Type.Optional(PerLocation('units shipped and not yet delivered, per location they left')),
    // The line's commercial fields as the order gave them (description, customerItemId, gtin, …).
    ...LINE_COMMERCIAL_FIELDS,
  },
  { additionalProperties: false },
);
export type OrderLineView = Static<typeof OrderLineViewSchema>;

/** An open exception on an order. */
export const OrderExceptionViewSchema = Type.Object(
  { id: Type.Integer(), code: Type.String(), detail: Type.String(), createdAt: Type.String() },
  { additionalProperties: false },
);

/** An active hold: nothing of the order goes to a warehouse while one is set (docs/orders.md#holds). */
export const OrderHoldViewSchema = Type.Object(
  {
    kind: Type.String({ description: 'payment, fraud, credit or manual' }),
    reason: Type.String(),
    by: Type.String({ description: 'the system that placed it (manifold: the validation call-out)' }),
    since: Type.String(),
  },
  { additionalProperties: false },
);
export type OrderHoldView = Static<typeof OrderHoldViewSchema>;

/** The canonical order: document, per-line quantities, milestone and status, open exceptions. */
export const OrderViewSchema = Type.Object(
  {
    orderId: Type.String(),
    channel: Type.String(),
    system: Type.String({ description: 'the system that sent the order' }),
    milestone: Type.String(),
    status: Type.String({
      description: 'the milestone, or partially_<milestone> while only some units reached it',
    }),
    reached: Type.Array(Type.String(), {
      description: 'every milestone the order has been at, inferred ones included',
    }),
    customer: Document('the customer, as the order gave it'),
    shipTo: Document('the ship-to address, as the order gave it'),
    enrichment: Type.Optional(
      Document("fields the ERP's validation added (terms, prices, customer number…)"),
    ),
    // The order's commercial fields as it gave them (customerPo, currency, dates, parties, charges, …).
    ...ORDER_COMMERCIAL_FIELDS,
    lines: Type.Array(OrderLineViewSchema),
    holds: Type.Array(Type.String(), { description: 'codes of the open exceptions' }),
    activeHolds: Type.Array(OrderHoldViewSchema, {
      description: 'holds in force (payment, fraud, credit, manual); the order is not released while any is',
    }),
    exceptions: Type.Array(OrderExceptionViewSchema),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    version: Type.Integer({ description: 'bumped by every write' }),
  },
  { additionalProperties: false, description: 'The canonical order' },
);
export type OrderView = Static<typeof OrderViewSchema>;

/** `GET /v1/orders`: oldest first; `next` is the cursor of the next page. */
export const OrderPageSchema = Type.Object({
  items: Type.Array(OrderViewSchema),
  next: Type.Optional(Type.String()),
});
export type OrderPage = Static<typeof OrderPageSchema>;

/** `POST /v1/orders` answered 202: the order is logged and still being processed. */
export const OrderProcessingSchema = Type.Object({ orderId: Type.String(), status: Type.String() });
export type OrderProcessing = Static<typeof OrderProcessingSchema>;

/** One attempt to deliver an event to a subscriber. */
export const DeliveryAttemptViewSchema = Type.Object(
  {
    attempt: Type.Integer(),
    at: Type.String(),
    outcome: Type.String(),
    httpStatus: Type.Optional(Type.Integer()),
    error: Type.Optional(Type.String()),
    latencyMs: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
export type DeliveryAttemptView = Static<typeof DeliveryAttemptViewSchema>;

/** The X12 interchange an EDI subscription sent for the event, and the partner's 997/999 verdict on it. */
export const X12DocumentViewSchema = Type.Object(
  {
    set: Type.String({ description: 'the transaction set, e.g. 855' }),
    interchange: Type.Integer({ description: 'the ISA13 control number' }),
    group: Type.Optional(Type.Integer({ description: 'the GS06 control number' })),
    transactionSet: Type.Optional(Type.Integer({ description: 'the ST02 control number' })),
    acknowledgement: Type.String({ description: 'accepted, rejected or pending' }),
    acknowledgedAt: Type.Optional(Type.String()),
    codes: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type X12DocumentView = Static<typeof X12DocumentViewSchema>;

/** One subscriber's delivery of a timeline event. */
export const TimelineDeliverySchema = Type.Object(
  {
    subscription: Type.String(),
    target: Type.String(),
    status: Type.String(),
    attempts: Type.Array(DeliveryAttemptViewSchema),
    latencyFromIngestMs: Type.Optional(Type.Number()),
    supersededBy: Type.Optional(Type.Integer()),
    x12: Type.Optional(X12DocumentViewSchema),
  },
  { additionalProperties: false },
);
export type TimelineDelivery = Static<typeof TimelineDeliverySchema>;

const MilestoneOrNull = (description: string) => Type.Union([Type.String(), Type.Null()], { description });

/** A package of a shipment on the timeline: SSCC-18, tracking, weight and what it holds. */
export const TimelinePackageSchema = Type.Object(
  {
    sscc: Type.String(),
    tracking: Type.Optional(Type.String()),
    weight: Type.Optional(
      Type.Object({ value: Type.Number(), unit: Type.String() }, { additionalProperties: false }),
    ),
    lines: Type.Array(
      Type.Object(
        { lineId: Type.String(), quantity: Type.Integer(), uom: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type TimelinePackage = Static<typeof TimelinePackageSchema>;

/** An event in or out of an order, what the processor made of it, and its deliveries. */
export const TimelineEntrySchema = Type.Object(
  {
    seq: Type.Optional(Type.Integer({ description: 'the log position; absent for a note' })),
    at: Type.String(),
    direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
    system: Type.Optional(Type.String()),
    type: Type.String({ description: 'the event type, or `note`' }),
    id: Type.Optional(Type.String()),
    correlationid: Type.Optional(Type.String()),
    causationid: Type.Optional(Type.String()),
    milestoneBefore: Type.Optional(MilestoneOrNull('the milestone before the event; null for the first')),
    milestoneAfter: Type.Optional(MilestoneOrNull('the milestone after the event')),
    status: Type.Optional(Type.String()),
    inferred: Type.Optional(Type.Array(Type.String(), { description: 'milestones skipped on the way' })),
    late: Type.Optional(Type.Boolean({ description: 'arrived after a later milestone' })),
    note: Type.Optional(Type.String()),
    tracking: Type.Optional(Type.String()),
    location: Type.Optional(Type.String()),
    request: Type.Optional(
      Type.String({
        description:
          'the native webhook request the event came from (`GET /v1/inbound-requests/{id}`: its raw body and headers)',
      }),
    ),
    carrier: Type.Optional(Type.String()),
    service: Type.Optional(Type.String()),
    packages: Type.Optional(
      Type.Array(TimelinePackageSchema, { description: 'the packages of a shipment (order.shipped.v1)' }),
    ),
    deliveries: Type.Array(TimelineDeliverySchema),
  },
  { additionalProperties: false },
);
export type TimelineEntry = Static<typeof TimelineEntrySchema>;

/** `GET /v1/orders/{id}/timeline`: every event in and out of the order, in time order. */
export const TimelineSchema = Type.Object(
  {
    orderId: Type.String(),
    milestone: Type.String(),
    status: Type.String(),
    entries: Type.Array(TimelineEntrySchema),
  },
  { additionalProperties: false },
);
export type Timeline = Static<typeof TimelineSchema>;
