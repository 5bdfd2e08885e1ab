/**
 * `POST /v1/edi/{partner}` (the partner's key): an X12 interchange in, its acknowledgements out (200,
 * `application/edi-x12`: the 997/999 and/or TA1). Rejected sets are kept as `edi_rejected` exceptions.
 * `X-Manifold-Sets` counts the sets by outcome: a header stays the same few bytes whatever the
 * interchange holds (clients and proxies limit headers to a few KiB). The per-set detail is in the body
 * of a JSON answer, for a client that asks for one (`Accept: application/json`).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { InboundUnit } from '../../connectors/connector-port.js';
import { incomingTrace } from '../../engine/observability/trace-context.js';
import { ValidationError } from '../../errors.js';
import type { ApiContext } from '../api-context.js';

const Problem = { $ref: 'Problem#' };

/**
 * Registers the EDI routes. The route only carries the request: it hands the raw body and headers to the
 * generic inbound entry (`inbound.receive`), which finds the `edi` kind's inbound role.
 */
export function registerEdiRoutes(app: FastifyInstance, { auth, inbound }: ApiContext): void {
  app.post<{ Params: { partner: string }; Body: unknown }>(
    '/v1/edi/:partner',
    {
      schema: {
        summary: 'Send an X12 interchange (the partner’s key); answers its 997/999 and/or TA1',
        tags: ['edi'],
        security: [{ bearer: [] }],
        params: Type.Object({ partner: Type.String({ minLength: 1 }) }),
        response: { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const system = auth.requireSystem(request);
      const body = request.body;
      if (!Buffer.isBuffer(body) || body.length === 0) {
        throw new ValidationError(
          'send the interchange as the request body (Content-Type: application/edi-x12)',
          [{ pointer: '/', detail: 'empty or not an X12 body' }],
        );
      }
      const answer = await inbound.receive(
        'edi',
        request.params.partner,
        { caller: system, body, headers: request.headers },
        incomingTrace(request.headers),
      );
      const sets = answer.units ?? [];
      const resent = answer.repeated ?? false;
      const counts: Record<InboundUnit['outcome'], number> = {
        applied: 0,
        rejected: 0,
        duplicate: 0,
        held: 0,
      };
      for (const set of sets) counts[set.outcome] += 1;
      reply.header('x-manifold-sets', JSON.stringify(counts));
      if (resent) reply.header('x-manifold-resent', 'true');
      if (wantsJson(request.headers.accept)) {
        return reply
          .code(answer.status ?? 200)
          .type('application/json')
          .send({ acknowledgements: answer.body, resent, sets });
      }
      return reply
        .code(answer.status ?? 200)
        .type(answer.contentType)
        .send(answer.body);
    },
  );
}

/** Whether an `Accept` header asks for JSON ahead of X12 (absent, or X12 first: the X12 answer). */
function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const json = accept.indexOf('application/json');
  if (json === -1) return false;
  const x12 = accept.indexOf('application/edi-x12');
  return x12 === -1 || json < x12;
}
