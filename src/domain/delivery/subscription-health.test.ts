import { describe, expect, it } from 'vitest';
import { formatPercent, formatSeconds } from '../../../web/src/format.js';
import {
  DEFAULT_HEALTH,
  type HealthInputs,
  percentText,
  secondsText,
  subscriptionHealth,
} from './subscription-health.js';

const quiet: HealthInputs = {
  circuit: 'closed',
  errorRate: 0,
  parked: 0,
  backlog: 0,
  backlogGrowth: 0,
  windowSeconds: 60,
  oldestPendingSeconds: 0,
};

describe('subscription health', () => {
  it.each([
    [quiet, 'ok'],
    [{ ...quiet, backlog: 5, oldestPendingSeconds: 29 }, 'ok'],
    [{ ...quiet, backlog: 5, oldestPendingSeconds: 30 }, 'degraded'],
    [{ ...quiet, backlog: 5, oldestPendingSeconds: 300 }, 'failing'],
    [{ ...quiet, backlog: 339, oldestPendingSeconds: 12 }, 'degraded'],
    [{ ...quiet, backlog: 1000, oldestPendingSeconds: 1 }, 'failing'],
    [{ ...quiet, backlog: 30, backlogGrowth: 25, oldestPendingSeconds: 3 }, 'degraded'],
    [{ ...quiet, backlog: 30, backlogGrowth: 19, oldestPendingSeconds: 3 }, 'ok'],
    [{ ...quiet, backlog: 0, backlogGrowth: 0, oldestPendingSeconds: 0 }, 'ok'],
    [{ ...quiet, errorRate: 0.003 }, 'ok'],
    [{ ...quiet, errorRate: 0.2 }, 'degraded'],
    [{ ...quiet, errorRate: 0.5 }, 'failing'],
    [{ ...quiet, parked: 3 }, 'degraded'],
    [{ ...quiet, circuit: 'half_open' as const }, 'degraded'],
    [{ ...quiet, circuit: 'open' as const }, 'failing'],
  ])('%o is %s', (input, health) => {
    expect(subscriptionHealth(input).health).toBe(health);
  });

  it('says why in the figures the table shows, failing reasons first', () => {
    const { health, reasons } = subscriptionHealth({
      ...quiet,
      circuit: 'open',
      backlog: 339,
      backlogGrowth: 120,
      oldestPendingSeconds: 48.4,
      errorRate: 0.034,
    });
    expect(health).toBe('failing');
    expect(reasons).toEqual([
      'circuit open',
      'oldest pending 48 s (degraded at 30 s)',
      'backlog 339 (degraded at 100)',
      'backlog grew by 120 in the last 60 s',
      'error rate 3.4 % (degraded at 1.0 %)',
    ]);
  });

  it('takes the thresholds given', () => {
    const strict = { ...DEFAULT_HEALTH, errorRate: { degraded: 0.001, failing: 0.01 } };
    expect(subscriptionHealth({ ...quiet, errorRate: 0.003 }, strict)).toEqual({
      health: 'degraded',
      reasons: ['error rate 0.3 % (degraded at 0.1 %)'],
    });
    const lenient = { ...DEFAULT_HEALTH, backlog: { degraded: 500, failing: 5000, growth: 400 } };
    expect(subscriptionHealth({ ...quiet, backlog: 339, backlogGrowth: 300 }, lenient).health).toBe('ok');
  });

  it('writes percentages and durations exactly as the console does', () => {
    for (const ratio of [0, 0.0004, 0.003, 0.0349, 0.05, 0.0999, 0.1, 0.123, 0.5, 1]) {
      expect(percentText(ratio)).toBe(formatPercent(ratio));
    }
    for (const s of [0, 0.4, 9.96, 10, 48.4, 59.6, 60, 125, 3599, 3600, 7300]) {
      expect(secondsText(s)).toBe(formatSeconds(s));
    }
  });
});
