/**
 * The console's order page shows the raw request an event came from when it came by a native webhook
 * (docs/connectors.md#native-webhooks-in): headless Chromium against the real hub process and its built
 * console, an order created by a signed Shopify-shaped webhook.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, launchChromium, requireBuiltConsole, signIn } from '../support/browser.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

const SECRET = 'console-webhook-secret';

const dir = mkdtempSync(join(tmpdir(), 'manifold-console-webhook-'));
let hub: HubProcess;
let browser: Browser;

describe.skipIf(!HAS_CHROMIUM)(
  'console: the raw request of a webhook-born event',
  { timeout: 40_000 },
  () => {
    beforeAll(async () => {
      requireBuiltConsole();
      const configFile = join(dir, 'manifold.yaml');
      const yaml = testConfigYaml({ store: `{ sqlite: "${join(dir, 'hub.db')}" }` }).replace(
        `  shop: { kind: commerce, key: ${KEYS.shop}, channel: web }`,
        () => `  shop:
    kind: commerce
    key: ${KEYS.shop}
    channel: web
    inbound:
      auth: { hmac: { header: X-Shopify-Hmac-Sha256, secret: ${SECRET}, encoding: base64 } }
      routes:
        orders-create:
          type: com.manifold.order.accepted.v1
          id: $headers.'x-shopify-webhook-id'
          data: |
            { "orderId": "WEB-" & $string(id), "channel": "web", "customer": { "id": $string(customer.id) },
              "lines": [line_items.{ "lineId": $string(id), "sku": sku, "quantity": quantity, "unitPrice": $number(price) }],
              "shipTo": { "name": shipping_address.name, "line1": shipping_address.address1, "city": shipping_address.city,
                          "postalCode": shipping_address.zip, "country": shipping_address.country_code } }`,
      );
      writeFileSync(configFile, yaml);
      hub = await startHubProcess(configFile);
      browser = await launchChromium();
    }, 40_000);

    afterAll(async () => {
      try {
        await browser?.close();
        if (hub) await hub.kill('SIGTERM');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 30_000);

    it('opens the raw request from the order timeline, without the signature header', async () => {
      const body = JSON.stringify({
        id: 4242,
        customer: { id: 9 },
        line_items: [{ id: 1, sku: 'MUG-1', quantity: 2, price: '7.50' }],
        shipping_address: {
          name: 'Jo',
          address1: '2 High St',
          city: 'Leeds',
          zip: 'LS1',
          country_code: 'GB',
        },
      });
      const sent = await fetch(`${hub.url}/v1/inbound/shop/orders-create`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-shopify-webhook-id': 'wh-console-1',
          'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(body).digest('base64'),
        },
        body,
      });
      expect(sent.status, await sent.text()).toBe(202);
      await until(
        async () =>
          (
            await fetch(`${hub.url}/v1/orders/WEB-4242`, {
              headers: { authorization: `Bearer ${KEYS.admin}` },
            })
          ).status === 200,
        'the order',
      );

      const page = await browser.newPage();
      page.setDefaultTimeout(10_000);
      await signIn(page, hub.url, KEYS.admin);
      await page.getByTestId('overview-page').waitFor();
      await page.goto(`${hub.url}/orders/WEB-4242`);
      const accepted = page.locator(
        '[data-testid="timeline-entry"][data-type="com.manifold.order.accepted.v1"]',
      );
      await accepted.getByTestId('raw-request').locator('summary').click();
      const headers = await accepted.getByTestId('raw-request-headers').textContent();
      expect(headers).toContain('x-shopify-webhook-id: wh-console-1');
      expect(headers).not.toContain('x-shopify-hmac-sha256');
      expect(await accepted.getByTestId('raw-request-body').textContent()).toContain('"sku": "MUG-1"');
      // Events the hub emitted (the milestone, the backorder) have no request of their own.
      expect(await page.getByTestId('timeline-entry').count()).toBeGreaterThan(1);
      expect(await page.getByTestId('raw-request').count()).toBe(1);
      await page.close();
    });
  },
);
