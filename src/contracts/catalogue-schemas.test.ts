import type { TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../domain/event-catalogue.js';
import { DATA_SCHEMAS, eventSchema, eventSchemaId } from './catalogue-schemas.js';
import { dataSchemaId, REASON_CODES } from './common-schemas.js';
import { CloudEventEnvelopeSchema } from './envelope-schema.js';
import { SAMPLE_DATA, sampleEvent } from './samples.js';

const TYPES = CATALOGUE.map((entry) => entry.type);

/** A fresh, strict ajv: what a consumer of `GET /v1/schemas/{type}` would run. */
function strictAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormatsModule.default(ajv);
  return ajv;
}

/** The schema as served over HTTP: TypeBox's symbol keys gone. */
function served(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema));
}

type Node = Record<string, unknown>;

/** Every object schema inside `schema`, with the JSON pointer of where it sits. */
function objectSchemas(schema: Node, path = ''): Array<{ path: string; node: Node }> {
  const found: Array<{ path: string; node: Node }> = [];
  if (schema.type === 'object') found.push({ path, node: schema });
  const properties = (schema.properties ?? {}) as Record<string, Node>;
  for (const [name, child] of Object.entries(properties))
    found.push(...objectSchemas(child, `${path}/${name}`));
  if (typeof schema.items === 'object' && schema.items !== null) {
    found.push(...objectSchemas(schema.items as Node, `${path}/items`));
  }
  return found;
}

describe('catalogue schemas', () => {
  it('has a data schema and an event schema for every catalogue type, and nothing else', () => {
    expect([...DATA_SCHEMAS.keys()]).toEqual(TYPES);
    for (const type of TYPES) expect(eventSchema(type), type).toBeDefined();
    expect(eventSchema('com.manifold.order.shipped.v2')).toBeUndefined();
  });

  it('gives every data schema its $id, a title and a description', () => {
    for (const [type, schema] of DATA_SCHEMAS) {
      expect(schema.$id).toBe(`https://manifold.dev/schemas/${type}.json`);
      expect(schema.$id).toBe(dataSchemaId(type));
      expect(schema.title, type).toEqual(expect.any(String));
      expect(schema.description, type).toEqual(expect.any(String));
    }
  });

  it('compiles every data schema, event schema and the envelope as valid JSON Schema', () => {
    const ajv = strictAjv();
    const schemas = [
      served(CloudEventEnvelopeSchema),
      ...[...DATA_SCHEMAS.values()].map(served),
      ...TYPES.map((type) => served(eventSchema(type)!)),
    ];
    for (const schema of schemas) {
      expect(ajv.validateSchema(schema), String(schema.$id)).toBe(true);
      expect(() => ajv.compile(schema), String(schema.$id)).not.toThrow();
    }
  });

  it('builds event schemas as the envelope with data required and closed by the data schema', () => {
    for (const type of TYPES) {
      const schema = served(eventSchema(type)!);
      expect(schema.$id).toBe(eventSchemaId(type));
      expect(schema.required).toEqual(
        expect.arrayContaining(['specversion', 'id', 'source', 'type', 'data']),
      );
      const properties = schema.properties as Record<string, Node>;
      expect(properties.type).toMatchObject({ const: type });
      expect(properties.data).toEqual(served(DATA_SCHEMAS.get(type)!));
      expect(Object.keys(properties).sort()).toEqual(Object.keys(CloudEventEnvelopeSchema.properties).sort());
    }
  });

  it('closes every fixed-shape object; only customer, shipTo and extensions carry extra fields', () => {
    const visited = new Set<string>();
    for (const [type, schema] of DATA_SCHEMAS) {
      for (const { path, node } of objectSchemas(served(schema))) {
        visited.add(path);
        const open = path.endsWith('/customer') || path.endsWith('/shipTo') || path.endsWith('/extensions');
        expect(node.additionalProperties, `${type} ${path || '/'}`).toBe(open);
      }
    }
    expect([...visited]).toEqual(
      expect.arrayContaining([
        '',
        '/lines/items',
        '/buckets',
        '/customer',
        '/shipTo',
        '/extensions',
        '/lines/items/extensions',
        '/billTo',
      ]),
    );
  });

  it('has a sample for exactly the catalogue types, and the served event schema accepts each', () => {
    expect(Object.keys(SAMPLE_DATA).sort()).toEqual([...TYPES].sort());
    const ajv = strictAjv();
    for (const type of TYPES) {
      const validate = ajv.compile(served(eventSchema(type)!));
      expect(validate(sampleEvent(type)), `${type}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('rejects through the served schema what the hot-path validator rejects', () => {
    const ajv = strictAjv();
    const validate = ajv.compile(served(eventSchema('com.manifold.inventory.adjusted.v1')!));
    const event = sampleEvent('com.manifold.inventory.adjusted.v1');
    expect(validate({ ...event, data: { ...(event.data as object), delta: 0 } })).toBe(false);
    expect(validate({ ...event, data: { ...(event.data as object), reason: 'oops' } })).toBe(false);
    expect(validate({ ...event, type: 'com.manifold.inventory.counted.v1' })).toBe(false);
    const { data: _data, ...withoutData } = event;
    expect(validate(withoutData)).toBe(false);
  });

  it('lists the ledger reason codes of docs/inventory.md', () => {
    expect(REASON_CODES).toHaveLength(23);
    expect(REASON_CODES).toContain('cycle_count');
    expect(REASON_CODES).toContain('reconciliation');
  });
});
