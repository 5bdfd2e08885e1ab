/**
 * `POST /v1/connectors/{kind}/{system}` (and `…/{system}/{path}`): the general inbound route. Any connector
 * kind with an inbound role receives over HTTP here, with no route of its own: the route carries the raw
 * request (the bytes whatever the Content-Type, the headers, the query, what follows the system in the path)
 * to the generic inbound entry (`inbound.receive(kind, …)`) and answers the protocol reply the kind owes
 * (its status, Content-Type, headers and body; `X-Manifold-Resent: true` for a request received before).
 *
 * Who the request comes from is the kind's to say (`InboundConnector.authentication`): by default the
 * caller's bearer key, as `POST /v1/edi/{partner}` (the admin key asserts no facts: 403); a kind that
 * checks the request itself (an HMAC signature, an AS2 signature), as `POST /v1/inbound/{system}/{route}`
 * and `POST /v1/as2/{partner}`, is called without a key. The kinds' own routes stay as documented.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProtocolReply } from '../../connectors/connector-port.js';
import { incomingTrace } from '../../engine/observability/trace-context.js';
import { ForbiddenError, NotFoundError } from '../../errors.js';
import type { ApiContext } from '../api-context.js';

const Problem = { $ref: 'Problem#' };

const Name = Type.String({ minLength: 1, maxLength: 100 });

interface ConnectorParams {
  kind: string;
  system: string;
  '*'?: string;
}

export function registerConnectorRoutes(app: FastifyInstance, { auth, inbound }: ApiContext): void {
  // Its own scope: every body is taken as raw bytes (a JSON body too), for a signature check.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const schema = (withPath: boolean) => ({
      summary: withPath
        ? 'A request for a connector kind’s inbound role, with a path of its own (a route name)'
        : 'A request in a system’s own format for a connector kind’s inbound role; answers its protocol reply',
      tags: ['events'],
      // The bearer key, or none for a kind that checks the request itself.
      security: [{ bearer: [] }, {}] as Record<string, string[]>[],
      params: withPath
        ? Type.Object({ kind: Name, system: Name, '*': Type.String({ maxLength: 500 }) })
        : Type.Object({ kind: Name, system: Name }),
      response: { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 503: Problem },
    });
    const handler = async (
      request: FastifyRequest<{ Params: ConnectorParams; Querystring: Record<string, unknown> }>,
      reply: FastifyReply,
    ) => {
      const { kind, system } = request.params;
      const connector = inbound.inbound(kind);
      if (!connector) throw new NotFoundError(`no connector kind '${kind}' receives requests`);
      // The kind checks the request itself, or the hub checks the key (the caller is the key's system).
      const caller = connector.authentication === 'request' ? system : auth.requireSystem(request);
      // A key speaks only for its own system: another system's key is refused before the kind sees it.
      if (caller !== system) {
        throw new ForbiddenError('forbidden', `the key of system '${caller}' cannot send as '${system}'`);
      }
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const path = request.params['*'];
      const answer = await inbound.receive(
        kind,
        system,
        {
          caller,
          body,
          headers: request.headers,
          ...(path ? { path } : {}),
          query: firstValues(request.query),
        },
        incomingTrace(request.headers),
      );
      return sendProtocolReply(reply, answer);
    };
    scope.post('/v1/connectors/:kind/:system', { schema: schema(false) }, handler);
    scope.post('/v1/connectors/:kind/:system/*', { schema: schema(true) }, handler);
  });
}

/** Answers the protocol reply as the kind made it (`X-Manifold-Resent: true` for a request seen before). */
export function sendProtocolReply(reply: FastifyReply, answer: ProtocolReply): FastifyReply {
  for (const [name, value] of Object.entries(answer.headers ?? {})) reply.header(name, value);
  if (answer.repeated) reply.header('x-manifold-resent', 'true');
  return reply
    .code(answer.status ?? 200)
    .type(answer.contentType)
    .send(answer.body);
}

/** The first value of each query parameter, as text. */
export function firstValues(query: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(query ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined && first !== null) values[name] = String(first);
  }
  return values;
}
