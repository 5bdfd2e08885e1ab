/**
 * How the hub reads every JSON request body (CloudEvents structured, batched and binary with a JSON
 * `data`, orders, reservations, admin actions): plain `JSON.parse`, then the limits that keep hostile
 * input from reaching the log or a recursive walk. The rules are in docs/operations.md ("Input limits").
 */
import { ManifoldError, ValidationError } from '../errors.js';

/** Arrays and objects may nest this deep; no contract comes near it, and recursion stays shallow. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/**
 * Whether JSON text nests arrays and objects deeper than `limit`. Read before parsing, without
 * recursion; strings are skipped whole (a `[` inside one does not count).
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // Each level needs an opening and a closing character: a short text cannot be that deep and valid.
  if (text.length <= limit * 2) return false;
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      let end = text.indexOf('"', index + 1);
      while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return false;
      index = end;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Whether the character at `at` follows an odd run of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let backslashes = 0;
  for (let index = at - 1; index >= 0 && text.charCodeAt(index) === BACKSLASH; index--) backslashes++;
  return backslashes % 2 === 1;
}

/** One value the hub refuses to take in, with the JSON pointer where it is. */
export interface RefusedValue {
  pointer: string;
  detail: string;
}

/**
 * The first string (or key) holding NUL, or number that is not finite or lies beyond ±(2^53 − 1), in a
 * parsed body. NUL cannot be stored by every store (PostgreSQL refuses it); `1e309` parses to Infinity,
 * which the log would keep as `null`, and a larger integer is silently rounded (…993 becomes …992).
 * Recursive: call it only on a body whose depth was checked.
 */
export function findRefusedValue(value: unknown): RefusedValue | undefined {
  const path: string[] = [];
  const detail = refusal(value, path);
  if (detail === undefined) return undefined;
  // The path was collected innermost first, on the way out.
  const pointer = path
    .reverse()
    .map((key) => `/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`)
    .join('');
  return { pointer, detail };
}

const NUL = 'contains NUL';

/** What is wrong with the first refused value in `value`; its path is pushed on `path`, innermost first. */
function refusal(value: unknown, path: string[]): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? NUL : undefined;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'must be a finite number';
    if (value > Number.MAX_SAFE_INTEGER || value < -Number.MAX_SAFE_INTEGER) {
      return `must be within ±${Number.MAX_SAFE_INTEGER}: a larger number cannot be kept exactly`;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = refusal(value[index], path);
      if (found !== undefined) {
        path.push(String(index));
        return found;
      }
    }
    return undefined;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const found = key.includes('\u0000') ? NUL : refusal((value as Record<string, unknown>)[key], path);
    if (found !== undefined) {
      path.push(key);
      return found;
    }
  }
  return undefined;
}

/**
 * Text that may hold a refused value: an escaped NUL, or a number token (after `:`, `,`, `[` or at the
 * start) with an exponent or 16 digits in a row; every number beyond 2^53 is written one of those ways.
 * Most bodies have none and are not walked.
 */
const MAY_HOLD_REFUSED = /\\u0000|(?:^|[:,[])\s*-?(?:\d{16}|[\d.]+[eE])/;

/**
 * Parses a JSON request body, or throws the 400 problem that says why it cannot be taken in. An empty
 * body is no body (`undefined`), whatever its content type says: a route that needs one answers 400.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim().length === 0) return undefined;
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new ValidationError(
      `the body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`,
      [{ pointer: '', detail: `must nest at most ${MAX_JSON_DEPTH} levels` }],
      'too-deep',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ManifoldError(
      'malformed-json',
      400,
      'Malformed JSON',
      `the body is not valid JSON: ${(error as Error).message}`,
    );
  }
  const refused = MAY_HOLD_REFUSED.test(text) ? findRefusedValue(parsed) : undefined;
  if (refused !== undefined) throw refusedValueError(refused);
  return parsed;
}

/** The 400 problem for a value `findRefusedValue` found. */
export function refusedValueError(refused: RefusedValue): ValidationError {
  const what =
    refused.detail === NUL
      ? 'text must not contain NUL (\\u0000) characters'
      : `${refused.pointer || 'the body'} ${refused.detail}`;
  return new ValidationError(what, [refused]);
}
