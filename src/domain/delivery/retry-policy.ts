/**
 * Retry rules of outbound delivery (docs/delivery.md §4–5): which answers are retried, how long to wait
 * before the next attempt, and when to give up and park the message as an exception. Pure: the clock and
 * the random source are passed in, so every schedule is reproducible in tests.
 */

/** How often and for how long a subscription retries (`subscriptions[].retry`, compiled by config). */
export interface RetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  maxAgeMs: number;
}

/** What one delivery attempt came to. */
export const DELIVERY_OUTCOMES = ['delivered', 'retryable', 'permanent'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/**
 * 4xx statuses that are retried: 408 Request Timeout, 425 Too Early, 429 Too Many Requests. Every other 4xx
 * means the receiver understood and refused the request; sending it again would get the same answer.
 */
export const RETRYABLE_CLIENT_STATUSES = [408, 425, 429] as const;

/** What is known of one attempt: the status line if one arrived, or how the exchange failed. */
export interface AttemptResult {
  status?: number;
  networkError?: boolean;
  timedOut?: boolean;
}

/**
 * Classifies an attempt: 2xx delivered; 408, 425, 429, 5xx, network errors and timeouts retryable; anything
 * else (other 4xx, and 1xx/3xx since redirects are not followed) permanent.
 * A status that arrived wins over a later failure (say, a body that timed out after `200`): the receiver
 * has answered. An attempt with neither status nor error is retryable: nothing proves it was delivered.
 */
export function classifyOutcome(result: AttemptResult): DeliveryOutcome {
  const { status } = result;
  if (status === undefined) return 'retryable';
  if (status >= 200 && status <= 299) return 'delivered';
  if (status >= 500 && status <= 599) return 'retryable';
  if ((RETRYABLE_CLIENT_STATUSES as readonly number[]).includes(status)) return 'retryable';
  return 'permanent';
}

const DELTA_SECONDS = /^\d+$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** RFC 9110 §5.6.7 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** Obsolete RFC 850 form, which recipients must still accept: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC850_DATE = new RegExp(
  `^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`,
);
/** Obsolete asctime form: `Sun Nov  6 08:49:37 1994` (UTC, day padded with a space). */
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * Parses a `Retry-After` header (RFC 9110 §10.2.3) into milliseconds from `now`: delta-seconds or an
 * HTTP-date in any of its three forms. A date already past gives 0 (the server allows a retry now);
 * a missing, negative or malformed value gives undefined, and the normal backoff applies.
 */
export function parseRetryAfter(header: string | undefined, now: Date): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (DELTA_SECONDS.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const at = parseHttpDate(text, now);
  return at === undefined ? undefined : Math.max(0, at - now.getTime());
}

/** Epoch milliseconds of an HTTP-date, or undefined when it is not one (or names a day that does not exist). */
function parseHttpDate(text: string, now: Date): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match) return utc(Number(match[3]), match[2], match[1], match.slice(4, 7));
  match = RFC850_DATE.exec(text);
  if (match) return utc(fullYear(Number(match[3]), now), match[2], match[1], match.slice(4, 7));
  match = ASCTIME_DATE.exec(text);
  if (match) return utc(Number(match[6]), match[1], match[2], match.slice(3, 6));
  return undefined;
}

/**
 * A two-digit year of the RFC 850 form: RFC 9110 reads one that would be more than 50 years in the future
 * as the most recent past year with the same last two digits.
 */
function fullYear(twoDigits: number, now: Date): number {
  const current = now.getUTCFullYear();
  let year = current - (current % 100) + twoDigits;
  if (year > current + 50) year -= 100;
  return year;
}

function utc(
  year: number,
  month: string | undefined,
  day: string | undefined,
  time: readonly (string | undefined)[],
): number | undefined {
  const monthIndex = MONTHS.indexOf(month as (typeof MONTHS)[number]);
  const [hours, minutes, seconds] = time.map(Number) as [number, number, number];
  const dayOfMonth = Number(day?.trim());
  // 60 allows a leap second; Date.UTC then rolls it into the next minute, which is close enough.
  if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
  const at = Date.UTC(year, monthIndex, dayOfMonth, hours, minutes, seconds);
  // Date.UTC rolls 31 Feb over into March; a date that does not exist is malformed.
  return new Date(at).getUTCDate() === dayOfMonth ? at : undefined;
}

/**
 * The upper bound of the backoff after `attemptsSoFar` failed attempts: `initialDelayMs × 2^(n−1)`, capped
 * at `maxDelayMs`. Non-decreasing in `n`; the jittered delay is drawn below it.
 */
export function backoffCapMs(policy: RetryPolicy, attemptsSoFar: number): number {
  // The exponent is bounded so that 0 × 2^n stays 0 instead of 0 × Infinity = NaN.
  const exponent = Math.min(Math.max(0, Math.floor(attemptsSoFar) - 1), 1000);
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
}

/**
 * Milliseconds to wait before the next attempt, after `attemptsSoFar` (≥ 1) attempts failed.
 *
 * Full jitter (`random() × cap`, AWS architecture blog): many messages failing together against one target
 * spread their retries over the whole window instead of returning in lock-step.
 *
 * A `Retry-After` the target sent wins when it is longer. It is honoured beyond `maxDelayMs` (that cap
 * bounds our own guess; the server knows its own schedule) but never beyond the message's remaining age
 * budget, `maxAgeMs − elapsedMs`: no wait is scheduled past the deadline, so a `Retry-After: 31536000`
 * cannot hold a message for a year. The attempt made at the deadline is then the last one
 * (`isExhausted` is asked after it fails).
 *
 * @param random a uniform source in [0, 1), e.g. `Math.random`
 * @param retryAfterMs from `parseRetryAfter`, when the target sent the header
 * @param elapsedMs time since the first attempt; 0 when unknown (then the cap is the whole `maxAgeMs`)
 */
export function nextAttemptDelayMs(
  policy: RetryPolicy,
  attemptsSoFar: number,
  random: () => number,
  retryAfterMs?: number,
  elapsedMs = 0,
): number {
  const drawn = random();
  // A broken source (NaN, out of range) must not produce NaN or a negative wait.
  const fraction = drawn > 0 ? Math.min(1, drawn) : 0;
  const jittered = Math.floor(fraction * backoffCapMs(policy, attemptsSoFar));
  const delay = retryAfterMs !== undefined && retryAfterMs > jittered ? retryAfterMs : jittered;
  const remainingMs = Math.max(0, policy.maxAgeMs - elapsedMs);
  return Math.min(delay, remainingMs);
}

/**
 * Whether a message has used up its retries: `maxAttempts` attempts made, or `maxAgeMs` passed since the
 * first one. Asked after a failed attempt: true parks the message as an exception, false schedules another.
 * `attempts` counts only attempts that failed on their own: throttled ones (the target asked to slow down,
 * see target-signal.ts) are bounded by `maxAgeMs` alone (`isPastMaxAge`).
 */
export function isExhausted(policy: RetryPolicy, attempts: number, firstAttemptAt: Date, now: Date): boolean {
  return attempts >= policy.maxAttempts || isPastMaxAge(policy, firstAttemptAt, now);
}

/** Whether `maxAgeMs` has passed since the first attempt: the only bound of a throttled message. */
export function isPastMaxAge(policy: RetryPolicy, firstAttemptAt: Date, now: Date): boolean {
  return now.getTime() - firstAttemptAt.getTime() >= policy.maxAgeMs;
}
