#!/usr/bin/env node
// Native webhooks in benchmark (docs/benchmarks.md). In one hub process, over the same connections:
//   single CloudEvents order.accepted   POST /v1/events (bearer key)                      the baseline
//   a Shopify-shaped orders/create      POST /v1/inbound/shop/orders-create (base64 HMAC-SHA256 of the raw
//                                        body, a ~30-line JSONata mapping to the same canonical event)
// Both make the same event (3 lines), so the ratio is the cost of HMAC + parse + mapping + keeping the
// raw request. Runs in the order A B B A, averaged per kind. Usage: npm run bench:inbound [-- --seconds 10 --connections 32]
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { machine, startProcess, stop } from './support.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' } },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const ROOT = new URL('..', import.meta.url).pathname;
const KEY = 'bench-shop-key-00000000001';
const SECRET = 'bench-shopify-app-secret-0001';
const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-inbound-'));

// The mapping: 30 lines of JSONata, as a storefront's order webhook needs.
const MAPPING = `|
            (
              $addr := shipping_address;
              $name := $trim(($addr.first_name ? $addr.first_name : "") & " " & ($addr.last_name ? $addr.last_name : ""));
              {
                "orderId": "WEB-" & $string(id),
                "channel": "web",
                "customer": {
                  "id": $string(customer.id),
                  "email": customer.email,
                  "name": $trim(customer.first_name & " " & customer.last_name)
                },
                "lines": [line_items[quantity > 0].{
                  "lineId": $string(id),
                  "sku": $uppercase(sku),
                  "quantity": quantity,
                  "unitPrice": $round($number(price), 2)
                }],
                "shipTo": {
                  "name": $name != "" ? $name : $addr.name,
                  "line1": $addr.address1,
                  "line2": $addr.address2 ? $addr.address2 : undefined,
                  "city": $addr.city,
                  "region": $addr.province_code,
                  "postalCode": $addr.zip,
                  "country": $uppercase($addr.country_code)
                }
              }
            )`;

const config = `
store: { sqlite: "${join(dir, 'hub.db')}" }
server: { host: 127.0.0.1, port: 0, adminKey: bench-admin-key-00000000001, bodyLimit: 4mb }
systems:
  erp: { kind: erp, key: bench-erp-key-000000000001 }
  wms: { kind: wms, key: bench-wms-key-000000000001, locations: [DC-EAST] }
  shop:
    kind: commerce
    key: ${KEY}
    channel: web
    inbound:
      auth: { hmac: { header: X-Shopify-Hmac-Sha256, secret: ${SECRET}, encoding: base64 } }
      routes:
        orders-create:
          type: com.manifold.order.accepted.v1
          id: $headers.'x-shopify-webhook-id'
          data: ${MAPPING}
locations: { DC-EAST: { channels: [web] } }
channels: { web: {} }
ownership: { order.accepted: [shop], inventory.on_hand: [wms] }
subscriptions:
  - { name: erp-orders, target: erp, types: [com.manifold.order.*], http: { url: "http://127.0.0.1:9/erp" } }
`;
writeFileSync(join(dir, 'bench.yaml'), config);

let counter = 0;

function shopifyOrder(n) {
  return {
    id: 5_000_000_000 + n,
    name: `#${n}`,
    email: 'jane@example.com',
    currency: 'EUR',
    created_at: '2026-12-03T03:00:00+01:00',
    customer: { id: 7001, email: 'jane@example.com', first_name: 'Jane', last_name: 'Doe' },
    line_items: [1, 2, 3].map((i) => ({
      id: n * 10 + i,
      sku: `sku-${(n + i) % 500}`,
      quantity: i,
      price: '19.99',
      title: `Item ${i}`,
    })),
    shipping_address: {
      first_name: 'Jane',
      last_name: 'Doe',
      address1: '1 Main St',
      city: 'Berlin',
      zip: '10115',
      province_code: 'BE',
      country_code: 'de',
    },
  };
}

/** The canonical event the mapping makes of the same order, as a client sending CloudEvents would. */
function cloudEvent(n) {
  return {
    specversion: '1.0',
    id: `ce-${n}`,
    source: '/shop',
    type: 'com.manifold.order.accepted.v1',
    time: new Date().toISOString(),
    data: {
      orderId: `CE-${n}`,
      channel: 'web',
      customer: { id: '7001', email: 'jane@example.com', name: 'Jane Doe' },
      lines: [1, 2, 3].map((i) => ({
        lineId: String(n * 10 + i),
        sku: `SKU-${(n + i) % 500}`,
        quantity: i,
        unitPrice: 19.99,
      })),
      shipTo: {
        name: 'Jane Doe',
        line1: '1 Main St',
        city: 'Berlin',
        region: 'BE',
        postalCode: '10115',
        country: 'DE',
      },
    },
  };
}

/** Runs the load; a first, shorter, unmeasured run warms the server (JIT) as a running hub would be. */
async function load(url, path, request) {
  await run(url, path, request, Math.max(2, Math.round(SECONDS / 3)));
  return run(url, path, request, SECONDS);
}

async function run(url, path, request, seconds) {
  const result = await autocannon({
    url: url + path,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    requests: [{ setupRequest: (r) => ({ ...r, ...request() }) }],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${bad} failed requests against ${url}${path}`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

console.log(`machine: ${machine()}\nload: ${CONNECTIONS} connections, ${SECONDS} s per run\n`);

try {
  const hub = await startProcess(
    dir,
    join(ROOT, 'bin/manifold'),
    ['serve', '--config', join(dir, 'bench.yaml')],
    /"url":"([^"]+)"/,
  );
  const single = () => {
    counter += 1;
    return {
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify(cloudEvent(counter)),
    };
  };
  const webhook = () => {
    counter += 1;
    const body = JSON.stringify(shopifyOrder(counter));
    return {
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': 'orders/create',
        'x-shopify-webhook-id': `wh-${counter}`,
        'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(body).digest('base64'),
      },
      body,
    };
  };
  // A B B A: the log grows and the order processor works through each run's orders during the next one,
  // so each kind runs once early and once late, and the two runs are averaged.
  const ce1 = await load(hub.url, '/v1/events', single);
  const native1 = await load(hub.url, '/v1/inbound/shop/orders-create', webhook);
  const native2 = await load(hub.url, '/v1/inbound/shop/orders-create', webhook);
  const ce2 = await load(hub.url, '/v1/events', single);
  await stop(hub.child);
  const mean = (a, b) => ({ rps: (a.rps + b.rps) / 2, p50: (a.p50 + b.p50) / 2, p99: (a.p99 + b.p99) / 2 });
  const ce = mean(ce1, ce2);
  const native = mean(native1, native2);
  console.log(
    `runs (requests/s): CloudEvents ${Math.round(ce1.rps)}, ${Math.round(ce2.rps)}; native ${Math.round(native1.rps)}, ${Math.round(native2.rps)}\n`,
  );

  console.log('| run | requests/s | p50 ms | p99 ms | ratio |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(
    `| single CloudEvent order.accepted, POST /v1/events | ${Math.round(ce.rps).toLocaleString('en-US')} | ${ce.p50} | ${ce.p99} | baseline |`,
  );
  console.log(
    `| Shopify-shaped orders/create, HMAC + 30-line JSONata, POST /v1/inbound | ${Math.round(native.rps).toLocaleString('en-US')} | ${native.p50} | ${native.p99} | ${(native.rps / ce.rps).toFixed(2)} |`,
  );
  console.log('\ntarget: native webhook ≥ 0.6× the single CloudEvent');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
