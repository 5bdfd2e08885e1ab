/**
 * One attempt of a shaped call (docs/connectors.md#shaped-calls-out): the optional `lookup` first, then the
 * request built from the event (`{{ }}` in the URL, `body`), authenticated (`auth`), and its answer judged
 * by `failIf`, `okIf`, `retryIf` and only then by its status class. A delivered answer may be `capture`d
 * into the subscription's connector state. Like `HttpConnector.send`, it reports and never throws.
 * Building the request and reading the answer are pure (shaped-request.ts, shared with `map test`); this
 * file adds the network, the OAuth2 token and the state.
 */
import type { HttpConnectorConfig, ShapedCall } from '../../config/compiled-config.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { classifyOutcome } from '../../domain/delivery/retry-policy.js';
import type { ConnectorState, OutboundResult, TraceHeaders } from '../connector-port.js';
import {
  ExpressionError,
  evaluate,
  truthy,
  XREF_MISSING,
  XrefMissingError,
  type XrefResolver,
  xrefBinding,
} from './expressions.js';
import { idempotencyKey } from './mapping.js';
import type { OAuth2Tokens } from './oauth2.js';
import { type ExchangeResult, excerptOf, type HttpConnector } from './outbound.js';
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
} from './shaped-request.js';

export type { Answer } from './shaped-request.js';

/** What a shaped sender needs from the engine. */
export interface ShapedContext {
  client: HttpConnector;
  tokens: OAuth2Tokens;
  /** The subscription's own connector state (where `capture` writes). */
  state: ConnectorState;
  now: () => Date;
  /** Where `capture: { xref, … }` writes (docs/connectors.md#cross-reference-tables). */
  xref?: XrefWriter;
  /** What `$xref` reads in the call's expressions (absent: `$xref` is an error). */
  xrefRead?: XrefResolver;
}

/** Writes one entry of a configured cross-reference table; throws for a table not in `xref:`. */
export type XrefWriter = (table: string, key: string, value: unknown, at: string) => Promise<void>;

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
  const bindings: Record<string, unknown> & { idempotencyKey: string } = {
    idempotencyKey: key,
    ...xrefBinding(context.xrefRead),
  };
  try {
    if (shaped.skipIf !== undefined && truthy(await evaluate(shaped.skipIf, event, bindings))) {
      // Nothing for this target (an item it does not sell, say): delivered without a request.
      return { outcome: 'delivered', latencyMs: Date.now() - started, error: 'skipIf matched the event' };
    }
    // `repeatIf` makes the call again at once, lookup first, at most `repeatMax` times. An answer it still
    // matches after the last repeat is an ordinary retryable failure: the next attempt reads again (or a
    // newer row of a coalescing type supersedes it). Any other answer is judged by the other rules.
    for (let repeat = 0; ; repeat++) {
      if (shaped.lookup !== undefined) {
        const looked = await runLookup(context, http, shaped, event, bindings, trace, started);
        if ('stopped' in looked) return looked.stopped;
        if (shaped.lookup.found !== undefined) {
          const found = await evaluate(shaped.lookup.found, bindings.lookup, bindings);
          if (found !== undefined && found !== null) {
            // Already done (a create whose answer was lost): nothing sent, `capture` reads what was found.
            const answer: Answer = { status: looked.status, headers: looked.headers, body: found };
            const result: OutboundResult = {
              outcome: 'delivered',
              status: looked.status,
              latencyMs: Date.now() - started,
              error: 'lookup.found matched: nothing sent',
            };
            return await applyCaptures(context, shaped, answer, result, event);
          }
        }
      }
      const request = await buildShapedRequest(http, shaped, events, bindings, context.now());
      const answer = await call(context, http, shaped, request, trace);
      if (
        shaped.repeatIf !== undefined &&
        answer.status !== undefined &&
        truthy(
          await evaluate(shaped.repeatIf, {
            status: answer.status,
            headers: answer.headers ?? {},
            body: parseAnswerBody(answer.body, answer.headers?.['content-type']),
          }),
        )
      ) {
        if (repeat < (shaped.repeatMax ?? 0)) continue;
        return {
          outcome: 'retryable',
          status: answer.status,
          bodyExcerpt: excerptOf(answer.body ?? ''),
          latencyMs: Date.now() - started,
          error: `repeatIf still matched after ${repeat} repeat(s); retried later`,
        };
      }
      return await judge(context, shaped, answer, event, started);
    }
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    // The same expression over the same event fails the same way: refused, kept as an exception; one
    // that lacks a cross-reference key waits for it (`xref_missing`, retried when the table gets it).
    return {
      outcome: 'permanent',
      latencyMs: Date.now() - started,
      error: error.message,
      ...(error instanceof XrefMissingError ? { code: XREF_MISSING } : {}),
    };
  }
}

/**
 * Runs the lookup and binds its answer as `$lookup`. Returns the attempt's result (`stopped`) when the
 * call stops there: an answer `retryIf` matches (retried after `retryAfter`, as for the call), or one that
 * binds nothing (judged by its status class); else the lookup's status and headers.
 */
async function runLookup(
  context: ShapedContext,
  http: HttpConnectorConfig,
  shaped: ShapedCall,
  event: CloudEvent,
  bindings: Record<string, unknown>,
  trace: TraceHeaders,
  started: number,
): Promise<{ stopped: OutboundResult } | { status: number; headers: Record<string, string> }> {
  const lookup = shaped.lookup as NonNullable<ShapedCall['lookup']>;
  const request = await buildLookupRequest(lookup, event, bindings);
  const answer = await call(context, http, shaped, request, trace);
  const body = parseAnswerBody(answer.body, answer.headers?.['content-type']);
  if (shaped.retryIf !== undefined && answer.status !== undefined && answer.headers !== undefined) {
    const reading = await readAnswer(
      { retryIf: shaped.retryIf, retryAfter: shaped.retryAfter },
      { status: answer.status, headers: answer.headers, body },
      context.now(),
    );
    if (reading.rule === 'retryIf') {
      const stopped: OutboundResult = {
        outcome: reading.outcome,
        status: answer.status,
        bodyExcerpt: excerptOf(answer.body ?? ''),
        latencyMs: Date.now() - started,
        ...(reading.retryAfterMs !== undefined ? { retryAfterMs: reading.retryAfterMs } : {}),
        error: 'lookup: retryIf matched the answer',
      };
      return { stopped };
    }
  }
  const found = lookupValue(answer.status, body);
  if (found === undefined) {
    return { stopped: { ...unanswered(answer, started), error: `lookup: ${describe(answer)}` } };
  }
  bindings.lookup = found.value;
  return { status: answer.status as number, headers: answer.headers ?? {} };
}

/**
 * Makes one request with `auth`; with OAuth2, a 401 gets a new token and the request goes once more. Also
 * the poll kind's request (src/connectors/poll/), which gives only what it reads of `http` and `shaped`.
 */
export async function call(
  context: Pick<ShapedContext, 'client' | 'tokens'>,
  http: Pick<HttpConnectorConfig, 'timeoutMs'>,
  shaped: Pick<ShapedCall, 'auth'>,
  request: BuiltRequest,
  trace: TraceHeaders,
): Promise<ExchangeResult> {
  const auth = shaped.auth;
  const send = (token?: string) => {
    const headers = { ...request.headers };
    if (auth !== undefined) {
      const { name, value } = authHeader(auth, request.body, token);
      headers[name] = value;
    }
    return context.client.exchange({ ...request, headers, trace, timeoutMs: http.timeoutMs });
  };
  if (auth?.kind !== 'oauth2') return send();
  const first = await context.tokens.token(auth);
  if ('error' in first) return { latencyMs: 0, error: `oauth2: ${first.error}` };
  const answer = await send(first.token);
  if (answer.status !== 401) return answer;
  const renewed = await context.tokens.token(auth, first.token);
  if ('error' in renewed) return { latencyMs: answer.latencyMs, error: `oauth2: ${renewed.error}` };
  return send(renewed.token);
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
    return unanswered(exchange, started);
  }
  const status = exchange.status;
  const result: OutboundResult = {
    outcome: classifyOutcome({ status }),
    status,
    bodyExcerpt: excerptOf(exchange.body ?? ''),
    latencyMs: Date.now() - started,
  };
  try {
    // Read only when a rule reads it: an answer too deep to read fails the call only then.
    const body = readsBody(shaped)
      ? parseAnswerBody(exchange.body, exchange.headers['content-type'])
      : undefined;
    const answer: Answer = { status, headers: exchange.headers, body };
    return await applyRules(context, shaped, answer, result, event);
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    // A rule that cannot be read over this answer: refused with the answer kept, for the operator.
    return {
      ...result,
      outcome: 'permanent',
      error: error.message,
      ...(error instanceof XrefMissingError ? { code: XREF_MISSING } : {}),
    };
  }
}

/** Whether any rule or capture reads the answer's body. */
function readsBody(shaped: ShapedCall): boolean {
  return (
    shaped.failIf !== undefined ||
    shaped.okIf !== undefined ||
    shaped.retryIf !== undefined ||
    shaped.retryAfter !== undefined ||
    shaped.capture !== undefined ||
    shaped.captureXref !== undefined
  );
}

/** The rules over an answer (`result` is its status-class reading), then `capture` when delivered. */
async function applyRules(
  context: ShapedContext,
  shaped: ShapedCall,
  answer: Answer,
  result: OutboundResult,
  event: CloudEvent,
): Promise<OutboundResult> {
  const xref = xrefBinding(context.xrefRead);
  const reading = await readAnswer(shaped, answer, context.now(), xref);
  const judged: OutboundResult = { ...result, outcome: reading.outcome };
  if (reading.retryAfterMs !== undefined) judged.retryAfterMs = reading.retryAfterMs;
  if (reading.error !== undefined) judged.error = reading.error;
  return await applyCaptures(context, shaped, answer, judged, event);
}

/** `capture` (either form) of a delivered answer; `judged` unchanged. */
async function applyCaptures(
  context: ShapedContext,
  shaped: ShapedCall,
  answer: Answer,
  judged: OutboundResult,
  event: CloudEvent,
): Promise<OutboundResult> {
  const xref = xrefBinding(context.xrefRead);
  if (judged.outcome === 'delivered' && shaped.capture !== undefined) {
    // Kept in the subscription's state as `capture:<event id>`.
    const kept = await captureEntry(shaped.capture, answer, event, context.now(), xref);
    if (kept !== undefined) await context.state.put(captureKey(event.id), kept);
  }
  if (judged.outcome === 'delivered' && shaped.captureXref !== undefined) {
    // A failure is kept as `capture:<event id>` like the other form's; the delivery stands.
    const failed = await captureXref(context, shaped.captureXref, answer, event);
    if (failed !== undefined) await context.state.put(captureKey(event.id), failed);
  }
  return judged;
}

/** Writes the captured entry; `{ error, at }` when it cannot (nothing written when `value` gives nothing). */
async function captureXref(
  context: ShapedContext,
  capture: NonNullable<ShapedCall['captureXref']>,
  answer: Answer,
  event: CloudEvent,
): Promise<{ error: string; at: string } | undefined> {
  const at = context.now().toISOString();
  try {
    const input = { ...answer, event };
    const xref = xrefBinding(context.xrefRead);
    const key = await evaluate(capture.key, input, xref);
    const value = await evaluate(capture.value, input, xref);
    if (value === undefined) return undefined;
    if (typeof key !== 'string' && typeof key !== 'number') {
      return { error: 'capture.key: must give a string or a number', at };
    }
    if (value === null || Array.isArray(value)) {
      return { error: 'capture.value: must give a string, number, boolean or object', at };
    }
    if (context.xref === undefined) return { error: 'capture: no cross-reference tables here', at };
    await context.xref(capture.table, String(key), JSON.parse(JSON.stringify(value)) as unknown, at);
    return undefined;
  } catch (error) {
    return { error: (error as Error).message, at };
  }
}

/**
 * An exchange as an outcome by its status class alone (same rules as the webhook's): an answer the rules
 * do not read (a failed lookup), or no answer (then the error says why).
 */
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
  if (exchange.error !== undefined) result.error = exchange.error;
  if (exchange.notSent === true) result.notSent = true;
  return result;
}

function describe(exchange: ExchangeResult): string {
  if (exchange.error !== undefined) return exchange.error;
  return `HTTP ${exchange.status}`;
}
