/**
 * RFC 9457 problem documents: the one place where errors become HTTP answers. Every problem has a stable
 * `type` URI (`https://manifold.dev/problems/<code>`) that clients can branch on.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type FieldProblem, ManifoldError } from '../errors.js';

export { PROBLEM_BASE } from '../errors.js';

import { PROBLEM_BASE } from '../errors.js';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldProblem[];
  [extension: string]: unknown;
}

/** Fastify's own errors that reach us, by their code: the problem code and status to answer with. */
const FASTIFY_ERRORS: Record<string, { code: string; status: number; title: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload-too-large', status: 413, title: 'Request body too large' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'malformed-json', status: 400, title: 'Malformed JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'malformed-json', status: 400, title: 'Malformed JSON' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported-media-type',
    status: 415,
    title: 'Unsupported media type',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'bad-request', status: 400, title: 'Bad request' },
  FST_ERR_BAD_URL: { code: 'bad-url', status: 400, title: 'Malformed URL' },
};

/** Turns any error thrown while handling a request into a problem document. */
export function toProblem(error: unknown, instance?: string): ProblemDocument {
  const at = instance ? { instance } : {};
  if (error instanceof ManifoldError) {
    return {
      type: PROBLEM_BASE + error.code,
      title: error.title,
      status: error.status,
      detail: error.message,
      ...at,
      ...(error.errors.length > 0 ? { errors: error.errors } : {}),
      ...error.extensions,
    };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    const where = fastifyError.validationContext ?? 'body';
    const errors = fastifyError.validation.map((v) => {
      const missing = (v.params as { missingProperty?: string }).missingProperty;
      const extra = (v.params as { additionalProperty?: string }).additionalProperty;
      const leaf = missing ?? extra;
      return {
        pointer: `${v.instancePath}${leaf ? `/${leaf}` : ''}` || '/',
        detail: missing ? 'is required' : extra ? `unknown field '${extra}'` : (v.message ?? 'is invalid'),
      };
    });
    return {
      type: `${PROBLEM_BASE}validation-failed`,
      title: 'Request does not match its schema',
      status: 400,
      detail: `invalid ${where}: ${errors.map((e) => `${e.pointer} ${e.detail}`).join('; ')}`,
      ...at,
      errors,
    };
  }
  const known = fastifyError.code ? FASTIFY_ERRORS[fastifyError.code] : undefined;
  if (known) {
    return {
      type: PROBLEM_BASE + known.code,
      title: known.title,
      status: known.status,
      detail: String(fastifyError.message),
      ...at,
    };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    return {
      type: `${PROBLEM_BASE}bad-request`,
      title: 'Bad request',
      status: fastifyError.statusCode,
      detail: String(fastifyError.message),
      ...at,
    };
  }
  return {
    type: `${PROBLEM_BASE}internal`,
    title: 'Internal error',
    status: 500,
    detail: 'the hub could not complete the request; nothing was acknowledged, so it is safe to retry',
    ...at,
  };
}

/** Sends a problem document for `error`; logs server-side failures. */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const problem = toProblem(error, request.url);
  if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
  else if (problem.status !== 404) {
    // Rejections are what operators look for in logs: which sender, what, and the business correlation.
    request.log.info(
      {
        status: problem.status,
        problem: problem.type,
        detail: problem.detail,
        correlationids: correlationIds(request.body),
      },
      'request rejected',
    );
  }
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/**
 * The raw HTTP answer to a request Node's parser refused before any route saw it (headers or URL too
 * large, a request that took too long to arrive, bytes that are not HTTP): a problem document like every
 * other error, and the connection closed.
 */
export function clientErrorResponse(error: { code?: string }): string {
  const [status, title, code, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          'Request Header Fields Too Large',
          'headers-too-large',
          'the request line and headers exceed the 16 KiB the hub reads; shorten the URL (fewer filters) or the headers',
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [
            408,
            'Request Timeout',
            'request-timeout',
            'the request did not arrive whole within server.requestTimeout',
          ]
        : [400, 'Bad Request', 'bad-request', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ type: PROBLEM_BASE + code, title, status, detail });
  return `HTTP/1.1 ${status} ${title}\r\nConnection: close\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Correlation ids of the CloudEvents in a parsed body (at most 10), for log lines. */
function correlationIds(body: unknown): string[] | undefined {
  const items = Array.isArray(body) ? body.slice(0, 10) : [body];
  const ids = items
    .map((item) =>
      typeof item === 'object' && item !== null
        ? (item as { correlationid?: unknown }).correlationid
        : undefined,
    )
    .filter((id): id is string => typeof id === 'string');
  return ids.length > 0 ? ids : undefined;
}
