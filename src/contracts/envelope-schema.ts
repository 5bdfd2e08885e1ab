/**
 * The CloudEvents 1.0 structured-mode envelope as Manifold accepts it (docs/architecture.md), as a JSON Schema.
 * `data` is left open here; `eventSchema(type)` closes it with the type's data schema.
 */
import { type Static, Type } from '@sinclair/typebox';
import { SCHEMA_BASE_URI } from './common-schemas.js';

/** W3C Trace Context `traceparent`: version, trace id, parent id, flags, lower-case hex. */
export const TRACEPARENT_PATTERN = '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$';

/** CloudEvents attribute naming rule: 1 to 20 lower-case letters or digits. */
export const EXTENSION_NAME_PATTERN = '^[a-z0-9]{1,20}$';

/** Context attributes with a schema of their own; extension values must not be checked against them. */
const ENVELOPE_ATTRIBUTES = [
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'datacontenttype',
  'dataschema',
  'correlationid',
  'causationid',
  'sequence',
  'partitionkey',
  'traceparent',
  'data',
] as const;

/**
 * Names of other extension attributes. `patternProperties` also applies to named properties, so the
 * known attributes are excluded by a look-ahead; otherwise `data` would have to be a scalar.
 */
const OTHER_EXTENSION_PATTERN = `^(?!(?:${ENVELOPE_ATTRIBUTES.join('|')})$)${EXTENSION_NAME_PATTERN.slice(1)}`;

const extensionString = (description: string) => Type.Optional(Type.String({ maxLength: 256, description }));

/** The envelope's attributes, shared with the per-type event schemas. */
export const ENVELOPE_PROPERTIES = {
  specversion: Type.Literal('1.0', { description: 'CloudEvents version; always 1.0.' }),
  id: Type.String({
    minLength: 1,
    maxLength: 256,
    description: 'Event id, unique per source: a repeat of (source, id) is a duplicate.',
  }),
  source: Type.String({
    minLength: 1,
    maxLength: 1024,
    format: 'uri-reference',
    description: 'The producing system, as a URI reference, e.g. /systems/wms-east.',
  }),
  type: Type.String({
    minLength: 1,
    maxLength: 256,
    description: 'Event type from the v1 catalogue, e.g. com.manifold.order.shipped.v1.',
  }),
  time: Type.Optional(
    Type.String({ format: 'date-time', description: 'When the fact happened (RFC 3339).' }),
  ),
  subject: Type.Optional(
    Type.String({ maxLength: 1024, description: 'Partition key: the order id, or sku@location.' }),
  ),
  datacontenttype: Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: 'Media type of data, e.g. application/json.' }),
  ),
  dataschema: Type.Optional(
    Type.String({ format: 'uri', description: 'URI of the schema data adheres to.' }),
  ),
  correlationid: extensionString('Groups the events of one business flow.'),
  causationid: extensionString('Id of the event that caused this one.'),
  sequence: extensionString("The source's own ordering value, compared within the source."),
  partitionkey: extensionString('Key for per-partition ordering; defaults to the subject.'),
  traceparent: Type.Optional(
    Type.String({ pattern: TRACEPARENT_PATTERN, description: 'W3C Trace Context traceparent.' }),
  ),
  data: Type.Optional(Type.Unknown({ description: "The event payload; see the type's data schema." })),
};

/** Options of the envelope object: closed, except for well-named scalar extension attributes. */
export const ENVELOPE_OPTIONS = {
  additionalProperties: false,
  patternProperties: {
    [OTHER_EXTENSION_PATTERN]: {
      type: ['string', 'number', 'boolean'],
      description: 'Extension attribute: a scalar value.',
    },
  },
} as const;

/** JSON Schema of a structured CloudEvent as Manifold accepts it, before the type's data is checked. */
export const CloudEventEnvelopeSchema = Type.Object(ENVELOPE_PROPERTIES, {
  ...ENVELOPE_OPTIONS,
  $id: `${SCHEMA_BASE_URI}cloudevent.json`,
  title: 'CloudEvent (structured mode)',
  description: 'A CloudEvents 1.0 event with the Manifold extension attributes.',
});

/** A structured CloudEvent that passed the envelope schema; other extensions are scalars. */
export type CloudEventEnvelope = Static<typeof CloudEventEnvelopeSchema> & {
  [extension: string]: unknown;
};
