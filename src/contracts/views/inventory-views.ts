/**
 * The answers of the inventory reads: `GET /v1/inventory/{sku}` (positions and channel ATP), its ledger,
 * `GET /v1/availability`, and the drift reports of snapshots. The routes serialize by these schemas and
 * the console reads the same types.
 */
import { type Static, Type } from '@sinclair/typebox';
import { BUCKETS } from '../../domain/inventory/position.js';

const Buckets = Type.Object(Object.fromEntries(BUCKETS.map((b) => [b, Type.Integer()])), {
  additionalProperties: false,
});

/** One location's position of a SKU: every bucket and what is available. */
export const PositionViewSchema = Type.Object({
  location: Type.String(),
  buckets: Type.Unsafe<Record<(typeof BUCKETS)[number], number>>(Buckets),
  available: Type.Integer({
    description: 'on_hand − reserved − committed − quarantined − damaged − returned',
  }),
  version: Type.Integer(),
  updatedAt: Type.Optional(Type.String()),
});
export type PositionView = Static<typeof PositionViewSchema>;

/** `GET /v1/inventory/{sku}`. */
export const InventoryViewSchema = Type.Object({
  sku: Type.String(),
  positions: Type.Array(PositionViewSchema),
  channels: Type.Array(
    Type.Object({
      channel: Type.String(),
      available: Type.Integer(),
      safetyStock: Type.Integer(),
      locations: Type.Array(Type.String()),
    }),
  ),
});
export type InventoryView = Static<typeof InventoryViewSchema>;

/** One movement of the ledger. */
export const LedgerEntrySchema = Type.Object({
  id: Type.Integer(),
  location: Type.String(),
  deltas: Type.Record(Type.String(), Type.Integer()),
  reason: Type.String(),
  system: Type.String(),
  eventId: Type.Optional(Type.String()),
  correlationId: Type.Optional(Type.String()),
  documentRef: Type.Optional(Type.String()),
  version: Type.Integer(),
  at: Type.String(),
});
export type LedgerEntry = Static<typeof LedgerEntrySchema>;

/** `GET /v1/inventory/{sku}/ledger`: newest first; `nextBefore` pages on. */
export const LedgerPageSchema = Type.Object({
  sku: Type.String(),
  items: Type.Array(LedgerEntrySchema),
  nextBefore: Type.Optional(Type.Integer()),
});
export type LedgerPage = Static<typeof LedgerPageSchema>;

/** `GET /v1/availability`. */
export const AvailabilitySchema = Type.Object({
  sku: Type.String(),
  channel: Type.String(),
  location: Type.Optional(Type.String()),
  available: Type.Integer(),
});
export type Availability = Static<typeof AvailabilitySchema>;

/** A drift report: the owner's counts against the hub's on-hand. */
export const DriftReportViewSchema = Type.Object({
  id: Type.Integer(),
  system: Type.String(),
  mode: Type.String(),
  full: Type.Boolean(),
  counted: Type.Integer(),
  drifting: Type.Integer(),
  units: Type.Integer(),
  at: Type.String(),
  lines: Type.Array(
    Type.Object({
      sku: Type.String(),
      location: Type.String(),
      theirs: Type.Integer(),
      ours: Type.Integer(),
      difference: Type.Integer(),
    }),
  ),
});
export type DriftReportView = Static<typeof DriftReportViewSchema>;

/** `GET /v1/inventory/drift`. */
export const DriftReportListSchema = Type.Object({ reports: Type.Array(DriftReportViewSchema) });
export type DriftReportList = Static<typeof DriftReportListSchema>;
