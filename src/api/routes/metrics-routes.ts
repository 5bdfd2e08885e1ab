/**
 * `GET /metrics`: the Prometheus text exposition. It names systems, subscriptions and volumes, so it
 * needs a key: the metrics key (`server.metricsKey`, a scraper's bearer token) or the admin key; open
 * only with `server.metricsPublic: true` (docs/security.md).
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../api-context.js';

export function registerMetricsRoutes(app: FastifyInstance, { telemetry, auth, config }: ApiContext): void {
  const { metricsKeyHash, metricsPublic } = config.server;
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format 0.0.4; the metrics key or the admin key)',
        tags: ['operations'],
        security: metricsPublic ? [] : [{ bearer: [] }],
        produces: ['text/plain'],
      },
    },
    async (request, reply) => {
      if (!metricsPublic) auth.requireMetricsReader(request, metricsKeyHash);
      const { contentType, body } = await telemetry.render();
      reply.type(contentType);
      return body;
    },
  );
}
