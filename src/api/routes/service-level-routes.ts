/**
 * `GET /v1/service-levels` (admin): each service-level alert rule (docs/operations.md#service-levels)
 * with the orders breaching it now, counted by customer, partner and warehouse — the overview's
 * "business impact". Computed on each call through the store port.
 */
import type { FastifyInstance } from 'fastify';
import {
  type ServiceLevelReport,
  ServiceLevelReportSchema,
} from '../../contracts/views/service-level-views.js';
import type { ApiContext } from '../api-context.js';

const Problem = { $ref: 'Problem#' };

export function registerServiceLevelRoutes(app: FastifyInstance, { auth, alerts }: ApiContext): void {
  app.get(
    '/v1/service-levels',
    {
      schema: {
        summary:
          'Business service levels: the orders breaching each one, by customer, partner, warehouse (admin)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        response: { 200: ServiceLevelReportSchema, 401: Problem, 403: Problem },
      },
    },
    async (request): Promise<ServiceLevelReport> => {
      auth.requireAdmin(request);
      return alerts.serviceLevelReport();
    },
  );
}
