import { describe, expect, it } from 'vitest';
import { configIssues, lineOf } from '../../test/support/config-issues.js';
import { DEFAULT_HEALTH } from '../domain/delivery/subscription-health.js';
import { compileConfig } from './load-config.js';

const BASE = `server: { adminKey: admin-key-0000000001 }
systems:
  erp: { kind: erp, key: erp-key-000000000001 }
channels: { web: {} }
subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: 'http://127.0.0.1:9/x' }
`;

const compile = (text: string) => compileConfig(text, 'manifold.yaml', {});

describe('subscriptions[].health', () => {
  it('is absent (the defaults) when not given', () => {
    expect(compile(BASE).subscriptions[0]?.health).toBeUndefined();
  });

  it('reads lag durations, backlog counts and error rates as ratios or percentages, defaulting the rest', () => {
    const config = compile(`${BASE}    health:
      lag: { degraded: 2m }
      backlog: { degraded: 500, growth: 200 }
      errorRate: { degraded: 0.5%, failing: 0.2 }
`);
    expect(config.subscriptions[0]?.health).toEqual({
      lagSeconds: { degraded: 120, failing: DEFAULT_HEALTH.lagSeconds.failing },
      backlog: { degraded: 500, failing: 1000, growth: 200 },
      errorRate: { degraded: 0.005, failing: 0.2 },
    });
    // Only `degraded` given, above the default `failing`: failing starts there.
    const high = compile(`${BASE}    health: { lag: { degraded: 10m }, backlog: { degraded: 5000 } }
`);
    expect(high.subscriptions[0]?.health?.lagSeconds).toEqual({ degraded: 600, failing: 600 });
    expect(high.subscriptions[0]?.health?.backlog.failing).toBe(5000);
  });

  it('names the line of a bad threshold', () => {
    const text = `${BASE}    health:
      lag: { degraded: soon }
      backlog: { degraded: 100, failing: 50 }
      errorRate: { degraded: 150% }
      latency: 3s
`;
    const issues = configIssues(text);
    expect(issues.map((i) => [i.line, i.message])).toEqual([
      [lineOf(text, 'lag:'), expect.stringContaining("invalid duration 'soon'")],
      [lineOf(text, 'backlog:'), 'backlog.failing (50) is below backlog.degraded (100)'],
      [lineOf(text, 'errorRate:'), expect.stringContaining("got '150%'")],
      [lineOf(text, 'latency'), expect.stringContaining("unknown key 'latency'")],
    ]);
  });
});
