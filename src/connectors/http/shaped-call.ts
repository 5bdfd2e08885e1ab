/**
 * One attempt of a shaped call (docs/connectors.md#shaped-calls-out): the optional `lookup` first, then the
 * request built from the event (`{{ }}` in the URL, `body`), authenticated (`auth`), and its answer judged
 * by `failIf`, `okIf`, `retryIf` and only then by its status class. A delivered answer may be `capture`d
 * into the subscription's connector state. Like `HttpConnector.send`, it reports and never throws.
 */
import { createHmac } from 'node:crypto';
import type { HttpConnectorConfig, ShapedCall, UrlTemplate } from '../../config/compiled-config.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { classifyOutcome, parseRetryAfter } from '../../domain/delivery/retry-policy.js';
import type { ConnectorState, OutboundResult, TraceHeaders } from '../connector-port.js';
import { ExpressionError, evaluate, truthy } from './expressions.js';
import { idempotencyKey, toRequestBody } from './mapping.js';
import type { OAuth2Tokens } from './oauth2.js';
import { CONNECTOR_HEADERS, type ExchangeResult, excerptOf, type HttpConnector } from './outbound.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';

/** What the answer rules and `capture` read: the answer, its body parsed when it is JSON. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** What a shaped sender needs from the engine. */
export interface ShapedContext {
  client: HttpConnector;
  tokens: OAuth2Tokens;
  /** The subscription's own connector state (where `capture` writes). */
  state: ConnectorState;
  now: () => Date;
}

/** The state key of what `capture` kept for one event. */
export function captureKey(eventId: string): string {
  return `capture:${eventId}`;
}

/** Sends `events` as the shaped call `shaped` of `http` describes. One call, one attempt. */
export async function sendShaped(
  context: ShapedContext,
  http: HttpConnectorConfig,
  shaped: ShapedCall,
  events: readonly CloudEvent[],
  trace: TraceHeaders,
): Promise<OutboundResult> {
  const started = Date.now();
  const key = idempotencyKey(events);
  const event = events[0] as CloudEvent;
  const bindings: Record<string, unknown> = { idempotencyKey: key };
  try {
    if (shaped.lookup !== undefined) {
      const path = await fill(shaped.lookup.url, event, bindings);
      const answer = await call(context, http, shaped, {
        origin: shaped.lookup.url.origin,
        path,
        method: shaped.lookup.method,
        headers: ownHeaders(shaped.lookup.headers),
        trace,
      });
      if (answer.status === 404) bindings.lookup = null;
      else if (answer.status !== undefined && answer.status >= 200 && answer.status <= 299)
        bindings.lookup = parseBody(answer);
      else return { ...unanswered(answer, started), error: `lookup: ${describe(answer)}` };
    }
    const path = await fill(shaped.url, event, bindings);
    let body: string | undefined;
    let contentType: string | undefined;
    if (shaped.body !== undefined) {
      const value = await evaluate(shaped.body, event, bindings);
      if (value === undefined) throw new ExpressionError('body: the expression gave no value');
      body = JSON.stringify(value);
      contentType = 'application/json; charset=utf-8';
    } else if (shaped.method !== 'GET') {
      ({ body, contentType } = toRequestBody(events, http.batch));
    }
    const headers = ownHeaders(http.headers);
    if (contentType !== undefined) headers['content-type'] = contentType;
    headers['idempotency-key'] = key;
    if (http.secret !== undefined) {
      headers[SIGNATURE_HEADER.toLowerCase()] = signatureHeader(
        http.secret,
        body ?? '',
        Math.floor(context.now().getTime() / 1000),
      );
    }
    const answer = await call(context, http, shaped, {
      origin: shaped.url.origin,
      path,
      method: shaped.method,
      headers,
      trace,
      ...(body !== undefined ? { body } : {}),
    });
    return await judge(context, shaped, answer, event, started);
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    // The same expression over the same event fails the same way: refused, kept as an exception.
    return { outcome: 'permanent', latencyMs: Date.now() - started, error: error.message };
  }
}

/** Fills the `{{ }}` parts of a URL template, each URL-encoded (`event`: the expressions' input). */
export async function fill(
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
      throw new ExpressionError(`${part.key}: gave ${got}; a URL part must be a string or a number`);
    }
  }
  return path;
}

export interface CallRequest {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  trace: TraceHeaders;
}

/**
 * Makes one request with `auth`; with OAuth2, a 401 gets a new token and the request goes once more. Also
 * the poll kind's request (src/connectors/poll/), which gives only what it reads of `http` and `shaped`.
 */
export async function call(
  context: Pick<ShapedContext, 'client' | 'tokens'>,
  http: Pick<HttpConnectorConfig, 'timeoutMs'>,
  shaped: Pick<ShapedCall, 'auth'>,
  request: CallRequest,
): Promise<ExchangeResult> {
  const auth = shaped.auth;
  const send = (extra: Record<string, string>) =>
    context.client.exchange({
      ...request,
      headers: { ...request.headers, ...extra },
      timeoutMs: http.timeoutMs,
    });
  if (auth === undefined) return send({});
  switch (auth.kind) {
    case 'bearer':
      return send({ authorization: `Bearer ${auth.token}` });
    case 'basic':
      return send({
        authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`,
      });
    case 'hmac': {
      const digest = createHmac(auth.algorithm, auth.secret)
        .update(request.body ?? '', 'utf8')
        .digest(auth.encoding);
      return send({ [auth.header.toLowerCase()]: `${auth.prefix}${digest}` });
    }
    case 'oauth2': {
      const first = await context.tokens.token(auth);
      if ('error' in first) return { latencyMs: 0, error: `oauth2: ${first.error}` };
      const answer = await send({ authorization: `Bearer ${first.token}` });
      if (answer.status !== 401) return answer;
      const renewed = await context.tokens.token(auth, first.token);
      if ('error' in renewed) return { latencyMs: answer.latencyMs, error: `oauth2: ${renewed.error}` };
      return send({ authorization: `Bearer ${renewed.token}` });
    }
  }
}

/** Reads an answer by the rules, in order: `failIf`, `okIf`, `retryIf`, then the status class. */
async function judge(
  context: ShapedContext,
  shaped: ShapedCall,
  exchange: ExchangeResult,
  event: CloudEvent,
  started: number,
): Promise<OutboundResult> {
  if (exchange.status === undefined || exchange.headers === undefined) {
    return exchange.error !== undefined
      ? { ...unanswered(exchange, started), error: exchange.error }
      : unanswered(exchange, started);
  }
  const status = exchange.status;
  const answer: Answer = { status, headers: exchange.headers, body: parseBody(exchange) };
  const result: OutboundResult = {
    outcome: classifyOutcome({ status }),
    status,
    bodyExcerpt: excerptOf(exchange.body ?? ''),
    latencyMs: Date.now() - started,
  };
  const retryAfterHeader = parseRetryAfter(exchange.headers['retry-after'], context.now());
  if (shaped.failIf !== undefined && truthy(await evaluate(shaped.failIf, answer))) {
    return { ...result, outcome: 'permanent', error: 'failIf matched the answer' };
  }
  if (shaped.okIf !== undefined && truthy(await evaluate(shaped.okIf, answer))) {
    result.outcome = 'delivered';
  } else if (shaped.retryIf !== undefined && truthy(await evaluate(shaped.retryIf, answer))) {
    // Throttled: a retryable answer with a wait (`retryAfter`, else `Retry-After`, else none beyond the
    // backoff) reads as the target asking to slow down; it uses up neither attempts nor the breaker.
    let wait = retryAfterHeader ?? 0;
    if (shaped.retryAfter !== undefined) {
      const ms = await evaluate(shaped.retryAfter, answer);
      if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) wait = Math.round(ms);
    }
    return { ...result, outcome: 'retryable', retryAfterMs: wait, error: 'retryIf matched the answer' };
  } else if (retryAfterHeader !== undefined) {
    result.retryAfterMs = retryAfterHeader;
  }
  if (result.outcome === 'delivered' && shaped.capture !== undefined) {
    await capture(context, shaped, answer, event);
  }
  return result;
}

/**
 * Keeps what `capture` gives for a delivered event in the subscription's state (`capture:<event id>`).
 * The call has succeeded: a failing capture is kept as `{ error }` instead of failing the delivery.
 */
async function capture(
  context: ShapedContext,
  shaped: ShapedCall,
  answer: Answer,
  event: CloudEvent,
): Promise<void> {
  const at = context.now().toISOString();
  let kept: Record<string, unknown>;
  try {
    const values = await evaluate(shaped.capture!, { ...answer, event });
    if (values === undefined) return;
    kept =
      typeof values === 'object' && values !== null && !Array.isArray(values)
        ? { values: JSON.parse(JSON.stringify(values)) as unknown, at }
        : { error: 'capture: the expression must give an object', at };
  } catch (error) {
    kept = { error: (error as Error).message, at };
  }
  await context.state.put(captureKey(event.id), kept);
}

/** An exchange without an answer as an outcome (same rules as the webhook's). */
function unanswered(exchange: ExchangeResult, started: number): OutboundResult {
  if (exchange.status !== undefined && exchange.error === undefined) {
    return {
      outcome: classifyOutcome({ status: exchange.status }),
      status: exchange.status,
      bodyExcerpt: excerptOf(exchange.body ?? ''),
      latencyMs: Date.now() - started,
    };
  }
  const result: OutboundResult = {
    outcome:
      exchange.invalid === true
        ? 'permanent'
        : classifyOutcome({ status: exchange.status, timedOut: exchange.timedOut === true }),
    latencyMs: Date.now() - started,
  };
  if (exchange.status !== undefined) result.status = exchange.status;
  if (exchange.notSent === true) result.notSent = true;
  return result;
}

function describe(exchange: ExchangeResult): string {
  if (exchange.error !== undefined) return exchange.error;
  return `HTTP ${exchange.status}`;
}

/** The body as JSON when it parses, else as text (undefined when empty). */
function parseBody(exchange: ExchangeResult): unknown {
  const text = exchange.body;
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A subscription's static headers, lower-cased, without those the connector sets itself. */
function ownHeaders(headers: Record<string, string>): Record<string, string> {
  const own: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!CONNECTOR_HEADERS.has(lower)) own[lower] = value;
  }
  return own;
}
