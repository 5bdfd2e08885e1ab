/**
 * `GET /v1/backlog` (admin): what each subscription still has to deliver — pending and parked rows and
 * the age of the oldest pending one — and each target's circuit. With `since`, only the rows created at or
 * after that instant count: one run of traffic (the simulator's) measured apart from what was waiting
 * before it (docs/simulator.md). A light read for polling; `GET /v1/overview` is the console's full one.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CircuitViewSchema } from '../../contracts/views/overview-views.js';
import type { ApiContext } from '../api-context.js';
import { queryInstant } from '../query-time.js';

const Problem = { $ref: 'Problem#' };

const BacklogQuery = Type.Object(
  { since: Type.Optional(Type.String({ format: 'date-time' })) },
  { additionalProperties: false },
);

export const BacklogViewSchema = Type.Object(
  {
    generatedAt: Type.String(),
    since: Type.Optional(Type.String()),
    subscriptions: Type.Array(
      Type.Object(
        {
          name: Type.String(),
          target: Type.String(),
          pending: Type.Integer(),
          parked: Type.Integer(),
          /** 0 when nothing is pending. */
          oldestPendingSeconds: Type.Number(),
        },
        { additionalProperties: false },
      ),
    ),
    targets: Type.Array(
      Type.Object({ system: Type.String(), circuit: CircuitViewSchema }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type BacklogView = Static<typeof BacklogViewSchema>;

/** Registers `GET /v1/backlog`. */
export function registerBacklogRoutes(
  app: FastifyInstance,
  { auth, store, config, telemetry, delivery }: ApiContext,
): void {
  app.get<{ Querystring: Static<typeof BacklogQuery> }>(
    '/v1/backlog',
    {
      schema: {
        summary:
          "Each subscription's pending and parked rows and oldest pending age, optionally of the rows created since an instant (admin)",
        tags: ['operations'],
        security: [{ bearer: [] }],
        querystring: BacklogQuery,
        response: { 200: BacklogViewSchema, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request): Promise<BacklogView> => {
      auth.requireAdmin(request);
      const since =
        request.query.since === undefined ? undefined : queryInstant(request.query.since, 'since');
      const backlog = await store.delivery.deliveryBacklog(
        since === undefined ? {} : { createdSince: since },
      );
      return {
        generatedAt: new Date().toISOString(),
        ...(since === undefined ? {} : { since }),
        subscriptions: config.subscriptions.map((s) => {
          const stat = backlog.find((b) => b.subscription === s.name);
          return {
            name: s.name,
            target: s.target,
            pending: stat?.pending ?? 0,
            parked: stat?.parked ?? 0,
            oldestPendingSeconds: telemetry.ageSeconds(stat),
          };
        }),
        targets: (delivery?.targets() ?? []).map((t) => ({ system: t.system, circuit: t.circuit.state })),
      };
    },
  );
}
