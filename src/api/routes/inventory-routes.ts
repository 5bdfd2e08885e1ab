/**
 * Inventory reads and reconciliation: positions with every bucket and channel ATP, the ledger,
 * availability per channel, snapshots from the owner of on-hand and their drift reports. Reads are
 * limited to the key's inventory read scope (docs/security.md): positions, ledger rows and drift at its
 * locations, the ATP of its channels; snapshots take only the owning system's key.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { servingLocations } from '../../config/compiled-config.js';
import { channelAtp } from '../../domain/inventory/availability.js';
import { BUCKETS } from '../../domain/inventory/position.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { ApiContext } from '../api-context.js';

const Problem = { $ref: 'Problem#' };
const Sku = Type.String({ minLength: 1, maxLength: 200 });

const Buckets = Type.Object(Object.fromEntries(BUCKETS.map((b) => [b, Type.Integer()])), {
  additionalProperties: false,
});

const PositionView = Type.Object({
  location: Type.String(),
  buckets: Buckets,
  available: Type.Integer({
    description: 'on_hand − reserved − committed − quarantined − damaged − returned',
  }),
  version: Type.Integer(),
  updatedAt: Type.Optional(Type.String()),
});

const InventoryView = Type.Object({
  sku: Type.String(),
  positions: Type.Array(PositionView),
  channels: Type.Array(
    Type.Object({
      channel: Type.String(),
      available: Type.Integer(),
      safetyStock: Type.Integer(),
      locations: Type.Array(Type.String()),
    }),
  ),
});

const LedgerEntry = Type.Object({
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

const SnapshotBody = Type.Object(
  {
    full: Type.Optional(Type.Boolean({ description: 'Unlisted SKUs at the covered locations count as 0' })),
    locations: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    counts: Type.Array(
      Type.Object(
        { sku: Sku, location: Type.String({ minLength: 1 }), onHand: Type.Integer({ minimum: 0 }) },
        { additionalProperties: false },
      ),
      { maxItems: 100_000 },
    ),
  },
  { additionalProperties: false },
);

const DriftReportView = Type.Object({
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

/** Registers the inventory routes. */
export function registerInventoryRoutes(
  app: FastifyInstance,
  { auth, store, config, inventory }: ApiContext,
): void {
  const channelLocations = (channel: string) => servingLocations(config, channel);

  app.get<{ Params: { sku: string } }>(
    '/v1/inventory/:sku',
    {
      schema: {
        summary: 'Positions of a SKU per location (every bucket, available) and its ATP per channel',
        tags: ['inventory'],
        security: [{ bearer: [] }],
        params: Type.Object({ sku: Sku }),
        response: { 200: InventoryView, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => {
      const reader = auth.reader(request);
      reader.requireInventory('channel', 'inventory');
      const { sku } = request.params;
      const positions = await store.inventory.positions(sku);
      const visible = positions.filter((p) => reader.mayReadLocation(p.location));
      const channels = [...config.channels.values()].filter((c) => reader.mayReadChannelStock(c.name));
      // A SKU the reader has no position of, and no stock of on its channels' locations, is not its to see.
      const stocked = positions.some((p) =>
        channels.some((c) => channelLocations(c.name).includes(p.location)),
      );
      if (positions.length === 0 || (visible.length === 0 && !stocked)) {
        throw new NotFoundError(`unknown SKU '${sku}'`);
      }
      return {
        sku,
        positions: visible.map((p) => ({
          location: p.location,
          buckets: p.buckets,
          available: p.available,
          version: p.version,
          ...(p.updatedAt === undefined ? {} : { updatedAt: p.updatedAt }),
        })),
        channels: channels.map((c) => ({
          channel: c.name,
          available: inventory.publisher.atp(positions, c.name),
          safetyStock: c.safetyStock,
          locations: channelLocations(c.name),
        })),
      };
    },
  );

  app.get<{ Params: { sku: string }; Querystring: { location?: string; before?: number; limit: number } }>(
    '/v1/inventory/:sku/ledger',
    {
      schema: {
        summary: 'Ledger of a SKU, newest first, with reasons (page with `before` = the last id seen)',
        tags: ['inventory'],
        security: [{ bearer: [] }],
        params: Type.Object({ sku: Sku }),
        querystring: Type.Object({
          location: Type.Optional(Type.String({ minLength: 1 })),
          before: Type.Optional(Type.Integer({ minimum: 1 })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: {
          200: Type.Object({
            sku: Type.String(),
            items: Type.Array(LedgerEntry),
            nextBefore: Type.Optional(Type.Integer()),
          }),
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
        },
      },
    },
    async (request) => {
      const reader = auth.reader(request);
      reader.requireInventory('location', 'the ledger');
      const { sku } = request.params;
      const { location, before, limit } = request.query;
      const locations = reader.readableLocations();
      const known =
        locations === undefined
          ? await store.inventory.knownSku(sku)
          : (await store.inventory.positions(sku)).some((p) => reader.mayReadLocation(p.location));
      if (!known || (location !== undefined && !reader.mayReadLocation(location))) {
        throw new NotFoundError(`unknown SKU '${sku}'`);
      }
      const rows = await store.inventory.ledger({
        sku,
        limit: limit + 1,
        ...(location === undefined ? {} : { location }),
        ...(locations === undefined ? {} : { locations }),
        ...(before === undefined ? {} : { beforeId: before }),
      });
      const items = rows.slice(0, limit).map(({ sku: _sku, ...entry }) => entry);
      const last = items[items.length - 1];
      return { sku, items, ...(rows.length > limit && last ? { nextBefore: last.id } : {}) };
    },
  );

  app.get<{ Querystring: { sku: string; channel: string; location?: string } }>(
    '/v1/availability',
    {
      schema: {
        summary:
          'Available to promise of a SKU on a channel (Σ available at its locations − safety stock, ≥ 0)',
        tags: ['inventory'],
        security: [{ bearer: [] }],
        querystring: Type.Object({
          sku: Sku,
          channel: Type.String({ minLength: 1 }),
          location: Type.Optional(
            Type.String({ minLength: 1, description: 'Only this location of the channel' }),
          ),
        }),
        response: {
          200: Type.Object({
            sku: Type.String(),
            channel: Type.String(),
            location: Type.Optional(Type.String()),
            available: Type.Integer(),
          }),
          400: Problem,
          401: Problem,
          403: Problem,
        },
      },
    },
    async (request) => {
      const reader = auth.reader(request);
      const { sku, channel, location } = request.query;
      const settings = config.channels.get(channel);
      if (!settings) {
        throw new ValidationError(`unknown channel '${channel}'`, [
          { pointer: '/channel', detail: `no channel '${channel}' in the configuration` },
        ]);
      }
      reader.requireChannelStock(channel);
      const serving = channelLocations(channel);
      if (location !== undefined && !serving.includes(location)) {
        const detail = config.locations.has(location)
          ? `location '${location}' does not serve channel '${channel}'`
          : `unknown location '${location}'`;
        throw new ValidationError(detail, [{ pointer: '/location', detail }]);
      }
      const positions = await store.inventory.positions(sku);
      const locations = location === undefined ? serving : [location];
      return {
        sku,
        channel,
        ...(location === undefined ? {} : { location }),
        available: channelAtp(positions, locations, settings.safetyStock),
      };
    },
  );

  app.post<{ Body: Static<typeof SnapshotBody> }>(
    '/v1/inventory/snapshots',
    {
      schema: {
        summary: "Post the on-hand owner's counts (full or partial); answers the drift report",
        tags: ['inventory'],
        security: [{ bearer: [] }],
        body: SnapshotBody,
        response: { 201: DriftReportView, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request, reply) => {
      const system = auth.requireSystem(request);
      const body = request.body;
      const report = await inventory.reconciliation.submit(system, {
        full: body.full ?? false,
        counts: body.counts,
        ...(body.locations === undefined ? {} : { locations: body.locations }),
      });
      return reply.code(201).send(report);
    },
  );

  app.get<{
    Querystring: { sku?: string; location?: string; system?: string; history?: boolean; limit: number };
  }>(
    '/v1/inventory/drift',
    {
      schema: {
        summary: 'The latest drift report (or the history), optionally narrowed to a SKU, location or system',
        tags: ['inventory'],
        security: [{ bearer: [] }],
        querystring: Type.Object({
          sku: Type.Optional(Type.String({ minLength: 1 })),
          location: Type.Optional(Type.String({ minLength: 1 })),
          system: Type.Optional(Type.String({ minLength: 1 })),
          history: Type.Optional(
            Type.Boolean({ description: 'Every report, newest first, not only the latest' }),
          ),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
        }),
        response: {
          200: Type.Object({ reports: Type.Array(DriftReportView) }),
          400: Problem,
          401: Problem,
          403: Problem,
        },
      },
    },
    async (request) => {
      const reader = auth.reader(request);
      reader.requireInventory('location', 'drift reports');
      const q = request.query;
      // Short of the whole inventory, a system reads the reports of its own snapshots only.
      const system = reader.allInventory ? q.system : reader.system;
      if (q.system !== undefined && q.system !== system) return { reports: [] };
      const reports = await store.inventory.driftReports({
        latest: q.history !== true,
        limit: q.limit,
        ...(q.sku === undefined ? {} : { sku: q.sku }),
        ...(q.location === undefined ? {} : { location: q.location }),
        ...(system === undefined ? {} : { system }),
      });
      return {
        reports: reports.map((r) => ({
          ...r,
          lines: r.lines.filter((l) => reader.mayReadLocation(l.location)),
        })),
      };
    },
  );
}
