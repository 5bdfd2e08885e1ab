import { describe, expect, it } from 'vitest';
import { configIssues, lineOf } from '../../test/support/config-issues.js';
import { compileConfig } from './load-config.js';

const BASE = `server: { adminKey: admin-key-0000000001 }
systems:
  erp: { kind: erp, key: erp-key-000000000001 }
  wms-east: { kind: wms, key: wms-east-key-0000001, locations: [DC-EAST] }
locations: { DC-EAST: { channels: [web] } }
channels: { web: {} }
subscriptions:
  - { name: erp-orders, target: erp, types: [com.manifold.order.*], http: { url: 'http://127.0.0.1:9/x' } }
`;

const compile = (text: string) => compileConfig(text, 'manifold.yaml', {});

describe('tracing:', () => {
  it('defaults to carrying trace context with no exporter', () => {
    expect(compile(BASE).tracing).toEqual({ serviceName: 'manifold', sampleRatio: 1 });
  });

  it('reads the OTLP exporter, the service name and the sample ratio', () => {
    const config = compile(`${BASE}tracing:
  serviceName: hub-eu
  sampleRatio: 0.25
  otlp: { url: 'http://127.0.0.1:4318/v1/traces', headers: { x-tenant: acme }, timeoutMs: 3000 }
`);
    expect(config.tracing).toEqual({
      serviceName: 'hub-eu',
      sampleRatio: 0.25,
      otlp: { url: 'http://127.0.0.1:4318/v1/traces', headers: { 'x-tenant': 'acme' }, timeoutMs: 3000 },
    });
  });

  it('names the line of a bad ratio, URL or key', () => {
    const text = `${BASE}tracing:
  sampleRatio: 2
  otlp: { url: 'collector:4318', batch: true }
`;
    const issues = configIssues(text);
    expect(issues.map((i) => [i.line, i.message])).toEqual([
      [lineOf(text, 'sampleRatio'), expect.stringContaining('from 0 to 1')],
      [lineOf(text, 'otlp'), expect.stringContaining("invalid URL 'collector:4318'")],
      [lineOf(text, 'otlp'), expect.stringContaining("unknown key 'batch' in tracing.otlp")],
    ]);
  });
});

describe('alerts:', () => {
  it('compiles each condition with durations in ms', () => {
    const config = compile(`${BASE}alerts:
  - { name: erp-backlog, backlog: { subscription: erp-orders, above: 500, for: 5m }, severity: critical }
  - { name: stale, oldestPending: { olderThan: 90s } }
  - { name: storm, exceptionRate: { above: 20, per: 1h, code: inventory_rejected } }
  - { name: down, circuitOpen: { target: erp, for: 1500ms } }
  - { name: drift, drift: { system: wms-east, above: 100 } }
`);
    expect(config.alerts).toEqual([
      {
        name: 'erp-backlog',
        severity: 'critical',
        condition: { kind: 'backlog', subscription: 'erp-orders', above: 500, forMs: 300_000 },
      },
      {
        name: 'stale',
        severity: 'warning',
        condition: { kind: 'oldestPending', olderThanMs: 90_000, forMs: 0 },
      },
      {
        name: 'storm',
        severity: 'warning',
        condition: { kind: 'exceptionRate', above: 20, perMs: 3_600_000, code: 'inventory_rejected' },
      },
      { name: 'down', severity: 'warning', condition: { kind: 'circuitOpen', target: 'erp', forMs: 1500 } },
      { name: 'drift', severity: 'warning', condition: { kind: 'drift', system: 'wms-east', above: 100 } },
    ]);
  });

  it('has none by default', () => {
    expect(compile(BASE).alerts).toEqual([]);
  });

  it('refuses unknown references, bad durations, two conditions and duplicate names, each at its line', () => {
    const text = `${BASE}alerts:
  - { name: a, backlog: { subscription: erp-order, above: 5 } }
  - { name: b, oldestPending: { olderThan: soon } }
  - { name: c, drift: { above: 1 }, backlog: { above: 1 } }
  - { name: a, circuitOpen: { target: crm } }
  - { name: e, severity: page, exceptionRate: { above: 1 } }
`;
    const issues = configIssues(text);
    const messages = issues.map((i) => `${i.line}: ${i.message}`);
    expect(messages).toEqual([
      expect.stringMatching(new RegExp(`^${lineOf(text, 'erp-order,')}: no subscription named 'erp-order'`)),
      expect.stringMatching(new RegExp(`^${lineOf(text, 'soon')}: invalid duration 'soon'`)),
      expect.stringMatching(new RegExp(`^${lineOf(text, 'name: c')}: an alert rule has one condition`)),
      expect.stringMatching(new RegExp(`^${lineOf(text, 'target: crm')}: duplicate alert rule name 'a'`)),
      expect.stringMatching(new RegExp(`^${lineOf(text, 'target: crm')}: no system named 'crm'`)),
      expect.stringMatching(new RegExp(`^${lineOf(text, 'page')}: unknown severity 'page'`)),
    ]);
  });
});

describe('systems.<name>.circuitBreaker', () => {
  it('sets a target its own failures and opening, over the defaults', () => {
    const config = compile(
      BASE.replace(
        'erp: { kind: erp, key: erp-key-000000000001 }',
        'erp: { kind: erp, key: erp-key-000000000001, circuitBreaker: { failures: 3, openFor: 10s } }',
      ),
    );
    expect(config.systems.get('erp')?.circuitBreaker).toEqual({
      failureThreshold: 3,
      openMs: 10_000,
      maxOpenMs: 300_000,
      halfOpenProbes: 3,
    });
    expect(config.systems.get('wms-east')?.circuitBreaker).toBeUndefined();
  });

  it('reads how many probes go out while half-open', () => {
    const config = compile(
      BASE.replace(
        'erp: { kind: erp, key: erp-key-000000000001 }',
        'erp: { kind: erp, key: erp-key-000000000001, circuitBreaker: { probes: 1 } }',
      ),
    );
    expect(config.systems.get('erp')?.circuitBreaker?.halfOpenProbes).toBe(1);
  });

  it('refuses an opening longer than its maximum, at its line', () => {
    const text = BASE.replace(
      'erp: { kind: erp, key: erp-key-000000000001 }',
      'erp: { kind: erp, key: erp-key-000000000001, circuitBreaker: { openFor: 10m, maxOpenFor: 1m, tries: 2 } }',
    );
    const issues = configIssues(text);
    expect(issues.map((i) => [i.line, i.message])).toEqual([
      [lineOf(text, 'circuitBreaker'), 'maxOpenFor (60000 ms) must not be shorter than openFor (600000 ms)'],
      [lineOf(text, 'circuitBreaker'), expect.stringContaining("unknown key 'tries'")],
    ]);
  });
});

describe('systems.<name>.rateLimit', () => {
  const withLimit = (limit: string) =>
    BASE.replace(
      'erp: { kind: erp, key: erp-key-000000000001 }',
      `erp: { kind: erp, key: erp-key-000000000001, rateLimit: ${limit} }`,
    );

  it('takes a concurrency alone: requests in flight to the target, over every subscription', () => {
    expect(compile(withLimit('{ concurrency: 2 }')).systems.get('erp')?.rateLimit).toEqual({
      concurrency: 2,
    });
  });

  it('takes a rate alone, with its burst, and adds no concurrency cap', () => {
    expect(compile(withLimit('{ perSecond: 2.5 }')).systems.get('erp')?.rateLimit).toEqual({
      bucket: { perSecond: 2.5, burst: 3 },
    });
    expect(
      compile(withLimit('{ perSecond: 10, burst: 4, concurrency: 3 }')).systems.get('erp')?.rateLimit,
    ).toEqual({ bucket: { perSecond: 10, burst: 4 }, concurrency: 3 });
  });

  it('needs perSecond or concurrency, and burst only with perSecond', () => {
    const empty = withLimit('{}');
    expect(configIssues(empty).map((i) => [i.line, i.message])).toEqual([
      [lineOf(empty, 'rateLimit'), "set 'perSecond', 'concurrency' or both"],
    ]);
    const burst = withLimit('{ concurrency: 2, burst: 5 }');
    expect(configIssues(burst).map((i) => [i.line, i.message])).toEqual([
      [lineOf(burst, 'rateLimit'), "'burst' needs 'perSecond'"],
    ]);
  });
});
