/**
 * The storefront played natively: an order sent as the platform's own `orders/create` webhook (Shopify's
 * field names: `id`, `admin_graphql_api_id`, `email`, `currency`, `customer`,
 * `line_items[].sku/quantity/price`, `shipping_address`; its headers: `X-Shopify-Topic`,
 * `X-Shopify-Event-Id`, `X-Shopify-Webhook-Id`…) to `POST /v1/inbound/{system}/{route}`, signed as
 * the system's `inbound.auth` says (HMAC of the raw body, or its bearer key), instead of a canonical `POST /v1/orders`. Played for a
 * commerce system whose `inbound:` has a route emitting `com.manifold.order.accepted.v1`; the order id the
 * hub will give it is read by running that route's own mapping on the payload (the code the hub runs),
 * so the simulator can follow the order whatever the mapping makes of the platform's id.
 */
import { createHmac } from 'node:crypto';
import type { CompiledSystem } from '../../config/compiled-config.js';
import type { WebhookInbound, WebhookRoute } from '../../connectors/webhook/config-section.js';
import { mapRequest } from '../../connectors/webhook/mapping.js';

const ORDER_ACCEPTED = 'com.manifold.order.accepted.v1';

/** A route the simulator can send a system's orders to, and how to sign them. */
export interface NativeOrderRoute {
  route: WebhookRoute;
  auth: WebhookInbound['auth'];
}

/** The route of `system` that turns the platform's order webhook into an accepted order, if any. */
export function nativeOrderRoute(system: CompiledSystem): NativeOrderRoute | undefined {
  const inbound = system.sections?.inbound as WebhookInbound | undefined;
  if (inbound === undefined) return undefined;
  // Signatures the simulator can make: an HMAC of the body, or the system's bearer key.
  if (inbound.auth.kind !== 'hmac' && inbound.auth.kind !== 'bearer') return undefined;
  for (const route of inbound.routes.values()) {
    if (route.emit.length === 1 && route.emit[0]?.type === ORDER_ACCEPTED && !route.emit[0].each)
      return { route, auth: inbound.auth };
  }
  return undefined;
}

/** An order as the simulator books it: lines and ship-to in canonical terms. */
export interface NativeOrder {
  /** The platform's numeric order id. */
  platformId: number;
  channel: string;
  customer: { id: string; name: string };
  lines: { lineId: string; sku: string; quantity: number; unitPrice: number }[];
  shipTo: { name: string; line1: string; city: string; postalCode: string; country: string };
}

/** The webhook request for `order`: the body and the headers (signed), and the order id it maps to. */
export async function nativeOrderRequest(
  system: string,
  native: NativeOrderRoute,
  order: NativeOrder,
  key: string | undefined,
  webhookId: string,
): Promise<{ body: string; headers: Record<string, string>; orderId: string | undefined }> {
  const email = `${order.customer.id.toLowerCase()}@example.com`;
  const body = JSON.stringify({
    id: order.platformId,
    admin_graphql_api_id: `gid://shopify/Order/${order.platformId}`,
    name: `#${order.platformId}`,
    email,
    currency: 'USD',
    created_at: new Date().toISOString(),
    customer: { id: Number(order.customer.id.replace(/\D/g, '')) || 1, email },
    line_items: order.lines.map((l) => ({
      id: Number(l.lineId),
      admin_graphql_api_id: `gid://shopify/LineItem/${l.lineId}`,
      sku: l.sku,
      quantity: l.quantity,
      price: l.unitPrice.toFixed(2),
      title: l.sku,
    })),
    shipping_address: {
      name: order.shipTo.name,
      address1: order.shipTo.line1,
      city: order.shipTo.city,
      zip: order.shipTo.postalCode,
      country_code: order.shipTo.country,
    },
  });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-shopify-topic': 'orders/create',
    'x-shopify-shop-domain': `${system}.myshopify.com`,
    'x-shopify-api-version': '2026-04',
    'x-shopify-webhook-id': webhookId,
    // The event's id: the same on every delivery of it (a resend by the simulator's duplicates fault).
    'x-shopify-event-id': webhookId,
    'x-shopify-triggered-at': new Date().toISOString(),
  };
  const auth = native.auth;
  if (auth.kind === 'hmac') {
    const secret = auth.secrets[0] ?? '';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signed = auth.timestampHeader ? `${timestamp}.${body}` : body;
    if (auth.timestampHeader) headers[auth.timestampHeader.toLowerCase()] = timestamp;
    const digest = createHmac(auth.algorithm, secret).update(signed).digest(auth.encoding);
    headers[auth.header.toLowerCase()] = `${auth.prefix}${digest}`;
  } else if (key !== undefined) {
    headers.authorization = `Bearer ${key}`;
  }
  let orderId: string | undefined;
  try {
    const [event] = await mapRequest(native.route, {
      system,
      route: native.route.name,
      body: Buffer.from(body),
      contentType: 'application/json',
      headers,
      query: {},
    });
    const id = (event?.data as { orderId?: unknown } | undefined)?.orderId;
    if (typeof id === 'string') orderId = id;
  } catch {
    // The route cannot map this payload: the hub parks it; the simulator counts it refused.
  }
  return { body, headers, orderId };
}
