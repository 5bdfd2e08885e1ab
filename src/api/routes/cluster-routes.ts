/**
 * `GET /v1/cluster`: the hub processes sharing the store — alive or dead by the registry's TTL, which one
 * answered — and the singleton loops' leases each holds (admin key). See docs/operations.md
 * ("Several hub processes").
 */
import type { FastifyInstance } from 'fastify';
import { ClusterViewSchema } from '../../contracts/views/index.js';
import type { ApiContext } from '../api-context.js';

const Problem = { $ref: 'Problem#' };

export function registerClusterRoutes(app: FastifyInstance, { auth, cluster }: ApiContext): void {
  app.get(
    '/v1/cluster',
    {
      schema: {
        summary: 'The hub processes sharing the store and the leases each holds',
        tags: ['operations'],
        security: [{ bearer: [] }],
        response: { 200: ClusterViewSchema, 401: Problem, 403: Problem },
      },
    },
    async (request) => {
      auth.requireAdmin(request);
      return cluster.view();
    },
  );
}
