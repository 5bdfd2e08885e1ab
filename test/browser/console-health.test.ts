/**
 * The overview's health column in a real browser (docs/console.md#subscription-health): a subscription
 * whose receiver is slow piles up a backlog while its oldest event is still young, and is not "ok"; a
 * subscription whose receiver fails every other attempt is degraded; each reason's figures are the ones
 * its row shows (the same rounding).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, launchChromium, requireBuiltConsole, signIn } from '../support/browser.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { shipTo } from '../support/orders.js';
import { type Sink, startSink } from '../support/sink.js';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-health-'));
let hub: HubProcess;
let sink: Sink;
let browser: Browser;
let page: Page;
let flakyCalls = 0;

describe.skipIf(!HAS_CHROMIUM)('overview health (Chromium)', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    requireBuiltConsole();
    sink = await startSink((request) => {
      if (request.path === '/slow') return { status: 200, delayMs: 2000 };
      if (request.path === '/flaky') {
        flakyCalls += 1;
        return { status: flakyCalls % 2 === 0 ? 500 : 200 };
      }
      return { status: 200 };
    });
    const configFile = join(dir, 'manifold.yaml');
    writeFileSync(
      configFile,
      testConfigYaml({
        store: `{ sqlite: "${join(dir, 'hub.db')}" }`,
        subscriptions: `subscriptions:
  - name: slow-inventory
    target: tms
    types: [com.manifold.inventory.adjusted.v1]
    http: { url: ${sink.url}/slow }
    rateLimit: { perSecond: 1, concurrency: 1 }
    health: { backlog: { degraded: 10, failing: 100000, growth: 100000 }, lag: { degraded: 10m } }
  - name: flaky-inventory
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    http: { url: ${sink.url}/flaky }
    retry: { maxAttempts: 20, initialDelayMs: 10, maxDelayMs: 20 }
    health: { backlog: { degraded: 100000, failing: 100000, growth: 100000 }, lag: { degraded: 10m } }
alerts:
  - { name: late-backorders, backorderedPast: {}, severity: critical }
`,
      }),
    );
    hub = await startHubProcess(configFile);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(20_000);
  }, 40_000);

  afterAll(async () => {
    try {
      await browser?.close();
      if (hub) await hub.kill('SIGTERM');
    } finally {
      await sink?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('shows a backlogged subscription as not ok, with a reason whose figures are the row’s', async () => {
    for (let i = 0; i < 40; i++) {
      const response = await fetch(`${hub.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEYS.wmsEast}`, 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify(
          adjustedEvent({ data: { sku: `SKU-${i}`, location: 'DC-EAST', delta: 1, reason: 'cycle_count' } }),
        ),
      });
      expect(response.status, await response.text()).toBe(202);
    }
    await signIn(page, hub.url, KEYS.admin);
    await page.getByTestId('overview-page').waitFor();

    const slow = page.getByTestId('subscription-row-slow-inventory');
    await slow.getByTestId('health-reasons').waitFor();
    // One render: the badge, the reason and the row's backlog come from the same answer.
    const read = (row: typeof slow) =>
      row.evaluate((tr) => ({
        health: tr.querySelector('[data-testid="health"]')?.textContent ?? '',
        reasons: tr.querySelector('[data-testid="health-reasons"]')?.textContent ?? '',
        backlog: tr.querySelector('[data-testid="backlog"]')?.textContent ?? '',
        errorRate: tr.querySelector('[data-testid="error-rate"]')?.textContent ?? '',
        oldest: tr.querySelector('[data-testid="oldest-pending"]')?.textContent ?? '',
      }));
    const backlogged = await read(slow);
    expect(backlogged.health).not.toBe('ok');
    expect(Number(backlogged.backlog)).toBeGreaterThanOrEqual(10);
    expect(backlogged.reasons).toContain(`backlog ${backlogged.backlog} (degraded at 10)`);
    // Its oldest event is well under the lag threshold: the backlog alone made it so.
    expect(backlogged.reasons).not.toContain('oldest pending');

    const flaky = page.getByTestId('subscription-row-flaky-inventory');
    let failing = await read(flaky);
    await until(
      async () => {
        failing = await read(flaky);
        return failing.errorRate !== '0 %' && failing.reasons.includes('error rate');
      },
      'the flaky subscription to show its error rate',
      20_000,
    );
    expect(failing.health).not.toBe('ok');
    expect(failing.reasons).toContain(`error rate ${failing.errorRate} (`);
  });

  it('counts the orders breaching a service level by customer in the Service levels section', async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const created = await fetch(`${hub.url}/v1/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.shop}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({
        orderId: 'SO-LATE-1',
        channel: 'web',
        customer: { id: 'C-LATE' },
        requestedShipDate: yesterday,
        lines: [{ lineId: '1', sku: 'SKU-NO-STOCK', quantity: 1, unitPrice: 2 }],
        shipTo,
      }),
    });
    expect(created.status, await created.text()).toBe(201);
    await page.reload();
    const row = page.getByTestId('service-level-late-backorders');
    await row.waitFor();
    await until(
      async () => (await row.getByTestId('breaching').textContent()) === '1',
      'the backordered order to count',
      20_000,
    );
    expect(await row.textContent()).toContain('C-LATE 1');
    expect(await row.textContent()).toContain('backordered past the requested ship date');
    await row.getByRole('link', { name: 'SO-LATE-1' }).waitFor();
  });
});
