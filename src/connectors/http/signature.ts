/**
 * Webhook signatures (docs/webhooks.md): `Manifold-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
 * `<t>.<body>`. The timestamp is inside the signed string so a captured request cannot be replayed later
 * than the receiver's tolerance; the scheme is Stripe's, which receivers' teams usually already know.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Name of the request header carrying the signature. */
export const SIGNATURE_HEADER = 'Manifold-Signature';

/** Default tolerance between the signed timestamp and the receiver's clock, in seconds (5 minutes). */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** The exact bytes that are signed: the decimal timestamp, a full stop, then the raw request body. */
export function signedPayload(unixSeconds: number, body: string): string {
  return `${unixSeconds}.${body}`;
}

function hmacHex(secret: string, timestamp: string, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return hmac.digest('hex');
}

/** The `Manifold-Signature` value for `body` sent at `unixSeconds` (whole seconds since the epoch). */
export function signatureHeader(secret: string, body: string | Uint8Array, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${hmacHex(secret, String(t), body)}`;
}

/**
 * Checks a `Manifold-Signature` value against the raw body received: the timestamp must be within
 * `toleranceSeconds` of `nowSeconds` and one `v1` must match (several are accepted, so a sender can sign with
 * an old and a new secret while rotating). The comparison is constant-time.
 */
export function verifySignature(
  secret: string,
  body: string | Uint8Array,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
): boolean {
  if (header === undefined) return false;
  // The timestamp is signed as it was written in the header.
  let timestamp: string | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't' && /^\d{1,15}$/.test(value)) timestamp = value;
    else if (key === 'v1') candidates.push(value);
  }
  if (timestamp === undefined) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  let matched = false;
  for (const candidate of candidates) {
    if (!/^[0-9a-fA-F]{64}$/.test(candidate)) continue;
    // Every candidate is compared, so the time taken does not tell which one matched.
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
  }
  return matched;
}
