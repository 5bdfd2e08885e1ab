/**
 * Building blocks shared by the v1 data schemas: identifiers, quantities, money,
 * codes, addresses and order lines. Every catalogue schema is assembled from these so that one rule
 * (say, "quantities are whole units") is written once.
 */
import { type TObject, type TProperties, Type } from '@sinclair/typebox';
import { UNIT_CODE_PATTERN } from '../domain/orders/units.js';

/** Base of every schema `$id`; a type's data schema lives at `<base><type>.json`. */
export const SCHEMA_BASE_URI = 'https://manifold.dev/schemas/';

/** The `$id` of a type's data schema, also the value a producer may put in `dataschema`. */
export function dataSchemaId(type: string): string {
  return `${SCHEMA_BASE_URI}${type}.json`;
}

/** ISO 4217 alphabetic currency code. */
export const CURRENCY_PATTERN = '^[A-Z]{3}$';

/** ISO 3166-1 alpha-2 country code. */
export const COUNTRY_PATTERN = '^[A-Z]{2}$';

/** Exception codes (docs/orders.md): snake_case, open-ended (`credit_hold`, `short_pick`, …). */
export const EXCEPTION_CODE_PATTERN = '^[a-z][a-z0-9_]{0,63}$';

/** Inventory buckets of a position (docs/inventory.md), as they appear in `inventory.position.v1`. */
export { INVENTORY_BUCKETS, type InventoryBucket } from '../domain/inventory/buckets.js';
/** Ledger reason codes and the buckets a movement may use, defined beside the movement rules. */
export {
  MOVABLE_BUCKETS,
  type MovableBucket,
  REASON_CODES,
  type ReasonCode,
} from '../domain/inventory/reason-codes.js';

/** A string restricted to a closed list; one `enum` keeps the error to a single "must be one of". */
export function StringEnum<T extends readonly string[]>(values: T, description?: string) {
  return Type.Unsafe<T[number]>({
    type: 'string',
    enum: [...values],
    ...(description === undefined ? {} : { description }),
  });
}

/** An identifier from a source system (SKU, location, order id, line id, channel): non-empty text. */
export function Identifier(description: string) {
  return Type.String({ minLength: 1, maxLength: 256, description });
}

/** Free text a person reads (a reason, a detail, a name): non-empty, bounded. */
export function Text(description: string, maxLength = 1024) {
  return Type.String({ minLength: 1, maxLength, description });
}

/**
 * The most units one event (or reservation) may carry: far above any real line, far below where sums of
 * them would stop being exact.
 */
export const MAX_QUANTITY = 1_000_000_000;

/** The largest amount of money a price or total may state: cents stay exact in a double up to here. */
export const MAX_MONEY = 1_000_000_000_000;

/** Units moved by an event: a whole, positive number. */
export function Quantity(description = 'Whole units moved; at least 1.') {
  return Type.Integer({ minimum: 1, maximum: MAX_QUANTITY, description });
}

/** An absolute count of units (a count, a bucket level, availability): a whole number, never negative. */
export function Count(description: string) {
  return Type.Integer({ minimum: 0, description });
}

/** An amount of money in the order's currency: a number, never negative. */
export function Money(description: string) {
  return Type.Number({ minimum: 0, maximum: MAX_MONEY, description });
}

/** An ISO 4217 alphabetic currency code. */
export function CurrencyCode(description = 'ISO 4217 currency code, e.g. EUR.') {
  return Type.String({ pattern: CURRENCY_PATTERN, description });
}

/** An RFC 3339 timestamp with an offset. */
export function DateTime(description: string) {
  return Type.String({ format: 'date-time', description });
}

/** A calendar date, `YYYY-MM-DD`. */
export function CalendarDate(description: string) {
  return Type.String({ format: 'date', description });
}

/** A postal address. Extra fields (phone, company, …) are carried through, not rejected. */
export const AddressSchema = Type.Object(
  {
    name: Text('Addressee.', 256),
    line1: Text('First address line.', 256),
    line2: Type.Optional(Type.String({ maxLength: 256, description: 'Second address line.' })),
    city: Text('City or locality.', 256),
    region: Type.Optional(Type.String({ maxLength: 256, description: 'State, province or county.' })),
    postalCode: Text('Postal code.', 32),
    country: Type.String({
      pattern: COUNTRY_PATTERN,
      description: 'ISO 3166-1 alpha-2 country code, e.g. DE.',
    }),
  },
  { additionalProperties: true, description: 'A postal address.' },
);

/** The customer of an order. Extra fields (email, account, terms, …) are carried through. */
export const CustomerSchema = Type.Object(
  {
    id: Identifier("The customer's id in the channel or ERP."),
    name: Type.Optional(Text('Customer name.', 256)),
    email: Type.Optional(Type.String({ format: 'email', description: 'Contact email.' })),
  },
  { additionalProperties: true, description: 'The customer who placed the order.' },
);

/** A unit of measure code (docs/orders.md#units-of-measure): `EA` (each, the base unit), `CA`, `PL`, … */
export function UnitOfMeasure(description: string) {
  return Type.String({ pattern: UNIT_CODE_PATTERN, description });
}

/** A line quantity reported by an execution step (pick, pack, ship, deliver, cancel, return). */
export const LineQuantitySchema = Type.Object(
  {
    lineId: Identifier('The order line this quantity belongs to.'),
    quantity: Quantity('Units moved, in `uom`; at least 1.'),
    uom: Type.Optional(
      UnitOfMeasure('The unit of `quantity` (the unit table converts it); base units (EA) when absent.'),
    ),
  },
  { additionalProperties: false },
);

/** A non-empty list of line quantities. */
export function LineQuantities(description: string) {
  return Type.Array(LineQuantitySchema, { minItems: 1, description });
}

/** Metadata every catalogue data schema carries. */
export interface DataSchemaInfo {
  type: string;
  title: string;
  description: string;
}

/**
 * A catalogue data schema: a closed object with `$id`, `title` and `description`, so that the schema
 * served at `GET /v1/schemas/{type}` documents itself.
 */
export function dataSchema<T extends TProperties>(info: DataSchemaInfo, properties: T): TObject<T> {
  return Type.Object(properties, {
    $id: dataSchemaId(info.type),
    title: info.title,
    description: info.description,
    additionalProperties: false,
  });
}
