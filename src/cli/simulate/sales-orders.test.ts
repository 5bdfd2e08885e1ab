import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SalesOrderApi } from './receivers.js';
import type { SimSubscription } from './sim-config.js';

const subscription: SimSubscription = {
  name: 'erp-sales-orders',
  target: 'erp',
  types: ['com.manifold.order.accepted.v1'],
  url: new URL('http://127.0.0.1:9001/api/salesOrders/'),
  shaped: { method: 'PUT', path: /^\/api\/salesOrders\/[^/?&#]+$/, authorization: 'Bearer t-1' },
};

function request(overrides: { method?: string; url?: string; headers?: Record<string, string> } = {}) {
  return {
    method: overrides.method ?? 'PUT',
    url: overrides.url ?? '/api/salesOrders/WEB-1',
    headers: overrides.headers ?? { authorization: 'Bearer t-1', 'idempotency-key': 'k-1' },
  } as unknown as IncomingMessage;
}

const good = JSON.stringify({ externalId: 'WEB-1', requestKey: 'k-1', lines: [{ item: 'SKU-1', qty: 2 }] });

describe("the simulated ERP's sales-order API", () => {
  it('creates an order once, answers the same request again 409 with its id', () => {
    const api = new SalesOrderApi();
    expect(api.answer(subscription, request(), good)).toEqual({ status: 201, body: { id: 'SO-1' } });
    expect(api.answer(subscription, request(), good)).toEqual({
      status: 409,
      body: { error: 'already exists', id: 'SO-1' },
    });
  });

  it('refuses the wrong method, credentials or body shape with userErrors', () => {
    const api = new SalesOrderApi();
    expect(api.answer(subscription, request({ method: 'POST' }), good)).toMatchObject({
      status: 405,
      refused: 'method POST, expected PUT',
    });
    expect(
      api.answer(
        subscription,
        request({ headers: { authorization: 'Bearer x', 'idempotency-key': 'k-1' } }),
        good,
      ),
    ).toMatchObject({ status: 401, body: { userErrors: [{ message: 'missing or wrong Authorization' }] } });
    expect(api.answer(subscription, request({ url: '/api/salesOrders/WEB-2' }), good)).toMatchObject({
      status: 422,
      refused: 'externalId "WEB-1" is not WEB-2',
    });
    const noKey = JSON.stringify({
      externalId: 'WEB-1',
      requestKey: 'other',
      lines: [{ item: 'S', qty: 1 }],
    });
    expect(api.answer(subscription, request(), noKey)).toMatchObject({ status: 422 });
    const noLines = JSON.stringify({ externalId: 'WEB-1', requestKey: 'k-1', lines: { item: 'S', qty: 1 } });
    expect(api.answer(subscription, request(), noLines)).toMatchObject({
      status: 422,
      refused: 'lines must be a non-empty array',
    });
    // Nothing was created by the refused requests.
    expect(api.answer(subscription, request(), good)).toEqual({ status: 201, body: { id: 'SO-1' } });
  });
});
