/**
 * Orders (issue #5): `POST /v1/orders` (a channel's system or the ERP, `Idempotency-Key` required),
 * `GET /v1/orders/{id}`, `GET /v1/orders?channel=&milestone=&since=` and `GET /v1/orders/{id}/timeline`.
 * The body of a POST is the `order.accepted` data (`GET /v1/schemas/com.manifold.order.accepted.v1`);
 * it is validated, and its ownership checked, on the ingest path.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { MILESTONES } from '../../domain/event-catalogue.js';
import { incomingTrace } from '../../engine/observability/trace-context.js';
import { ValidationError } from '../../errors.js';
import type { ApiContext } from '../api-context.js';
import { queryInstant } from '../query-time.js';

const Problem = { $ref: 'Problem#' };
const OrderView = Type.Object({}, { additionalProperties: true, description: 'The canonical order' });
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

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
          201: OrderView,
          202: Type.Object({ orderId: Type.String(), status: Type.String() }),
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
        response: { 200: OrderView, 401: Problem, 404: Problem },
      },
    },
    async (request) => {
      auth.authenticate(request);
      return service.get(request.params.id);
    },
  );

  app.get<{
    Querystring: { channel?: string; milestone?: string; since?: string; cursor?: string; limit: number };
  }>(
    '/v1/orders',
    {
      schema: {
        summary: 'Orders, oldest first, filtered by channel, milestone and creation time; paged by cursor',
        tags: ['orders'],
        security: [{ bearer: [] }],
        querystring: Type.Object({
          channel: Type.Optional(Type.String({ minLength: 1 })),
          milestone: Type.Optional(Type.Union(MILESTONES.map((m) => Type.Literal(m)))),
          since: Type.Optional(Type.String({ format: 'date-time' })),
          cursor: Type.Optional(Type.String({ minLength: 1 })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        }),
        response: {
          200: Type.Object({ items: Type.Array(OrderView), next: Type.Optional(Type.String()) }),
          400: Problem,
          401: Problem,
        },
      },
    },
    async (request) => {
      auth.authenticate(request);
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
      const rows = await store.orders.listOrders({
        limit: q.limit + 1,
        ...(q.channel === undefined ? {} : { channel: q.channel }),
        ...(q.milestone === undefined ? {} : { milestone: q.milestone }),
        ...(q.since === undefined ? {} : { since: queryInstant(q.since, 'since') }),
        ...(after ? { after } : {}),
      });
      const page = rows.slice(0, q.limit);
      const items = await Promise.all(page.map((o) => service.view(o)));
      const last = page[page.length - 1];
      return {
        items,
        ...(rows.length > q.limit && last
          ? {
              next: Buffer.from(
                JSON.stringify({ createdAt: last.createdAt, orderId: last.orderId }),
              ).toString('base64url'),
            }
          : {}),
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
        response: { 200: Type.Object({}, { additionalProperties: true }), 401: Problem, 404: Problem },
      },
    },
    async (request) => {
      auth.authenticate(request);
      return service.timeline(request.params.id);
    },
  );
}
