/**
 * A test configuration whose `shop` system has native webhook routes (orders-create, cancel, and `later`,
 * which fails until its mapping is given), in variants: the setup of the mapping previews (`map diff`,
 * `POST /v1/inbound-requests/preview`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { expect } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { compileConfig } from '../../src/config/load-config.js';
import { composeHub } from '../../src/main/compose.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { KEYS, testConfigYaml } from './test-config.js';

export const PAYLOAD = readFileSync(
  fileURLToPath(new URL('../fixtures/webhooks/shopify-orders-create.json', import.meta.url)),
  'utf8',
);
export const TOKEN = 'shop-shared-token';

export interface Variant {
  quantity?: string;
  cancelData?: string;
  laterData?: string;
}

export function yaml(variant: Variant = {}, base: Parameters<typeof testConfigYaml>[0] = {}): string {
  return `${testConfigYaml(base)}\nxref:\n  reasons: { onMissing: park }\n`.replace(
    `  shop: { kind: commerce, key: ${KEYS.shop}, channel: web }`,
    () => `  shop:
    kind: commerce
    key: ${KEYS.shop}
    channel: web
    inbound:
      auth: { token: { header: x-shop-token, value: ${TOKEN} } }
      routes:
        orders-create:
          type: com.manifold.order.accepted.v1
          id: $headers.'x-webhook-id'
          data: |
            {
              "orderId": "WEB-" & $string(id),
              "channel": "web",
              "customer": { "id": $string(customer.id) },
              "lines": [line_items.{ "lineId": $string(id), "sku": sku, "quantity": ${variant.quantity ?? 'quantity'}, "unitPrice": $number(price) }],
              "shipTo": { "name": shipping_address.name, "line1": shipping_address.address1, "city": shipping_address.city,
                          "postalCode": shipping_address.zip, "country": shipping_address.country_code }
            }
        cancel:
          type: com.manifold.order.cancelled.v1
          id: $headers.'x-webhook-id'
          data: '${variant.cancelData ?? `{ "orderId": orderId, "reason": "shop" }`}'
        later:
          type: com.manifold.order.cancelled.v1
          id: $headers.'x-webhook-id'
          data: '${variant.laterData ?? `$error("not mapped yet")`}'`,
  );
}

/**
 * A hub (SQLite in `dir`, no delivery) on a local port with the routes of `yaml()`, that has kept three
 * requests: an orders-create and a cancel (accepted) and a `later` (parked): what the previews re-map.
 */
export async function hubWithKeptRequests(
  dir: string,
): Promise<{ base: string; close: () => Promise<void> }> {
  const config = compileConfig(yaml(), 'test.yaml', {});
  const store = new SqliteStore({ path: join(dir, 'hub.db') });
  await store.migrate();
  const logger = pino({ level: 'silent' });
  const hub = composeHub(config, store, { logger, delivery: false });
  const { app } = await buildApp({ services: hub, logger });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const send = async (route: string, body: string, webhookId: string) => {
    const response = await fetch(`${base}/v1/inbound/shop/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-shop-token': TOKEN, 'x-webhook-id': webhookId },
      body,
    });
    return (await response.json()) as Record<string, unknown>;
  };
  const order = JSON.parse(PAYLOAD) as { id: number };
  expect(await send('orders-create', PAYLOAD, 'wh-create')).toMatchObject({ status: 'accepted' });
  expect(await send('cancel', JSON.stringify({ orderId: `WEB-${order.id}` }), 'wh-cancel')).toMatchObject({
    status: 'accepted',
  });
  expect(await send('later', JSON.stringify({ orderId: 'WEB-9' }), 'wh-later')).toMatchObject({
    status: 'parked',
  });
  return {
    base,
    close: async () => {
      await app.close();
      await hub.stop(2000);
      await store.close();
    },
  };
}
