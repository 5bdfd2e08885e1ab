/**
 * Schemas of the HTTP API's answers (TypeBox): the routes serialize by them, `/openapi.json` publishes
 * them, and the web console imports their types (type-only, so no server code reaches its bundle).
 */
export * from './cluster-views.js';
export * from './exception-views.js';
export * from './inventory-views.js';
export * from './mapping-preview-views.js';
export * from './order-views.js';
export * from './overview-views.js';
export * from './replay-views.js';
export * from './series-views.js';
export * from './service-level-views.js';
export * from './xref-views.js';
