/**
 * `GET /metrics`: the Prometheus text exposition. Open like `/healthz` unless `server.metricsKey` is set;
 * then the scraper sends it as a bearer token (the admin key works too).
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../api-context.js';

export function registerMetricsRoutes(app: FastifyInstance, { telemetry, auth, config }: ApiContext): void {
  const { metricsKeyHash } = config.server;
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        tags: ['operations'],
        produces: ['text/plain'],
      },
    },
    async (request, reply) => {
      if (metricsKeyHash) auth.requireMetricsReader(request, metricsKeyHash);
      const { contentType, body } = await telemetry.render();
      reply.type(contentType);
      return body;
    },
  );
}
