/**
 * Property: any query string and path parameter on the GET routes (filters, times, cursors, limits, ids
 * of anything) is answered 2xx or 4xx, never 5xx, on a hub holding a little of everything.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshOrderId, shipTo } from '../support/orders.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS } from '../support/test-config.js';
import { expectNoServerError, hostileScalar } from './fuzz-support.js';

/** Runs per property; `FUZZ_RUNS=5000` for a longer hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const TIMEOUT_MS = 30_000 + RUNS * 20;

let hub: TestApp;
beforeAll(async () => {
  hub = await buildTestApp();
  expect((await postAs(hub.app, '/v1/events', KEYS.wmsEast, adjustedEvent())).statusCode).toBe(202);
  const order = await hub.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { authorization: `Bearer ${KEYS.shop}`, 'idempotency-key': 'fuzz-1' },
    payload: {
      orderId: freshOrderId(),
      channel: 'web',
      customer: { id: 'C-1' },
      lines: [{ lineId: '1', sku: 'SKU-1', quantity: 1, unitPrice: 1 }],
      shipTo,
    },
  });
  expect(order.statusCode).toBeLessThan(300);
});
afterAll(async () => {
  await hub.close();
});

const ROUTES = [
  '/v1/events',
  '/v1/exceptions',
  '/v1/orders',
  '/v1/audit',
  '/v1/availability',
  '/v1/overview',
  '/v1/alerts',
  '/v1/schemas',
  '/v1/inventory/{}',
  '/v1/inventory/{}/ledger',
  '/v1/orders/{}',
  '/v1/orders/{}/timeline',
  '/v1/exceptions/{}',
  '/v1/replays/{}',
  '/v1/reservations/{}',
  '/v1/schemas/{}',
] as const;

const PARAMS = [
  'type',
  'subject',
  'source',
  'correlationid',
  'since',
  'until',
  'cursor',
  'limit',
  'channel',
  'milestone',
  'status',
  'code',
  'system',
  'subscription',
  'sku',
  'location',
  'locations',
  'window',
  'x',
] as const;

const text = fc.oneof(
  hostileScalar.map((value) => (typeof value === 'string' ? value : String(value))),
  fc.constantFrom('1', '0', '-1', '5001', '99999999999999999999', 'SKU-1', 'DC-EAST', 'web', 'open'),
);

/** Percent-encodes any text (lone surrogates included) byte by byte, as a client would send it. */
function encode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += /[A-Za-z0-9._~-]/.test(String.fromCharCode(byte))
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

describe('GET routes under fuzzing', () => {
  it(
    'any query filters and path parameters',
    async () => {
      const request = fc.record({
        route: fc.constantFrom(...ROUTES),
        id: text,
        rawId: fc.boolean(),
        query: fc.array(fc.tuple(fc.constantFrom(...PARAMS), text), { maxLength: 4 }),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ route, id, rawId, query }) => {
          // A raw id keeps `%` and friends unencoded: malformed escapes reach the router too.
          const path = route.replace('{}', rawId ? id.replace(/[\s?#/]/g, '') || 'x' : encode(id));
          const search = query.map(([name, value]) => `${name}=${encode(value)}`).join('&');
          const url = search === '' ? path : `${path}?${search}`;
          const response = await hub.app.inject({
            method: 'GET',
            url,
            headers: { authorization: `Bearer ${KEYS.admin}` },
          });
          expectNoServerError(response, url);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});
