/**
 * The simulator's native storefront orders under the Shopify recipe (examples/recipes/shopify.yaml): the
 * recipe's `orders-create` route is found, the request carries Shopify's headers (the event id among
 * them) and a signature the route's HMAC checks, and the route's own mapping reads the order id from the
 * payload as the hub will.
 */
import { createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { loadConfigFile } from '../../config/load-config.js';
import { nativeOrderRequest, nativeOrderRoute } from './native-orders.js';

const RECIPE = new URL('../../../examples/recipes/shopify.yaml', import.meta.url).pathname;

it("plays the Shopify recipe's orders/create route with Shopify's headers", async () => {
  const config = loadConfigFile(RECIPE, {
    SHOPIFY_SHOP_URL: 'https://demo.myshopify.com',
    SHOPIFY_ACCESS_TOKEN: 'shpat_0000',
    SHOPIFY_WEBHOOK_SECRET: 'recipe-webhook-secret-01',
    SHOPIFY_KEY: 'shopify-hub-key-00000001',
    WMS_KEY: 'wms-hub-key-000000000001',
    WMS_RELEASE_URL: 'https://wms.example/releases',
    MANIFOLD_ADMIN_KEY: 'admin-key-00000000000001',
  });
  const system = config.systems.get('shopify');
  expect(system).toBeDefined();
  const native = nativeOrderRoute(system!);
  expect(native?.route.name).toBe('orders-create');
  const request = await nativeOrderRequest(
    'shopify',
    native!,
    {
      platformId: 5800000000042,
      channel: 'web',
      customer: { id: 'C-7', name: 'Ada' },
      lines: [{ lineId: '1301', sku: 'SKU-A', quantity: 2, unitPrice: 9.5 }],
      shipTo: { name: 'Ada', line1: '1 Row', city: 'Columbus', postalCode: '43004', country: 'US' },
    },
    undefined,
    'sim-event-1',
  );
  expect(request.orderId).toBe('WEB-5800000000042');
  expect(request.headers['x-shopify-event-id']).toBe('sim-event-1');
  expect(request.headers['x-shopify-topic']).toBe('orders/create');
  expect(request.headers['x-shopify-hmac-sha256']).toBe(
    createHmac('sha256', 'recipe-webhook-secret-01').update(request.body).digest('base64'),
  );
});
