/**
 * Native webhooks in (docs/connectors.md#native-webhooks-in):
 * - `POST /v1/inbound/{system}/{route}`: a system's own JSON or XML, authenticated as its
 *   `systems.<name>.inbound.auth` says (HMAC over the raw body, a token, its key, basic), mapped by the
 *   route's JSONata into canonical events. The route only carries the request: the raw bytes (whatever the
 *   Content-Type, so that a signature is checked on exactly what was sent), the headers and the query go to
 *   the generic inbound entry (`inbound.receive('webhook', …)`), which finds the `webhook` kind's inbound role.
 * - `GET /v1/inbound-requests/{id}` and `GET /v1/inbound-requests?system=&route=&since=`: the requests kept
 *   (raw body, headers with secrets stripped, the events each produced), linked from the order timeline.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { incomingTrace } from '../../engine/observability/trace-context.js';
import { NotFoundError } from '../../errors.js';
import type { ApiContext } from '../api-context.js';
import { firstValues } from './connector-routes.js';

const Problem = { $ref: 'Problem#' };

const InboundRequestView = Type.Object(
  {
    id: Type.String(),
    system: Type.String(),
    route: Type.String(),
    receivedAt: Type.String(),
    contentType: Type.Optional(Type.String()),
    headers: Type.Record(Type.String(), Type.String(), { description: 'lower-case names; secrets stripped' }),
    body: Type.String({ description: 'the raw body as received (base64 when bodyEncoding says so)' }),
    bodyEncoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
    outcome: Type.String({ description: 'accepted | duplicate | ignored | parked' }),
    exceptionId: Type.Optional(Type.Integer()),
    events: Type.Array(Type.Object({ id: Type.String(), seq: Type.Integer() })),
    updatedAt: Type.String(),
  },
  { additionalProperties: false },
);

export function registerInboundRoutes(app: FastifyInstance, { auth, inbound, store }: ApiContext): void {
  // Its own scope: every body is taken as raw bytes (a JSON body too), for the signature check.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post<{ Params: { system: string; route: string }; Querystring: Record<string, unknown> }>(
      '/v1/inbound/:system/:route',
      {
        schema: {
          summary:
            "A system's own webhook (JSON or XML), mapped to canonical events by its route (systems.<name>.inbound)",
          tags: ['events'],
          params: Type.Object({
            system: Type.String({ minLength: 1, maxLength: 100 }),
            route: Type.String({ minLength: 1, maxLength: 100 }),
          }),
          response: { 400: Problem, 401: Problem, 404: Problem, 503: Problem },
        },
      },
      async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const answer = await inbound.receive(
          'webhook',
          request.params.system,
          {
            caller: request.params.system,
            body,
            headers: request.headers,
            path: request.params.route,
            query: firstValues(request.query),
          },
          incomingTrace(request.headers),
        );
        return reply
          .code(answer.status ?? 200)
          .type(answer.contentType)
          .send(answer.body);
      },
    );
  });

  app.get<{ Params: { id: string } }>(
    '/v1/inbound-requests/:id',
    {
      schema: {
        summary:
          'A kept native webhook request: raw body, headers (secrets stripped), the events it produced',
        tags: ['events'],
        security: [{ bearer: [] }],
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 200: InboundRequestView, 401: Problem, 404: Problem },
      },
    },
    async (request) => {
      const reader = auth.reader(request);
      const found = await store.inboundRequests.get(request.params.id);
      // The admin key reads every request; a system's key its own.
      if (!found || (reader.system !== undefined && reader.system !== found.system)) {
        throw new NotFoundError(`no inbound request '${request.params.id}'`);
      }
      return found;
    },
  );

  app.get<{
    Querystring: { system: string; route?: string; since?: string; limit?: number; after?: string };
  }>(
    '/v1/inbound-requests',
    {
      schema: {
        summary: 'Kept native webhook requests of a system (and route), oldest first (admin)',
        tags: ['events'],
        security: [{ bearer: [] }],
        querystring: Type.Object({
          system: Type.String({ minLength: 1 }),
          route: Type.Optional(Type.String({ minLength: 1 })),
          since: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          after: Type.Optional(Type.String({ description: 'the last id of the previous page' })),
        }),
        response: { 200: Type.Object({ items: Type.Array(InboundRequestView) }), 401: Problem, 403: Problem },
      },
    },
    async (request) => {
      auth.requireAdmin(request);
      const q = request.query;
      const items = await store.inboundRequests.list({
        system: q.system,
        ...(q.route ? { route: q.route } : {}),
        ...(q.since ? { since: q.since } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
        ...(q.after ? { afterId: q.after } : {}),
      });
      return { items };
    },
  );
}
