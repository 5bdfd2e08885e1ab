/**
 * The console's charts (docs/console.md#charts-over-time): `GET /v1/metrics/series` (admin) reads the hub's
 * or a subscription's figures from the one-minute rollups every hub process writes to the store;
 * `GET /v1/inventory/{sku}/series` a SKU's available per channel over time, from its ledger, within the
 * key's inventory read scope like `GET /v1/inventory/{sku}`.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { servingLocations } from '../../config/compiled-config.js';
import {
  AvailabilitySeriesSchema,
  type AvailabilitySeriesView,
  MetricSeriesSchema,
  type MetricSeriesView,
  SeriesWindowSchema,
} from '../../contracts/views/series-views.js';
import { readAvailabilitySeries } from '../../engine/inventory/availability-series.js';
import { readMetricSeries, type SeriesWindow } from '../../engine/observability/metric-series.js';
import { NotFoundError } from '../../errors.js';
import type { ApiContext } from '../api-context.js';

const Problem = { $ref: 'Problem#' };

/** Registers the chart routes. */
export function registerSeriesRoutes(app: FastifyInstance, { auth, store, config }: ApiContext): void {
  app.get<{ Querystring: { window: SeriesWindow; subscription?: string } }>(
    '/v1/metrics/series',
    {
      schema: {
        summary:
          'Throughput, backlog, delivery latency p50/p99 and error rate per step over a window, for the hub or a subscription (admin)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        querystring: Type.Object({
          window: Type.Optional(SeriesWindowSchema),
          subscription: Type.Optional(Type.String({ minLength: 1 })),
        }),
        response: { 200: MetricSeriesSchema, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request): Promise<MetricSeriesView> => {
      auth.requireAdmin(request);
      const { window = '1h', subscription } = request.query;
      if (subscription !== undefined && !config.subscriptions.some((s) => s.name === subscription)) {
        throw new NotFoundError(`unknown subscription '${subscription}'`);
      }
      return readMetricSeries(store, window, subscription, Date.now());
    },
  );

  app.get<{ Params: { sku: string }; Querystring: { window: SeriesWindow } }>(
    '/v1/inventory/:sku/series',
    {
      schema: {
        summary: 'Available to promise of a SKU per channel over a window, from its ledger',
        tags: ['inventory'],
        security: [{ bearer: [] }],
        params: Type.Object({ sku: Type.String({ minLength: 1, maxLength: 200 }) }),
        querystring: Type.Object({ window: Type.Optional(SeriesWindowSchema) }),
        response: { 200: AvailabilitySeriesSchema, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request): Promise<AvailabilitySeriesView> => {
      const reader = auth.reader(request);
      reader.requireInventory('channel', 'inventory');
      const { sku } = request.params;
      const channels = [...config.channels.keys()].filter((c) => reader.mayReadChannelStock(c));
      // Who may see the SKU, as for GET /v1/inventory/{sku}: a position at one of its locations, or stock
      // on the locations of one of its channels.
      const positions = await store.inventory.positions(sku);
      const visible = positions.some((p) => reader.mayReadLocation(p.location));
      const stocked = positions.some((p) =>
        channels.some((c) => servingLocations(config, c).includes(p.location)),
      );
      if (positions.length === 0 || (!visible && !stocked)) throw new NotFoundError(`unknown SKU '${sku}'`);
      return readAvailabilitySeries(store, config, {
        sku,
        window: request.query.window ?? '1h',
        channels,
        nowMs: Date.now(),
      });
    },
  );
}
