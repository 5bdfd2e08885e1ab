import { describe, expect, it } from 'vitest';
import { BacklogTrend } from './backlog-trend.js';

const stat = (pending: number) => [{ subscription: 'erp-orders', pending, parked: 0 }];

describe('backlog trend', () => {
  it('is the backlog now minus the oldest read within the window', () => {
    let now = 1_000_000;
    const trend = new BacklogTrend(60, () => now);
    trend.note(stat(5));
    expect(trend.growth('erp-orders')).toBe(0);
    now += 2000;
    trend.note(stat(30));
    expect(trend.growth('erp-orders')).toBe(25);
    now += 30_000;
    trend.note(stat(60));
    expect(trend.growth('erp-orders')).toBe(55);
    // The first read leaves the window: growth is measured from the next one.
    now += 29_000;
    expect(trend.growth('erp-orders')).toBe(30);
    now += 60_000;
    trend.note(stat(10));
    expect(trend.growth('erp-orders')).toBe(0);
  });

  it('reads a drained subscription (absent from the backlog) as 0', () => {
    let now = 0;
    const trend = new BacklogTrend(60, () => now);
    trend.note(stat(40), ['erp-orders']);
    now += 5000;
    trend.note([], ['erp-orders']);
    expect(trend.growth('erp-orders')).toBe(-40);
    expect(trend.growth('unknown')).toBe(0);
  });

  it('keeps one read per second', () => {
    let now = 0;
    const trend = new BacklogTrend(60, () => now);
    trend.note(stat(1));
    now += 400;
    trend.note(stat(9));
    expect(trend.growth('erp-orders')).toBe(0);
  });
});
