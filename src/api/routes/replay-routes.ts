/** `POST /v1/replays` and `GET /v1/replays/{id}` (admin): re-send a selection of the log to a subscription. */
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CATALOGUE } from '../../domain/event-catalogue.js';
import { compileTypePatterns } from '../../domain/type-pattern.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { ApiContext } from '../api-context.js';
import { queryInstant } from '../query-time.js';

const Problem = { $ref: 'Problem#' };

const ReplayBody = Type.Object(
  {
    subscription: Type.String({ minLength: 1 }),
    from: Type.String({ format: 'date-time', description: 'ingested at or after' }),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'ingested before' })),
    types: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    subject: Type.Optional(Type.String()),
    correlationid: Type.Optional(Type.String()),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

const ReplaySchema = Type.Object(
  {
    id: Type.Integer(),
    selection: Type.Object({}, { additionalProperties: true }),
    createdAt: Type.String(),
    createdBy: Type.String(),
    total: Type.Integer(),
    delivered: Type.Integer(),
    pending: Type.Integer(),
    parked: Type.Integer(),
    status: Type.String(),
  },
  { additionalProperties: false },
);

/** Registers the replay routes. */
export function registerReplayRoutes(
  app: FastifyInstance,
  { auth, store, config, wakeDelivery }: ApiContext,
): void {
  app.post<{ Body: Static<typeof ReplayBody> }>(
    '/v1/replays',
    {
      schema: {
        summary:
          'Replay a selection of the log to one subscription, with the original idempotency keys (admin, audited)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        body: ReplayBody,
        response: { 201: ReplaySchema, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request, reply) => {
      const who = auth.requireAdmin(request);
      const body = request.body;
      const subscription = config.subscriptions.find((s) => s.name === body.subscription);
      if (!subscription) {
        throw new ValidationError(
          `no subscription named '${body.subscription}'; known: ${config.subscriptions.map((s) => s.name).join(', ')}`,
          [{ pointer: '/subscription', detail: 'is not a subscription' }],
        );
      }
      // Patterns resolve against the catalogue and the subscription's own types: a replay never sends a
      // subscriber a type it did not subscribe to.
      const wanted = body.types ? compileTypePatterns(body.types) : () => true;
      const types = CATALOGUE.map((c) => c.type).filter((t) => wanted(t) && subscription.matchesType(t));
      const { note, ...asked } = body;
      const selection = {
        ...asked,
        from: queryInstant(asked.from, 'from'),
        ...(asked.to === undefined ? {} : { to: queryInstant(asked.to, 'to') }),
      };
      const replay = await store.delivery.createReplay(
        selection,
        types,
        subscription.target,
        { who, at: new Date().toISOString(), ...(note ? { note } : {}) },
        subscription.filter,
      );
      wakeDelivery(subscription.name);
      reply.code(201);
      return replay;
    },
  );

  app.get<{ Params: { id: number } }>(
    '/v1/replays/:id',
    {
      schema: {
        summary: 'Progress of a replay (admin)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: ReplaySchema, 404: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request) => {
      auth.requireAdmin(request);
      const replay = await store.delivery.getReplay(request.params.id);
      if (!replay) throw new NotFoundError(`no replay ${request.params.id}`);
      return replay;
    },
  );
}
