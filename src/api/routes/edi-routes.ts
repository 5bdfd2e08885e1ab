/**
 * `POST /v1/edi/{partner}` (the partner's key): an X12 interchange in, its acknowledgements out (200,
 * `application/edi-x12`: the 997/999 and/or TA1). Rejected sets are kept as `edi_rejected` exceptions.
 * `X-Manifold-Sets` counts the sets by outcome: a header stays the same few bytes whatever the
 * interchange holds (clients and proxies limit headers to a few KiB). The per-set detail is in the body
 * of a JSON answer, for a client that asks for one (`Accept: application/json`).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { EdiAnswer } from '../../engine/edi/edi-inbound.js';
import { incomingTrace } from '../../engine/observability/trace-context.js';
import { ValidationError } from '../../errors.js';
import type { ApiContext } from '../api-context.js';

const Problem = { $ref: 'Problem#' };

/** Registers the EDI routes. */
export function registerEdiRoutes(app: FastifyInstance, { auth, edi }: ApiContext): void {
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
      const answer = await edi.receive(system, request.params.partner, body, incomingTrace(request.headers));
      const counts: Record<EdiAnswer['sets'][number]['outcome'], number> = {
        applied: 0,
        rejected: 0,
        duplicate: 0,
      };
      for (const set of answer.sets) counts[set.outcome] += 1;
      reply.header('x-manifold-sets', JSON.stringify(counts));
      if (answer.resent) reply.header('x-manifold-resent', 'true');
      if (wantsJson(request.headers.accept)) {
        return reply
          .code(200)
          .type('application/json')
          .send({ acknowledgements: answer.body, resent: answer.resent, sets: answer.sets });
      }
      return reply.code(200).type('application/edi-x12').send(answer.body);
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
