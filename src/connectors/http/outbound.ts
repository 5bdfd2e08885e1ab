/**
 * The HTTP webhook connector (docs/webhooks.md): POSTs canonical CloudEvents to a subscriber, signed,
 * with an idempotency key, over one keep-alive undici pool per origin. One call is one attempt: it reports
 * what happened and never throws for the network; retries, rate limits and the breaker are the engine's.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { CompiledSubscription, HttpConnectorConfig } from '../../config/compiled-config.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { DEFAULT_CONCURRENCY } from '../../domain/delivery/adaptive-concurrency.js';
import { classifyOutcome, parseRetryAfter } from '../../domain/delivery/retry-policy.js';
import type { OutboundResult, TraceHeaders } from '../connector-port.js';
import { idempotencyKey, toRequestBody } from './mapping.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';

/** Characters of the response body kept for the attempt record and the exception queue. */
export const BODY_EXCERPT_CHARS = 512;

/** Response bytes read to keep the connection reusable; a longer body is cut off with its connection. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;
/** Bytes decoded for the excerpt: 512 characters of UTF-8 take at most 4 bytes each. */
const EXCERPT_BYTES = BODY_EXCERPT_CHARS * 4;

/**
 * Headers the connector sets itself: a subscription's `headers` cannot override them (the signature and
 * the key must describe the body actually sent; the framing headers belong to the HTTP client).
 */
export const CONNECTOR_HEADERS = new Set([
  'content-type',
  'content-length',
  'idempotency-key',
  'manifold-signature',
  'host',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'traceparent',
  'tracestate',
]);

export type { TraceHeaders } from '../connector-port.js';

/** What one delivery attempt came to (the port's `OutboundResult`, under its older name). */
export type DeliveryResponse = OutboundResult;

/** How the connector sizes its pools and names itself. */
export interface HttpConnectorOptions {
  /** Connections per origin (`https://erp.example.com`); see `connectionsByOrigin`. */
  connections?: ReadonlyMap<string, number>;
  /** Connections of an origin missing from `connections`. */
  defaultConnections?: number;
  /** The `user-agent` header; `manifold/<package version>` by default. */
  userAgent?: string;
}

/**
 * Connections to open per origin: the sum of the concurrency of the subscriptions that post there, so
 * subscriptions sharing a target never queue behind each other inside the pool.
 */
export function connectionsByOrigin(subscriptions: readonly CompiledSubscription[]): Map<string, number> {
  const connections = new Map<string, number>();
  for (const subscription of subscriptions) {
    if (subscription.http === undefined) continue;
    const origin = new URL(subscription.http.url).origin;
    const concurrency = subscription.rateLimit?.concurrency ?? DEFAULT_CONCURRENCY;
    connections.set(origin, (connections.get(origin) ?? 0) + concurrency);
  }
  return connections;
}

/** Posts events to webhook targets. One instance serves every HTTP subscription of a hub. */
export class HttpConnector {
  private readonly pools = new Map<string, Pool>();
  private readonly options: HttpConnectorOptions;
  private readonly userAgent: string;
  private closed = false;

  constructor(options: HttpConnectorOptions = {}) {
    this.options = options;
    this.userAgent = options.userAgent ?? `manifold/${packageVersion()}`;
  }

  /**
   * Makes one attempt to deliver `events` (one, or several when `config.batch`). `now` stamps the
   * signature and dates a `Retry-After`. Network errors and timeouts come back as `retryable` with `error`;
   * a request that cannot be formed (a header value the client refuses) as `permanent`. Throws only for a
   * caller's bug: no events, or several without `batch`. `trace` is sent as the W3C `traceparent` and
   * `tracestate` headers.
   */
  async send(
    config: HttpConnectorConfig,
    events: readonly CloudEvent[],
    now = new Date(),
    trace?: TraceHeaders,
  ): Promise<DeliveryResponse> {
    const { contentType, body } = toRequestBody(events, config.batch);
    return this.sendBody(
      config,
      { contentType, body, idempotencyKey: idempotencyKey(events), ...(trace ? { trace } : {}) },
      now,
    );
  }

  /**
   * Makes one attempt to POST a body of the caller's (an X12 interchange as `application/edi-x12`), with
   * the same headers as `send`: the signature of that body and `Idempotency-Key`. Same outcomes as `send`.
   */
  async sendBody(
    config: HttpConnectorConfig,
    request: { contentType: string; body: string; idempotencyKey: string; trace?: TraceHeaders },
    now = new Date(),
  ): Promise<DeliveryResponse> {
    const { contentType, body } = request;
    if (this.closed)
      return { outcome: 'retryable', latencyMs: 0, error: 'connector closed: not sent', notSent: true };
    const url = new URL(config.url);
    const headers = this.headersFor(config, request.idempotencyKey, contentType, body, now);
    if (request.trace?.traceparent !== undefined) headers.traceparent = request.trace.traceparent;
    if (request.trace?.tracestate !== undefined) headers.tracestate = request.trace.tracestate;
    const controller = new AbortController();
    // One deadline for the whole exchange: connect, headers and body. undici's own timeouts are per phase
    // (and bodyTimeout per chunk), so a target trickling bytes could otherwise hold an attempt forever.
    const deadline = setTimeout(() => controller.abort(), config.timeoutMs);
    const started = performance.now();
    let status: number | undefined;
    try {
      const response = await this.poolFor(url.origin).request({
        method: 'POST',
        path: `${url.pathname}${url.search}`,
        headers,
        body,
        headersTimeout: config.timeoutMs,
        bodyTimeout: config.timeoutMs,
        signal: controller.signal,
      });
      status = response.statusCode;
      const bodyExcerpt = await readExcerpt(response.body);
      const result: DeliveryResponse = {
        outcome: classifyOutcome({ status }),
        status,
        bodyExcerpt,
        latencyMs: performance.now() - started,
      };
      const retryAfter = response.headers['retry-after'];
      const answeredAt = new Date(now.getTime() + result.latencyMs);
      const retryAfterMs = parseRetryAfter(
        Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        answeredAt,
      );
      if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
      return result;
    } catch (error) {
      const timedOut = controller.signal.aborted || isTimeout(error);
      const invalid = (error as { code?: unknown }).code === 'UND_ERR_INVALID_ARG';
      const result: DeliveryResponse = {
        outcome: invalid && status === undefined ? 'permanent' : classifyOutcome({ status, timedOut }),
        latencyMs: performance.now() - started,
        error: timedOut ? `timeout after ${config.timeoutMs} ms` : describeError(error),
      };
      // The status line arrived but the body failed: the answer stands (see classifyOutcome).
      if (status !== undefined) result.status = status;
      return result;
    } finally {
      clearTimeout(deadline);
    }
  }

  /**
   * One request of a shaped call (or its token or lookup request): the answer's status, headers and body
   * (up to 1 MiB, as text) — or how it failed. Same deadline and pools as `sendBody`; never throws.
   */
  async exchange(request: ExchangeRequest): Promise<ExchangeResult> {
    if (this.closed) return { latencyMs: 0, error: 'connector closed: not sent', notSent: true };
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...request.headers };
    if (request.trace?.traceparent !== undefined) headers.traceparent = request.trace.traceparent;
    if (request.trace?.tracestate !== undefined) headers.tracestate = request.trace.tracestate;
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(), request.timeoutMs);
    const started = performance.now();
    let status: number | undefined;
    try {
      const response = await this.poolFor(request.origin).request({
        method: request.method,
        path: request.path,
        headers,
        ...(request.body !== undefined ? { body: request.body } : {}),
        headersTimeout: request.timeoutMs,
        bodyTimeout: request.timeoutMs,
        signal: controller.signal,
      });
      status = response.statusCode;
      const { text, complete } = await readText(response.body);
      const answerHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) answerHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status, headers: answerHeaders, body: text, complete, latencyMs: performance.now() - started };
    } catch (error) {
      const timedOut = controller.signal.aborted || isTimeout(error);
      const invalid = (error as { code?: unknown }).code === 'UND_ERR_INVALID_ARG';
      return {
        ...(status !== undefined ? { status } : {}),
        latencyMs: performance.now() - started,
        error: timedOut ? `timeout after ${request.timeoutMs} ms` : describeError(error),
        ...(invalid && status === undefined ? { invalid: true } : {}),
        ...(timedOut ? { timedOut: true } : {}),
      };
    } finally {
      clearTimeout(deadline);
    }
  }

  /** Closes every pool, letting requests in flight finish. Later sends report `retryable`, unsent. */
  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }

  /** Closes every pool at once, failing requests in flight (for a shutdown whose grace period is over). */
  async destroy(): Promise<void> {
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.destroy()));
  }

  private poolFor(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      const connections =
        this.options.connections?.get(origin) ?? this.options.defaultConnections ?? DEFAULT_CONCURRENCY;
      pool = new Pool(origin, { connections });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  private headersFor(
    config: HttpConnectorConfig,
    key: string,
    contentType: string,
    body: string,
    now: Date,
  ): Record<string, string> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    for (const [name, value] of Object.entries(config.headers)) {
      const lower = name.toLowerCase();
      if (!CONNECTOR_HEADERS.has(lower)) headers[lower] = value;
    }
    headers['content-type'] = contentType;
    headers['idempotency-key'] = key;
    if (config.secret !== undefined) {
      headers[SIGNATURE_HEADER.toLowerCase()] = signatureHeader(
        config.secret,
        body,
        Math.floor(now.getTime() / 1000),
      );
    }
    return headers;
  }
}

/** One request of `exchange`: where, how, and what. `headers` are sent as given (lower-case names). */
export interface ExchangeRequest {
  origin: string;
  /** Path and query, already encoded. */
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  trace?: TraceHeaders;
}

/** What `exchange` got: an answer (status, headers, body), or an error (and perhaps the status line). */
export interface ExchangeResult {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** False when the body was longer than the 1 MiB read and was cut off. */
  complete?: boolean;
  latencyMs: number;
  error?: string;
  timedOut?: boolean;
  /** The request could not be formed (a header value the client refuses). */
  invalid?: boolean;
  notSent?: boolean;
}

/** Reads a whole response as UTF-8 text, up to `DRAIN_LIMIT_BYTES` (then cut off with its connection). */
async function readText(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
): Promise<{ text: string; complete: boolean }> {
  const chunks: Buffer[] = [];
  let readBytes = 0;
  for await (const chunk of body) {
    readBytes += chunk.length;
    if (readBytes > DRAIN_LIMIT_BYTES) {
      body.destroy();
      return { text: new TextDecoder('utf-8').decode(Buffer.concat(chunks)), complete: false };
    }
    chunks.push(chunk);
  }
  return { text: new TextDecoder('utf-8').decode(Buffer.concat(chunks)), complete: true };
}

/** The first `BODY_EXCERPT_CHARS` characters of an answer, for the attempt record. */
export function excerptOf(text: string): string {
  return truncate(text, BODY_EXCERPT_CHARS);
}

/** Reads the response to its end (up to a limit) so the connection can be reused; keeps the first characters. */
async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let readBytes = 0;
  for await (const chunk of body) {
    if (keptBytes < EXCERPT_BYTES) {
      kept.push(chunk);
      keptBytes += chunk.length;
    }
    readBytes += chunk.length;
    if (readBytes > DRAIN_LIMIT_BYTES) {
      body.destroy();
      break;
    }
  }
  const text = new TextDecoder('utf-8').decode(Buffer.concat(kept).subarray(0, EXCERPT_BYTES));
  return truncate(text, BODY_EXCERPT_CHARS);
}

/** The first `max` UTF-16 units, without cutting a surrogate pair in half. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function isTimeout(error: unknown): boolean {
  return TIMEOUT_CODES.has(String((error as { code?: unknown }).code));
}

/** `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9` and the like, from undici and Node errors. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const inner = error instanceof AggregateError ? (error.errors[0] as Error | undefined) : undefined;
  const message = error.message || inner?.message || error.name;
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

/** The `version` of Manifold's package.json: three directories up from this file, in `src/` and `dist/` alike. */
function packageVersion(): string {
  try {
    const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
