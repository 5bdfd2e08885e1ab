/**
 * Orders: `POST /v1/orders` (a channel's system or the ERP, `Idempotency-Key` required),
 * `GET /v1/orders/{id}`, `GET /v1/orders?channel=&milestone=&since=` and `GET /v1/orders/{id}/timeline`.
 * The body of a POST is the `order.accepted` data (`GET /v1/schemas/com.manifold.order.accepted.v1`);
 * it is validated, and its ownership checked, on the ingest path. Reads are limited to the key's read
 * scope (docs/security.md): an order out of it answers 404 and lists leave it out.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  type OrderPage,
  OrderPageSchema,
  OrderProcessingSchema,
  type OrderView,
  OrderViewSchema,
  type Timeline,
  TimelineSchema,
} from '../../contracts/views/order-views.js';
import { MILESTONES } from '../../domain/event-catalogue.js';
import { incomingTrace } from '../../engine/observability/trace-context.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { OrderRecord } from '../../store/order-port.js';
import type { ApiContext } from '../api-context.js';
import { queryInstant } from '../query-time.js';
import type { Reader } from '../read-access.js';

const Problem = { $ref: 'Problem#' };
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
/** Orders read at most per list request for a reader whose scope the store cannot filter by. */
const LIST_SCAN_BUDGET = 5000;
/** Orders read per query for such a reader (most rows may be skipped). */
const LIST_SCAN_BATCH = 250;

/** Registers the order routes. */
export function registerOrderRoutes(app: FastifyInstance, { auth, store, orders }: ApiContext): void {
  const service = orders.service;

  app.post<{ Body: unknown; Headers: { 'idempotency-key'?: string } }>(
    '/v1/orders',
    {
      schema: {
        summary: 'Create an order (the order.accepted data); answers the canonical order once committed',
        tags: ['orders'],
        security: [{ bearer: [] }],
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 255 })) }),
        response: {
          201: OrderViewSchema,
          202: OrderProcessingSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          409: Problem,
          422: Problem,
        },
      },
    },
    async (request, reply) => {
      const system = auth.requireSystem(request);
      const answer = await service.create(
        system,
        request.body,
        request.headers['idempotency-key'],
        incomingTrace(request.headers),
      );
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      if (answer.status >= 400) reply.type('application/problem+json');
      return reply.code(answer.status).send(answer.body);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/orders/:id',
    {
      schema: {
        summary: 'An order: lines with every quantity, milestone, status, open exceptions',
        tags: ['orders'],
        security: [{ bearer: [] }],
        params: IdParams,
        response: { 200: OrderViewSchema, 401: Problem, 404: Problem },
      },
    },
    async (request): Promise<OrderView> => {
      const reader = auth.reader(request);
      return service.view(await readable(request.params.id, reader), reader.orderReadOptions());
    },
  );

  app.get<{
    Querystring: {
      channel?: string;
      milestone?: string;
      since?: string;
      cursor?: string;
      order: 'asc' | 'desc';
      limit: number;
    };
  }>(
    '/v1/orders',
    {
      schema: {
        summary:
          'Orders, oldest first (or newest first with order=desc), filtered by channel, milestone and creation time; paged by cursor',
        tags: ['orders'],
        security: [{ bearer: [] }],
        querystring: Type.Object({
          channel: Type.Optional(Type.String({ minLength: 1 })),
          milestone: Type.Optional(Type.Union(MILESTONES.map((m) => Type.Literal(m)))),
          since: Type.Optional(Type.String({ format: 'date-time' })),
          cursor: Type.Optional(Type.String({ minLength: 1 })),
          order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], {
            default: 'asc',
            description: 'by creation time: asc oldest first, desc newest first (a cursor keeps its order)',
          }),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        }),
        response: {
          200: OrderPageSchema,
          400: Problem,
          401: Problem,
        },
      },
    },
    async (request): Promise<OrderPage> => {
      const reader = auth.reader(request);
      const q = request.query;
      let after: { createdAt: string; orderId: string } | undefined;
      if (q.cursor) {
        try {
          after = JSON.parse(Buffer.from(q.cursor, 'base64url').toString());
        } catch {
          after = undefined;
        }
        if (typeof after?.createdAt !== 'string' || typeof after?.orderId !== 'string') {
          throw new ValidationError('invalid cursor', [
            {
              pointer: '/cursor',
              detail: 'not a cursor this API returned; use the `next` of the previous page',
            },
          ]);
        }
      }
      const filter = reader.orderFilter();
      // Read in batches until the page is full: rows the store cannot leave out (a `location` scope) are
      // skipped here. A page may hold fewer than `limit` orders when the scan budget ran out; `next` goes on.
      const batchSize = reader.allOrders || filter ? q.limit + 1 : Math.max(q.limit + 1, LIST_SCAN_BATCH);
      const page: OrderRecord[] = [];
      let cursor = after;
      let more = false;
      let scanned = 0;
      scan: while (scanned < LIST_SCAN_BUDGET) {
        const batch = await store.orders.listOrders({
          limit: batchSize,
          order: q.order,
          ...(q.channel === undefined ? {} : { channel: q.channel }),
          ...(filter === undefined ? {} : { readableBy: filter }),
          ...(q.milestone === undefined ? {} : { milestone: q.milestone }),
          ...(q.since === undefined ? {} : { since: queryInstant(q.since, 'since') }),
          ...(cursor ? { after: cursor } : {}),
        });
        for (const order of batch) {
          if (reader.mayReadOrder(order)) {
            if (page.length === q.limit) {
              more = true;
              break scan;
            }
            page.push(order);
          }
          cursor = { createdAt: order.createdAt, orderId: order.orderId };
          scanned += 1;
        }
        if (batch.length < batchSize) break;
        more = scanned >= LIST_SCAN_BUDGET;
      }
      const options = reader.orderReadOptions();
      const items = await Promise.all(page.map((o) => service.view(o, options)));
      return {
        items,
        ...(more && cursor ? { next: Buffer.from(JSON.stringify(cursor)).toString('base64url') } : {}),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/orders/:id/timeline',
    {
      schema: {
        summary:
          'Every event in and out of an order (milestones before/after, inferred, late) and every delivery of it',
        tags: ['orders'],
        security: [{ bearer: [] }],
        params: IdParams,
        response: { 200: TimelineSchema, 401: Problem, 404: Problem },
      },
    },
    async (request): Promise<Timeline> => {
      const reader = auth.reader(request);
      return service.timeline(await readable(request.params.id, reader), reader.orderReadOptions());
    },
  );

  /** The order if `reader` may read it; 404 alike for a missing order and one out of scope. */
  async function readable(orderId: string, reader: Reader): Promise<OrderRecord> {
    const order = await store.orders.getOrder(orderId);
    if (!order || !reader.mayReadOrder(order)) throw new NotFoundError(`no order '${orderId}'`);
    return order;
  }
}
