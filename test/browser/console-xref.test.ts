/**
 * The console's "Cross-reference" pages (docs/console.md#cross-reference-tables): headless Chromium against
 * the real hub process and its built console. A webhook parked for a key a table lacks shows as waiting;
 * the operator finds entries by key prefix and by value, uploads a CSV, adds the missing key, edits and
 * deletes an entry — each change checked through the admin API.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, launchChromium, requireBuiltConsole, signIn } from '../support/browser.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-console-xref-'));
let hub: HubProcess;
let browser: Browser;

function yaml(): string {
  return `${testConfigYaml({ store: `{ sqlite: "${join(dir, 'hub.db')}" }` }).replace(
    `  portal: { kind: commerce, key: ${KEYS.portal}, channel: b2b }`,
    () => `  portal:
    kind: commerce
    key: ${KEYS.portal}
    channel: b2b
    inbound:
      auth: { token: { header: x-portal-token, value: portal-token } }
      routes:
        cancel:
          type: com.manifold.order.cancelled.v1
          id: "'cancel-' & ref"
          data: '{ "orderId": $xref("portal-orders", ref), "reason": "customer" }'`,
  )}
xref:
  portal-orders:
    description: the portal's order reference to our order id
    onMissing: park
  carriers: { onMissing: skip }
`;
}

async function admin(method: string, path: string, body?: string, type = 'application/json') {
  const response = await fetch(`${hub.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEYS.admin}`, ...(body ? { 'content-type': type } : {}) },
    ...(body ? { body } : {}),
  });
  return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
}

describe.skipIf(!HAS_CHROMIUM)('console: cross-reference tables', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    requireBuiltConsole();
    const configFile = join(dir, 'manifold.yaml');
    writeFileSync(configFile, yaml());
    hub = await startHubProcess(configFile);
    browser = await launchChromium();
    await admin('POST', '/v1/xref/portal-orders', 'key,value\nP-1,B2B-1\nP-2,B2B-2\nQ-1,B2B-9\n', 'text/csv');
    const parked = await fetch(`${hub.url}/v1/inbound/portal/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-portal-token': 'portal-token' },
      body: JSON.stringify({ ref: 'P-7' }),
    });
    expect(await parked.json()).toMatchObject({ status: 'parked', code: 'xref_missing' });
  }, 60_000);

  afterAll(async () => {
    try {
      await browser?.close();
      if (hub) await hub.kill('SIGTERM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('lists the tables, searches, uploads, adds the missing key, edits and deletes', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await signIn(page, hub.url, KEYS.admin);
    await page.getByTestId('overview-page').waitFor();
    await page.getByTestId('nav-cross-reference').click();
    await page.getByTestId('xref-page').waitFor();

    const row = page.getByTestId('xref-table-row').filter({ hasText: 'portal-orders' });
    expect(await row.textContent()).toContain("the portal's order reference to our order id");
    expect(await row.getByTestId('xref-entries').textContent()).toBe('3');
    expect(await row.getByTestId('xref-waiting').textContent()).toBe('1');
    expect(await page.getByTestId('xref-table-row').count()).toBe(2);

    await row.getByRole('link', { name: 'portal-orders' }).click();
    await page.getByTestId('xref-table-page').waitFor();
    const waiting = page.getByTestId('xref-waiting-item');
    expect(await waiting.textContent()).toContain('P-7');
    expect(await waiting.getByRole('link').getAttribute('href')).toBe('/exceptions?code=xref_missing');
    expect(await page.getByTestId('xref-entry-key').allTextContents()).toEqual(['P-1', 'P-2', 'Q-1']);

    // Search by key prefix, then by value.
    await page.getByTestId('xref-prefix').fill('P-');
    await page.getByTestId('xref-search').click();
    await page.waitForURL(/prefix=P-/);
    await expect.poll(() => page.getByTestId('xref-entry-key').allTextContents()).toEqual(['P-1', 'P-2']);
    await page.getByTestId('xref-reverse').fill('B2B-9');
    await page.getByTestId('xref-reverse-search').click();
    await expect.poll(() => page.getByTestId('xref-entry-key').allTextContents()).toEqual(['Q-1']);

    // Upload a CSV (through the bulk endpoint).
    const csv = join(dir, 'more.csv');
    writeFileSync(csv, 'key,value\nR-1,B2B-11\nR-2,B2B-12\n');
    await page.getByTestId('xref-file').setInputFiles(csv);
    await page.getByTestId('xref-upload').click();
    expect(await page.getByTestId('xref-message').textContent()).toBe('Loaded 2 entries from more.csv.');
    expect((await admin('GET', '/v1/xref/portal-orders/R-2')).body.value).toBe('B2B-12');

    // Add the key the parked webhook waits for.
    await page.getByTestId('xref-key').fill('P-7');
    await page.getByTestId('xref-value').fill('B2B-7');
    await page.getByTestId('xref-save').click();
    await expect.poll(async () => page.getByTestId('xref-message').textContent()).toBe('Saved P-7.');
    expect((await admin('GET', '/v1/xref/portal-orders/P-7')).body.value).toBe('B2B-7');

    // Edit an entry from its row (an object value typed as JSON), then delete one.
    await page.goto(`${hub.url}/xref/portal-orders?prefix=P-1`);
    await page.getByTestId('xref-entry').getByRole('button', { name: 'Edit' }).click();
    expect(await page.getByTestId('xref-key').inputValue()).toBe('P-1');
    await page.getByTestId('xref-value').fill('{"id":"B2B-1","note":"moved"}');
    await page.getByTestId('xref-save').click();
    await expect
      .poll(() => page.getByTestId('xref-entry-value').textContent())
      .toBe('{"id":"B2B-1","note":"moved"}');
    expect((await admin('GET', '/v1/xref/portal-orders/P-1')).body.value).toEqual({
      id: 'B2B-1',
      note: 'moved',
    });
    await page.getByTestId('xref-delete').click();
    await expect.poll(() => page.getByTestId('xref-entry').count()).toBe(0);
    expect((await admin('GET', '/v1/xref/portal-orders/P-1')).status).toBe(404);

    // A bad upload shows the hub's problem and loads nothing.
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'key,value\nS-1,1\nS-1,2\n');
    await page.getByTestId('xref-file').setInputFiles(bad);
    await page.getByTestId('xref-upload').click();
    expect(await page.getByTestId('error').textContent()).toContain("key 'S-1' is repeated");
    expect((await admin('GET', '/v1/xref/portal-orders/S-1')).status).toBe(404);

    await page.goto(`${hub.url}/xref`);
    await page.getByTestId('xref-page').waitFor();
    const after = page.getByTestId('xref-table-row').filter({ hasText: 'portal-orders' });
    await expect.poll(() => after.getByTestId('xref-entries').textContent()).toBe('5');
    await page.close();
  });
});
