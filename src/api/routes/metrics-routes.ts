/** `GET /metrics`: the Prometheus text exposition (no auth, like `/healthz`: bind it to a private network). */
import type { FastifyInstance } from 'fastify';
import type { Telemetry } from '../../engine/observability/telemetry.js';

export function registerMetricsRoutes(app: FastifyInstance, telemetry: Telemetry): void {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        tags: ['operations'],
        produces: ['text/plain'],
      },
    },
    async (_request, reply) => {
      const { contentType, body } = await telemetry.render();
      reply.type(contentType);
      return body;
    },
  );
}
