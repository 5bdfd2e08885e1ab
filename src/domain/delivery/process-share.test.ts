import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALONE, shareOfConcurrency, shareOfRate } from './process-share.js';
import { TokenBucket } from './token-bucket.js';

describe('process shares of a target limit', () => {
  it('leaves a process alone with the whole limit', () => {
    expect(shareOfRate({ perSecond: 20, burst: 20 }, ALONE)).toEqual({ perSecond: 20, burst: 20 });
    expect(shareOfConcurrency(4, ALONE)).toBe(4);
  });

  it('splits a rate evenly, each burst at least one token', () => {
    expect(shareOfRate({ perSecond: 20, burst: 20 }, { count: 3, rank: 2 })).toEqual({
      perSecond: 20 / 3,
      burst: 6,
    });
    expect(shareOfRate({ perSecond: 0.5, burst: 1 }, { count: 4, rank: 0 })).toEqual({
      perSecond: 0.125,
      burst: 1,
    });
  });

  it('splits a concurrency into whole parts that add up to it (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 50 }), (total, count) => {
        const parts = Array.from({ length: count }, (_, rank) => shareOfConcurrency(total, { count, rank }));
        for (const part of parts) expect(part).toBeGreaterThanOrEqual(1);
        if (count <= total) expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
        else expect(parts.every((part) => part === 1)).toBe(true);
        expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('lets a bucket take a new rate without losing or inventing tokens', () => {
    const bucket = new TokenBucket({ perSecond: 10, burst: 10 }, 0);
    for (let i = 0; i < 10; i++) bucket.tryTake(0);
    // Half a second at 10/s earned 5 tokens; from then on 2/s, and at most 3 held.
    bucket.setRate({ perSecond: 2, burst: 3 }, 500);
    expect(bucket.available(500)).toBe(3);
    for (let i = 0; i < 3; i++) bucket.tryTake(500);
    expect(bucket.waitMs(500)).toBe(500);
  });
});
