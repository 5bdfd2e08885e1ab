/**
 * Verifies that a native webhook request comes from its system (docs/connectors.md#native-webhooks-in),
 * on the raw body bytes, before anything is parsed or stored. Every comparison is timing-safe
 * (`timingSafeEqual` over digests of equal length). Also lists the headers and query parameters that
 * carry a secret, stripped before a request is kept.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../../errors.js';
import type { WebhookAuth } from './config-section.js';

/** What the verification reads of a request. */
export interface SignedRequest {
  body: Buffer;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  query: Readonly<Record<string, string>>;
}

/** Headers never kept with a stored request, whatever the auth. */
const ALWAYS_SECRET = ['authorization', 'proxy-authorization', 'cookie'];

/** Compares two strings in time that does not depend on where they differ (SHA-256 of each, then equal-length compare). */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The first value of header `name` (lower-case). */
export function headerValue(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Throws 401 unless `request` passes `auth`. `keyHashes` are the system's key digests (for `bearer`),
 * `nowMs` the hub's clock (for a signed timestamp).
 */
export function verify(auth: WebhookAuth, request: SignedRequest, keyHashes: Buffer[], nowMs: number): void {
  switch (auth.kind) {
    case 'bearer': {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(request.headers, 'authorization') ?? '');
      if (!match) throw new AuthenticationError("send the system's key as `Authorization: Bearer <key>`");
      const digest = createHash('sha256')
        .update(match[1] as string)
        .digest();
      if (!keyHashes.some((hash) => hash.length === digest.length && timingSafeEqual(hash, digest))) {
        throw new AuthenticationError("the key is not this system's");
      }
      return;
    }
    case 'basic': {
      const match = /^Basic\s+(\S+)\s*$/i.exec(headerValue(request.headers, 'authorization') ?? '');
      if (!match) throw new AuthenticationError('send `Authorization: Basic <credentials>`');
      const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      const password = colon < 0 ? '' : decoded.slice(colon + 1);
      // Every candidate is compared, so the time does not tell which part was wrong.
      const userOk = safeEqual(user, auth.username);
      const passwordOk = auth.passwords.map((p) => safeEqual(password, p)).some(Boolean);
      if (!(userOk && passwordOk)) throw new AuthenticationError('the credentials are not valid');
      return;
    }
    case 'token': {
      const tokens = tokensOf(auth, request);
      if (tokens === undefined)
        throw new AuthenticationError(`the request carries no token (${tokenPlace(auth)})`);
      // Every token (each element's, for a `[]` path) must be valid; each is compared with every value.
      const valid = tokens.map((given) => auth.values.map((v) => safeEqual(given, v)).some(Boolean));
      if (!valid.every(Boolean)) {
        throw new AuthenticationError(`the token (${tokenPlace(auth)}) is not valid`);
      }
      return;
    }
    case 'hmac': {
      const header = headerValue(request.headers, auth.header);
      if (header === undefined) throw new AuthenticationError(`the request has no ${auth.header} signature`);
      if (!header.startsWith(auth.prefix)) {
        throw new AuthenticationError(`the ${auth.header} signature must start with '${auth.prefix}'`);
      }
      const signature = Buffer.from(header.slice(auth.prefix.length).trim(), auth.encoding);
      let signed: Buffer = request.body;
      if (auth.timestampHeader !== undefined) {
        const stamp = headerValue(request.headers, auth.timestampHeader);
        const at = stamp === undefined ? Number.NaN : timestampMs(stamp);
        if (Number.isNaN(at))
          throw new AuthenticationError(`the request has no valid ${auth.timestampHeader}`);
        if (Math.abs(nowMs - at) > auth.toleranceMs) {
          throw new AuthenticationError(
            `the ${auth.timestampHeader} timestamp is more than ${auth.toleranceMs / 1000} s from the hub's clock`,
          );
        }
        signed = Buffer.concat([Buffer.from(`${stamp}.`), request.body]);
      }
      let valid = false;
      for (const secret of auth.secrets) {
        const expected = createHmac(auth.algorithm, secret).update(signed).digest();
        if (expected.length === signature.length && timingSafeEqual(expected, signature)) valid = true;
      }
      if (!valid) throw new AuthenticationError(`the ${auth.header} signature does not match the body`);
      return;
    }
  }
}

/** Seconds (10 digits or fewer) or milliseconds since the epoch, or an ISO 8601 time. */
function timestampMs(text: string): number {
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  if (/^\d{11,16}$/.test(text)) return Number(text);
  return Date.parse(text);
}

/** The tokens a request carries (one, or one per element for a `[]` field path); none: undefined. */
function tokensOf(
  auth: Extract<WebhookAuth, { kind: 'token' }>,
  request: SignedRequest,
): string[] | undefined {
  const one = (value: string | undefined) => (value === undefined ? undefined : [value]);
  if (auth.header !== undefined) return one(headerValue(request.headers, auth.header));
  if (auth.query !== undefined) return one(request.query[auth.query]);
  if (auth.field === undefined) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    return undefined;
  }
  const found = fieldValues(body, auth.field.split('.'));
  // An element without the field (or with a non-string) refuses the whole request.
  if (found.length === 0 || found.some((value) => typeof value !== 'string')) return undefined;
  return found as string[];
}

/**
 * The values at a body field path: `clientState` (top level), `data.token` (nested), `value[].clientState`
 * (that field of every element of the array `value`).
 */
function fieldValues(node: unknown, path: string[]): unknown[] {
  if (path.length === 0) return [node];
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return [undefined];
  const [head, ...rest] = path as [string, ...string[]];
  const every = head.endsWith('[]');
  const value = (node as Record<string, unknown>)[every ? head.slice(0, -2) : head];
  if (!every) return fieldValues(value, rest);
  if (!Array.isArray(value)) return [undefined];
  return value.flatMap((element) => fieldValues(element, rest));
}

function tokenPlace(auth: Extract<WebhookAuth, { kind: 'token' }>): string {
  if (auth.header !== undefined) return `header ${auth.header}`;
  if (auth.query !== undefined) return `query parameter ${auth.query}`;
  return `body field ${auth.field}`;
}

/** The headers that carry a secret under `auth` (stripped from a kept request), lower-case. */
export function secretHeaders(auth: WebhookAuth): string[] {
  const own =
    auth.kind === 'hmac' ? [auth.header] : auth.kind === 'token' && auth.header ? [auth.header] : [];
  return [...ALWAYS_SECRET, ...own];
}

/** The query parameters that carry a secret under `auth`. */
export function secretQuery(auth: WebhookAuth): string[] {
  return auth.kind === 'token' && auth.query ? [auth.query] : [];
}
