/**
 * `GET /healthz` (the process is alive) and `GET /readyz` (migrations applied, store reachable; the
 * delivery targets and the pollers shown, never counted).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PollerStatusSchema as PollerStatus } from '../../contracts/views/overview-views.js';
import type { TargetHealth } from '../../engine/delivery/delivery-engine.js';
import type { SourceStatus } from '../../engine/inbound/scheduled-source.js';
import type { Store } from '../../store/store-port.js';

const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
  store: Type.Object({
    kind: Type.String(),
    ok: Type.Boolean(),
    migrationsApplied: Type.Integer(),
    migrationsKnown: Type.Integer(),
    detail: Type.Optional(Type.String()),
  }),
  targets: Type.Array(
    Type.Object({
      system: Type.String(),
      circuit: Type.Object({ state: Type.String() }, { additionalProperties: true }),
      concurrency: Type.Optional(
        Type.Object(
          {
            limit: Type.Integer({ description: 'requests allowed in flight now (adaptive)' }),
            maxLimit: Type.Integer(),
            inFlight: Type.Integer(),
            pausedUntil: Type.Optional(
              Type.Number({ description: 'Retry-After pause of the target, epoch ms' }),
            ),
          },
          { additionalProperties: true },
        ),
      ),
    }),
    {
      description:
        'circuit breaker and adaptive concurrency per delivery target; an open circuit does not make the hub unready',
    },
  ),
  pollers: Type.Array(PollerStatus, {
    description:
      'each poller (systems.<name>.poll) and how its runs fare; a failing poller does not make the hub unready',
  }),
});

/** Registers the health routes. `isShuttingDown` makes readiness fail while draining. */
export function registerHealthRoutes(
  app: FastifyInstance,
  store: Store,
  isShuttingDown: () => boolean,
  targets: () => TargetHealth[],
  pollers: () => Promise<SourceStatus[]> = async () => [],
): void {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness',
        tags: ['operations'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    { schema: { summary: 'Readiness', tags: ['operations'], response: { 200: Readiness, 503: Readiness } } },
    async (_request, reply) => {
      const health = await store.health();
      const ready = health.ok && !isShuttingDown();
      reply.code(ready ? 200 : 503);
      return {
        status: ready ? ('ready' as const) : ('not_ready' as const),
        store: {
          kind: store.kind,
          ok: health.ok,
          migrationsApplied: health.applied,
          migrationsKnown: health.known,
          ...(isShuttingDown()
            ? { detail: 'shutting down' }
            : health.detail
              ? { detail: health.detail }
              : {}),
        },
        targets: targets(),
        // Shown, never counted against readiness: a system that is down must not take the hub out of
        // its load balancer. A store that cannot be read leaves the list empty (the store says why).
        pollers: health.ok ? await pollers().catch(() => []) : [],
      };
    },
  );
}
