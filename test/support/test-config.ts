/** A small but complete hub configuration for tests, and keys to call it with. */
export const KEYS = {
  admin: 'test-admin-key-0000000001',
  erp: 'test-erp-key-00000000001',
  wmsEast: 'test-wms-east-key-000001',
  wmsWest: 'test-wms-west-key-000001',
  tms: 'test-tms-key-00000000001',
  shop: 'test-shop-key-0000000001',
  portal: 'test-portal-key-00000001',
  acme: 'test-acme-edi-key-0000001',
  threepl: 'test-threepl-edi-key-0001',
  freightco: 'test-freightco-edi-key-01',
  supplier: 'test-supplier-edi-key-001',
} as const;

/**
 * YAML of the test hub; `store` and `port` vary per test. In-process tests (`buildTestApp`) open their own
 * store in a temporary folder, so the default `store` is never opened; a test that starts the real
 * process passes its own.
 */
export function testConfigYaml(
  options: { store?: string; port?: number; bodyLimit?: string; subscriptions?: string } = {},
): string {
  return `
store: ${options.store ?? '{ sqlite: "./data/test-hub.db" }'}
server:
  host: 127.0.0.1
  port: ${options.port ?? 0}
  adminKey: ${KEYS.admin}
  bodyLimit: ${options.bodyLimit ?? '1mb'}
  maxBatchEvents: 1000
systems:
  erp: { kind: erp, key: ${KEYS.erp} }
  wms-east: { kind: wms, key: ${KEYS.wmsEast}, locations: [DC-EAST] }
  wms-west: { kind: wms, key: ${KEYS.wmsWest}, locations: [DC-WEST], reconcile: adopt, driftThreshold: 3 }
  tms: { kind: tms, key: ${KEYS.tms} }
  shop: { kind: commerce, key: ${KEYS.shop}, channel: web }
  portal: { kind: commerce, key: ${KEYS.portal}, channel: b2b }
  acme: { kind: edi, key: ${KEYS.acme}, channel: edi-acme, x12: { id: '4405197800', qualifier: '12' } }
  threepl: { kind: edi, key: ${KEYS.threepl}, locations: [DC-WEST], x12: { id: 'THREEPL', qualifier: 'ZZ' } }
  freightco: { kind: carrier, key: ${KEYS.freightco}, x12: { id: 'FRGT', qualifier: 'ZZ' } }
  supplier: { kind: edi, key: ${KEYS.supplier}, locations: [DC-EAST], x12: { id: 'SUPPLIER', qualifier: 'ZZ' } }
edi:
  x12: { id: '999999999', qualifier: '01' }
locations:
  DC-EAST: { channels: [web, b2b, edi-acme] }
  DC-WEST: { channels: [web] }
channels:
  web: { safetyStock: 2 }
  b2b: { safetyStock: 0 }
  edi-acme: { safetyStock: 0 }
ownership:
  order.accepted: [shop, portal, acme, erp]
  order.picked: [wms-east, wms-west]
  order.packed: [wms-east, wms-west]
  order.shipped: [wms-east, wms-west, threepl]
  order.delivered: [tms, freightco]
  order.invoiced: [erp]
  order.cancelled: [shop, portal, erp]
  order.returned: [wms-east, wms-west]
  inventory.on_hand: [wms-east, wms-west]
  inventory.incoming: [erp, supplier]
statusMaps:
  wms-east: { PCK: picked, PKD: packed, SHP: shipped }
${options.subscriptions ?? DEFAULT_SUBSCRIPTIONS}`;
}

const DEFAULT_SUBSCRIPTIONS = `subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: http://127.0.0.1:9/erp }
  - name: shop-orders
    target: shop
    types: [com.manifold.order.*]
    http: { url: http://127.0.0.1:9/shop }
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.adjusted.v1, com.manifold.inventory.counted.v1]
    http: { url: http://127.0.0.1:9/erp-inventory }
`;

let counter = 0;

/** A valid `order.picked` event from `wms-east` (an order event: held on failure by default). */
export function pickedEvent(
  orderId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  counter += 1;
  return {
    specversion: '1.0',
    id: `pick-${process.pid}-${Date.now()}-${counter}`,
    source: '/wms-east',
    type: 'com.manifold.order.picked.v1',
    correlationid: `corr-${orderId}`,
    data: { orderId, location: 'DC-EAST', lines: [{ lineId: '1', quantity: counter }] },
    ...overrides,
  };
}

/** A valid `inventory.adjusted` event from `wms-east` with a fresh id. */
export function adjustedEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    specversion: '1.0',
    id: `adj-${process.pid}-${Date.now()}-${counter}`,
    source: '/wms-east',
    type: 'com.manifold.inventory.adjusted.v1',
    time: new Date().toISOString(),
    correlationid: `corr-${counter}`,
    data: { sku: 'SKU-1', location: 'DC-EAST', delta: 5, reason: 'cycle_count' },
    ...overrides,
  };
}

/** A `inventory.counted.v1` from the location's WMS (wms-east for DC-EAST, wms-west for DC-WEST), fresh id. */
export function countedEvent(sku: string, location: 'DC-EAST' | 'DC-WEST' = 'DC-EAST', onHand = 10) {
  counter += 1;
  return {
    specversion: '1.0',
    id: `count-${process.pid}-${Date.now()}-${counter}`,
    source: location === 'DC-EAST' ? '/wms-east' : '/wms-west',
    type: 'com.manifold.inventory.counted.v1',
    data: { sku, location, onHand },
  };
}
