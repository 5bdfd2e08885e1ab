/** `bin/manifold map test --subscription …`: an outbound mapping tried without a hub (the built CLI). */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfigYaml } from '../support/test-config.js';

const BIN = fileURLToPath(new URL('../../bin/manifold', import.meta.url));

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A GraphQL mutation to a shop, signed, with static headers, OAuth2, answer rules and capture. */
const SUBSCRIPTIONS = `subscriptions:
  - name: shop-graphql
    target: shop
    types: [com.manifold.order.*]
    http:
      url: 'https://shop.example/admin/api/{{ data.store }}/graphql.json?ref={{ subject }}'
      secret: whsec_topsecret
      headers: { X-Shopify-Access-Token: shpat_topsecret, X-Api-Version: '2024-10' }
      auth:
        oauth2: { tokenUrl: 'https://auth.example/oauth/token', clientId: manifold, clientSecret: cs_topsecret }
      body: |
        { "query": "mutation close($id: ID!) { orderClose(input: {id: $id}) { order { closedAt } userErrors { message } } }",
          "variables": { "id": data.orderId } }
      failIf: '$count(body.data.*.userErrors) > 0'
      retryIf: "body.errors[extensions.code = 'THROTTLED']"
      retryAfter: 'body.extensions.cost.throttleStatus.restoreRate * 1000'
      capture: '{ "closedAt": body.data.orderClose.order.closedAt }'
  - name: erp-basic
    target: erp
    types: [com.manifold.order.*]
    http:
      url: 'https://erp.example/orders/{{ data.orderId }}'
      method: PUT
      auth: { basic: { username: manifold, password: pw_topsecret } }
      lookup: { url: 'https://erp.example/orders/{{ data.orderId }}' }
      body: '{ "id": data.orderId, "version": $lookup.version, "total": data.total * 100 }'
  - name: erp-webhook
    target: erp
    types: [com.manifold.order.*]
    http: { url: 'http://127.0.0.1:9/erp', secret: whsec_plain }
  - name: erp-capture-text
    target: erp
    types: [com.manifold.order.*]
    http: { url: 'https://erp.example/orders', capture: 'body.id' }
  - name: erp-capture-xref
    target: erp
    types: [com.manifold.order.*]
    http:
      url: 'https://erp.example/orders'
      body: '{ "id": data.orderId }'
      capture: { xref: erp-order, key: event.data.orderId, value: body.id }
xref:
  erp-order: {}
`;

const EVENT = {
  specversion: '1.0',
  id: 'evt-1',
  source: 'manifold',
  type: 'com.manifold.order.accepted.v1',
  subject: 'SO 1/2',
  data: { store: 'acme shop', orderId: 'gid://shopify/Order/1', total: 12.5 },
};

let dir: string;
const path = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'manifold-map-out-'));
  writeFileSync(path('manifold.yaml'), testConfigYaml({ subscriptions: SUBSCRIPTIONS }));
  writeFileSync(path('event.json'), JSON.stringify(EVENT));
  writeFileSync(
    path('user-errors.json'),
    JSON.stringify({
      status: 200,
      body: { data: { orderClose: { order: null, userErrors: [{ message: 'Order is already closed' }] } } },
    }),
  );
  writeFileSync(
    path('throttled.json'),
    JSON.stringify({
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }],
        extensions: { cost: { throttleStatus: { restoreRate: 2.5 } } },
      }),
    }),
  );
  writeFileSync(
    path('closed.json'),
    JSON.stringify({
      status: 200,
      body: { data: { orderClose: { order: { closedAt: '2026-12-03T10:00:00Z' }, userErrors: [] } } },
    }),
  );
  writeFileSync(path('lookup.json'), JSON.stringify({ status: 200, body: { version: 7 } }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = (subscription: string) => [
  'map',
  'test',
  '--config',
  path('manifold.yaml'),
  '--subscription',
  subscription,
  '--event',
  path('event.json'),
];

// Each run starts the whole CLI (about a second on the CI machine).
describe('bin/manifold map test --subscription', { timeout: 60_000 }, () => {
  it('prints the shaped request: URL template encoded, body evaluated, secrets redacted', async () => {
    const result = await run(...base('shop-graphql'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { request } = JSON.parse(result.stdout);
    expect(request.method).toBe('POST');
    expect(request.url).toBe('https://shop.example/admin/api/acme%20shop/graphql.json?ref=SO%201%2F2');
    expect(request.headers).toEqual({
      'user-agent': expect.stringMatching(/^manifold\//),
      'x-shopify-access-token': '[redacted]',
      'x-api-version': '2024-10',
      'content-type': 'application/json; charset=utf-8',
      'idempotency-key': 'evt-1',
      'manifold-signature': '[redacted]',
      authorization: 'Bearer [token from https://auth.example/oauth/token]',
    });
    expect(request.body.variables).toEqual({ id: 'gid://shopify/Order/1' });
    expect(result.stdout).not.toMatch(/topsecret/);
  });

  it('reads an answer with userErrors as rejected by failIf', async () => {
    const result = await run(...base('shop-graphql'), '--response', path('user-errors.json'));
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.answer).toEqual({
      status: 200,
      rule: 'failIf',
      outcome: 'rejected',
      reason: 'failIf matched the answer',
    });
    expect(output.capture).toEqual({
      key: 'capture:evt-1',
      stored: null,
      reason: 'capture runs only on a delivered answer',
    });
  });

  it('reads a THROTTLED answer as retry-throttled with the wait retryAfter gives', async () => {
    const result = await run(...base('shop-graphql'), '--response', path('throttled.json'));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).answer).toEqual({
      status: 200,
      rule: 'retryIf',
      outcome: 'retry-throttled',
      retryAfterMs: 2500,
      reason: 'retryIf matched the answer',
    });
  });

  it('prints what capture stores for a delivered answer', async () => {
    const result = await run(...base('shop-graphql'), '--response', path('closed.json'));
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output.answer).toEqual({ status: 200, rule: 'status', outcome: 'delivered' });
    expect(output.capture).toEqual({
      key: 'capture:evt-1',
      stored: { values: { closedAt: '2026-12-03T10:00:00Z' }, at: expect.any(String) },
    });
  });

  it('prints the entry capture: { xref } would write', async () => {
    writeFileSync(path('created-xref.json'), JSON.stringify({ status: 201, body: { id: 'SO-10' } }));
    const result = await run(...base('erp-capture-xref'), '--response', path('created-xref.json'));
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout).capture).toEqual({
      xref: 'erp-order',
      key: 'gid://shopify/Order/1',
      value: 'SO-10',
    });
  });

  it('exits 1 when capture gives no object, printing what the hub would keep instead', async () => {
    writeFileSync(path('created.json'), JSON.stringify({ status: 201, body: { id: 'SO-9' } }));
    const result = await run(...base('erp-capture-text'), '--response', path('created.json'));
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).capture).toEqual({
      key: 'capture:evt-1',
      stored: { error: 'capture: the expression must give an object', at: expect.any(String) },
    });
    expect(result.stderr).toMatch(
      /expression 'capture' at \/subscriptions\/3\/http\/capture failed: the expression must give an object/,
    );
  });

  it('binds the lookup answer given, or null with a note; basic auth redacted', async () => {
    const given = await run(...base('erp-basic'), '--lookup', path('lookup.json'));
    expect(given.code).toBe(0);
    const output = JSON.parse(given.stdout);
    expect(output.lookup.request).toMatchObject({
      method: 'GET',
      url: 'https://erp.example/orders/gid%3A%2F%2Fshopify%2FOrder%2F1',
      headers: { authorization: '[redacted]' },
    });
    expect(output.lookup.bound).toEqual({ version: 7 });
    expect(output.request).toMatchObject({
      method: 'PUT',
      headers: { authorization: '[redacted]' },
      body: { id: 'gid://shopify/Order/1', version: 7, total: 1250 },
    });
    expect(given.stdout).not.toMatch(/topsecret|bWFuaWZvbGQ6/);

    const unknown = await run(...base('erp-basic'));
    expect(unknown.code).toBe(0);
    expect(JSON.parse(unknown.stdout).lookup.bound).toBeNull();
    expect(JSON.parse(unknown.stdout).request.body).toEqual({ id: 'gid://shopify/Order/1', total: 1250 });
    expect(unknown.stderr).toMatch(/lookup would be called/);
  });

  it('prints a plain webhook request as the CloudEvent sent today, signature redacted', async () => {
    const result = await run(...base('erp-webhook'));
    expect(result.code).toBe(0);
    const { request } = JSON.parse(result.stdout);
    expect(request).toEqual({
      method: 'POST',
      url: 'http://127.0.0.1:9/erp',
      headers: {
        'user-agent': expect.stringMatching(/^manifold\//),
        'content-type': 'application/cloudevents+json; charset=utf-8',
        'idempotency-key': 'evt-1',
        'manifold-signature': '[redacted]',
      },
      body: EVENT,
    });
  });

  it('exits 1 naming the expression that failed, where it is written, and why', async () => {
    writeFileSync(path('no-order.json'), JSON.stringify({ ...EVENT, data: { store: 'acme' } }));
    const result = await run(
      'map',
      'test',
      '--config',
      path('manifold.yaml'),
      '--subscription',
      'erp-basic',
      '--event',
      path('no-order.json'),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /expression 'lookup\.url \{\{ data\.orderId \}\}' at \/subscriptions\/1\/http\/lookup\/url failed/,
    );
    expect(result.stderr).toMatch(/a URL part must be a string or a number/);
    expect(result.stderr).toContain(`${path('manifold.yaml')}:`);

    writeFileSync(path('text-total.json'), JSON.stringify({ ...EVENT, data: { ...EVENT.data, total: 'x' } }));
    const body = await run(
      'map',
      'test',
      '--config',
      path('manifold.yaml'),
      '--subscription',
      'erp-basic',
      '--event',
      path('text-total.json'),
    );
    expect(body.code).toBe(1);
    expect(body.stdout).toBe('');
    expect(body.stderr).toMatch(
      /manifold\.yaml:\d+:\d+ expression 'body' at \/subscriptions\/1\/http\/body failed: T2001 .*"\*" operator must evaluate to a number/,
    );
  });

  it('exits 2 on bad flags, a missing subscription or a bad file', async () => {
    const unknownFlag = await run(...base('shop-graphql'), '--bogus');
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toMatch(/unknown option '--bogus'/);
    const noSubscription = await run(
      'map',
      'test',
      '--config',
      path('manifold.yaml'),
      '--event',
      path('event.json'),
    );
    expect(noSubscription.code).toBe(2);
    const missing = await run(...base('nope'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no subscription 'nope'.*shop-graphql/);
    const badResponse = await run(...base('shop-graphql'), '--response', path('event.json'));
    expect(badResponse.code).toBe(2);
    expect(badResponse.stderr).toMatch(/'status' must be an HTTP status code/);
    writeFileSync(path('broken.yaml'), testConfigYaml({ subscriptions: 'subscriptions: [ { name: x } ]' }));
    const badConfig = await run(
      'map',
      'test',
      '--config',
      path('broken.yaml'),
      '--subscription',
      'x',
      '--event',
      path('event.json'),
    );
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/broken\.yaml:\d+:\d+ /);
  });
});
