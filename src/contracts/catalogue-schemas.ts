/**
 * The JSON Schemas of the v1 catalogue (docs/architecture.md): one data schema per type, and the full
 * event schema (envelope + data) served at `GET /v1/schemas/{type}`.
 */
import { type TSchema, Type } from '@sinclair/typebox';
import { CATALOGUE } from '../domain/event-catalogue.js';
import { dataSchemaId, SCHEMA_BASE_URI } from './common-schemas.js';
import { ENVELOPE_OPTIONS, ENVELOPE_PROPERTIES } from './envelope-schema.js';
import { INVENTORY_DATA_SCHEMAS } from './inventory-schemas.js';
import { OPS_DATA_SCHEMAS } from './ops-schemas.js';
import { ORDER_HUB_DATA_SCHEMAS } from './order-hub-schemas.js';
import { ORDER_DATA_SCHEMAS } from './order-schemas.js';

const ALL_DATA_SCHEMAS: readonly TSchema[] = [
  ...INVENTORY_DATA_SCHEMAS,
  ...ORDER_DATA_SCHEMAS,
  ...ORDER_HUB_DATA_SCHEMAS,
  ...OPS_DATA_SCHEMAS,
];

function buildDataSchemas(): ReadonlyMap<string, TSchema> {
  const byId = new Map(ALL_DATA_SCHEMAS.map((schema) => [schema.$id, schema]));
  const byType = new Map<string, TSchema>();
  for (const { type } of CATALOGUE) {
    const schema = byId.get(dataSchemaId(type));
    // A catalogue type without a schema is a programming error: fail at load, not on the first event.
    if (schema === undefined) throw new Error(`contracts: no data schema for catalogue type '${type}'`);
    byType.set(type, schema);
  }
  return byType;
}

/** The data schema of every v1 catalogue type, in catalogue order. */
export const DATA_SCHEMAS: ReadonlyMap<string, TSchema> = buildDataSchemas();

/** The `$id` of a type's full event schema (envelope + data). */
export function eventSchemaId(type: string): string {
  return `${SCHEMA_BASE_URI}events/${type}.json`;
}

function buildEventSchema(type: string, data: TSchema): TSchema {
  return Type.Object(
    { ...ENVELOPE_PROPERTIES, type: Type.Literal(type, { description: 'The event type.' }), data },
    {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: eventSchemaId(type),
      title: `${data.title ?? type} (CloudEvent)`,
      description: `A structured CloudEvent of type ${type}. ${data.description ?? ''}`.trim(),
      ...ENVELOPE_OPTIONS,
    },
  );
}

const EVENT_SCHEMAS: ReadonlyMap<string, TSchema> = new Map(
  [...DATA_SCHEMAS].map(([type, data]) => [type, buildEventSchema(type, data)]),
);

/**
 * The full event schema of a type: the envelope with `data` required and closed by the type's data
 * schema, as served at `GET /v1/schemas/{type}`. Undefined when the type is not in the v1 catalogue.
 */
export function eventSchema(type: string): TSchema | undefined {
  return EVENT_SCHEMAS.get(type);
}
