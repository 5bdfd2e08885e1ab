import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency, type ConcurrencyPermit } from './adaptive-concurrency.js';

function acquire(limiter: AdaptiveConcurrency, count: number, nowMs = 0): ConcurrencyPermit[] {
  const permits: ConcurrencyPermit[] = [];
  for (let i = 0; i < count; i++) {
    const permit = limiter.tryAcquire(nowMs);
    if (!permit) throw new Error(`no permit for request ${i + 1}`);
    permits.push(permit);
  }
  return permits;
}

describe('AdaptiveConcurrency', () => {
  it('starts at the configured maximum and gives no more permits than the limit', () => {
    const limiter = new AdaptiveConcurrency({ maxLimit: 4 });
    acquire(limiter, 4);
    expect(limiter.tryAcquire(0)).toBeUndefined();
    expect(limiter.snapshot(0)).toEqual({ limit: 4, maxLimit: 4, inFlight: 4 });
  });

  it('halves the limit on a throttle, once per round of requests in flight', () => {
    const limiter = new AdaptiveConcurrency({ maxLimit: 16 });
    const permits = acquire(limiter, 16);
    // 16 answers of 429 to requests sent under the old limit: one cut, not sixteen.
    for (const permit of permits) limiter.release(permit, 'throttled', 10);
    expect(limiter.limit).toBe(8);
    // A request sent after that cut is answered 429: the limit is cut again.
    const [next] = acquire(limiter, 1, 20);
    limiter.release(next!, 'throttled', 30);
    expect(limiter.limit).toBe(4);
  });

  it('never goes below minLimit: an overloaded target still gets one request at a time', () => {
    const limiter = new AdaptiveConcurrency({ maxLimit: 8 });
    for (let i = 0; i < 10; i++) {
      const [permit] = acquire(limiter, 1, i);
      limiter.release(permit!, 'throttled', i);
    }
    expect(limiter.limit).toBe(1);
    expect(limiter.hasRoom(100)).toBe(true);
  });

  it('grows back by one per round of accepted requests (additive increase), up to the maximum', () => {
    const limiter = new AdaptiveConcurrency({ maxLimit: 4 });
    for (let i = 0; i < 3; i++) {
      const [permit] = acquire(limiter, 1);
      limiter.release(permit!, 'throttled', 0);
    }
    expect(limiter.limit).toBe(1);
    const [one] = acquire(limiter, 1);
    limiter.release(one!, 'accepted', 1);
    expect(limiter.limit).toBe(2);
    // At 2, two successes make one more.
    for (const permit of acquire(limiter, 2)) limiter.release(permit, 'accepted', 2);
    expect(limiter.limit).toBe(3);
    for (let i = 0; i < 20; i++)
      for (const permit of acquire(limiter, 1)) limiter.release(permit, 'accepted', 3);
    expect(limiter.limit).toBe(4);
  });

  it('leaves the limit alone for answers that say nothing about load', () => {
    const limiter = new AdaptiveConcurrency({ maxLimit: 4 });
    for (const signal of ['answered', 'unreachable', 'unsent'] as const) {
      const [permit] = acquire(limiter, 1);
      limiter.release(permit!, signal, 0);
    }
    expect(limiter.snapshot(0)).toEqual({ limit: 4, maxLimit: 4, inFlight: 0 });
  });

  it('pauses the whole target for Retry-After, never shortening a pause, at most maxPauseMs', () => {
    const limiter = new AdaptiveConcurrency({ maxLimit: 4, maxPauseMs: 60_000 });
    const [a, b, c] = acquire(limiter, 3, 0);
    limiter.release(a!, 'throttled', 1000, 5000);
    expect(limiter.hasRoom(5999)).toBe(false);
    expect(limiter.tryAcquire(5999)).toBeUndefined();
    expect(limiter.pauseMs(1000)).toBe(5000);
    limiter.release(b!, 'throttled', 1000, 2000);
    expect(limiter.snapshot(1000).pausedUntil).toBe(6000);
    expect(limiter.hasRoom(6000)).toBe(true);
    limiter.release(c!, 'throttled', 7000, 20 * 60_000);
    expect(limiter.snapshot(7000).pausedUntil).toBe(67_000);
  });

  it('rejects policies that cannot work', () => {
    expect(() => new AdaptiveConcurrency({ maxLimit: 0 })).toThrow(RangeError);
    expect(() => new AdaptiveConcurrency({ maxLimit: 2, minLimit: 3 })).toThrow(RangeError);
    expect(() => new AdaptiveConcurrency({ maxLimit: 2, decreaseRatio: 1 })).toThrow(RangeError);
  });

  it('keeps in flight ≤ limit when given, and the limit within [min, max] (property)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), advanceMs: fc.nat(2000) }),
      fc.record({
        kind: fc.constant('release' as const),
        advanceMs: fc.nat(2000),
        pick: fc.nat(),
        signal: fc.constantFrom('accepted', 'answered', 'throttled', 'unreachable', 'unsent' as const),
        retryAfterMs: fc.option(fc.nat(10_000), { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 32 }), fc.array(step, { maxLength: 300 }), (max, steps) => {
        const limiter = new AdaptiveConcurrency({ maxLimit: max });
        const held: ConcurrencyPermit[] = [];
        let now = 0;
        for (const s of steps) {
          now += s.advanceMs;
          if (s.kind === 'acquire') {
            const room = limiter.hasRoom(now);
            const permit = limiter.tryAcquire(now);
            expect(permit !== undefined).toBe(room);
            if (permit) {
              held.push(permit);
              expect(held.length).toBeLessThanOrEqual(limiter.limit);
              expect(limiter.pauseMs(now)).toBe(0);
            }
          } else if (held.length > 0) {
            const [permit] = held.splice(s.pick % held.length, 1);
            limiter.release(permit!, s.signal, now, s.retryAfterMs);
          }
          expect(limiter.limit).toBeGreaterThanOrEqual(1);
          expect(limiter.limit).toBeLessThanOrEqual(max);
          expect(limiter.snapshot(now).inFlight).toBe(held.length);
        }
      }),
    );
  });
});

describe('AdaptiveConcurrency.setMaxLimit', () => {
  it('lowers the limit at once and lets successes grow it into a higher maximum', () => {
    const limiter = new AdaptiveConcurrency({ maxLimit: 8 });
    limiter.setMaxLimit(2);
    expect(limiter.limit).toBe(2);
    limiter.setMaxLimit(4);
    expect(limiter.limit).toBe(2);
    for (let i = 0; i < 10; i++)
      for (const permit of acquire(limiter, 1)) limiter.release(permit, 'accepted', 0);
    expect(limiter.limit).toBe(4);
  });
});
