/**
 * The operators' queue (admin): `GET /v1/exceptions[/{id}]`, retry and resolve one, bulk retry by filter,
 * and the audit log of those actions at `GET /v1/audit`.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type AuditPage,
  AuditPageSchema,
  type BulkRetryResult,
  BulkRetryResultSchema,
  type ExceptionPage,
  ExceptionPageSchema,
  type ExceptionView,
  ExceptionViewSchema,
} from '../../contracts/views/exception-views.js';
import { ManifoldError, NotFoundError } from '../../errors.js';
import { EXCEPTION_STATUSES, type ExceptionQuery } from '../../store/delivery-port.js';
import type { ApiContext } from '../api-context.js';
import { queryInstant } from '../query-time.js';

const Problem = { $ref: 'Problem#' };
const adminErrors = { 400: Problem, 401: Problem, 403: Problem };

const Filters = {
  subscription: Type.Optional(Type.String()),
  code: Type.Optional(Type.String()),
  system: Type.Optional(Type.String()),
  subject: Type.Optional(Type.String({ description: 'What it is about: an order id, sku@location' })),
  status: Type.Optional(Type.Union(EXCEPTION_STATUSES.map((s) => Type.Literal(s)))),
  since: Type.Optional(Type.String({ format: 'date-time' })),
};
const ListQuery = Type.Object(
  {
    ...Filters,
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
    order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], {
      default: 'asc',
      description: 'asc oldest first, desc newest first (a cursor keeps its order)',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const NoteBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
const ResolveBody = Type.Object(
  { note: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);
const BulkRetryBody = Type.Object(
  {
    ...Filters,
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
  },
  { additionalProperties: false },
);

/**
 * Retries take an optional note, so the body carrying it is optional too: none, an empty one, or an empty
 * one labelled JSON all read as `{}` (and get the schema's defaults).
 */
async function noBodyIsEmptyObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
  else if (Buffer.isBuffer(request.body) && request.body.length === 0) request.body = {};
}

/** Registers the exception and audit routes. */
export function registerExceptionRoutes(
  app: FastifyInstance,
  { auth, store, inventory, orders, inbound, wakeDelivery }: ApiContext,
): void {
  const filterOf = (
    q: Static<typeof BulkRetryBody> | Static<typeof ListQuery>,
  ): Omit<ExceptionQuery, 'limit'> => ({
    ...(q.subscription !== undefined ? { subscription: q.subscription } : {}),
    ...(q.code !== undefined ? { code: q.code } : {}),
    ...(q.system !== undefined ? { system: q.system } : {}),
    ...(q.subject !== undefined ? { subject: q.subject } : {}),
    ...(q.status !== undefined ? { status: q.status } : {}),
    ...(q.since !== undefined ? { since: queryInstant(q.since, 'since') } : {}),
  });

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/v1/exceptions',
    {
      schema: {
        summary: 'List exceptions (admin)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        querystring: ListQuery,
        response: {
          200: ExceptionPageSchema,
          ...adminErrors,
        },
      },
    },
    async (request): Promise<ExceptionPage> => {
      auth.requireAdmin(request);
      const q = request.query;
      const items = await store.delivery.listExceptions({
        ...filterOf(q),
        ...(q.cursor !== undefined ? { afterId: Number(q.cursor) } : {}),
        order: q.order,
        limit: q.limit + 1,
      });
      const page = items.slice(0, q.limit);
      const last = page[page.length - 1];
      return items.length > q.limit && last ? { items: page, next: String(last.id) } : { items: page };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/v1/exceptions/:id',
    {
      schema: {
        summary: 'One exception (admin)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        params: IdParams,
        response: { 200: ExceptionViewSchema, 404: Problem, ...adminErrors },
      },
    },
    async (request): Promise<ExceptionView> => {
      auth.requireAdmin(request);
      const found = await store.delivery.getException(request.params.id);
      if (!found) throw new NotFoundError(`no exception ${request.params.id}`);
      return found;
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof NoteBody> }>(
    '/v1/exceptions/:id/retry',
    {
      schema: {
        summary: 'Send the parked event again (admin, audited)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        params: IdParams,
        body: NoteBody,
        response: { 200: ExceptionViewSchema, 404: Problem, 409: Problem, ...adminErrors },
      },
      preValidation: noBodyIsEmptyObject,
    },
    async (request): Promise<ExceptionView> => {
      const who = auth.requireAdmin(request);
      const id = request.params.id;
      const existing = await store.delivery.getException(id);
      if (!existing) throw new NotFoundError(`no exception ${id}`);
      if (existing.status !== 'open') {
        throw new ManifoldError(
          'exception-not-open',
          409,
          'Exception already resolved',
          `exception ${id} was already resolved (${existing.resolution ?? 'resolved'} by ${existing.resolvedBy ?? 'unknown'} at ${existing.resolvedAt ?? '?'}); nothing was sent`,
        );
      }
      if (existing.outboxId === undefined) {
        // Not a delivery: a rejected inventory fact is applied again against today's position; anything
        // else (oversold, drift) has nothing to redo and is resolved once its cause is fixed.
        const orderEvent = [
          'unknown_status',
          'unknown_order',
          'unknown_unit',
          'order_processing_failed',
        ].includes(existing.code);
        if (inbound.replays(existing.code)) {
          // An input a connector rejected (an X12 set: `edi_rejected`) is applied again by that connector
          // from what the exception holds (the interchange).
          await inbound.replay(existing);
        } else if (
          (existing.code !== 'inventory_rejected' && !orderEvent) ||
          existing.eventSeq === undefined
        ) {
          throw new ManifoldError(
            'not-retryable',
            409,
            'Nothing to retry',
            `exception ${id} (${existing.code}) has nothing to send or apply again; fix its cause and resolve it with a note`,
          );
        } else if (orderEvent) await orders.processor.reapply(existing.eventSeq);
        else await inventory.reapply(existing.eventSeq);
      }
      const [retried] = await store.delivery.retryExceptions([id], {
        who,
        at: new Date().toISOString(),
        ...(request.body?.note ? { note: request.body.note } : {}),
      });
      wakeDelivery(existing.subscription);
      return retried ?? existing;
    },
  );

  app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof ResolveBody> }>(
    '/v1/exceptions/:id/resolve',
    {
      schema: {
        summary: 'Close an exception without sending (admin, audited; a note is required)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        params: IdParams,
        body: ResolveBody,
        response: { 200: ExceptionViewSchema, 404: Problem, ...adminErrors },
      },
    },
    async (request): Promise<ExceptionView> => {
      const who = auth.requireAdmin(request);
      const resolved = await store.delivery.resolveException(request.params.id, {
        who,
        at: new Date().toISOString(),
        note: request.body.note,
      });
      if (!resolved) throw new NotFoundError(`no exception ${request.params.id}`);
      wakeDelivery(resolved.subscription);
      return resolved;
    },
  );

  app.post<{ Body: Static<typeof BulkRetryBody> }>(
    '/v1/exceptions/retry',
    {
      schema: {
        summary: 'Retry every open exception matching a filter (admin, audited)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        body: BulkRetryBody,
        response: {
          200: BulkRetryResultSchema,
          ...adminErrors,
        },
      },
      preValidation: noBodyIsEmptyObject,
    },
    async (request): Promise<BulkRetryResult> => {
      const who = auth.requireAdmin(request);
      const body = request.body ?? { limit: 1000 };
      const open = await store.delivery.listExceptions({
        ...filterOf(body),
        status: 'open',
        limit: body.limit,
      });
      // Bulk retry re-sends deliveries only; inventory exceptions are retried one by one.
      const retried = await store.delivery.retryExceptions(
        open.filter((e) => e.outboxId !== undefined).map((e) => e.id),
        { who, at: new Date().toISOString(), ...(body.note ? { note: body.note } : {}) },
      );
      for (const subscription of new Set(retried.map((e) => e.subscription))) wakeDelivery(subscription);
      return { retried: retried.length, ids: retried.map((e) => e.id) };
    },
  );

  const AuditQuery = Type.Object(
    {
      cursor: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
      limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    },
    { additionalProperties: false },
  );
  app.get<{ Querystring: Static<typeof AuditQuery> }>(
    '/v1/audit',
    {
      schema: {
        summary: 'Audit log of admin actions: who (which key), when, what, why (admin)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        querystring: AuditQuery,
        response: {
          200: AuditPageSchema,
          ...adminErrors,
        },
      },
    },
    async (request): Promise<AuditPage> => {
      auth.requireAdmin(request);
      const q = request.query;
      const items = await store.delivery.listAudit({
        ...(q.cursor !== undefined ? { afterId: Number(q.cursor) } : {}),
        limit: q.limit + 1,
      });
      const page = items.slice(0, q.limit);
      const last = page[page.length - 1];
      return items.length > q.limit && last ? { items: page, next: String(last.id) } : { items: page };
    },
  );
}
