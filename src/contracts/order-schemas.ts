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
  LineQuantitySchema,
  Money,
  Quantity,
  StringEnum,
  Text,
  UnitOfMeasure,
} from './common-schemas.js';
import {
  INVOICE_COMMERCIAL_FIELDS,
  LINE_COMMERCIAL_FIELDS,
  ORDER_COMMERCIAL_FIELDS,
} from './order-commercial-schemas.js';

const orderId = () => Identifier('The order id (the partition key of order events).');
const lineId = () => Identifier('The order line id, unique within the order.');
const location = () => Identifier('The location (warehouse) doing the work.');

/** An ordered line: what the customer bought, at what unit price. */
export const OrderedLineSchema = Type.Object(
  {
    lineId: lineId(),
    sku: Identifier('Stock keeping unit.'),
    quantity: Quantity('Whole units ordered, in `uom`; at least 1.'),
    unitPrice: Money('Price of one unit.'),
    // Units of measure (docs/orders.md#units-of-measure).
    uom: Type.Optional(
      UnitOfMeasure('The unit ordered (EA, CA, PL, …; the unit table converts it); EA (each) when absent.'),
    ),
    partnerUom: Type.Optional(
      UnitOfMeasure(
        "The unit as the sender wrote it, when its own code map turned it into `uom` (an EDI partner's `CS` for `CA`); answers to the sender say the unit in it.",
      ),
    ),
    // Commercial fields (order-commercial-schemas.ts): description, customerItemId, gtin, discount, taxes, extensions.
    ...LINE_COMMERCIAL_FIELDS,
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
    // Commercial fields (order-commercial-schemas.ts): PO, currency, dates, ship-via, parties, charges, … extensions.
    ...ORDER_COMMERCIAL_FIELDS,
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
/** A package of a shipment: its SSCC-18 and what it holds (docs/orders.md#packages). */
export const ShipmentPackageSchema = Type.Object(
  {
    sscc: Type.String({
      pattern: '^[0-9]{18}$',
      description: 'SSCC-18 of the carton or pallet: 18 digits, the last the GS1 check digit.',
    }),
    tracking: Type.Optional(Identifier("The package's own carrier tracking number.")),
    weight: Type.Optional(
      Type.Object(
        {
          value: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000, description: 'Gross weight.' }),
          unit: StringEnum(['LB', 'KG'] as const, 'LB or KG.'),
        },
        { additionalProperties: false },
      ),
    ),
    lines: Type.Array(LineQuantitySchema, {
      minItems: 1,
      description: 'Quantities per line in the package, in the unit of the shipped line.',
    }),
  },
  { additionalProperties: false },
);

/** `com.manifold.order.shipped.v1`: lines shipped from a location, with carrier and tracking if known. */
export const OrderShippedSchema = dataSchema(
  {
    type: 'com.manifold.order.shipped.v1',
    title: 'Order shipped',
    description:
      'Quantities of order lines shipped from a location, with carrier and tracking when known, and the packages (SSCC) when known.',
  },
  {
    orderId: orderId(),
    location: location(),
    lines: LineQuantities('Quantities per line done by this step.'),
    carrier: Type.Optional(Identifier('Carrier (SCAC or name).')),
    tracking: Type.Optional(Identifier('Carrier tracking number.')),
    service: Type.Optional(Identifier('Carrier service level (e.g. GROUND), as the carrier names it.')),
    packages: Type.Optional(
      Type.Array(ShipmentPackageSchema, {
        minItems: 1,
        maxItems: 10_000,
        description:
          'The packages (cartons, pallets) of the shipment; they hold at most the shipped quantities.',
      }),
    ),
  },
);
/** The `data` of `com.manifold.order.shipped.v1`. */
export type OrderShippedData = Static<typeof OrderShippedSchema>;
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
    // Commercial fields (order-commercial-schemas.ts): terms, charges, allowances.
    ...INVOICE_COMMERCIAL_FIELDS,
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

/** What a change does to one line (docs/orders.md#changing-an-order). */
export const ORDER_CHANGE_ACTIONS = ['add', 'update', 'remove'] as const;

/** One line of a change: a new line, a line's new quantity, or a line removed. */
export const ChangedLineSchema = Type.Object(
  {
    lineId: lineId(),
    action: StringEnum(
      ORDER_CHANGE_ACTIONS,
      'add a new line, update a line (its new quantity), remove a line.',
    ),
    sku: Type.Optional(Identifier('Stock keeping unit; required to add a line.')),
    quantity: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1_000_000_000,
        description:
          'The new quantity of the line, in `uom` (not a difference); required to add (at least 1) or update (0 removes).',
      }),
    ),
    unitPrice: Type.Optional(Money('New price of one unit (of `uom`).')),
    // Units of measure (docs/orders.md#units-of-measure): optional, so a change in eaches reads as before.
    uom: Type.Optional(
      UnitOfMeasure(
        'The unit of `quantity` and `unitPrice` (EA, CA, …; the unit table converts it); eaches (EA) when absent.',
      ),
    ),
    partnerUom: Type.Optional(
      UnitOfMeasure(
        "The unit as the sender wrote it, when its own code map turned it into `uom` (an 860's POC05 `CS` for `CA`).",
      ),
    ),
  },
  { additionalProperties: false },
);

/** The dates an order may carry (also optional on `order.accepted.v1`). */
const orderDates = () => ({
  requestedShipDate: Type.Optional(CalendarDate('Date the customer wants the order shipped, YYYY-MM-DD.')),
  requestedDeliveryDate: Type.Optional(CalendarDate('Date the customer wants it delivered, YYYY-MM-DD.')),
  cancelAfter: ORDER_COMMERCIAL_FIELDS.cancelAfter,
});

/** `com.manifold.order.changed.v1`: the order's owner changes lines, ship-to or dates. */
export const OrderChangedSchema = dataSchema(
  {
    type: 'com.manifold.order.changed.v1',
    title: 'Order changed',
    description:
      "The order's owner changes line quantities, adds or removes lines, or changes the ship-to or dates; applied as a whole or refused as a whole.",
  },
  {
    orderId: orderId(),
    changeId: Type.Optional(Identifier("The sender's reference of this change (an 860's BCH number).")),
    reason: Type.Optional(Text('Why the order changed.', 256)),
    lines: Type.Optional(Type.Array(ChangedLineSchema, { minItems: 1, description: 'Changed lines.' })),
    shipTo: Type.Optional(AddressSchema),
    ...orderDates(),
  },
);
/** The `data` of `com.manifold.order.changed.v1`. */
export type OrderChangedData = Static<typeof OrderChangedSchema>;

/** Why an order is held (docs/orders.md#holds). */
export const HOLD_KINDS = ['payment', 'fraud', 'credit', 'manual'] as const;

const holdKind = () => StringEnum(HOLD_KINDS, 'payment, fraud, credit or manual.');

/** `com.manifold.order.held.v1`: the order must not be released to a warehouse until the hold is released. */
export const OrderHeldSchema = dataSchema(
  {
    type: 'com.manifold.order.held.v1',
    title: 'Order held',
    description:
      'A hold of a kind (payment, fraud, credit, manual) on an order: nothing more is released to a warehouse until every hold is released.',
  },
  {
    orderId: orderId(),
    hold: holdKind(),
    reason: Text('Why the order is held.', 256),
  },
);
/** The `data` of `com.manifold.order.held.v1`. */
export type OrderHeldData = Static<typeof OrderHeldSchema>;

/** `com.manifold.order.hold-released.v1`: a hold of a kind lifted; the last one resumes the order. */
export const OrderHoldReleasedSchema = dataSchema(
  {
    type: 'com.manifold.order.hold-released.v1',
    title: 'Order hold released',
    description: 'A hold of a kind lifted; when no hold is left the order is released to its warehouses.',
  },
  {
    orderId: orderId(),
    hold: holdKind(),
    reason: Type.Optional(Text('Why the hold was released.', 256)),
  },
);
/** The `data` of `com.manifold.order.hold-released.v1`. */
export type OrderHoldReleasedData = Static<typeof OrderHoldReleasedSchema>;

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
  OrderChangedSchema,
  OrderHeldSchema,
  OrderHoldReleasedSchema,
] as const;
