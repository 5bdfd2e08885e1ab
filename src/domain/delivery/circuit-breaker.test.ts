import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';

function failTimes(breaker: CircuitBreaker, times: number, nowMs: number): void {
  for (let i = 0; i < times; i++) breaker.onFailure(nowMs);
}

describe('CircuitBreaker', () => {
  it('stays closed below the failure threshold, and a success resets the count', () => {
    const breaker = new CircuitBreaker();
    failTimes(breaker, 4, 0);
    expect(breaker.canSend(0)).toBe(true);
    breaker.onSuccess(0);
    failTimes(breaker, 4, 0);
    expect(breaker.snapshot(0)).toEqual({ state: 'closed', consecutiveFailures: 4, openPeriodMs: 30_000 });
  });

  it('opens after 5 consecutive failures and refuses for 30 s', () => {
    const breaker = new CircuitBreaker();
    failTimes(breaker, 5, 1000);
    expect(breaker.snapshot(1000)).toEqual({
      state: 'open',
      consecutiveFailures: 5,
      openedAt: 1000,
      retryAt: 31_000,
      openPeriodMs: 30_000,
    });
    expect(breaker.canSend(1000)).toBe(false);
    expect(breaker.canSend(30_999)).toBe(false);
  });

  it('lets exactly one probe through once the open period is over, with halfOpenProbes: 1', () => {
    const breaker = new CircuitBreaker({ halfOpenProbes: 1 });
    failTimes(breaker, 5, 0);
    expect(breaker.snapshot(30_000).state).toBe('half_open');
    expect(breaker.canSend(30_000)).toBe(true);
    expect(breaker.canSend(30_000)).toBe(false);
    expect(breaker.canSend(45_000)).toBe(false);
  });

  it('closes when the probe succeeds, with halfOpenProbes: 1', () => {
    const breaker = new CircuitBreaker({ halfOpenProbes: 1 });
    failTimes(breaker, 5, 0);
    breaker.canSend(30_000);
    breaker.onSuccess(30_100);
    expect(breaker.snapshot(30_100)).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      openPeriodMs: 30_000,
    });
    expect(breaker.canSend(30_100)).toBe(true);
  });

  it('reopens for twice as long when the probe fails, up to maxOpenMs', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 1000, maxOpenMs: 5000 });
    failTimes(breaker, 2, 0);
    let now = 0;
    const periods: number[] = [];
    for (let i = 0; i < 5; i++) {
      now = breaker.snapshot(now).retryAt!;
      expect(breaker.canSend(now)).toBe(true);
      breaker.onFailure(now);
      const snapshot = breaker.snapshot(now);
      expect(snapshot.state).toBe('open');
      periods.push(snapshot.retryAt! - now);
    }
    expect(periods).toEqual([2000, 4000, 5000, 5000, 5000]);
  });

  it('starts again at openMs after it closed', () => {
    const breaker = new CircuitBreaker({
      failureThreshold: 1,
      openMs: 1000,
      maxOpenMs: 60_000,
      halfOpenProbes: 1,
    });
    breaker.onFailure(0);
    breaker.canSend(1000);
    breaker.onFailure(1000);
    breaker.canSend(3000);
    breaker.onSuccess(3000);
    breaker.onFailure(4000);
    expect(breaker.snapshot(4000).retryAt).toBe(5000);
  });

  it('lets a late failure of a request sent before the opening leave the opening as it is', () => {
    const breaker = new CircuitBreaker();
    failTimes(breaker, 5, 0);
    breaker.onFailure(10_000);
    expect(breaker.snapshot(10_000)).toMatchObject({
      state: 'open',
      consecutiveFailures: 6,
      retryAt: 30_000,
    });
  });

  it('closes on a late success while open', () => {
    const breaker = new CircuitBreaker();
    failTimes(breaker, 5, 0);
    breaker.onSuccess(5000);
    expect(breaker.canSend(5000)).toBe(true);
  });

  it('allows a new probe when a probe result never came back', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, openMs: 1000, halfOpenProbes: 1 });
    breaker.onFailure(0);
    expect(breaker.canSend(1000)).toBe(true);
    expect(breaker.canSend(1999)).toBe(false);
    expect(breaker.canSend(2000)).toBe(true);
  });

  it('rejects policies that cannot work', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ openMs: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ openMs: 10, maxOpenMs: 5 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ halfOpenProbes: 0 })).toThrow(RangeError);
  });

  it('lets a few probes out at once when half-open (3 by default), and closes after that many successes', () => {
    const breaker = new CircuitBreaker();
    failTimes(breaker, 5, 0);
    expect([1, 2, 3, 4].map(() => breaker.canSend(30_000))).toEqual([true, true, true, false]);
    breaker.onSuccess(30_010);
    expect(breaker.snapshot(30_010).state).toBe('half_open');
    // One answered: one more probe may go.
    expect(breaker.canSend(30_010)).toBe(true);
    expect(breaker.canSend(30_010)).toBe(false);
    breaker.onSuccess(30_020);
    breaker.onSuccess(30_030);
    expect(breaker.snapshot(30_030)).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      openPeriodMs: 30_000,
    });
  });

  it('opens again, for twice as long, when any probe fails', () => {
    const breaker = new CircuitBreaker();
    failTimes(breaker, 5, 0);
    breaker.canSend(30_000);
    breaker.canSend(30_000);
    breaker.onSuccess(30_010);
    breaker.onFailure(30_020);
    expect(breaker.snapshot(30_020)).toMatchObject({ state: 'open', retryAt: 90_020, openPeriodMs: 60_000 });
    expect(breaker.canSend(30_020)).toBe(false);
  });

  it('never sends while open, and never has more than halfOpenProbes probes out until they were given up (property)', () => {
    const step = fc.record({
      advanceMs: fc.nat(40_000),
      action: fc.constantFrom('send', 'success', 'failure', 'send-and-fail', 'send-and-succeed'),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(step, { maxLength: 200 }), (probes, steps) => {
        const breaker = new CircuitBreaker({ halfOpenProbes: probes });
        let now = 0;
        // Probes sent since the breaker last left `closed`, not answered: their send times.
        let outstanding: number[] = [];
        for (const { advanceMs, action } of steps) {
          now += advanceMs;
          const before = breaker.snapshot(now);
          if (before.state === 'closed') outstanding = [];
          const allowed = action === 'success' || action === 'failure' ? true : breaker.canSend(now);
          if (action !== 'success' && action !== 'failure') {
            if (before.state === 'open') expect(allowed).toBe(false);
            if (allowed && before.state !== 'closed') {
              if (outstanding.length >= probes) {
                // Only once the last probe out was given up (one open period) may more go.
                expect(now - Math.max(...outstanding)).toBeGreaterThanOrEqual(before.openPeriodMs);
                outstanding = [];
              }
              outstanding.push(now);
            }
          }
          if (!allowed || action === 'send') continue;
          if (action.endsWith('fail') || action === 'failure') {
            breaker.onFailure(now);
            if (breaker.snapshot(now).state === 'open') outstanding = [];
          } else breaker.onSuccess(now);
          outstanding.shift();
          expect(breaker.snapshot(now).openPeriodMs).toBeLessThanOrEqual(300_000);
        }
      }),
    );
  });
});

describe('CircuitBreaker shared between processes', () => {
  it('adopts an opening recorded by another process, and ignores one already over', () => {
    const breaker = new CircuitBreaker();
    breaker.adoptOpening({ openedAt: 1000, retryAt: 61_000, openPeriodMs: 60_000 }, 2000);
    expect(breaker.snapshot(2000)).toMatchObject({ state: 'open', retryAt: 61_000, openPeriodMs: 60_000 });
    expect(breaker.canSend(60_999)).toBe(false);
    expect(breaker.canSend(61_000)).toBe(true);
    const other = new CircuitBreaker();
    other.adoptOpening({ openedAt: 0, retryAt: 1000, openPeriodMs: 1000 }, 5000);
    expect(other.snapshot(5000).state).toBe('closed');
  });

  it('adopts a closing recorded by another process', () => {
    const breaker = new CircuitBreaker();
    failTimes(breaker, 5, 0);
    breaker.adoptClosing();
    expect(breaker.snapshot(10)).toEqual({ state: 'closed', consecutiveFailures: 0, openPeriodMs: 30_000 });
  });
});
