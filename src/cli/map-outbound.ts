/**
 * `bin/manifold map test --config FILE --subscription S --event FILE [--response FILE] [--lookup FILE]`:
 * the request a subscription would send for one CloudEvent, and how an answer to it would be read, without
 * a hub or a network (docs/connectors.md#trying-a-mapping-map-test). It calls the very functions the sender
 * calls (src/connectors/http/shaped-request.ts, `webhookHeaders`); secrets are shown as `[redacted]`.
 * Exit codes: 0 done, 1 an expression failed, 2 bad flags, files or configuration.
 */
import { readFileSync } from 'node:fs';
import { isNode, isSeq, LineCounter, parseDocument } from 'yaml';
import type { CompiledConfig, CompiledSubscription, ShapedCall } from '../config/compiled-config.js';
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile } from '../config/load-config.js';
import { ExpressionError, evaluate, xrefBinding, xrefResolver } from '../connectors/http/expressions.js';
import { idempotencyKey, toRequestBody } from '../connectors/http/mapping.js';
import { defaultUserAgent, webhookHeaders } from '../connectors/http/outbound.js';
import { captureKey } from '../connectors/http/shaped-call.js';
import {
  type Answer,
  authHeader,
  type BuiltRequest,
  buildLookupRequest,
  buildShapedRequest,
  captureEntry,
  lookupValue,
  parseAnswerBody,
  readAnswer,
} from '../connectors/http/shaped-request.js';
import { SIGNATURE_HEADER } from '../connectors/http/signature.js';
import type { CloudEvent } from '../domain/cloud-event.js';
import { targetSignal } from '../domain/delivery/target-signal.js';
import { compileFilter } from '../domain/subscription-filter.js';

export interface OutboundMapTestOptions {
  config: string;
  subscription: string;
  event?: string;
  response?: string;
  lookup?: string;
}

/** Shown in place of a secret header value. */
export const REDACTED = '[redacted]';

/** Names of a subscription's own headers whose values are treated as secrets and not printed. */
const SECRET_HEADER_NAME = /auth|key|token|secret|signature|password|credential|session|cookie/i;

/** A usage, file or configuration problem: exit 2. */
class UsageError extends Error {}

/** Runs the command; returns the exit code. Writes the result to stdout, problems to stderr. */
export async function runOutboundMapTest(options: OutboundMapTestOptions): Promise<number> {
  try {
    const output = await mapTest(options);
    process.stdout.write(`${JSON.stringify(output.result, null, 2)}\n`);
    for (const note of output.notes) process.stderr.write(`note: ${note}\n`);
    if (output.failed !== undefined) {
      process.stderr.write(`${output.failed}\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`manifold map test: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n${error.issues.length} problem(s) in ${options.config}\n`);
      return 2;
    }
    if (error instanceof ExpressionError) {
      process.stderr.write(`${describeFailure(options, error)}\n`);
      return 1;
    }
    throw error;
  }
}

interface MapTestOutput {
  result: Record<string, unknown>;
  notes: string[];
  /** A failed expression whose failure the sender keeps instead of throwing (`capture`). */
  failed?: string;
}

async function mapTest(options: OutboundMapTestOptions): Promise<MapTestOutput> {
  if (options.event === undefined) throw new UsageError("missing '--event FILE' (a CloudEvent as JSON)");
  const config = loadConfigFile(options.config);
  // No store here: every `$xref` key is missing, and its table's onMissing answers.
  const xref = xrefBinding(xrefResolver(config, { get: async () => undefined }));
  const subscription = findSubscription(config, options.subscription);
  const http = subscription.http;
  if (http === undefined) {
    throw new UsageError(
      `subscription '${subscription.name}' is not delivered over HTTP (${subscription.connector?.kind ?? 'no connector'}); map test shows HTTP requests`,
    );
  }
  const event = readEvent(options.event);
  const notes: string[] = [];
  if (!subscription.matchesType(event.type) || !compileFilter(subscription.filter)(event)) {
    notes.push(
      `subscription '${subscription.name}' does not take this event (type '${event.type}' or its filter): the hub would not send it`,
    );
  }
  const shaped = http.shaped;
  const response =
    options.response === undefined ? undefined : readAnswerFile(options.response, '--response');
  const now = new Date();
  const key = idempotencyKey([event]);
  const result: Record<string, unknown> = { subscription: subscription.name, event: event.id };

  if (shaped === undefined) {
    if (options.lookup !== undefined)
      throw new UsageError(`subscription '${subscription.name}' has no lookup`);
    // A plain CloudEvents webhook: the body and headers `HttpConnector.send` makes.
    const { contentType, body } = toRequestBody([event], http.batch);
    const headers = {
      'user-agent': defaultUserAgent(),
      ...webhookHeaders(http, key, contentType, body, now),
    };
    result.request = printable({ method: 'POST', url: http.url, headers: redact(headers, new Set()), body });
    if (response !== undefined) {
      // No rules: the status class and `Retry-After`, as `HttpConnector.send` reads them.
      const reading = await readAnswer({}, response, now);
      result.answer = describeReading(response, reading);
    }
    return { result, notes };
  }

  const bindings: Record<string, unknown> & { idempotencyKey: string } = { idempotencyKey: key, ...xref };
  if (shaped.lookup === undefined) {
    if (options.lookup !== undefined)
      throw new UsageError(`subscription '${subscription.name}' has no lookup`);
  } else {
    const request = withAuth(await buildLookupRequest(shaped.lookup, event, bindings), shaped);
    const lookup: Record<string, unknown> = { request: printable(request) };
    result.lookup = lookup;
    if (options.lookup === undefined) {
      bindings.lookup = null;
      lookup.answer = null;
      lookup.bound = null;
      notes.push(
        'the lookup would be called first; without --lookup FILE its answer is not known and $lookup is null',
      );
    } else {
      const answer = readAnswerFile(options.lookup, '--lookup');
      lookup.answer = { status: answer.status, body: answer.body };
      const value = lookupValue(answer.status, answer.body);
      if (value === undefined) {
        // The sender stops here: the lookup's status class is the attempt's outcome.
        // Read by its status alone, as the sender does (it reads no `Retry-After` of a lookup).
        const reading = await readAnswer({}, { ...answer, headers: {} }, now);
        lookup.stopped = { ...describeReading(answer, reading), reason: `lookup: HTTP ${answer.status}` };
        return { result, notes: [...notes, `the lookup answered ${answer.status}: no request is sent`] };
      }
      bindings.lookup = value.value;
      lookup.bound = value.value ?? null;
    }
  }
  const request = withAuth(await buildShapedRequest(http, shaped, [event], bindings, now), shaped);
  result.request = printable(request);
  if (response === undefined) return { result, notes };

  const reading = await readAnswer(shaped, response, now, xref);
  result.answer = describeReading(response, reading);
  let failed: string | undefined;
  if (shaped.capture !== undefined) {
    if (reading.outcome === 'delivered') {
      const kept = await captureEntry(shaped.capture, response, event, now, xref);
      result.capture = { key: captureKey(event.id), stored: kept ?? null };
      if (kept !== undefined && 'error' in kept) {
        failed = `${describeAt(options.config, subscription.name, 'capture')} failed: ${withoutKey(String(kept.error), 'capture')} (the hub keeps this error in place of the values; the delivery stands)`;
      }
    } else {
      result.capture = {
        key: captureKey(event.id),
        stored: null,
        reason: 'capture runs only on a delivered answer',
      };
    }
  }
  if (shaped.captureXref !== undefined && reading.outcome === 'delivered') {
    // What the hub would write into the table (nothing is written here).
    const input = { ...response, event };
    try {
      const key = await evaluate(shaped.captureXref.key, input, xref);
      const value = await evaluate(shaped.captureXref.value, input, xref);
      result.capture = { xref: shaped.captureXref.table, key: key ?? null, value: value ?? null };
    } catch (error) {
      failed = `${describeAt(options.config, subscription.name, 'capture')} failed: ${(error as Error).message} (the hub keeps this error in the subscription's state; the delivery stands)`;
    }
  }
  return failed === undefined ? { result, notes } : { result, notes, failed };
}

function findSubscription(config: CompiledConfig, name: string): CompiledSubscription {
  const found = config.subscriptions.find((s) => s.name === name);
  if (found !== undefined) return found;
  const names = config.subscriptions.map((s) => s.name);
  throw new UsageError(
    `no subscription '${name}' in the configuration${names.length > 0 ? `; there are: ${names.join(', ')}` : ''}`,
  );
}

/** Reads a JSON file, or says which flag's file is wrong. */
function readJson(file: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag} ${file}: cannot read file: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${flag} ${file}: not JSON: ${(error as Error).message}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A CloudEvent in structured form: at least `id`, `source` and `type` (`specversion` defaults to 1.0). */
function readEvent(file: string): CloudEvent {
  const value = readJson(file, '--event');
  if (!isObject(value)) throw new UsageError(`--event ${file}: expected a CloudEvent (a JSON object)`);
  for (const attribute of ['id', 'source', 'type']) {
    if (typeof value[attribute] !== 'string' || value[attribute] === '') {
      throw new UsageError(`--event ${file}: the CloudEvent needs a string '${attribute}'`);
    }
  }
  return { specversion: '1.0', ...value } as CloudEvent;
}

/**
 * An answer file: `{ status, headers?, body }`. A string body is read as the sender reads the text it
 * receives (JSON when it parses); any other body is taken as the parsed JSON.
 */
function readAnswerFile(file: string, flag: string): Answer {
  const value = readJson(file, flag);
  if (!isObject(value))
    throw new UsageError(`${flag} ${file}: expected {"status": …, "headers"?: {…}, "body": …}`);
  const status = value.status;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    throw new UsageError(`${flag} ${file}: 'status' must be an HTTP status code (100 to 599)`);
  }
  const headers: Record<string, string> = {};
  if (value.headers !== undefined) {
    if (!isObject(value.headers)) throw new UsageError(`${flag} ${file}: 'headers' must be an object`);
    for (const [name, header] of Object.entries(value.headers)) {
      headers[name.toLowerCase()] = Array.isArray(header) ? header.map(String).join(', ') : String(header);
    }
  }
  const body =
    typeof value.body === 'string' ? parseAnswerBody(value.body, headers['content-type']) : value.body;
  return { status, headers, body };
}

/** Adds the `auth` header as the sender would, an OAuth2 token named by where it would come from. */
function withAuth(request: BuiltRequest, shaped: ShapedCall): BuiltRequest {
  const headers: Record<string, string> = { 'user-agent': defaultUserAgent(), ...request.headers };
  const shown = new Set<string>();
  const auth = shaped.auth;
  if (auth !== undefined) {
    const token = auth.kind === 'oauth2' ? `[token from ${auth.tokenUrl}]` : undefined;
    const { name, value } = authHeader(auth, request.body, token);
    headers[name] = value;
    // The token placeholder is no secret; every other auth header is (an HMAC header by any name).
    if (auth.kind === 'oauth2') shown.add(name);
    else headers[name] = REDACTED;
  }
  return { ...request, headers: redact(headers, shown) };
}

/**
 * Headers with secret values replaced: the signature, and any header whose name looks like it holds a
 * credential (`Authorization`, `X-Api-Key`, `X-Auth-Token`…), unless it is one of `shown`.
 */
function redact(headers: Record<string, string>, shown: Set<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const secret =
      !shown.has(name) &&
      (name === SIGNATURE_HEADER.toLowerCase() ||
        (name !== 'idempotency-key' && SECRET_HEADER_NAME.test(name)));
    out[name] = secret ? REDACTED : value;
  }
  return out;
}

/** A request as printed: method, full URL, headers, and the body (as JSON when it is JSON). */
function printable(request: {
  method: string;
  url?: string;
  origin?: string;
  path?: string;
  headers: Record<string, string>;
  body?: string;
}) {
  const url = request.url ?? `${request.origin}${request.path}`;
  const out: Record<string, unknown> = { method: request.method, url, headers: request.headers };
  if (request.body !== undefined) out.body = parseAnswerBody(request.body) ?? request.body;
  return out;
}

/** The outcome names of the map test, as the engine reads the attempt (docs/delivery.md). */
function describeReading(
  answer: Answer,
  reading: Awaited<ReturnType<typeof readAnswer>>,
): Record<string, unknown> {
  let outcome: string;
  if (reading.outcome === 'delivered') outcome = 'delivered';
  else if (reading.outcome === 'permanent') outcome = 'rejected';
  else {
    const signal = targetSignal({
      outcome: reading.outcome,
      status: answer.status,
      retryAfterMs: reading.retryAfterMs,
    });
    outcome = signal === 'throttled' ? 'retry-throttled' : 'retry-failed';
  }
  const described: Record<string, unknown> = { status: answer.status, rule: reading.rule, outcome };
  if (reading.retryAfterMs !== undefined) described.retryAfterMs = reading.retryAfterMs;
  if (reading.error !== undefined) described.reason = reading.error;
  return described;
}

/** `FILE:LINE:COLUMN expression 'body' at /subscriptions/2/http/body` for an expression's key. */
function describeAt(config: string, subscription: string, key: string): string {
  const segments = ['http', ...(key.split(' ')[0] ?? key).split('.')];
  const located = locate(config, subscription, segments);
  if (located === undefined) return `expression '${key}'`;
  const pointer = `/subscriptions/${located.index}/${segments.join('/')}`;
  const where = located.line === undefined ? '' : `${config}:${located.line}:${located.column} `;
  return `${where}expression '${key}' at ${pointer}`;
}

function describeFailure(options: OutboundMapTestOptions, error: ExpressionError): string {
  const key = error.key ?? 'expression';
  return `${describeAt(options.config, options.subscription, key)} failed: ${withoutKey(error.message, key)}`;
}

/** The sender's message without its leading `key: ` (the key is named before it here). */
function withoutKey(message: string, key: string): string {
  return message.startsWith(`${key}: `) ? message.slice(key.length + 2) : message;
}

/** Where a key of a subscription is written in the configuration file (line and column 1-based). */
function locate(
  file: string,
  name: string,
  segments: string[],
): { index: number; line?: number; column?: number } | undefined {
  try {
    const lineCounter = new LineCounter();
    const document = parseDocument(readFileSync(file, 'utf8'), { lineCounter });
    const list = document.get('subscriptions', true);
    if (!isSeq(list)) return undefined;
    let index = -1;
    for (let i = 0; i < list.items.length; i += 1) {
      if (document.getIn(['subscriptions', i, 'name']) === name) index = i;
    }
    if (index < 0) return undefined;
    const node = document.getIn(['subscriptions', index, ...segments], true);
    const offset = isNode(node) ? node.range?.[0] : undefined;
    if (offset === undefined) return { index };
    const { line, col } = lineCounter.linePos(offset);
    return { index, line, column: col };
  } catch {
    return undefined;
  }
}
