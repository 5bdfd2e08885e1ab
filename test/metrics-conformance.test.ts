/**
 * One-minute rollups on every adapter: each process adds its counts of a minute (a repeated write adds),
 * a read sums the processes per minute and subscription (the backlog sample: the largest), ranges and a
 * subscription narrow the read, and the writer prunes the minutes past the retention.
 */
import { beforeEach, expect, it } from 'vitest';
import { emptyHistogram } from '../src/domain/metrics/latency-histogram.js';
import type { MinuteRollup } from '../src/store/metrics-port.js';
import type { Store } from '../src/store/store-port.js';
import { describeEachStore, type TestStore } from './support/stores.js';

const M0 = '2026-12-03T10:00:00.000Z';
const M1 = '2026-12-03T10:01:00.000Z';
const M2 = '2026-12-03T10:02:00.000Z';

function row(minute: string, subscription: string, counts: Partial<MinuteRollup> = {}): MinuteRollup {
  return {
    minute,
    subscription,
    ingested: 0,
    duplicates: 0,
    rejected: 0,
    delivered: 0,
    attempts: 0,
    failed: 0,
    latency: emptyHistogram(),
    ...counts,
  };
}

function latency(entries: Record<number, number>): number[] {
  const h = emptyHistogram();
  for (const [i, n] of Object.entries(entries)) h[Number(i)] = n;
  return h;
}

function conformance(t: TestStore) {
  let store: Store;
  beforeEach(() => {
    store = t.store;
  });

  it('adds the counts of a minute per process and sums the processes on read', async () => {
    await store.metrics.addMinutes('p1', [
      row(M0, '', { ingested: 5, duplicates: 1 }),
      row(M0, 'erp', { delivered: 4, attempts: 5, failed: 1, backlog: 7, latency: latency({ 0: 3, 5: 1 }) }),
    ]);
    // The same process again in the same minute: added to its row.
    await store.metrics.addMinutes('p1', [row(M0, '', { ingested: 2, rejected: 1 })]);
    // Another process sharing the store, same minute: a row of its own; its backlog sample is lower.
    const other = t.reopen();
    await other.migrate();
    await other.metrics.addMinutes('p2', [
      row(M0, 'erp', { delivered: 1, attempts: 1, backlog: 3, latency: latency({ 13: 1 }) }),
      row(M1, 'erp', { delivered: 2, attempts: 2, latency: latency({ 1: 2 }) }),
    ]);
    const all = await store.metrics.minutes({ from: M0, until: M2 });
    expect(all).toEqual([
      row(M0, '', { ingested: 7, duplicates: 1, rejected: 1 }),
      row(M0, 'erp', {
        delivered: 5,
        attempts: 6,
        failed: 1,
        backlog: 7,
        latency: latency({ 0: 3, 5: 1, 13: 1 }),
      }),
      row(M1, 'erp', { delivered: 2, attempts: 2, latency: latency({ 1: 2 }) }),
    ]);
  });

  it('reads a range (from inclusive, until exclusive) and one subscription', async () => {
    await store.metrics.addMinutes('p1', [
      row(M0, 'erp', { delivered: 1 }),
      row(M1, 'erp', { delivered: 2 }),
      row(M1, 'wms', { delivered: 3 }),
      row(M2, 'erp', { delivered: 4 }),
    ]);
    const erp = await store.metrics.minutes({ from: M1, until: M2, subscription: 'erp' });
    expect(erp.map((r) => [r.minute, r.subscription, r.delivered])).toEqual([[M1, 'erp', 2]]);
    const hub = await store.metrics.minutes({
      from: M0,
      until: '2026-12-04T00:00:00.000Z',
      subscription: '',
    });
    expect(hub).toEqual([]);
  });

  it('prunes the minutes before the retention in the same write', async () => {
    await store.metrics.addMinutes('p1', [
      row(M0, 'erp', { delivered: 1 }),
      row(M1, 'erp', { delivered: 1 }),
    ]);
    await store.metrics.addMinutes('p1', [row(M2, 'erp', { delivered: 1 })], M1);
    const left = await store.metrics.minutes({
      from: '2026-12-03T00:00:00.000Z',
      until: '2026-12-04T00:00:00.000Z',
    });
    expect(left.map((r) => r.minute)).toEqual([M1, M2]);
  });
}

await describeEachStore('metric minutes', conformance, { fresh: 'each' });
