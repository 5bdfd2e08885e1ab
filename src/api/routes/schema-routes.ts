/** `GET /v1/schemas` and `GET /v1/schemas/{type}`: the v1 contracts, public. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { eventSchema } from '../../contracts/index.js';
import { CATALOGUE } from '../../domain/event-catalogue.js';
import { NotFoundError } from '../../errors.js';

const SchemaList = Type.Object({
  items: Type.Array(
    Type.Object({
      type: Type.String(),
      assertedBy: Type.String({
        description: 'the fact whose owners may send it, or `manifold` for hub-emitted types',
      }),
      href: Type.String(),
    }),
  ),
});

/** Registers the schema routes. */
export function registerSchemaRoutes(app: FastifyInstance): void {
  app.get(
    '/v1/schemas',
    {
      schema: {
        summary: 'List the v1 event types and their schemas',
        tags: ['contracts'],
        response: { 200: SchemaList },
      },
    },
    async () => ({
      items: CATALOGUE.map((entry) => ({
        type: entry.type,
        assertedBy:
          entry.ownership.kind === 'fact'
            ? entry.ownership.fact
            : entry.ownership.kind === 'hub'
              ? 'manifold'
              : 'statusMaps',
        href: `/v1/schemas/${entry.type}`,
      })),
    }),
  );

  app.get<{ Params: { type: string } }>(
    '/v1/schemas/:type',
    {
      schema: {
        summary: 'The JSON Schema of one event type (envelope and data)',
        tags: ['contracts'],
        params: Type.Object({ type: Type.String() }),
        response: { 200: Type.Object({}, { additionalProperties: true }), 404: { $ref: 'Problem#' } },
      },
    },
    async (request) => {
      const schema = eventSchema(request.params.type);
      if (!schema) {
        throw new NotFoundError(
          `'${request.params.type}' is not a v1 event type; GET /v1/schemas lists them`,
        );
      }
      return schema;
    },
  );
}
