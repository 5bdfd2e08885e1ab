import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffCapMs,
  classifyOutcome,
  isExhausted,
  isPastMaxAge,
  nextAttemptDelayMs,
  parseRetryAfter,
  type RetryPolicy,
} from './retry-policy.js';

const POLICY: RetryPolicy = {
  maxAttempts: 12,
  initialDelayMs: 1000,
  maxDelayMs: 300_000,
  maxAgeMs: 86_400_000,
};
const NOW = new Date('2025-03-10T12:00:00.000Z');

describe('classifyOutcome', () => {
  it('treats 2xx as delivered', () => {
    for (const status of [200, 201, 202, 204, 299]) expect(classifyOutcome({ status })).toBe('delivered');
  });

  it('retries 408, 425, 429 and 5xx', () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504, 599]) {
      expect(classifyOutcome({ status })).toBe('retryable');
    }
  });

  it('parks other 4xx, 1xx and 3xx (redirects are not followed)', () => {
    for (const status of [400, 401, 403, 404, 409, 410, 413, 415, 422, 100, 301, 302, 304, 307, 308]) {
      expect(classifyOutcome({ status })).toBe('permanent');
    }
  });

  it('retries network errors and timeouts', () => {
    expect(classifyOutcome({ networkError: true })).toBe('retryable');
    expect(classifyOutcome({ timedOut: true })).toBe('retryable');
    expect(classifyOutcome({})).toBe('retryable');
  });

  it('lets a status that arrived win over a later failure', () => {
    expect(classifyOutcome({ status: 200, timedOut: true })).toBe('delivered');
    expect(classifyOutcome({ status: 400, networkError: true })).toBe('permanent');
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
  });

  it('reads the three HTTP-date forms as UTC', () => {
    expect(parseRetryAfter('Mon, 10 Mar 2025 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Monday, 10-Mar-25 12:01:00 GMT', NOW)).toBe(60_000);
    expect(parseRetryAfter('Mon Mar 10 12:00:05 2025', NOW)).toBe(5_000);
    expect(parseRetryAfter('Sun Mar  9 12:00:00 2025', new Date('2025-03-09T11:59:59Z'))).toBe(1_000);
  });

  it('gives 0 for a date already past', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(0);
  });

  it('reads a two-digit year more than 50 years ahead as the past century', () => {
    // 2025 + 50 = 2075: "76" is 1976, in the past.
    expect(parseRetryAfter('Tuesday, 10-Mar-76 12:00:00 GMT', NOW)).toBe(0);
  });

  it('rejects negative, fractional, garbage and impossible values', () => {
    for (const header of [
      undefined,
      '',
      '-5',
      '1.5',
      '5 seconds',
      'soon',
      '2025-03-10T12:00:30Z',
      'Mon, 31 Feb 2025 12:00:00 GMT',
      'Mon, 10 Mar 2025 25:00:00 GMT',
      'Mon, 10 Mar 2025 12:00:30 UTC',
      '99999999999999999999',
    ]) {
      expect(parseRetryAfter(header, NOW), String(header)).toBeUndefined();
    }
  });
});

describe('backoffCapMs', () => {
  it('doubles from initialDelayMs up to maxDelayMs', () => {
    expect([1, 2, 3, 4, 9, 10, 50, 5000].map((n) => backoffCapMs(POLICY, n))).toEqual([
      1000, 2000, 4000, 8000, 256_000, 300_000, 300_000, 300_000,
    ]);
  });

  it('stays a number when initialDelayMs is 0', () => {
    expect(backoffCapMs({ ...POLICY, initialDelayMs: 0 }, 5000)).toBe(0);
  });

  it('is non-decreasing in the attempt count (property)', () => {
    fc.assert(
      fc.property(policyArb(), fc.nat(200), fc.nat(200), (policy, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(backoffCapMs(policy, low)).toBeLessThanOrEqual(backoffCapMs(policy, high));
        expect(backoffCapMs(policy, high)).toBeLessThanOrEqual(policy.maxDelayMs);
      }),
    );
  });
});

describe('nextAttemptDelayMs', () => {
  it('draws the delay uniformly below the cap (full jitter)', () => {
    expect(nextAttemptDelayMs(POLICY, 3, () => 0)).toBe(0);
    expect(nextAttemptDelayMs(POLICY, 3, () => 0.5)).toBe(2000);
    expect(nextAttemptDelayMs(POLICY, 3, () => 0.999_999)).toBe(3999);
  });

  it('always lies within [0, cap] without Retry-After (property)', () => {
    fc.assert(
      fc.property(policyArb(), fc.integer({ min: 1, max: 100 }), fc.double({ min: 0, max: 1 }), (p, n, r) => {
        const delay = nextAttemptDelayMs(p, n, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(backoffCapMs(p, n));
        expect(Number.isInteger(delay)).toBe(true);
      }),
    );
  });

  it('lets a longer Retry-After win, beyond maxDelayMs', () => {
    expect(nextAttemptDelayMs(POLICY, 1, () => 0.5, 30_000)).toBe(30_000);
    expect(nextAttemptDelayMs(POLICY, 1, () => 0.5, 600_000)).toBe(600_000);
    expect(nextAttemptDelayMs(POLICY, 10, () => 0.5, 1000)).toBe(150_000);
  });

  it('never schedules past the age deadline', () => {
    const policy = { ...POLICY, maxAgeMs: 3_600_000 };
    expect(nextAttemptDelayMs(policy, 1, () => 0.5, 31_536_000_000)).toBe(3_600_000);
    expect(nextAttemptDelayMs(policy, 1, () => 0.5, 31_536_000_000, 3_000_000)).toBe(600_000);
    expect(nextAttemptDelayMs(policy, 10, () => 0.9, undefined, 3_599_000)).toBe(1000);
    expect(nextAttemptDelayMs(policy, 10, () => 0.9, undefined, 4_000_000)).toBe(0);
  });

  it('stays within [0, max(cap, Retry-After)] and the remaining age (property)', () => {
    fc.assert(
      fc.property(
        policyArb(),
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 1, maxExcluded: true }),
        fc.option(fc.nat(10 ** 10), { nil: undefined }),
        fc.nat(10 ** 9),
        (policy, attempts, r, retryAfterMs, elapsedMs) => {
          const delay = nextAttemptDelayMs(policy, attempts, () => r, retryAfterMs, elapsedMs);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.max(backoffCapMs(policy, attempts), retryAfterMs ?? 0));
          expect(delay).toBeLessThanOrEqual(Math.max(0, policy.maxAgeMs - elapsedMs));
        },
      ),
    );
  });
});

describe('isExhausted', () => {
  const first = new Date('2025-03-10T00:00:00Z');

  it('is true once maxAttempts attempts were made', () => {
    expect(isExhausted(POLICY, 11, first, NOW)).toBe(false);
    expect(isExhausted(POLICY, 12, first, NOW)).toBe(true);
  });

  it('is true once maxAgeMs has passed since the first attempt', () => {
    const policy = { ...POLICY, maxAgeMs: 60_000 };
    expect(isExhausted(policy, 1, first, new Date(first.getTime() + 59_999))).toBe(false);
    expect(isExhausted(policy, 1, first, new Date(first.getTime() + 60_000))).toBe(true);
  });
});

describe('isPastMaxAge (the bound of throttled attempts)', () => {
  const first = new Date('2025-03-10T00:00:00Z');

  it('ignores the attempt count and is true only once maxAgeMs has passed', () => {
    const policy = { ...POLICY, maxAttempts: 1, maxAgeMs: 20 * 60_000 };
    expect(isPastMaxAge(policy, first, new Date(first.getTime() + 20 * 60_000 - 1))).toBe(false);
    expect(isPastMaxAge(policy, first, new Date(first.getTime() + 20 * 60_000))).toBe(true);
  });
});

function policyArb(): fc.Arbitrary<RetryPolicy> {
  return fc
    .record({
      maxAttempts: fc.integer({ min: 1, max: 50 }),
      initialDelayMs: fc.nat(60_000),
      extraDelayMs: fc.nat(3_600_000),
      maxAgeMs: fc.integer({ min: 1, max: 10 ** 9 }),
    })
    .map(({ extraDelayMs, ...rest }) => ({ ...rest, maxDelayMs: rest.initialDelayMs + extraDelayMs }));
}
