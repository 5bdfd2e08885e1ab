/**
 * Data schemas of the v1 inbound order events (docs/orders.md): facts a channel, WMS, carrier or ERP
 * asserts about an order, checked against the ownership matrix after validation.
 */
import { type Static, Type } from '@sinclair/typebox';
import {
  AddressSchema,
  CalendarDate,
  CurrencyCode,
  CustomerSchema,
  DateTime,
  dataSchema,
  Identifier,
  LineQuantities,
  Money,
  Quantity,
  Text,
} from './common-schemas.js';

const orderId = () => Identifier('The order id (the partition key of order events).');
const lineId = () => Identifier('The order line id, unique within the order.');
const location = () => Identifier('The location (warehouse) doing the work.');

/** An ordered line: what the customer bought, at what unit price. */
export const OrderedLineSchema = Type.Object(
  {
    lineId: lineId(),
    sku: Identifier('Stock keeping unit.'),
    quantity: Quantity('Whole units ordered; at least 1.'),
    unitPrice: Money('Price of one unit.'),
  },
  { additionalProperties: false },
);

/** `com.manifold.order.accepted.v1`: an order taken by a channel. */
export const OrderAcceptedSchema = dataSchema(
  {
    type: 'com.manifold.order.accepted.v1',
    title: 'Order accepted',
    description: 'An order taken by a sales channel: customer, ordered lines and ship-to address.',
  },
  {
    orderId: orderId(),
    channel: Identifier('The sales channel that took the order.'),
    customer: CustomerSchema,
    lines: Type.Array(OrderedLineSchema, { minItems: 1, description: 'Ordered lines.' }),
    shipTo: AddressSchema,
    cancelAfter: Type.Optional(
      Type.Union([CalendarDate('Date (UTC) after which'), DateTime('Instant after which')], {
        description:
          'Cancel what is not yet picked once this has passed: a date (YYYY-MM-DD, the whole day in UTC is allowed) or an RFC 3339 date-time (docs/orders.md#cancelafter).',
      }),
    ),
  },
);
/** The `data` of `com.manifold.order.accepted.v1`. */
export type OrderAcceptedData = Static<typeof OrderAcceptedSchema>;

/** The shape shared by picked, packed and shipped: per-line quantities done at a location. */
function executionSchema(type: string, title: string, description: string) {
  return dataSchema(
    { type, title, description },
    {
      orderId: orderId(),
      location: location(),
      lines: LineQuantities('Quantities per line done by this step.'),
      carrier: Type.Optional(Identifier('Carrier (SCAC or name).')),
      tracking: Type.Optional(Identifier('Carrier tracking number.')),
    },
  );
}

/** `com.manifold.order.picked.v1`: lines picked by the WMS. */
export const OrderPickedSchema = executionSchema(
  'com.manifold.order.picked.v1',
  'Order picked',
  'Quantities of order lines picked at a location.',
);
/** `com.manifold.order.packed.v1`: lines packed by the WMS. */
export const OrderPackedSchema = executionSchema(
  'com.manifold.order.packed.v1',
  'Order packed',
  'Quantities of order lines packed at a location.',
);
/** `com.manifold.order.shipped.v1`: lines shipped from a location, with carrier and tracking if known. */
export const OrderShippedSchema = executionSchema(
  'com.manifold.order.shipped.v1',
  'Order shipped',
  'Quantities of order lines shipped from a location, with carrier and tracking when known.',
);
/** Data of picked, packed and shipped events. */
export type OrderExecutionData = Static<typeof OrderPickedSchema>;

/** `com.manifold.order.delivered.v1`: delivery confirmed by the carrier. */
export const OrderDeliveredSchema = dataSchema(
  {
    type: 'com.manifold.order.delivered.v1',
    title: 'Order delivered',
    description: 'Delivery confirmed by the carrier; without lines, everything shipped is delivered.',
  },
  {
    orderId: orderId(),
    lines: Type.Optional(LineQuantities('Quantities per line delivered; all shipped units when absent.')),
    deliveredAt: Type.Optional(DateTime('When the delivery happened (RFC 3339).')),
    signedBy: Type.Optional(Text('Name of the person who signed for it.', 256)),
  },
);
/** The `data` of `com.manifold.order.delivered.v1`. */
export type OrderDeliveredData = Static<typeof OrderDeliveredSchema>;

/** An invoiced line: quantity billed at a unit price. */
export const InvoicedLineSchema = Type.Object(
  {
    lineId: lineId(),
    quantity: Quantity('Whole units invoiced; at least 1.'),
    unitPrice: Money('Price of one unit.'),
  },
  { additionalProperties: false },
);

/** `com.manifold.order.invoiced.v1`: an invoice issued by the ERP. */
export const OrderInvoicedSchema = dataSchema(
  {
    type: 'com.manifold.order.invoiced.v1',
    title: 'Order invoiced',
    description: 'An invoice issued by the ERP for quantities of order lines.',
  },
  {
    orderId: orderId(),
    invoiceNumber: Identifier('The invoice number in the ERP.'),
    invoiceDate: Type.Optional(CalendarDate('Invoice date, YYYY-MM-DD.')),
    lines: Type.Array(InvoicedLineSchema, { minItems: 1, description: 'Invoiced lines.' }),
    total: Money('Invoice total.'),
    currency: Type.Optional(CurrencyCode()),
  },
);
/** The `data` of `com.manifold.order.invoiced.v1`. */
export type OrderInvoicedData = Static<typeof OrderInvoicedSchema>;

/** `com.manifold.order.cancelled.v1`: an order, or some of its lines, cancelled. */
export const OrderCancelledSchema = dataSchema(
  {
    type: 'com.manifold.order.cancelled.v1',
    title: 'Order cancelled',
    description: 'An order cancelled, wholly or (with lines) in part; releases the commitments.',
  },
  {
    orderId: orderId(),
    reason: Text('Why the order was cancelled (code or text of the source).', 256),
    lines: Type.Optional(LineQuantities('Quantities per line cancelled; the whole order when absent.')),
  },
);
/** The `data` of `com.manifold.order.cancelled.v1`. */
export type OrderCancelledData = Static<typeof OrderCancelledSchema>;

/** `com.manifold.order.returned.v1`: returned units received at a location. */
export const OrderReturnedSchema = dataSchema(
  {
    type: 'com.manifold.order.returned.v1',
    title: 'Order returned',
    description: 'Returned units of order lines received at a location, awaiting disposition.',
  },
  {
    orderId: orderId(),
    location: location(),
    lines: LineQuantities('Quantities per line received back.'),
    rma: Type.Optional(Identifier('Return merchandise authorization number.')),
  },
);
/** The `data` of `com.manifold.order.returned.v1`. */
export type OrderReturnedData = Static<typeof OrderReturnedSchema>;

/** `com.manifold.order.status-reported.v1`: a platform's own status code, mapped through `statusMaps`. */
export const OrderStatusReportedSchema = dataSchema(
  {
    type: 'com.manifold.order.status-reported.v1',
    title: 'Order status reported',
    description: "A platform's own status code for an order; the hub maps it to a milestone via statusMaps.",
  },
  {
    orderId: orderId(),
    status: Identifier("The platform's status code, as the platform names it."),
  },
);
/** The `data` of `com.manifold.order.status-reported.v1`. */
export type OrderStatusReportedData = Static<typeof OrderStatusReportedSchema>;

/** Every inbound order data schema; each one's `$id` names its type. */
export const ORDER_DATA_SCHEMAS = [
  OrderAcceptedSchema,
  OrderPickedSchema,
  OrderPackedSchema,
  OrderShippedSchema,
  OrderDeliveredSchema,
  OrderInvoicedSchema,
  OrderCancelledSchema,
  OrderReturnedSchema,
  OrderStatusReportedSchema,
] as const;
