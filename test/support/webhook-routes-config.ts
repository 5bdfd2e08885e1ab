/**
 * A test configuration whose `shop` system has native webhook routes (orders-create, cancel, and `later`,
 * which fails until its mapping is given), in variants: the setup of the mapping previews (`map diff`,
 * `POST /v1/inbound-requests/preview`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
