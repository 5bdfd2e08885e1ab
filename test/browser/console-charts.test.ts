/**
 * The console's charts over time (docs/console.md#charts-over-time): headless Chromium against the real hub
 * process and its built console. Minutes written by another hub process sharing the store (seeded before
 * the hub starts) and the hub's own deliveries are charted on the overview, for the hub and for a
 * subscription; switching the window reads the series again. The inventory page charts a SKU's available
 * per channel from its ledger.
 *
 * A picture of the overview's charts goes to docs/screenshots/charts.png when missing or `UPDATE_SCREENSHOTS=1`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf, emptyHistogram } from '../../src/domain/metrics/latency-histogram.js';
import { minuteOf } from '../../src/engine/observability/minute-rollups.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { HAS_CHROMIUM, launchChromium, ROOT, requireBuiltConsole, signIn } from '../support/browser.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { type Sink, startSink } from '../support/sink.js';
import { countedEvent, KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

const SKU = 'CHART-1';

const dir = mkdtempSync(join(tmpdir(), 'manifold-console-charts-'));
let hub: HubProcess;
let sink: Sink;
let browser: Browser;
let page: Page;
const requested: string[] = [];

/** Minutes of another process: deliveries with a latency histogram, a failed attempt, a backlog sample. */
async function seedMinutes(path: string): Promise<void> {
  const store = new SqliteStore({ path });
  await store.migrate();
  const now = Date.now();
  const latency = emptyHistogram();
  latency[bucketOf(40)] = 8;
  latency[bucketOf(900)] = 2;
  const rows = [8, 7, 6, 5, 4, 3, 2].flatMap((ago) => [
    {
      minute: minuteOf(now - ago * 60_000),
      subscription: '',
      ingested: 12,
      duplicates: 1,
      rejected: 0,
      delivered: 0,
      attempts: 0,
      failed: 0,
      latency: emptyHistogram(),
    },
    {
      minute: minuteOf(now - ago * 60_000),
      subscription: 'erp-inventory',
      ingested: 11,
      duplicates: 0,
      rejected: 0,
      delivered: 10,
      attempts: 11,
      failed: 1,
      backlog: ago,
      latency,
    },
  ]);
  await store.metrics.addMinutes('another-process', rows);
  await store.close();
}

/** A picture of one card for the docs, as test/browser/console.test.ts takes them. */
async function screenshot(name: string, testId: string): Promise<void> {
  const file = join(ROOT, 'docs', 'screenshots', `${name}.png`);
  if (existsSync(file) && process.env.UPDATE_SCREENSHOTS !== '1') return;
  mkdirSync(join(ROOT, 'docs', 'screenshots'), { recursive: true });
  await page.getByTestId(testId).screenshot({ path: file });
}

async function api(path: string) {
  const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
  return response.json();
}

/** The series names in a chart's uPlot legend. */
async function legend(testId: string): Promise<string[]> {
  const labels = await page.getByTestId(testId).locator('.u-legend .u-series .u-label').allTextContents();
  return labels.filter((l) => l !== 'time');
}

describe.skipIf(!HAS_CHROMIUM)('console: charts over time', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    requireBuiltConsole();
    sink = await startSink(() => ({ status: 200 }));
    const db = join(dir, 'hub.db');
    await seedMinutes(db);
    const configFile = join(dir, 'manifold.yaml');
    writeFileSync(
      configFile,
      testConfigYaml({
        store: `{ sqlite: "${db}" }`,
        subscriptions: `subscriptions:
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.counted.v1]
    http: { url: ${sink.url}/inventory }
`,
      }),
    );
    hub = await startHubProcess(configFile);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
    page.on('request', (request) => requested.push(request.url()));
    for (const [location, key, onHand] of [
      ['DC-EAST', KEYS.wmsEast, 30],
      ['DC-WEST', KEYS.wmsWest, 8],
    ] as const) {
      const response = await fetch(`${hub.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify(countedEvent(SKU, location, onHand)),
      });
      expect(response.status).toBe(202);
    }
    await sink.waitFor(2);
    await until(async () => (await api(`/v1/inventory/${SKU}`)).channels !== undefined, 'the positions');
  }, 60_000);

  afterAll(async () => {
    try {
      await browser?.close();
      if (hub) await hub.kill('SIGTERM');
    } finally {
      await sink?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('charts the hub and a subscription on the overview, and reads again on a window switch', async () => {
    await signIn(page, hub.url, KEYS.admin);
    const charts = page.getByTestId('overview-charts');
    await charts.waitFor();
    await charts.getByTestId('charts-loaded').waitFor();
    for (const id of ['chart-throughput', 'chart-backlog', 'chart-latency', 'chart-errors']) {
      await charts.getByTestId(id).locator('canvas').waitFor();
    }
    expect(await legend('chart-throughput')).toEqual(['ingested', 'delivered']);
    expect(await legend('chart-latency')).toEqual(['p50', 'p99']);
    expect(await legend('chart-errors')).toEqual(['error rate']);
    // The series behind it hold the other process's minutes.
    const hourly = await api('/v1/metrics/series?window=1h');
    expect(hourly.out.reduce((a: number, b: number) => a + b, 0)).toBeGreaterThanOrEqual(40);
    expect(Math.max(...hourly.p99Ms.filter((v: number | null) => v !== null))).toBe(1000);

    // Hovering a seeded minute (three minutes ago, of 60 steps ending with the current one) shows its
    // figures in the legend: the minutes around it hold the same, should minutes turn meanwhile.
    const throughput = charts.getByTestId('chart-throughput');
    await throughput.scrollIntoViewIfNeeded();
    const box = await throughput.locator('.u-over').boundingBox();
    if (!box) throw new Error('no plot area');
    await page.mouse.move(box.x + 2, box.y + 2);
    await page.mouse.move(box.x + (box.width * 56) / 59, box.y + box.height / 2, { steps: 5 });
    await expect
      .poll(() => throughput.locator('.u-legend .u-series .u-value').allTextContents())
      .toEqual(expect.arrayContaining(['12', '10']));
    await screenshot('charts', 'overview-charts');

    const before = requested.length;
    await charts.getByTestId('charts-window-15m').click();
    await expect
      .poll(() => charts.getByTestId('charts-loaded').getAttribute('data-path'))
      .toBe('/v1/metrics/series?window=15m');
    expect(requested.slice(before).some((u) => u.endsWith('/v1/metrics/series?window=15m'))).toBe(true);
    await charts.getByTestId('chart-throughput').locator('canvas').waitFor();

    await charts.getByTestId('charts-subscription').selectOption('erp-inventory');
    await expect
      .poll(() => charts.getByTestId('charts-loaded').getAttribute('data-path'))
      .toBe('/v1/metrics/series?window=15m&subscription=erp-inventory');
    await expect.poll(() => legend('chart-throughput')).toEqual(['queued', 'delivered']);

    await charts.getByTestId('charts-window-24h').click();
    await expect
      .poll(() => charts.getByTestId('charts-loaded').getAttribute('data-path'))
      .toBe('/v1/metrics/series?window=24h&subscription=erp-inventory');
  });

  it("charts a SKU's available per channel on the inventory page", async () => {
    await page.goto(`${hub.url}/inventory/${SKU}`);
    const chart = page.getByTestId('inventory-chart');
    await chart.getByTestId('inventory-chart-loaded').waitFor();
    await chart.getByTestId('chart-availability').locator('canvas').waitFor();
    expect((await legend('chart-availability')).sort()).toEqual(['b2b', 'edi-acme', 'web']);
    const series = await api(`/v1/inventory/${SKU}/series?window=1h`);
    const web = series.channels.find((c: { channel: string }) => c.channel === 'web');
    // 30 + 8 less the web channel's safety stock of 2.
    expect(web.available.at(-1)).toBe(36);

    const before = requested.length;
    await chart.getByTestId('inventory-chart-window-24h').click();
    await expect
      .poll(() => chart.getByTestId('inventory-chart-loaded').getAttribute('data-path'))
      .toBe(`/v1/inventory/${SKU}/series?window=24h`);
    expect(requested.slice(before).some((u) => u.endsWith(`/v1/inventory/${SKU}/series?window=24h`))).toBe(
      true,
    );
    await chart.getByTestId('chart-availability').locator('canvas').waitFor();
  });
});
