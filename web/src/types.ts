/**
 * The shapes of the hub's answers the console reads. They are the API's own response schemas
 * (`src/contracts/views/`, the same ones `GET /openapi.json` publishes and the routes serialize by),
 * imported as types only: nothing of the server reaches the bundle, and `npm run typecheck` fails when
 * the console reads a field the API does not send.
 */
export type {
  ClusterProcessView,
  ClusterView,
  ExceptionPage,
  ExceptionView,
  Health,
  InventoryView,
  LedgerPage,
  MappingChange,
  MappingPreview,
  MappingPreviewResult,
  OrderPage,
  OrderView,
  Overview,
  ReplayView,
  ServiceLevelReport,
  Timeline,
  TimelineDelivery,
  TimelineEntry,
  TimelinePackage,
  XrefEntryPage,
  XrefEntryView,
  XrefTableDetail,
  XrefTableList,
  XrefTableSummary,
  XrefWaiting,
} from '../../src/contracts/views/index.js';
