/**
 * The answers of the chart routes (docs/console.md#charts-over-time): the hub's or a subscription's figures
 * per step from the one-minute rollups, and a SKU's available per channel over time from its ledger. Both
 * are columns of equal length, as the console's charts take them (`t`: each step's start, Unix seconds).
 */
import { type Static, Type } from '@sinclair/typebox';

export const SERIES_WINDOW_NAMES = ['15m', '1h', '24h'] as const;
export const SeriesWindowSchema = Type.Union(
  SERIES_WINDOW_NAMES.map((w) => Type.Literal(w)),
  { description: 'The last 15 minutes, hour or 24 hours' },
);

const Column = Type.Array(Type.Number());
const Gappy = Type.Array(Type.Union([Type.Number(), Type.Null()]));

export const MetricSeriesSchema = Type.Object({
  window: SeriesWindowSchema,
  stepSeconds: Type.Integer(),
  subscription: Type.Optional(Type.String()),
  latencyBucketsMs: Column,
  t: Column,
  in: Type.Array(Type.Number(), {
    description: 'The hub: events accepted by ingest; a subscription: events queued for it',
  }),
  out: Type.Array(Type.Number(), { description: 'Events delivered' }),
  attempts: Column,
  failed: Column,
  errorRate: Gappy,
  backlog: Gappy,
  p50Ms: Gappy,
  p99Ms: Gappy,
});
export type MetricSeriesView = Static<typeof MetricSeriesSchema>;

export const AvailabilitySeriesSchema = Type.Object({
  sku: Type.String(),
  window: SeriesWindowSchema,
  stepSeconds: Type.Integer(),
  t: Column,
  /** Available to promise per channel at the end of each step. */
  channels: Type.Array(Type.Object({ channel: Type.String(), available: Column })),
  /** The ledger had more entries in the window than were read: the oldest steps are approximate. */
  truncated: Type.Optional(Type.Boolean()),
});
export type AvailabilitySeriesView = Static<typeof AvailabilitySeriesSchema>;
