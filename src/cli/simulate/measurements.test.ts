/** The simulator's measuring pieces: percentiles, the metrics page, the histogram and the signature check. */
import { describe, expect, it } from 'vitest';
import { parseMetrics } from './hub-client.js';
import { type CounterSnapshot, histogramPercentile } from './monitor.js';
import { signatureMatches } from './receivers.js';
import { percentile } from './report.js';

describe('simulator measurements', () => {
  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([5], 99)).toBe(5);
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
  });

  it('reads a Prometheus text page', () => {
    const samples = parseMetrics(
      [
        '# HELP manifold_delivery_backlog Outbox rows waiting',
        '# TYPE manifold_delivery_backlog gauge',
        'manifold_delivery_backlog{subscription="erp-orders"} 12',
        'manifold_delivery_latency_seconds_bucket{le="+Inf",subscription="a \\"b\\""} 3',
        'process_uptime 4.5',
      ].join('\n'),
    );
    expect(samples).toEqual([
      { name: 'manifold_delivery_backlog', labels: { subscription: 'erp-orders' }, value: 12 },
      {
        name: 'manifold_delivery_latency_seconds_bucket',
        labels: { le: '+Inf', subscription: 'a "b"' },
        value: 3,
      },
      { name: 'process_uptime', labels: {}, value: 4.5 },
    ]);
  });

  it('takes percentiles of the histogram growth during the run', () => {
    const snapshot = (counts: [number, number][]): CounterSnapshot => ({
      duplicates: 0,
      latencyBuckets: new Map(counts),
    });
    const start = snapshot([
      [0.1, 10],
      [1, 10],
      [Number.POSITIVE_INFINITY, 10],
    ]);
    const end = snapshot([
      [0.1, 60],
      [1, 108],
      [Number.POSITIVE_INFINITY, 110],
    ]);
    expect(histogramPercentile(start, end, 50)).toBe(100);
    expect(histogramPercentile(start, end, 90)).toBe(1000);
    expect(histogramPercentile(start, end, 99.5)).toBeNull(); // beyond the last finite bucket
    expect(histogramPercentile(end, end, 50)).toBeNull();
  });

  it('checks Manifold-Signature with the test vector of docs/webhooks.md', () => {
    const body = Buffer.from('{"specversion":"1.0","id":"evt-1"}');
    const v1 = 'e6ed9afb6908fd82a676e724f09e4380fc555f902709ff35978780647410a110';
    expect(signatureMatches('topsecret', body, `t=1700000000,v1=${v1}`)).toBe(true);
    expect(signatureMatches('topsecret', body, `t=1700000000,v1=${'0'.repeat(64)},v1=${v1}`)).toBe(true);
    expect(signatureMatches('other', body, `t=1700000000,v1=${v1}`)).toBe(false);
    expect(signatureMatches('topsecret', body, undefined)).toBe(false);
  });
});
