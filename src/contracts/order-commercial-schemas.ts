/**
 * The commercial fields of an order (docs/orders.md#commercial-fields): what real channels, portals and
 * EDI partners send besides the lines and the ship-to — PO number, currency, dates, ship-via, parties,
 * charges, taxes, discounts, payment, notes — and per line the description and the buyer's item ids.
 *
 * Every field is optional: adding them kept `order.accepted.v1` at v1 (docs/adr/0007-additive-fields-keep-the-version.md).
 * They are grouped here, as property maps spread into the order and line schemas, so the schemas they
 * join stay short and other additions to the same schemas merge beside them.
 */
import { type Static, Type } from '@sinclair/typebox';
import {
  CalendarDate,
  COUNTRY_PATTERN,
  CurrencyCode,
  DateTime,
  Identifier,
  Money,
  StringEnum,
  Text,
} from './common-schemas.js';

/** A GS1 GTIN: 8, 12, 13 or 14 digits (GTIN-8, UPC-A, EAN-13, GTIN-14). */
export const GTIN_PATTERN = '^([0-9]{8}|[0-9]{12,14})$';

/** Kinds of order-level charges; `other` with a description for anything else. */
export const CHARGE_TYPES = ['freight', 'handling', 'insurance', 'packaging', 'fuel', 'other'] as const;

/** Payment states of an order, as the channel's payment provider reports them. */
export const PAYMENT_STATUSES = [
  'pending',
  'authorized',
  'paid',
  'partially_paid',
  'refunded',
  'partially_refunded',
  'voided',
] as const;

/**
 * Fields of the sender carried through untouched (no field of the hub's own): the one place a sender may
 * put what the canonical model does not name. Any other unknown field is refused.
 */
export function Extensions(description = 'Sender fields carried through untouched.') {
  return Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true, description }));
}

/** A party (bill-to, mark-for): a name, and an id and a postal address when known. */
export const PartySchema = Type.Object(
  {
    name: Text('Name of the party.', 256),
    id: Type.Optional(Identifier("The party's id at the sender (store or DC number, account).")),
    line1: Type.Optional(Text('First address line.', 256)),
    line2: Type.Optional(Text('Second address line.', 256)),
    city: Type.Optional(Text('City or locality.', 256)),
    region: Type.Optional(Text('State, province or county.', 256)),
    postalCode: Type.Optional(Text('Postal code.', 32)),
    country: Type.Optional(
      Type.String({ pattern: COUNTRY_PATTERN, description: 'ISO 3166-1 alpha-2 country code.' }),
    ),
  },
  { additionalProperties: false, description: 'A party: name, id and address.' },
);
export type Party = Static<typeof PartySchema>;

/** How the order is to ship: carrier and service level. */
export const ShipViaSchema = Type.Object(
  {
    carrier: Type.Optional(Identifier('Carrier (SCAC or name), e.g. UPSN.')),
    service: Type.Optional(Text('Service level or routing, e.g. GROUND, 2DAY.', 256)),
  },
  { additionalProperties: false, minProperties: 1, description: 'Carrier and service level.' },
);

/** An order-level charge (freight, handling …). */
export const ChargeSchema = Type.Object(
  {
    type: StringEnum(CHARGE_TYPES, 'Kind of charge.'),
    amount: Money('Amount charged, in the order currency.'),
    description: Type.Optional(Text('What the charge is for.', 256)),
  },
  { additionalProperties: false },
);

/** A tax on the order or on a line. */
export const TaxSchema = Type.Object(
  {
    type: Identifier('Tax kind or name (sales, vat, gst, …).'),
    rate: Type.Optional(
      Type.Number({ minimum: 0, maximum: 100, description: 'Rate in percent (19 for 19 %).' }),
    ),
    amount: Money('Tax amount, in the order currency.'),
  },
  { additionalProperties: false },
);

/** A discount (allowance) on the order. */
export const DiscountSchema = Type.Object(
  {
    code: Type.Optional(Identifier('Discount or promotion code.')),
    description: Type.Optional(Text('What the discount is.', 256)),
    amount: Money('Amount taken off, in the order currency.'),
  },
  { additionalProperties: false },
);

/** The payment state of the order. */
export const PaymentSchema = Type.Object(
  {
    status: StringEnum(PAYMENT_STATUSES, 'Payment state.'),
    method: Type.Optional(Text('How it is paid (card, invoice, terms, …).', 256)),
  },
  { additionalProperties: false },
);

const Day = (description: string) => CalendarDate(`${description} YYYY-MM-DD.`);

/** Order-level commercial fields of `order.accepted.v1`, all optional. */
export const ORDER_COMMERCIAL_FIELDS = {
  currency: Type.Optional(CurrencyCode('ISO 4217 currency of every amount of the order, e.g. USD.')),
  customerPo: Type.Optional(Identifier("The customer's purchase order number.")),
  department: Type.Optional(Identifier("The buyer's department number (850 REF*DP).")),
  orderedAt: Type.Optional(DateTime('When the customer placed the order (RFC 3339).')),
  requestedShipDate: Type.Optional(Day('Day the customer asks the order to ship.')),
  shipNotBefore: Type.Optional(Day('First day the order may ship.')),
  shipNoLater: Type.Optional(Day('Last day the order may ship.')),
  requestedDeliveryDate: Type.Optional(Day('Day the customer asks the order to arrive.')),
  cancelAfter: Type.Optional(
    Type.Union([CalendarDate('Day (UTC) after which'), DateTime('Instant after which')], {
      description:
        'Cancel what is not yet picked once this has passed: a day (YYYY-MM-DD, the whole day in UTC is allowed) or an RFC 3339 date-time (docs/orders.md#cancelafter).',
    }),
  ),
  shipVia: Type.Optional(ShipViaSchema),
  billTo: Type.Optional(PartySchema),
  markFor: Type.Optional(PartySchema),
  charges: Type.Optional(Type.Array(ChargeSchema, { description: 'Order-level charges.' })),
  taxes: Type.Optional(Type.Array(TaxSchema, { description: 'Order-level taxes.' })),
  discounts: Type.Optional(Type.Array(DiscountSchema, { description: 'Order-level discounts.' })),
  payment: Type.Optional(PaymentSchema),
  notes: Type.Optional(Text('Notes for the people handling the order.', 4096)),
  extensions: Type.Optional(Extensions()),
};

/** Line-level commercial fields of an ordered line, all optional. */
export const LINE_COMMERCIAL_FIELDS = {
  description: Type.Optional(Text('Item description.', 1024)),
  customerItemId: Type.Optional(Identifier("The buyer's item number.")),
  gtin: Type.Optional(
    Type.String({ pattern: GTIN_PATTERN, description: 'GTIN of the item: 8, 12, 13 or 14 digits.' }),
  ),
  discount: Type.Optional(Money('Amount taken off the line, in the order currency.')),
  taxes: Type.Optional(Type.Array(TaxSchema, { description: 'Taxes on the line.' })),
  extensions: Type.Optional(Extensions()),
};

export const OrderCommercialSchema = Type.Object(ORDER_COMMERCIAL_FIELDS, { additionalProperties: false });
export const LineCommercialSchema = Type.Object(LINE_COMMERCIAL_FIELDS, { additionalProperties: false });
/** The order-level commercial fields. */
export type OrderCommercial = Static<typeof OrderCommercialSchema>;
/** The line-level commercial fields. */
export type LineCommercial = Static<typeof LineCommercialSchema>;

/** The names of the order-level commercial fields. */
export const ORDER_COMMERCIAL_KEYS = Object.keys(ORDER_COMMERCIAL_FIELDS) as (keyof OrderCommercial)[];
/** The names of the line-level commercial fields. */
export const LINE_COMMERCIAL_KEYS = Object.keys(LINE_COMMERCIAL_FIELDS) as (keyof LineCommercial)[];

/** The commercial fields present on `source` (an order or a line), copied. */
export function pickFields<K extends string>(
  source: object,
  keys: readonly K[],
): Partial<Record<K, unknown>> {
  const out: Partial<Record<K, unknown>> = {};
  for (const key of keys) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = structuredClone(value);
  }
  return out;
}

/**
 * What a WMS needs of the commercial fields, carried on `order.released.v1`: the PO and department to
 * print, the ship window, carrier and service, the parties to label for, and the notes.
 */
export const RELEASE_COMMERCIAL_FIELDS = {
  customerPo: ORDER_COMMERCIAL_FIELDS.customerPo,
  department: ORDER_COMMERCIAL_FIELDS.department,
  requestedShipDate: ORDER_COMMERCIAL_FIELDS.requestedShipDate,
  shipNotBefore: ORDER_COMMERCIAL_FIELDS.shipNotBefore,
  shipNoLater: ORDER_COMMERCIAL_FIELDS.shipNoLater,
  requestedDeliveryDate: ORDER_COMMERCIAL_FIELDS.requestedDeliveryDate,
  cancelAfter: ORDER_COMMERCIAL_FIELDS.cancelAfter,
  shipVia: ORDER_COMMERCIAL_FIELDS.shipVia,
  billTo: ORDER_COMMERCIAL_FIELDS.billTo,
  markFor: ORDER_COMMERCIAL_FIELDS.markFor,
  notes: ORDER_COMMERCIAL_FIELDS.notes,
};

/** What a WMS needs of a line's commercial fields: what to print on the pick ticket and packing list. */
export const RELEASE_LINE_COMMERCIAL_FIELDS = {
  description: LINE_COMMERCIAL_FIELDS.description,
  customerItemId: LINE_COMMERCIAL_FIELDS.customerItemId,
  gtin: LINE_COMMERCIAL_FIELDS.gtin,
};

/** The names of the commercial fields a release carries. */
export const RELEASE_COMMERCIAL_KEYS = Object.keys(RELEASE_COMMERCIAL_FIELDS) as (keyof OrderCommercial)[];
/** The names of the line commercial fields a release carries. */
export const RELEASE_LINE_COMMERCIAL_KEYS = Object.keys(
  RELEASE_LINE_COMMERCIAL_FIELDS,
) as (keyof LineCommercial)[];

/** Payment terms of an invoice (ITD of the 810). */
export const TermsSchema = Type.Object(
  {
    description: Type.Optional(Text('The terms as words, e.g. 2% 10 NET 30.', 256)),
    netDays: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 3650, description: 'Days until payment is due.' }),
    ),
    discountPercent: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 100,
        description: 'Early-payment discount in percent (2 for 2 %).',
      }),
    ),
    discountDays: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 3650, description: 'Days within which the discount applies.' }),
    ),
  },
  { additionalProperties: false, minProperties: 1, description: 'Payment terms.' },
);

/** Optional commercial fields of `order.invoiced.v1`: terms, and the charges and allowances invoiced. */
export const INVOICE_COMMERCIAL_FIELDS = {
  terms: Type.Optional(TermsSchema),
  charges: Type.Optional(
    Type.Array(ChargeSchema, { description: "Charges invoiced; the order's charges when absent." }),
  ),
  allowances: Type.Optional(
    Type.Array(DiscountSchema, { description: "Allowances invoiced; the order's discounts when absent." }),
  ),
};
