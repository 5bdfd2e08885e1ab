/**
 * The chart routes (docs/console.md#charts-over-time), in-process: the hub's and a subscription's series
 * from the one-minute rollups this process (and another sharing the store) wrote, the window's steps, a
 * bad window as problem+json, admin only; a SKU's available per channel over time from its ledger.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricSeriesView } from '../../src/contracts/views/series-views.js';
import { bucketOf } from '../../src/domain/metrics/latency-histogram.js';
import { MinuteRollups } from '../../src/engine/observability/minute-rollups.js';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { countedEvent, KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

let hub: TestApp | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  hub = undefined;
  sink = undefined;
});

async function get(app: TestApp, url: string, key: string = KEYS.admin) {
  const response = await app.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

const sum = (column: (number | null)[]) => column.reduce<number>((a, b) => a + (b ?? 0), 0);

describe('GET /v1/metrics/series', () => {
  it('charts what this process and another counted, summed from the store', async () => {
    sink = await startSink(() => ({ status: 200 }));
    hub = await buildTestApp({
      yaml: testConfigYaml({
        subscriptions: `subscriptions:
  - { name: erp-inventory, target: erp, types: [com.manifold.inventory.counted.v1], http: { url: '${sink.url}/inv' } }
`,
      }),
      delivery: { pollMs: 10 },
    });
    const app = hub;
    // Nothing written yet: every step is there, at zero, with no latency.
    const empty = await get(app, '/v1/metrics/series?window=15m');
    expect(empty.status).toBe(200);
    expect(empty.body.t).toHaveLength(15);
    expect(empty.body.stepSeconds).toBe(60);
    expect(sum(empty.body.out)).toBe(0);
    expect(empty.body.p99Ms.every((v: unknown) => v === null)).toBe(true);

    for (const sku of ['SKU-S1', 'SKU-S2']) {
      expect((await postAs(app.app, '/v1/events', KEYS.wmsEast, countedEvent(sku))).statusCode).toBe(202);
    }
    await postAs(app.app, '/v1/events', KEYS.wmsEast, { not: 'an event' });
    await sink.waitFor(2);
    // The attempt is counted a moment after the receiver answered; each flush adds what was counted since.
    let series: MetricSeriesView | undefined;
    await until(async () => {
      await app.context.rollups.flush();
      series = (await get(app, '/v1/metrics/series?window=15m')).body as MetricSeriesView;
      return sum(series.out) === 2;
    }, 'the deliveries in the rollups');
    const hubSeries = series as MetricSeriesView;
    expect(sum(hubSeries.in)).toBe(2);
    expect(sum(hubSeries.attempts)).toBe(2);
    expect(sum(hubSeries.failed)).toBe(0);
    expect(hubSeries.errorRate.filter((r) => r !== null)).toEqual(
      hubSeries.attempts.filter((a) => a > 0).map(() => 0),
    );
    expect(hubSeries.p50Ms.some((v) => v !== null)).toBe(true);
    expect(hubSeries.backlog.some((v) => v === 0)).toBe(true);

    // Another hub process on the same store adds its minute: a slow failure and a slow delivery.
    const other = new MinuteRollups(app.store, { process: 'other-process' });
    other.attempt('erp-inventory', false, 1, []);
    other.attempt('erp-inventory', true, 1, [45_000]);
    await other.flush();
    const one = await get(app, '/v1/metrics/series?window=1h&subscription=erp-inventory');
    expect(one.status).toBe(200);
    expect(one.body.subscription).toBe('erp-inventory');
    expect(one.body.t).toHaveLength(60);
    expect(sum(one.body.in)).toBe(2);
    expect(sum(one.body.out)).toBe(3);
    expect(sum(one.body.attempts)).toBe(4);
    expect(sum(one.body.failed)).toBe(1);
    // Three deliveries: p99 is the slow one's bucket bound (60 s), read from the summed histograms.
    const p99 = one.body.p99Ms.filter((v: number | null) => v !== null);
    expect(Math.max(...p99)).toBe(one.body.latencyBucketsMs[bucketOf(45_000)]);
    expect(Math.max(...p99)).toBe(60_000);

    const day = await get(app, '/v1/metrics/series?window=24h');
    expect(day.body.t).toHaveLength(144);
    expect(day.body.stepSeconds).toBe(600);
    expect(sum(day.body.out)).toBe(3);
  });

  it('refuses a bad window (problem+json), an unknown subscription, and keys other than the admin key', async () => {
    hub = await buildTestApp();
    const bad = await get(hub, '/v1/metrics/series?window=2d');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await get(hub, '/v1/metrics/series?subscription=nope')).status).toBe(404);
    expect((await get(hub, '/v1/metrics/series', KEYS.erp)).status).toBe(403);
  });
});

describe('GET /v1/inventory/{sku}/series', () => {
  it('walks the ledger back from the positions: zero before the counts, the ATP per channel now', async () => {
    hub = await buildTestApp();
    await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent('SKU-C', 'DC-EAST', 10));
    await postAs(hub.app, '/v1/events', KEYS.wmsWest, countedEvent('SKU-C', 'DC-WEST', 5));
    await hub.inventory.settle();
    const now = await get(hub, '/v1/inventory/SKU-C');
    const series = await get(hub, '/v1/inventory/SKU-C/series?window=15m');
    expect(series.status).toBe(200);
    expect(series.body.t).toHaveLength(15);
    const byChannel = Object.fromEntries(
      series.body.channels.map((c: { channel: string; available: number[] }) => [c.channel, c.available]),
    );
    expect(Object.keys(byChannel).sort()).toEqual(['b2b', 'edi-acme', 'web']);
    for (const c of now.body.channels as { channel: string; available: number }[]) {
      expect(byChannel[c.channel]?.[0]).toBe(0);
      expect(byChannel[c.channel]?.at(-1)).toBe(c.available);
    }
    // web: DC-EAST and DC-WEST less the safety stock of 2; b2b: DC-EAST only.
    expect(byChannel.web?.at(-1)).toBe(13);
    expect(byChannel.b2b?.at(-1)).toBe(10);
  });

  it("keeps to the key's read scope: the channels GET /v1/inventory/{sku} shows it", async () => {
    hub = await buildTestApp();
    await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent('SKU-R', 'DC-EAST', 4));
    await hub.inventory.settle();
    for (const key of [KEYS.shop, KEYS.portal, KEYS.wmsEast, KEYS.erp]) {
      const view = await get(hub, '/v1/inventory/SKU-R', key);
      const series = await get(hub, '/v1/inventory/SKU-R/series?window=15m', key);
      expect([key, series.status]).toEqual([key, view.status]);
      if (view.status !== 200) continue;
      const names = (list: { channel: string }[]) => list.map((c) => c.channel).sort();
      expect([key, names(series.body.channels)]).toEqual([key, names(view.body.channels)]);
    }
  });

  it('answers 404 for an unknown SKU and 400 for a bad window', async () => {
    hub = await buildTestApp();
    expect((await get(hub, '/v1/inventory/NOPE/series')).status).toBe(404);
    const bad = await get(hub, '/v1/inventory/NOPE/series?window=7d');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});
