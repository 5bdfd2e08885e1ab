/**
 * `POST /v1/edi/{partner}` (the partner's key): an X12 interchange in, its acknowledgements out (200,
 * `application/edi-x12`: the 997/999 and/or TA1). Rejected sets are kept as `edi_rejected` exceptions.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
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
      // JSON with every non-ASCII character escaped: header values must be Latin-1.
      reply.header(
        'x-manifold-sets',
        JSON.stringify(answer.sets).replace(
          /[\u007f-\uffff]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
        ),
      );
      if (answer.resent) reply.header('x-manifold-resent', 'true');
      return reply.code(200).type('application/edi-x12').send(answer.body);
    },
  );
}
