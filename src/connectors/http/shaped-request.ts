/**
 * The pure halves of a shaped call (docs/connectors.md#shaped-calls-out): the request built from an event
 * (`{{ }}` in the URL, `body`, headers, `auth`), how an answer is read (`failIf`, `okIf`, `retryIf`,
 * `retryAfter`, then the status class) and what `capture` keeps. No network and no state: the sender
 * (shaped-call.ts) and `bin/manifold map test` call these same functions.
 */
import { createHmac } from 'node:crypto';
import type {
  CompiledExpression,
  HttpConnectorConfig,
  HttpMethod,
  OutboundAuth,
  ShapedCall,
  UrlTemplate,
} from '../../config/compiled-config.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import {
  classifyOutcome,
  type DeliveryOutcome,
  parseRetryAfter,
} from '../../domain/delivery/retry-policy.js';
import { DocumentError, isXmlType, nestsTooDeep, readDocument } from './documents.js';
import { ExpressionError, evaluate, truthy } from './expressions.js';
import { toRequestBody } from './mapping.js';
import { CONNECTOR_HEADERS } from './outbound.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';

/** What the answer rules and `capture` read: the answer, its body parsed when it is JSON or XML. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** A request ready to go, before `auth`: origin, encoded path and query, method, headers, body. */
export interface BuiltRequest {
  origin: string;
  path: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body?: string;
}

/** Fills the `{{ }}` parts of a URL template, each URL-encoded. Throws `ExpressionError`. */
export async function fillTemplate(
  template: UrlTemplate,
  event: unknown,
  bindings: Record<string, unknown>,
): Promise<string> {
  let path = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      path += part;
      continue;
    }
    const value = await evaluate(part, event, bindings);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      path += encodeURIComponent(String(value));
    } else {
      const got = value === undefined || value === null ? 'no value' : 'a list or an object';
      throw new ExpressionError(
        `${part.key}: gave ${got}; a URL part must be a string or a number`,
        part.key,
      );
    }
  }
  return path;
}

/** Fills a header value's `{{ }}` parts (as text, not encoded). Throws `ExpressionError`. */
export async function fillHeader(
  parts: readonly (string | CompiledExpression)[],
  name: string,
  event: unknown,
  bindings: Record<string, unknown>,
): Promise<string> {
  let text = '';
  for (const part of parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    const value = await evaluate(part, event, bindings);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      const got = value === undefined || value === null ? 'no value' : 'a list or an object';
      throw new ExpressionError(`${part.key}: gave ${got}; a header must be a string or a number`, part.key);
    }
    text += String(value);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text)) {
    throw new ExpressionError(`headers.${name}: the value holds a control character`, `headers.${name}`);
  }
  return text;
}

/** The `lookup` request for `event` (its own headers; `auth` is added like the main request's). */
export async function buildLookupRequest(
  lookup: NonNullable<ShapedCall['lookup']>,
  event: CloudEvent,
  bindings: Record<string, unknown>,
): Promise<BuiltRequest> {
  const request: BuiltRequest = {
    origin: lookup.url.origin,
    path: await fillTemplate(lookup.url, event, bindings),
    method: lookup.method,
    headers: ownHeaders(lookup.headers),
  };
  if (lookup.body !== undefined) {
    const value = await evaluate(lookup.body, event, bindings);
    if (value === undefined)
      throw new ExpressionError('lookup.body: the expression gave no value', 'lookup.body');
    request.body = JSON.stringify(value);
    request.headers['content-type'] = 'application/json; charset=utf-8';
  }
  return request;
}

/**
 * The main request for `event` (bindings: `$idempotencyKey`, and `$lookup` when there is a lookup): the
 * URL filled in, `body` evaluated (else the CloudEvent itself, except for GET and DELETE), the subscription's headers,
 * `Content-Type`, `Idempotency-Key` and, with `secret`, `Manifold-Signature` stamped at `now`.
 * Throws `ExpressionError` when an expression fails.
 */
export async function buildShapedRequest(
  http: HttpConnectorConfig,
  shaped: ShapedCall,
  events: readonly CloudEvent[],
  bindings: Record<string, unknown> & { idempotencyKey: string },
  now: Date,
): Promise<BuiltRequest> {
  const event = events[0] as CloudEvent;
  const path = await fillTemplate(shaped.url, event, bindings);
  let body: string | undefined;
  let contentType: string | undefined;
  if (shaped.body !== undefined) {
    const value = await evaluate(shaped.body, event, bindings);
    if (value === undefined) throw new ExpressionError('body: the expression gave no value', 'body');
    body = JSON.stringify(value);
    contentType = 'application/json; charset=utf-8';
  } else if (shaped.method !== 'GET' && shaped.method !== 'DELETE') {
    ({ body, contentType } = toRequestBody(events, http.batch));
  }
  const headers = ownHeaders(http.headers);
  for (const [name, parts] of Object.entries(shaped.headerTemplates ?? {})) {
    if (name in headers) headers[name] = await fillHeader(parts, name, event, bindings);
  }
  if (contentType !== undefined) headers['content-type'] = contentType;
  headers['idempotency-key'] = bindings.idempotencyKey;
  if (http.secret !== undefined) {
    headers[SIGNATURE_HEADER.toLowerCase()] = signatureHeader(
      http.secret,
      body ?? '',
      Math.floor(now.getTime() / 1000),
    );
  }
  return {
    origin: shaped.url.origin,
    path,
    method: shaped.method,
    headers,
    ...(body !== undefined ? { body } : {}),
  };
}

/**
 * The header `auth` adds to a request with `body`: `Authorization` (bearer, basic, and OAuth2 with the
 * `token` the caller obtained) or the HMAC header. Lower-case name.
 */
export function authHeader(
  auth: OutboundAuth,
  body: string | undefined,
  token?: string,
): { name: string; value: string } {
  switch (auth.kind) {
    case 'bearer':
      return { name: 'authorization', value: `Bearer ${auth.token}` };
    case 'basic':
      return {
        name: 'authorization',
        value: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`,
      };
    case 'hmac': {
      const digest = createHmac(auth.algorithm, auth.secret)
        .update(body ?? '', 'utf8')
        .digest(auth.encoding);
      return { name: auth.header.toLowerCase(), value: `${auth.prefix}${digest}` };
    }
    case 'oauth2':
      if (token === undefined) throw new RangeError('an OAuth2 header needs the token');
      return { name: 'authorization', value: `Bearer ${token}` };
  }
}

/** Which rule decided how an answer reads. `status`: none did, its status class did. */
export type DecidingRule = 'failIf' | 'okIf' | 'retryIf' | 'status';

/** How an answer reads: the outcome, the rule that decided, the wait asked for, and why it failed. */
export interface AnswerReading {
  outcome: DeliveryOutcome;
  rule: DecidingRule;
  retryAfterMs?: number;
  error?: string;
}

/**
 * Reads an answer by the rules, in order: `failIf`, `okIf`, `retryIf`, then the status class (`now` dates
 * a `Retry-After`). Throws `ExpressionError` when a rule cannot be read over this answer.
 */
export async function readAnswer(
  shaped: Pick<ShapedCall, 'failIf' | 'okIf' | 'retryIf' | 'retryAfter'>,
  answer: Answer,
  now: Date,
  bindings: Record<string, unknown> = {},
): Promise<AnswerReading> {
  const retryAfterHeader = parseRetryAfter(answer.headers['retry-after'], now);
  if (shaped.failIf !== undefined && truthy(await evaluate(shaped.failIf, answer, bindings))) {
    return { outcome: 'permanent', rule: 'failIf', error: 'failIf matched the answer' };
  }
  if (shaped.okIf !== undefined && truthy(await evaluate(shaped.okIf, answer, bindings))) {
    return { outcome: 'delivered', rule: 'okIf' };
  }
  if (shaped.retryIf !== undefined && truthy(await evaluate(shaped.retryIf, answer, bindings))) {
    // Throttled: a retryable answer with a wait (`retryAfter`, else `Retry-After`, else none beyond the
    // backoff) reads as the target asking to slow down; it uses up neither attempts nor the breaker.
    let wait = retryAfterHeader ?? 0;
    if (shaped.retryAfter !== undefined) {
      const ms = await evaluate(shaped.retryAfter, answer, bindings);
      if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) wait = Math.round(ms);
    }
    return { outcome: 'retryable', rule: 'retryIf', retryAfterMs: wait, error: 'retryIf matched the answer' };
  }
  const reading: AnswerReading = { outcome: classifyOutcome({ status: answer.status }), rule: 'status' };
  if (retryAfterHeader !== undefined) reading.retryAfterMs = retryAfterHeader;
  return reading;
}

/**
 * What `capture` keeps for a delivered event: `{ values, at }`, or `{ error, at }` when the expression
 * fails or gives no object (the call has succeeded: a failing capture never fails the delivery);
 * undefined when it gives nothing.
 */
export async function captureEntry(
  capture: NonNullable<ShapedCall['capture']>,
  answer: Answer,
  event: CloudEvent,
  at: Date,
  bindings: Record<string, unknown> = {},
): Promise<Record<string, unknown> | undefined> {
  const stamp = at.toISOString();
  try {
    const values = await evaluate(capture, { ...answer, event }, bindings);
    if (values === undefined) return undefined;
    return typeof values === 'object' && values !== null && !Array.isArray(values)
      ? { values: JSON.parse(JSON.stringify(values)) as unknown, at: stamp }
      : { error: 'capture: the expression must give an object', at: stamp };
  } catch (error) {
    return { error: (error as Error).message, at: stamp };
  }
}

/**
 * What the lookup's answer binds as `$lookup`: its body on a 2xx, null on a 404 (nothing there yet).
 * Undefined for any other answer: the call stops there, the lookup's status class being the outcome.
 */
export function lookupValue(status: number | undefined, body: unknown): { value: unknown } | undefined {
  if (status === 404) return { value: null };
  if (status !== undefined && status >= 200 && status <= 299) return { value: body };
  return undefined;
}

/** The key an unreadable answer is reported under (what `failIf`, `okIf`, `retryIf` and `capture` read). */
export const ANSWER_KEY = 'answer';

/**
 * An answer's body as the rules see it, read as a native webhook's body is: XML (by fast-xml-parser) when
 * its content type says so, else JSON when it parses, else the text itself (undefined when empty). Throws
 * `ExpressionError` when it nests deeper than the hub's cap on every JSON body: no rule reads it.
 */
export function parseAnswerBody(text: string | undefined, contentType?: string): unknown {
  if (text === undefined || text === '') return undefined;
  const format = isXmlType(contentType) ? 'xml' : 'json';
  try {
    return readDocument(text, format);
  } catch (error) {
    if (!(error instanceof DocumentError)) throw error;
    if (nestsTooDeep(text, format)) throw new ExpressionError(`the answer ${error.message}`, ANSWER_KEY);
    // Neither JSON nor well-formed XML (an HTML error page, a plain "OK"): the rules see the text.
    return text;
  }
}

/** A subscription's static headers, lower-cased, without those the connector sets itself. */
export function ownHeaders(headers: Record<string, string>): Record<string, string> {
  const own: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!CONNECTOR_HEADERS.has(lower)) own[lower] = value;
  }
  return own;
}
