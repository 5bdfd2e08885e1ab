import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('starts full and grants a burst, then refuses', () => {
    const bucket = new TokenBucket({ perSecond: 10, burst: 3 }, 0);
    expect([1, 2, 3, 4].map(() => bucket.tryTake(0))).toEqual([true, true, true, false]);
  });

  it('refills at perSecond, never above burst', () => {
    const bucket = new TokenBucket({ perSecond: 10, burst: 3 }, 0);
    for (let i = 0; i < 3; i++) bucket.tryTake(0);
    expect(bucket.tryTake(99)).toBe(false);
    expect(bucket.tryTake(100)).toBe(true);
    expect(bucket.available(60_000)).toBe(3);
  });

  it('says how long until the next token', () => {
    const bucket = new TokenBucket({ perSecond: 4, burst: 1 }, 1000);
    expect(bucket.waitMs(1000)).toBe(0);
    expect(bucket.tryTake(1000)).toBe(true);
    expect(bucket.waitMs(1000)).toBe(250);
    expect(bucket.waitMs(1100)).toBe(150);
    expect(bucket.tryTake(1249)).toBe(false);
    expect(bucket.tryTake(1250)).toBe(true);
  });

  it('supports rates below one per second', () => {
    const bucket = new TokenBucket({ perSecond: 0.5, burst: 1 }, 0);
    expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.waitMs(0)).toBe(2000);
    expect(bucket.tryTake(1999)).toBe(false);
    expect(bucket.tryTake(2000)).toBe(true);
  });

  it('grants nothing extra when the clock steps back', () => {
    const bucket = new TokenBucket({ perSecond: 1, burst: 1 }, 10_000);
    expect(bucket.tryTake(10_000)).toBe(true);
    expect(bucket.tryTake(5_000)).toBe(false);
    expect(bucket.tryTake(10_999)).toBe(false);
    expect(bucket.tryTake(11_000)).toBe(true);
  });

  it('rejects a bucket that could never grant', () => {
    expect(() => new TokenBucket({ perSecond: 0, burst: 1 }, 0)).toThrow(RangeError);
    expect(() => new TokenBucket({ perSecond: 1, burst: 0 }, 0)).toThrow(RangeError);
  });

  it('grants at most burst + perSecond × T / 1000 over any window of T ms (property)', () => {
    fc.assert(
      fc.property(
        // Quarter rates keep the arithmetic exact: 0.25/s up to 250/s.
        fc.integer({ min: 1, max: 1000 }).map((quarters) => quarters / 4),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.nat(60_000), { maxLength: 300 }),
        (perSecond, burst, times) => {
          times.sort((a, b) => a - b);
          const bucket = new TokenBucket({ perSecond, burst }, 0);
          const granted = times.filter((t) => bucket.tryTake(t));
          for (let i = 0; i < granted.length; i++) {
            for (let j = i; j < granted.length; j++) {
              const windowMs = granted[j]! - granted[i]!;
              expect(j - i + 1).toBeLessThanOrEqual(burst + (perSecond * windowMs) / 1000);
            }
          }
        },
      ),
    );
  });

  it('grants a token exactly waitMs later (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.nat(5_000), { maxLength: 50 }),
        (perSecond, burst, gaps) => {
          const bucket = new TokenBucket({ perSecond, burst }, 0);
          let now = 0;
          for (const gap of gaps) {
            now += gap;
            const wait = bucket.waitMs(now);
            if (wait > 0) expect(bucket.tryTake(now + wait - 1)).toBe(false);
            now += wait;
            expect(bucket.tryTake(now)).toBe(true);
          }
        },
      ),
    );
  });
});
