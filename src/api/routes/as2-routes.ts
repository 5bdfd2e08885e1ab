/**
 * `POST /v1/as2/{partner}`: the hub's AS2 endpoint (docs/recipes/as2-partner.md). A partner posts signed,
 * encrypted messages (X12) and its receipts (MDNs) for the hub's asynchronous sends here. There is no
 * bearer key: AS2 authenticates by the signature, which the `as2` kind checks with the partner's
 * certificates. The route only carries the request: the raw bytes (whatever the Content-Type) and the
 * headers go to the generic inbound entry (`inbound.receive('as2', …)`); the answer is the receipt, with
 * its AS2 headers, or an empty 200 when the receipt is posted to the partner's Receipt-Delivery-Option.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { incomingTrace } from '../../engine/observability/trace-context.js';
import { ValidationError } from '../../errors.js';
import type { ApiContext } from '../api-context.js';
import { sendProtocolReply } from './connector-routes.js';

const Problem = { $ref: 'Problem#' };

export function registerAs2Routes(app: FastifyInstance, { inbound }: ApiContext): void {
  // Its own scope: every body is taken as raw bytes (a signature covers exactly what was sent).
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post<{ Params: { partner: string } }>(
      '/v1/as2/:partner',
      {
        schema: {
          summary: "A partner's AS2 message (signed, encrypted X12) or receipt; answers the receipt (MDN)",
          tags: ['edi'],
          params: Type.Object({ partner: Type.String({ minLength: 1, maxLength: 100 }) }),
          response: { 400: Problem, 403: Problem, 404: Problem, 409: Problem },
        },
      },
      async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        if (body.length === 0) {
          throw new ValidationError('send the AS2 message as the request body', [
            { pointer: '/', detail: 'empty body' },
          ]);
        }
        const answer = await inbound.receive(
          'as2',
          request.params.partner,
          { caller: request.params.partner, body, headers: request.headers },
          incomingTrace(request.headers),
        );
        return sendProtocolReply(reply, answer);
      },
    );
  });
}
