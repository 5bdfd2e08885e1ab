/**
 * How the hub reads every JSON request body (CloudEvents structured, batched and binary with a JSON
 * `data`, orders, reservations, admin actions): plain `JSON.parse`, then the limits that keep hostile
 * input from reaching the log or a recursive walk. The rules are in docs/operations.md ("Input limits").
 */
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../domain/json-depth.js';
import { ManifoldError, ValidationError } from '../errors.js';

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
