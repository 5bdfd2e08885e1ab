/**
 * The web console in a real browser (docs/console.md): headless Chromium (playwright-core) against the real hub
 * process (`bin/manifold serve`, the built console in `dist/web`) on a throw-away SQLite file, with a real
 * HTTP receiver behind every subscription.
 *
 * The walk: the key prompt (a wrong key is refused) → the overview's flow map and subscriptions → an
 * order created through the API, found from `/orders` → its timeline with events in and out and their
 * deliveries → the SKU's positions → the receiver fails, a delivery parks, the overview turns red and the
 * exception shows → the receiver is fixed, Retry is clicked → the receiver really gets the event again →
 * a replay from the form → a refused key sends the console back to the key form. No request leaves the
 * hub's origin.
 *
 * Screenshots of each page go to docs/screenshots/ when they are missing or `UPDATE_SCREENSHOTS=1`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, HAS_CHROMIUM, launchChromium, ROOT, requireBuiltConsole } from '../support/browser.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { shipTo } from '../support/orders.js';
import { type Sink, startSink } from '../support/sink.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

if (!HAS_CHROMIUM) {
  console.warn(
    `test/browser/console.test.ts: SKIPPED, no Chromium at ${CHROMIUM} (install it to run the console tests)`,
  );
}
const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');

const ORDER = 'SO-1001';
const BACKORDERED = 'SO-1002';
const SKU = 'WIDGET-1';
/** SSCC-18 of the shipment's one carton (GS1 check digit 0). */
const SSCC = '006141411234567890';

const dir = mkdtempSync(join(tmpdir(), 'manifold-console-'));
let hub: HubProcess;
let sink: Sink;
let browser: Browser;
let page: Page;
/** Every URL the browser asked for. */
const requested: string[] = [];
/** Whether the inventory receiver fails. */
let inventoryDown = false;

// A step may wait up to 15 s for the hub (its next alert evaluation is up to 5 s away, then the console's
// 2 s refresh), more than Vitest's 5 s default for a test.
describe.skipIf(!HAS_CHROMIUM)('web console (Chromium)', { timeout: 40_000 }, () => {
  beforeAll(async () => {
    requireBuiltConsole();
    sink = await startSink((request) => ({
      // 500, a failure that uses up the retries (a 503 would be throttling, bounded only by maxAgeMs).
      status: request.path === '/inventory' && inventoryDown ? 500 : 200,
    }));
    const configFile = join(dir, 'manifold.yaml');
    writeFileSync(
      configFile,
      testConfigYaml({
        store: `{ sqlite: "${join(dir, 'hub.db')}" }`,
        subscriptions: `subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: ${sink.url}/erp }
  - name: wms-east-releases
    target: wms-east
    types: [com.manifold.order.released.v1]
    http: { url: ${sink.url}/wms }
  - name: shop-milestones
    target: shop
    types: [com.manifold.order.milestone.v1]
    http: { url: ${sink.url}/shop }
  - name: tms-inventory
    target: tms
    types: [com.manifold.inventory.adjusted.v1]
    http: { url: ${sink.url}/inventory }
    retry: { maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 40 }
alerts:
  - name: parked-deliveries
    severity: critical
    exceptionRate: { above: 1, per: 5m, code: delivery_failed }
units:
  WIDGET-1: { PK: 3 }
`,
      }),
    );
    hub = await startHubProcess(configFile);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.setDefaultTimeout(10_000);
    page.on('request', (request) => requested.push(request.url()));
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

  it('asks for the admin key, refuses a wrong one, and shows the flow map and subscriptions', async () => {
    await page.goto(`${hub.url}/`);
    await page.getByTestId('key-form').waitFor();
    await page.getByTestId('key-input').fill('not-a-key');
    await page.getByTestId('key-submit').click();
    await page.getByTestId('key-error').getByText('refused').waitFor();
    // A system's key is not enough either: the console needs the admin key.
    await page.getByTestId('key-input').fill(KEYS.shop);
    await page.getByTestId('key-submit').click();
    await page.getByTestId('key-error').getByText('403').waitFor();

    await page.getByTestId('key-input').fill(KEYS.admin);
    await page.getByTestId('key-submit').click();
    await page.getByTestId('overview-page').waitFor();
    await page.getByTestId('flow-map').waitFor();
    for (const name of ['erp-orders', 'wms-east-releases', 'shop-milestones', 'tms-inventory']) {
      await page.getByTestId(`subscription-row-${name}`).waitFor();
      expect(await page.getByTestId(`flow-edge-${name}`).getAttribute('data-health')).toBe('ok');
    }
    await page.getByTestId('flow-node-wms-east').waitFor();
    // Kept for the browser session only.
    expect(await page.evaluate(() => sessionStorage.getItem('manifold.adminKey'))).toBe(KEYS.admin);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  it('finds an order created through the API and shows its timeline with events and deliveries', async () => {
    await send(KEYS.wmsEast, '/wms-east', 'com.manifold.inventory.counted.v1', {
      sku: SKU,
      location: 'DC-EAST',
      onHand: 40,
    });
    await send(KEYS.wmsWest, '/wms-west', 'com.manifold.inventory.counted.v1', {
      sku: SKU,
      location: 'DC-WEST',
      onHand: 12,
    });
    await until(async () => (await api(`/v1/inventory/${SKU}`)).status === 200, 'the stock to show');
    const created = await fetch(`${hub.url}/v1/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.shop}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({
        orderId: ORDER,
        channel: 'web',
        customer: { id: 'C-100', name: 'Ada Lovelace' },
        lines: [
          // A pack of 3: 3 eaches, like the second line's 1.
          { lineId: '1', sku: SKU, quantity: 1, uom: 'PK', unitPrice: 37.5, description: 'Blue widget' },
          { lineId: '2', sku: SKU, quantity: 1, unitPrice: 12.5 },
        ],
        shipTo,
        customerPo: 'PO-100',
        shipVia: { carrier: 'UPSN', service: 'GROUND' },
      }),
    });
    expect(created.status, await created.text()).toBe(201);
    // A B2B order for a SKU nobody stocks: backordered, an open exception for its customer.
    const backordered = await fetch(`${hub.url}/v1/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${KEYS.portal}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({
        orderId: BACKORDERED,
        channel: 'b2b',
        customer: { id: 'C-200', name: 'Initech' },
        lines: [{ lineId: '1', sku: 'BOLT-9', quantity: 50, unitPrice: 0.4 }],
        shipTo,
      }),
    });
    expect(backordered.status, await backordered.text()).toBe(201);
    // Shipped ahead of picked and packed (inferred), then the packed report arrives late.
    await send(KEYS.wmsEast, '/wms-east', 'com.manifold.order.shipped.v1', {
      orderId: ORDER,
      location: 'DC-EAST',
      lines: [
        { lineId: '1', quantity: 1, uom: 'PK' },
        { lineId: '2', quantity: 1 },
      ],
      carrier: 'UPS',
      tracking: '1Z999AA10123456784',
      packages: [
        {
          sscc: SSCC,
          weight: { value: 2.5, unit: 'KG' },
          lines: [
            { lineId: '1', quantity: 1, uom: 'PK' },
            { lineId: '2', quantity: 1 },
          ],
        },
      ],
    });
    await until(async () => (await api(`/v1/orders/${ORDER}`)).body?.milestone === 'shipped', 'shipped');
    await send(KEYS.wmsEast, '/wms-east', 'com.manifold.order.packed.v1', {
      orderId: ORDER,
      location: 'DC-EAST',
      lines: [{ lineId: '1', quantity: 3 }],
    });

    await page.getByTestId('nav-orders').click();
    await page.getByTestId('orders-page').waitFor();
    await page.getByTestId(`order-row-${ORDER}`).waitFor();
    await page.getByTestId(`order-row-${BACKORDERED}`).getByText('backordered').waitFor();
    await screenshot('orders');
    await page.getByTestId('orders-channel').selectOption('web');
    await page.waitForURL(`${hub.url}/orders?channel=web`);
    await page.getByTestId(`order-row-${BACKORDERED}`).waitFor({ state: 'detached' });
    await page.getByTestId(`order-row-${ORDER}`).waitFor();

    await page.getByTestId('order-search-input').fill(ORDER);
    await page.getByTestId('order-search-submit').click();
    await page.waitForURL(`${hub.url}/orders/${ORDER}`);
    await page.getByTestId('order-timeline-page').waitFor();
    await page.getByTestId('order-milestone').getByText('shipped').waitFor();
    await page.getByTestId('milestone-picked').getByText('inferred').waitFor();
    await page.getByTestId('order-active-holds').getByText('none: released to the warehouses').waitFor();
    await page
      .locator('[data-testid="timeline-entry"][data-type="com.manifold.order.accepted.v1"]')
      .waitFor();
    await page
      .locator('[data-testid="timeline-entry"][data-type="com.manifold.order.released.v1"]')
      .waitFor();
    await page.getByTestId('tracking').getByText('1Z999AA10123456784').waitFor();
    // The Commercial panel and the line's item details.
    await page.getByTestId('commercial-customer-po').getByText('PO-100').waitFor();
    await page.getByTestId('commercial-ship-via').getByText('UPSN · GROUND').waitFor();
    await page.getByTestId('line-item-1').getByText('Blue widget').waitFor();
    // Line 1 was ordered in packs; the shipment's package lists its contents in the shipped unit.
    await page.getByTestId('order-lines').getByTestId('line-uom').getByText('1 PK').waitFor();
    const parcel = page.getByTestId(`package-${SSCC}`);
    await parcel.getByText('line 1 × 1 PK, line 2 × 1').waitFor();
    expect(await parcel.textContent()).toContain('2.5 KG');
    // The release went to the warehouse: its delivery row says delivered, with the attempt and its latency.
    // An event's deliveries are one line until opened.
    const released = page.locator(
      '[data-testid="timeline-entry"][data-type="com.manifold.order.released.v1"]',
    );
    await released.getByTestId('deliveries-summary').click();
    const release = released.getByTestId('delivery-wms-east-releases');
    await release.getByText('delivered', { exact: true }).waitFor({ timeout: 15_000 });
    expect(await release.textContent()).toMatch(/#1 delivered \(200\) in \d+ ms/);
    await page
      .locator('[data-testid="timeline-entry"][data-type="com.manifold.order.packed.v1"]')
      .getByText('late')
      .waitFor({ timeout: 15_000 });
    await screenshot('order-timeline');
  });

  it('shows the SKU positions by location and bucket, and channel ATP', async () => {
    await page.getByTestId('nav-inventory').click();
    await page.getByTestId('sku-search-input').fill(SKU);
    await page.getByTestId('sku-search-submit').click();
    await page.waitForURL(`${hub.url}/inventory/${SKU}`);
    const east = page.getByTestId('position-DC-EAST');
    await east.waitFor();
    // 40 counted, 4 shipped: on hand 36, nothing committed any more, 4 in transit.
    expect(await east.getByTestId('bucket-on_hand').textContent()).toBe('36');
    expect(await east.getByTestId('bucket-in_transit').textContent()).toBe('4');
    expect(await east.getByTestId('available').textContent()).toBe('36');
    expect(await page.getByTestId('position-DC-WEST').getByTestId('available').textContent()).toBe('12');
    // web: 36 + 12 − safety stock 2.
    expect(await page.getByTestId('atp-web').locator('td').nth(1).textContent()).toBe('46');
    await page.getByTestId('ledger-table').waitFor();
    await screenshot('inventory');
  });

  it('parks failing deliveries; Retry and bulk Retry in the console send them again once the receiver is fixed', async () => {
    inventoryDown = true;
    const first = await send(KEYS.wmsEast, '/wms-east', 'com.manifold.inventory.adjusted.v1', {
      sku: SKU,
      location: 'DC-EAST',
      delta: -2,
      reason: 'damaged',
    });
    const second = await send(KEYS.wmsEast, '/wms-east', 'com.manifold.inventory.adjusted.v1', {
      sku: 'GADGET-7',
      location: 'DC-EAST',
      delta: 5,
      reason: 'correction',
    });
    const received = (eventId: string) =>
      sink.received.filter((r) => r.path === '/inventory' && r.events[0]?.id === eventId);
    await until(
      async () =>
        (await api('/v1/exceptions?status=open&subscription=tms-inventory')).body?.items?.length === 2,
      'both deliveries to park',
    );
    expect(received(first)).toHaveLength(2);
    expect(received(second)).toHaveLength(2);

    await page.getByTestId('nav-overview').click();
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="flow-edge-tms-inventory"]')?.getAttribute('data-health') ===
        'failing',
    );
    await page.getByTestId('subscription-row-tms-inventory').getByTestId('parked').getByText('2').waitFor();
    // The hub evaluates its alert rules every 5 s: two failed deliveries fire the rule, shown above the map.
    await page.getByTestId('alerts-firing').getByText('parked-deliveries').waitFor({ timeout: 15_000 });
    await page.getByTestId('exceptions-by-location').getByText('DC-EAST').waitFor();
    await page.getByTestId('exceptions-by-customer').getByText('C-200').waitFor();
    await screenshot('overview');

    await page.getByTestId('nav-exceptions').click();
    await page.getByTestId('filter-subscription').selectOption('tms-inventory');
    const firstRow = page.locator(`[data-testid^="exception-row-"][data-subject="${SKU}@DC-EAST"]`);
    const secondRow = page.locator('[data-testid^="exception-row-"][data-subject="GADGET-7@DC-EAST"]');
    await firstRow.waitFor();
    await secondRow.waitFor();
    await screenshot('exceptions');

    inventoryDown = false;
    await firstRow.getByTestId('retry').click();
    await page.getByTestId('action-message').getByText('retried').waitFor();
    await until(async () => received(first).length === 3, 'the receiver to get the first event again');
    expect(received(first).map((r) => r.headers['idempotency-key'])).toEqual([first, first, first]);
    // Retried: no longer open, so the open list no longer shows it.
    await firstRow.waitFor({ state: 'detached' });

    await secondRow.getByTestId('select').check();
    await page.getByTestId('bulk-retry').getByText('Retry selected (1)').waitFor();
    await page.getByTestId('bulk-retry').click();
    await page.getByTestId('action-message').getByText('1 of 1 retried').waitFor();
    await until(async () => received(second).length === 3, 'the receiver to get the second event again');
    await secondRow.waitFor({ state: 'detached' });
    const resolved = (await api('/v1/exceptions?status=resolved&subscription=tms-inventory')).body;
    expect(resolved.items).toHaveLength(2);
    for (const item of resolved.items) {
      expect(item).toMatchObject({ resolution: 'retried', resolvedBy: expect.stringMatching(/^admin:/) });
    }
  });

  it('replays a selection from the form', async () => {
    const before = sink.received.filter((r) => r.path === '/erp').length;
    expect(before).toBeGreaterThan(0);
    await page.getByTestId('nav-replay').click();
    await page.getByTestId('replay-form').waitFor();
    await page.getByTestId('replay-subscription').selectOption('erp-orders');
    await page.getByTestId('replay-types').fill('com.manifold.order.accepted.v1');
    await page.getByTestId('replay-note').fill('ERP restored from backup');
    await page.getByTestId('replay-submit').click();
    await page.getByTestId('replay-status').getByText('completed').waitFor({ timeout: 15_000 });
    const again = sink.received.filter((r) => r.path === '/erp').slice(before);
    // Both orders' accepted events, again, under their original ids (the receiver's idempotency keys).
    expect(again.map((r) => r.events[0]?.type)).toEqual([
      'com.manifold.order.accepted.v1',
      'com.manifold.order.accepted.v1',
    ]);
    expect(again.map((r) => r.events[0]?.subject).sort()).toEqual([ORDER, BACKORDERED]);
    const firstTime = sink.received
      .filter((r) => r.path === '/erp')
      .slice(0, before)
      .filter((r) => r.events[0]?.type === 'com.manifold.order.accepted.v1');
    expect(firstTime).toHaveLength(2);
    expect(again.map((r) => r.headers['idempotency-key']).sort()).toEqual(
      firstTime.map((r) => r.headers['idempotency-key']).sort(),
    );
    await screenshot('replay');
  });

  it('sends the operator back to the key form when the hub refuses the key', async () => {
    await page.evaluate(() => sessionStorage.setItem('manifold.adminKey', 'revoked-key'));
    await page.goto(`${hub.url}/exceptions`);
    await page.getByTestId('key-form').waitFor();
    await page.getByTestId('key-error').getByText('401').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('manifold.adminKey'))).toBeNull();
  });

  it('asked nothing of any other origin', () => {
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((url) => !url.startsWith(`${hub.url}/`) && !url.startsWith('data:'))).toEqual([]);
  });
});

/** Writes `docs/screenshots/<name>.png` when missing, or always with `UPDATE_SCREENSHOTS=1`. */
async function screenshot(name: string): Promise<void> {
  const file = join(SCREENSHOTS, `${name}.png`);
  if (existsSync(file) && process.env.UPDATE_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Let the last refresh paint.
  await page.waitForTimeout(300);
  await page.screenshot({ path: file, fullPage: true });
}

/** A GET of the hub's API with the admin key. */
async function api(path: string) {
  const response = await fetch(`${hub.url}${path}`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are inspected field by field
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any };
}

/** Sends one structured CloudEvent as a system; answers its id. */
async function send(
  key: string,
  source: string,
  type: string,
  data: Record<string, unknown>,
): Promise<string> {
  const id = randomUUID();
  const response = await fetch(`${hub.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({ specversion: '1.0', id, source, type, correlationid: data.orderId, data }),
  });
  expect(response.status, await response.text()).toBe(202);
  return id;
}
