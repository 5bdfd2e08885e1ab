/**
 * The console as operators read it, in headless Chromium at 800 px wide against the real hub process on a
 * copy of examples/manifold.yaml (a temp SQLite store, a free port; no receiver runs, so deliveries wait):
 *
 * - the flow map: inbound arrows for what systems sent, no label overlapping another label or a system's
 *   box, `fastfreight` (no arrow) in the row below the arrows, the map and the subscriptions table no
 *   wider than their cards;
 * - orders and exceptions newest first, the sort control turning them oldest first, a date repeated on
 *   consecutive rows left out;
 * - an order's timeline with its deliveries collapsed to one line per event, opened by a click.
 *
 * Screenshots: docs/screenshots/flow-map-800.png and order-timeline-collapsed.png (when missing, or
 * with `UPDATE_SCREENSHOTS=1`).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, launchChromium, ROOT, requireBuiltConsole, signIn } from '../support/browser.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { shipTo } from '../support/orders.js';
import { until } from '../support/until.js';

const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');
const ADMIN = 'dev-admin-key-00000001';
const SHOP = 'dev-shop-key-000000001';
const WMS_EAST = 'dev-wms-east-key-000001';
/** Three web orders for a SKU nobody stocks: each is backordered and opens an exception. */
const ORDERS = ['WEB-L1', 'WEB-L2', 'WEB-L3'];

const dir = mkdtempSync(join(tmpdir(), 'manifold-lists-'));
let hub: HubProcess;
let browser: Browser;
let page: Page;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe.skipIf(!HAS_CHROMIUM)('console lists and flow map at 800 px (Chromium)', { timeout: 40_000 }, () => {
  beforeAll(async () => {
    requireBuiltConsole();
    let text = readFileSync(new URL('../../examples/manifold.yaml', import.meta.url), 'utf8').replace(
      'sqlite: ./data/manifold.db',
      `sqlite: ${join(dir, 'hub.db')}`,
    );
    text = text.replace(/^ {2}port: 8080$/m, `  port: ${await freePort()}`);
    const configFile = join(dir, 'manifold.yaml');
    writeFileSync(configFile, text);
    hub = await startHubProcess(configFile);
    for (const orderId of ORDERS) {
      const response = await fetch(`${hub.url}/v1/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${SHOP}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify({
          orderId,
          channel: 'web',
          customer: { id: 'C-1', name: 'Ada' },
          lines: [{ lineId: '1', sku: 'NOBODY-STOCKS', quantity: 2, unitPrice: 3 }],
          shipTo,
        }),
      });
      expect(response.status, await response.text()).toBe(201);
    }
    // Something in from a warehouse as well: an inbound arrow for wms-east.
    const adjusted = await fetch(`${hub.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WMS_EAST}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({
        specversion: '1.0',
        id: randomUUID(),
        source: '/wms-east',
        type: 'com.manifold.inventory.adjusted.v1',
        data: { sku: 'WIDGET-9', location: 'DC-EAST', delta: 5, reason: 'correction' },
      }),
    });
    expect(adjusted.status, await adjusted.text()).toBe(202);
    await until(async () => {
      const response = await fetch(`${hub.url}/v1/exceptions?status=open`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      const body = (await response.json()) as { items: { subject?: string }[] };
      return ORDERS.every((id) => body.items.some((e) => e.subject === id));
    }, 'an open exception for every order');

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 800, height: 900 } });
    page.setDefaultTimeout(10_000);
    await signIn(page, hub.url, ADMIN);
    await page.getByTestId('overview-page').waitFor();
  }, 40_000);

  afterAll(async () => {
    try {
      await browser?.close();
      if (hub) await hub.kill('SIGTERM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('draws the flow map at 800 px with inbound arrows, no overlapping labels and fastfreight apart', async () => {
    await page.getByTestId('flow-inbound-wms-east').waitFor();
    await page.getByTestId('flow-inbound-shop').waitFor();
    for (const name of ['portal-orders', 'portal-availability', 'erp-inventory', 'wms-east-releases']) {
      await page.getByTestId(`flow-edge-${name}`).waitFor();
    }
    const labels = (await page.getByTestId('flow-label').evaluateAll((elements) =>
      elements
        .filter((e) => (e.textContent ?? '') !== '')
        .map((e) => {
          const r = e.getBoundingClientRect();
          return { text: e.textContent, x: r.x, y: r.y, width: r.width, height: r.height };
        }),
    )) as (Box & { text: string })[];
    expect(labels.length).toBeGreaterThanOrEqual(2 * 12);
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const [a, b] = [labels[i] as Box & { text: string }, labels[j] as Box & { text: string }];
        expect(overlaps(a, b), `"${a.text}" overlaps "${b.text}"`).toBe(false);
      }
    }
    const nodes = (await page.locator('[data-testid^="flow-node-"] rect').evaluateAll((elements) =>
      elements.map((e) => {
        const r = e.getBoundingClientRect();
        return {
          name: e.parentElement?.getAttribute('data-testid'),
          x: r.x,
          y: r.y,
          width: r.width,
          height: r.height,
        };
      }),
    )) as (Box & { name: string })[];
    for (const label of labels) {
      for (const node of nodes) {
        expect(overlaps(label, node), `"${label.text}" on ${node.name}`).toBe(false);
      }
    }
    // fastfreight sends nothing and receives no subscription: in the row below every arrow.
    const fastfreight = page.getByTestId('flow-node-fastfreight');
    expect(await fastfreight.getAttribute('data-place')).toBe('idle');
    const idle = (await fastfreight.locator('rect').boundingBox()) as Box;
    const arrows = (await page.locator('[data-testid="flow-map"] .edge path').evaluateAll((elements) =>
      elements.map((e) => {
        const r = e.getBoundingClientRect();
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      }),
    )) as Box[];
    for (const arrow of arrows) expect(arrow.y + arrow.height).toBeLessThan(idle.y);
    // Nothing spills out of its card: the map, and the subscriptions table.
    const widths = await page.evaluate(() => {
      const holder = document.querySelector('.flow-map-holder') as HTMLElement;
      const table = document.querySelector('[data-testid="subscriptions-table"]') as HTMLElement;
      const card = table.closest('.card') as HTMLElement;
      return {
        holder: [holder.scrollWidth, holder.clientWidth],
        table: table.getBoundingClientRect().width,
        card: card.clientWidth,
        page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
      };
    });
    expect(widths.holder[0]).toBeLessThanOrEqual(widths.holder[1] as number);
    expect(widths.table).toBeLessThanOrEqual(widths.card);
    expect(widths.page[0]).toBeLessThanOrEqual(widths.page[1] as number);
    await screenshot('flow-map-800', page.getByTestId('flow-map'));
  });

  it('lists orders newest first; the sort control turns them oldest first', async () => {
    await page.getByTestId('nav-orders').click();
    await page.getByTestId(`order-row-${ORDERS[0]}`).waitFor();
    const rows = () =>
      page
        .locator('[data-testid^="order-row-"]')
        .evaluateAll((elements) =>
          elements.map((e) => e.getAttribute('data-testid')?.replace('order-row-', '')),
        );
    expect(await rows()).toEqual([...ORDERS].reverse());
    // The same date on consecutive rows is written once; each timestamp has the ISO instant as its title.
    const when = page.getByTestId('orders-table').getByTestId('when');
    expect(await when.nth(0).textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d · /);
    expect(await when.nth(1).textContent()).toMatch(/^\d\d:\d\d:\d\d · /);
    expect(await when.nth(0).getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await page.getByTestId('orders-sort').selectOption('asc');
    await page.waitForURL(`${hub.url}/orders?order=asc`);
    await until(async () => JSON.stringify(await rows()) === JSON.stringify(ORDERS), 'orders oldest first');
    await page.getByTestId('orders-sort').selectOption('desc');
    await until(
      async () => JSON.stringify(await rows()) === JSON.stringify([...ORDERS].reverse()),
      'newest first',
    );
  });

  it('lists exceptions newest first; the sort control turns them oldest first', async () => {
    await page.getByTestId('nav-exceptions').click();
    await page.getByTestId('exceptions-table').waitFor();
    const subjects = async () =>
      (
        await page
          .locator('[data-testid^="exception-row-"]')
          .evaluateAll((elements) => elements.map((e) => e.getAttribute('data-subject')))
      ).filter((s) => ORDERS.includes(s as string));
    await until(async () => (await subjects()).length === ORDERS.length, 'the three exceptions');
    expect(await subjects()).toEqual([...ORDERS].reverse());
    await page.getByTestId('exceptions-sort').selectOption('asc');
    await until(async () => JSON.stringify(await subjects()) === JSON.stringify(ORDERS), 'oldest first');
  });

  it("collapses an order's deliveries per event to one line that opens on a click", async () => {
    await page.goto(`${hub.url}/orders/${ORDERS[0]}`);
    const accepted = page.locator(
      '[data-testid="timeline-entry"][data-type="com.manifold.order.accepted.v1"]',
    );
    const group = accepted.getByTestId('deliveries');
    await group.getByTestId('deliveries-summary').waitFor();
    expect(await group.getByTestId('deliveries-summary').textContent()).toMatch(/\d+ deliver(y|ies): /);
    expect(await group.evaluate((e) => (e as HTMLDetailsElement).open)).toBe(false);
    expect(await group.getByTestId('delivery-erp-orders').isVisible()).toBe(false);
    await screenshot('order-timeline-collapsed');
    await group.getByTestId('deliveries-summary').click();
    await group.getByTestId('delivery-erp-orders').waitFor();
    expect(await group.evaluate((e) => (e as HTMLDetailsElement).open)).toBe(true);
  });
});

/** Writes `docs/screenshots/<name>.png` when missing, or always with `UPDATE_SCREENSHOTS=1`. */
async function screenshot(name: string, element?: ReturnType<Page['getByTestId']>): Promise<void> {
  const file = join(SCREENSHOTS, `${name}.png`);
  if (existsSync(file) && process.env.UPDATE_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  if (element) await element.screenshot({ path: file });
  else await page.screenshot({ path: file, fullPage: true });
}
