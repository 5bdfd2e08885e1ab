/**
 * W3C Trace Context (`traceparent`, `tracestate`) as plain strings: what the hub carries on every event
 * and every delivery even when no spans are recorded, so it costs a string and a few random bytes.
 * https://www.w3.org/TR/trace-context/
 */
import { randomFillSync } from 'node:crypto';

/** The trace context of a request or an event: the two W3C headers (CloudEvents attributes of the same names). */
export interface TraceContext {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

/** `00-<trace id>-<parent id>-<flags>`, lower-case hex (version `ff` is invalid, later versions may append). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
/** A W3C `tracestate` is at most 32 list members of at most 256 characters each: cap what is carried. */
const TRACESTATE_MAX_CHARS = 512;

/** The trace id of a valid `traceparent`, else undefined. */
export function traceIdOf(traceparent: unknown): string | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const match = TRACEPARENT.exec(traceparent);
  if (!match) return undefined;
  const [, version, traceId, spanId, , rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  return traceId;
}

/** Whether `traceparent` is a valid W3C traceparent (what a propagator would accept). */
export function isValidTraceparent(traceparent: unknown): traceparent is string {
  return traceIdOf(traceparent) !== undefined;
}

/**
 * The trace context of incoming HTTP headers: `traceparent` when valid (an invalid one is ignored, as
 * the W3C spec says: the request starts a new trace), with its `tracestate`.
 */
export function incomingTrace(
  headers: Record<string, string | string[] | undefined>,
): TraceContext | undefined {
  const traceparent = first(headers.traceparent);
  if (!isValidTraceparent(traceparent)) return undefined;
  const tracestate = headers.tracestate;
  const state = Array.isArray(tracestate) ? tracestate.join(',') : tracestate;
  return state && state.length <= TRACESTATE_MAX_CHARS
    ? { traceparent: traceparent.slice(0, 55), tracestate: state }
    : { traceparent: traceparent.slice(0, 55) };
}

/** The trace context an event carries in its `traceparent` / `tracestate` attributes. */
export function eventTrace(event: { traceparent?: unknown; tracestate?: unknown }): TraceContext | undefined {
  if (!isValidTraceparent(event.traceparent)) return undefined;
  return typeof event.tracestate === 'string'
    ? { traceparent: event.traceparent, tracestate: event.tracestate }
    : { traceparent: event.traceparent };
}

/** A new trace: random trace and span ids, sampled with probability `sampleRatio`. */
export function freshTraceparent(sampleRatio: number): string {
  const flags = sampleRatio >= 1 || Math.random() < sampleRatio ? '01' : '00';
  // One draw for both ids: 16 bytes of trace id, 8 of span id.
  const ids = randomHex(24);
  return `00-${ids.slice(0, 32)}-${ids.slice(32)}-${flags}`;
}

/** The same trace as `traceparent`, with a new span id (a child); a new trace when it is not valid. */
export function childTraceparent(traceparent: string | undefined, sampleRatio: number): string {
  const traceId = traceIdOf(traceparent);
  if (traceId === undefined) return freshTraceparent(sampleRatio);
  return `00-${traceId}-${randomHex(8)}-${(traceparent as string).slice(53, 55)}`;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Random bytes drawn from a pool refilled 4 KiB at a time: one syscall per ~170 ids, not one per id. */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  // An all-zero trace or span id is invalid; with 64 random bits or more, a retry is only theoretical.
  return hex.startsWith(ZERO_SPAN_ID) || hex.endsWith(ZERO_SPAN_ID) ? randomHex(bytes) : hex;
}
