/**
 * Webhooks as Shopify sends them (shopify.dev/docs/apps/build/webhooks): a POST of the JSON payload with
 * `X-Shopify-Topic`, `X-Shopify-Hmac-Sha256` (base64 HMAC-SHA256 of the raw body with the app's secret),
 * `X-Shopify-Shop-Domain`, `X-Shopify-API-Version`, `X-Shopify-Webhook-Id` (this delivery),
 * `X-Shopify-Event-Id` (the event: the same on every delivery of it) and `X-Shopify-Triggered-At`.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { API_VERSION } from './schema.js';

export interface Delivery {
  topic: string;
  payload: unknown;
  eventId?: string;
  /** Sign with this secret instead (a forged or misconfigured webhook). */
  secret?: string;
}

export async function sendWebhook(
  url: string,
  secret: string,
  delivery: Delivery,
): Promise<{ status: number; body: Record<string, unknown>; eventId: string }> {
  const body = JSON.stringify(delivery.payload);
  const eventId = delivery.eventId ?? randomUUID();
  const hmac = createHmac('sha256', delivery.secret ?? secret)
    .update(body, 'utf8')
    .digest('base64');
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': delivery.topic,
      'x-shopify-hmac-sha256': hmac,
      'x-shopify-shop-domain': 'manifold-demo.myshopify.com',
      'x-shopify-api-version': API_VERSION,
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-event-id': eventId,
      'x-shopify-triggered-at': new Date().toISOString(),
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, eventId };
}

/**
 * An `orders/create` payload (the fields the recipe reads, as the REST order resource names them). Each
 * line's `current_quantity` is its quantity after removals (REST Admin API 2024-01 and later); amounts
 * are decimal strings, a tax line's `rate` a fraction (0.0575 for 5.75 %).
 */
export function orderPayload(order: {
  id: number;
  lines: { id: number; sku: string; quantity: number; price: string }[];
  email?: string;
  note?: string;
}): Record<string, unknown> {
  return {
    id: order.id,
    admin_graphql_api_id: `gid://shopify/Order/${order.id}`,
    name: `#${order.id % 10000}`,
    email: order.email ?? 'ada@example.com',
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
    currency: 'USD',
    financial_status: 'paid',
    cancelled_at: null,
    cancel_reason: null,
    customer: {
      id: 7001,
      admin_graphql_api_id: 'gid://shopify/Customer/7001',
      email: order.email ?? 'ada@example.com',
    },
    line_items: order.lines.map((l) => ({
      id: l.id,
      admin_graphql_api_id: `gid://shopify/LineItem/${l.id}`,
      sku: l.sku,
      quantity: l.quantity,
      current_quantity: l.quantity,
      fulfillable_quantity: l.quantity,
      price: l.price,
      title: l.sku,
    })),
    shipping_address: {
      name: 'Ada Lovelace',
      address1: '12 Analytical Row',
      city: 'Columbus',
      zip: '43004',
      province_code: 'OH',
      country_code: 'US',
    },
    billing_address: {
      name: 'Ada Lovelace',
      address1: '1 Difference Engine Way',
      address2: null,
      city: 'Dayton',
      zip: '45402',
      province_code: 'OH',
      country_code: 'US',
    },
    note: order.note ?? null,
    shipping_lines: [{ title: 'Standard Shipping', code: 'STANDARD', price: '4.90' }],
    tax_lines: [{ title: 'OH State Tax', rate: 0.0575, price: '2.57' }],
    discount_codes: [{ code: 'WELCOME5', amount: '5.00', type: 'fixed_amount' }],
  };
}

/**
 * The `orders/updated` payload after an order edit in Shopify: the whole order again, as `orders/updated`
 * always sends it. A line's `quantity` stays what was ordered; removing units lowers its `current_quantity`
 * (and `fulfillable_quantity`), removing the line makes both 0 — the line stays in `line_items`. A new
 * shipping address replaces the old one. `updated_at` moves.
 */
export function editedOrderPayload(
  order: Record<string, unknown>,
  edit: { quantities?: Record<number, number>; shippingAddress?: Record<string, unknown> },
): Record<string, unknown> {
  const lines = (order.line_items as Record<string, unknown>[]).map((line) => {
    const to = edit.quantities?.[line.id as number];
    if (to === undefined) return { ...line };
    if (to < 0 || to > (line.quantity as number))
      throw new Error(`line ${line.id}: ${to} is not 0..quantity`);
    return { ...line, current_quantity: to, fulfillable_quantity: to };
  });
  return {
    ...order,
    updated_at: new Date(Date.now() + 1000).toISOString(),
    line_items: lines,
    ...(edit.shippingAddress
      ? { shipping_address: { ...(order.shipping_address as object), ...edit.shippingAddress } }
      : {}),
  };
}
