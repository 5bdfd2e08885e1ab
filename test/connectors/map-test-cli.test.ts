/** `bin/manifold map test` as users run it (the built CLI): the events a route makes, or why not. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const BIN = fileURLToPath(new URL('../../bin/manifold', import.meta.url));
const PAYLOAD = fileURLToPath(new URL('../fixtures/webhooks/shopify-orders-create.json', import.meta.url));

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'manifold-map-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(lines: string, extra = ''): string {
  const text = `${testConfigYaml()}${extra}`.replace(
    `  shop: { kind: commerce, key: ${KEYS.shop}, channel: web }`,
    () => `  shop:
    kind: commerce
    key: ${KEYS.shop}
    channel: web
    inbound:
      auth: { hmac: { header: X-Shopify-Hmac-Sha256, secret: s3cret, encoding: base64 } }
      routes:
        orders-create:
          type: com.manifold.order.accepted.v1
          id: $headers.'x-shopify-webhook-id'
          data: |
            {
              "orderId": "WEB-" & $string(id),
              "channel": "web",
              "customer": { "id": $string(customer.id) },
              "lines": [line_items.{ "lineId": $string(id), "sku": sku, "quantity": ${lines}, "unitPrice": $number(price) }],
              "shipTo": { "name": shipping_address.name, "line1": shipping_address.address1, "city": shipping_address.city,
                          "postalCode": shipping_address.zip, "country": shipping_address.country_code }
            }
        broken:
          type: com.manifold.order.cancelled.v1
          data: '$error("not mapped yet")'`,
  );
  const file = join(dir, `manifold-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

describe('bin/manifold map test', { timeout: 30_000 }, () => {
  it('answers $xref as for a missing key: the default, or the park as the error', async () => {
    const xref = '\nxref:\n  qty: { onMissing: default, default: 2 }\n  held: { onMissing: park }\n';
    const args = (config: string) =>
      run(
        'map',
        'test',
        '--config',
        config,
        '--system',
        'shop',
        '--route',
        'orders-create',
        '--payload',
        PAYLOAD,
        '--header',
        'X-Shopify-Webhook-Id: x-xref',
      );
    const defaulted = await args(configFile(`$xref('qty', sku)`, xref));
    expect(defaulted.stderr).toBe('');
    const events = JSON.parse(defaulted.stdout);
    expect(events[0].data.lines.map((l: { quantity: number }) => l.quantity)).toEqual([2, 2]);
    const parked = await args(configFile(`$xref('held', sku)`, xref));
    expect(parked.code).toBe(1);
    expect(JSON.parse(parked.stderr).error.message).toContain(
      "xref_missing: cross-reference table 'held' has no key 'SKU-RED'",
    );
  });

  it('prints the CloudEvents the route makes and exits 0', async () => {
    const config = configFile('quantity');
    const result = await run(
      'map',
      'test',
      '--config',
      config,
      '--system',
      'shop',
      '--route',
      'orders-create',
      '--payload',
      PAYLOAD,
      '--header',
      'X-Shopify-Webhook-Id: b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const events = JSON.parse(result.stdout);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      specversion: '1.0',
      id: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      source: '/shop',
      type: 'com.manifold.order.accepted.v1',
      data: {
        orderId: 'WEB-820982911946154500',
        lines: [
          { lineId: '866550311766439000', sku: 'SKU-RED', quantity: 1, unitPrice: 199 },
          { lineId: '141249953214522980', sku: 'SKU-BLUE', quantity: 3, unitPrice: 9.5 },
        ],
        shipTo: { country: 'US', postalCode: '40003' },
      },
    });
  });

  it('exits 1 with the expression key, the pointer and the message', async () => {
    const config = configFile('0');
    const invalid = await run(
      'map',
      'test',
      '--config',
      config,
      '--system',
      'shop',
      '--route',
      'orders-create',
      '--payload',
      PAYLOAD,
      '--header',
      'X-Shopify-Webhook-Id: x1',
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe('');
    expect(JSON.parse(invalid.stderr).error).toEqual({
      key: 'routes.orders-create.data',
      pointer: '/data/lines/0/quantity',
      message: expect.stringContaining('event 0'),
    });
    const thrown = await run(
      'map',
      'test',
      '--config',
      config,
      '--system',
      'shop',
      '--route',
      'broken',
      '--payload',
      PAYLOAD,
    );
    expect(thrown.code).toBe(1);
    expect(JSON.parse(thrown.stderr).error).toEqual({
      key: 'routes.broken.data',
      message: expect.stringContaining('not mapped yet'),
    });
    const noRoute = await run(
      'map',
      'test',
      '--config',
      config,
      '--system',
      'shop',
      '--route',
      'nope',
      '--payload',
      PAYLOAD,
    );
    expect(noRoute.code).toBe(1);
    expect(JSON.parse(noRoute.stderr).error.message).toContain("no route 'nope'");
  });
});
