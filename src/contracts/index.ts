/**
 * The v1 event contracts: JSON Schemas of the CloudEvents envelope and of every catalogue type's data,
 * and the validator ingest runs on every inbound event.
 */
export { DATA_SCHEMAS, eventSchema, eventSchemaId } from './catalogue-schemas.js';
export {
  AddressSchema,
  CustomerSchema,
  dataSchemaId,
  INVENTORY_BUCKETS,
  type InventoryBucket,
  MOVABLE_BUCKETS,
  type MovableBucket,
  REASON_CODES,
  type ReasonCode,
  SCHEMA_BASE_URI,
} from './common-schemas.js';
export {
  type CloudEventEnvelope,
  CloudEventEnvelopeSchema,
  EXTENSION_NAME_PATTERN,
  TRACEPARENT_PATTERN,
} from './envelope-schema.js';
export { isCatalogueType, type ValidationProblem, validateData, validateEvent } from './event-validator.js';
export * from './inventory-schemas.js';
export * from './ops-schemas.js';
export * from './order-commercial-schemas.js';
export * from './order-hub-schemas.js';
export * from './order-schemas.js';
