/**
 * This process's one-minute rollups (src/engine/observability/minute-rollups.ts) on a real store: counts
 * land in the minute they happened, a stop writes what was counted, a failed write keeps the counts for the
 * next one, and each write prunes the minutes past the retention.
 */
import { afterEach, expect, it } from 'vitest';
import { bucketOf } from '../src/domain/metrics/latency-histogram.js';
import { MinuteRollups, minuteOf } from '../src/engine/observability/minute-rollups.js';
import type { Store } from '../src/store/store-port.js';
import { openTestStore, type TestStore } from './support/stores.js';

let opened: TestStore | undefined;
afterEach(async () => {
  await opened?.cleanup();
  opened = undefined;
});

const T0 = Date.parse('2026-12-03T10:00:30.000Z');
const DAY = 24 * 3_600_000;
const all = { from: '2026-01-01T00:00:00.000Z', until: '2027-01-01T00:00:00.000Z' };

async function store(): Promise<Store> {
  opened = await openTestStore('sqlite');
  return opened.store;
}

it('counts into the minute of each event, and a stop writes them with a backlog sample', async () => {
  const s = await store();
  let now = T0;
  const rollups = new MinuteRollups(s, {
    process: 'p1',
    nowMs: () => now,
    backlog: async () => [{ subscription: 'erp', pending: 4 }],
  });
  rollups.start();
  rollups.ingest('accepted');
  rollups.ingest('duplicate');
  rollups.queued('erp');
  now += 60_000;
  rollups.attempt('erp', true, 2, [30, 2000]);
  rollups.attempt('erp', false, 1, []);
  await rollups.stop();
  const rows = await s.metrics.minutes(all);
  expect(
    rows.map((r) => [r.minute, r.subscription, r.ingested, r.duplicates, r.delivered, r.failed]),
  ).toEqual([
    [minuteOf(T0), '', 1, 1, 0, 0],
    [minuteOf(T0), 'erp', 1, 0, 0, 0],
    [minuteOf(T0 + 60_000), 'erp', 0, 0, 2, 1],
  ]);
  const second = rows[2];
  expect(second?.backlog).toBe(4);
  expect(second?.latency[bucketOf(30)]).toBe(1);
  expect(second?.latency[bucketOf(2000)]).toBe(1);
  // Written: a second stop has nothing more to add.
  await rollups.stop();
  expect((await s.metrics.minutes(all)).map((r) => r.delivered)).toEqual([0, 0, 2]);
});

it('keeps the counts of a failed write for the next one', async () => {
  const s = await store();
  let failing = true;
  const flaky: Store = Object.create(s, {
    metrics: {
      value: {
        addMinutes: (...args: Parameters<Store['metrics']['addMinutes']>) =>
          failing ? Promise.reject(new Error('store down')) : s.metrics.addMinutes(...args),
        minutes: s.metrics.minutes.bind(s.metrics),
      },
    },
  });
  const rollups = new MinuteRollups(flaky, { process: 'p1', nowMs: () => T0 });
  rollups.attempt('erp', true, 1, [5]);
  await expect(rollups.flush()).rejects.toThrow('store down');
  rollups.attempt('erp', true, 1, [5]);
  failing = false;
  await rollups.flush();
  const [row] = await s.metrics.minutes(all);
  expect(row).toMatchObject({ subscription: 'erp', delivered: 2, attempts: 2 });
  expect(row?.latency[0]).toBe(2);
});

it('prunes the minutes older than the retention (48 h) as it writes', async () => {
  const s = await store();
  let now = T0;
  const rollups = new MinuteRollups(s, { process: 'p1', nowMs: () => now });
  rollups.queued('erp');
  await rollups.flush();
  now = T0 + DAY;
  rollups.queued('erp');
  await rollups.flush();
  expect(await s.metrics.minutes(all)).toHaveLength(2);
  now = T0 + 2 * DAY + 60_000;
  rollups.queued('erp');
  await rollups.flush();
  expect((await s.metrics.minutes(all)).map((r) => r.minute)).toEqual([minuteOf(T0 + DAY), minuteOf(now)]);
});
