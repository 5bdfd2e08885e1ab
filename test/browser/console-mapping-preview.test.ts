/**
 * The console's "Mapping preview" page (docs/console.md): headless Chromium against the real hub process
 * and its built console. Two webhooks kept, then a pasted configuration that changes a quantity (differs,
 * with the pointer and both values) and one with an unknown key (its line and column shown).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, launchChromium, requireBuiltConsole, signIn } from '../support/browser.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { KEYS } from '../support/test-config.js';
import { PAYLOAD, TOKEN, yaml } from '../support/webhook-routes-config.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-console-preview-'));
const store = { store: `{ sqlite: "${join(dir, 'hub.db')}" }` };
let hub: HubProcess;
let browser: Browser;

async function send(route: string, body: string, webhookId: string): Promise<number> {
  const response = await fetch(`${hub.url}/v1/inbound/shop/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shop-token': TOKEN, 'x-webhook-id': webhookId },
    body,
  });
  return response.status;
}

describe.skipIf(!HAS_CHROMIUM)('console: mapping preview', { timeout: 40_000 }, () => {
  beforeAll(async () => {
    requireBuiltConsole();
    const configFile = join(dir, 'manifold.yaml');
    writeFileSync(configFile, yaml({}, store));
    hub = await startHubProcess(configFile);
    browser = await launchChromium();
    const order = JSON.parse(PAYLOAD) as { id: number };
    expect(await send('orders-create', PAYLOAD, 'wh-create')).toBe(202);
    expect(await send('cancel', JSON.stringify({ orderId: `WEB-${order.id}` }), 'wh-cancel')).toBe(202);
  }, 40_000);

  afterAll(async () => {
    try {
      await browser?.close();
      if (hub) await hub.kill('SIGTERM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('shows the changed field of a request, and the line of a configuration error', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await signIn(page, hub.url, KEYS.admin);
    await page.getByTestId('overview-page').waitFor();
    await page.getByTestId('nav-mapping-preview').click();
    await page.getByTestId('mapping-preview-page').waitFor();

    await page.getByTestId('preview-config').fill(yaml({ quantity: 'quantity + 1' }, store));
    await page.getByTestId('preview-system').fill('shop');
    await page.getByTestId('preview-run').click();
    await page.getByTestId('preview-report').waitFor();
    expect(await page.getByTestId('preview-totals').textContent()).toContain('2 requests: 1 same, 1 differs');
    const differs = page.getByTestId('preview-row').filter({ hasText: 'shop/orders-create' });
    expect(await differs.getByTestId('preview-verdict').textContent()).toBe('differs');
    const first = JSON.parse(PAYLOAD).line_items[0].quantity;
    expect(await differs.textContent()).toContain(
      `/0/data/lines/0/quantity changed: ${first} → ${first + 1}`,
    );

    const broken = yaml({}, store).replace(
      '    channel: web\n    inbound:',
      '    channel: web\n    colour: blue\n    inbound:',
    );
    const line = broken.split('\n').findIndex((l) => l.includes('colour: blue')) + 1;
    await page.getByTestId('preview-config').fill(broken);
    await page.getByTestId('preview-run').click();
    await page.getByTestId('preview-issues').waitFor();
    expect(await page.getByTestId('preview-issues').textContent()).toContain(`line ${line}, column 5`);
    expect(await page.getByTestId('preview-report').count()).toBe(0);
    await page.close();
  });
});
