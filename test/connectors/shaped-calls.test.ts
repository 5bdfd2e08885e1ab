/**
 * Shaped calls out, through the real delivery engine against real local HTTP servers: a GraphQL-style API
 * that answers 200 with a THROTTLED error (retried, then delivered) or with userErrors (parked as an
 * exception), `{{ }}` templates URL-encoded, `lookup` bound as `$lookup`, `okIf` on a 409, `capture`
 * kept in the subscription's state, and the CloudEvents webhook unchanged without `body`.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

/** A request the API server received. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** `raw`: the body as it is (not JSON-encoded), for answers in other formats. */
type Reply = { status: number; body?: unknown; raw?: string; headers?: Record<string, string> };

/** A real HTTP API on 127.0.0.1 that records requests and answers with `reply`. */
async function startApi(reply: (request: Seen, index: number) => Reply) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: Seen = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      const answer = reply(request, seen.length);
      seen.push(request);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(server);
  return { url, seen };
}

let hub: TestApp | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const RETRY = '{ maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }';

/** A hub with one subscription of inventory adjustments to the ERP, its `http:` section as given. */
async function startHub(http: string, retry = RETRY): Promise<TestApp> {
  const subscriptions = `subscriptions:
  - name: erp-shaped
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    retry: ${retry}
    http:
${http
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
`;
  hub = await buildTestApp({ yaml: testConfigYaml({ subscriptions }), delivery: { pollMs: 10 } });
  return hub;
}

async function ingest(event: Record<string, unknown>): Promise<void> {
  const response = await hub!.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
    payload: JSON.stringify(event),
  });
  expect(response.statusCode).toBe(202);
}

async function exceptions(): Promise<
  { code: string; detail: string; lastStatus?: number; lastError?: string }[]
> {
  const response = await hub!.app.inject({
    method: 'GET',
    url: '/v1/exceptions?status=open',
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return (response.json() as { items: { code: string; detail: string; lastStatus?: number }[] }).items;
}

function adjustment(sku: string): Record<string, unknown> {
  return adjustedEvent({ data: { sku, location: 'DC-EAST', delta: 3, reason: 'correction' } });
}

describe('shaped calls out', () => {
  it('retries a 200 answer whose GraphQL errors say THROTTLED, then delivers it', async () => {
    const api = await startApi((_request, index) =>
      index < 3
        ? { status: 200, body: { errors: [{ message: 'slow down', extensions: { code: 'THROTTLED' } }] } }
        : { status: 200, body: { data: { inventoryAdjust: { userErrors: [] } } } },
    );
    await startHub(
      `url: ${api.url}/graphql
body: |
  {
    "query": "mutation($sku: String!, $delta: Int!) { inventoryAdjust(sku: $sku, delta: $delta) { userErrors { message } } }",
    "variables": { "sku": data.sku, "delta": data.delta }
  }
retryIf: $exists(body.errors[extensions.code = 'THROTTLED'])
retryAfter: '200'
failIf: $count(body.data.*.userErrors) > 0`,
      '{ maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }',
    );
    const event = adjustment('SKU-GQL-1');
    await ingest(event);
    await until(() => api.seen.length >= 4, 'four attempts');
    // maxAttempts is 2: were the throttled answers counted as failed attempts, the event would be parked
    // after the second; here the fourth is delivered and no exception is left.
    const [first] = api.seen;
    expect(first?.method).toBe('POST');
    expect(first?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(first?.headers['idempotency-key']).toBe(event.id);
    expect(JSON.parse(first?.body ?? '')).toEqual({
      query: expect.stringContaining('inventoryAdjust'),
      variables: { sku: 'SKU-GQL-1', delta: 3 },
    });
    // Each retry waited the 200 ms `retryAfter` gave (the backoff alone is at most 20 ms).
    for (let i = 1; i < 4; i += 1) {
      expect((api.seen[i]?.at ?? 0) - (api.seen[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(190);
    }
    // The same key on every attempt.
    expect(new Set(api.seen.map((r) => r.headers['idempotency-key']))).toEqual(new Set([event.id]));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(api.seen).toHaveLength(4);
    expect(await exceptions()).toEqual([]);
    const target = hub!.engine!.targets().find((t) => t.system === 'erp');
    expect(target?.circuit.state).toBe('closed');
  });

  it('parks a 200 answer with userErrors as an exception (failIf), without retrying it', async () => {
    const api = await startApi(() => ({
      status: 200,
      body: { data: { inventoryAdjust: { userErrors: [{ field: 'sku', message: 'unknown SKU' }] } } },
    }));
    await startHub(`url: ${api.url}/graphql
body: '{ "variables": { "sku": data.sku } }'
retryIf: $exists(body.errors[extensions.code = 'THROTTLED'])
failIf: $count(body.data.*.userErrors) > 0`);
    await ingest(adjustment('SKU-NOPE'));
    await until(async () => (await exceptions()).length === 1, 'one exception');
    const [exception] = await exceptions();
    expect(exception?.code).toBe('delivery_rejected');
    expect(exception?.lastStatus).toBe(200);
    expect(JSON.stringify(exception)).toContain('unknown SKU');
    expect(api.seen).toHaveLength(1);
  });

  it('fills {{ }} in the path and query URL-encoded, with the method and headers given', async () => {
    const api = await startApi(() => ({ status: 204 }));
    await startHub(`url: ${api.url}/api/items/{{ data.sku }}?location={{ data.location }}&note={{ data.reason & ' & more' }}
method: PUT
headers: { X-Api-Version: '2' }
body: '{ "delta": data.delta, "key": $idempotencyKey }'`);
    const event = adjustment('A/B C?#&x');
    await ingest(event);
    await until(() => api.seen.length === 1, 'one request');
    const [request] = api.seen;
    expect(request?.method).toBe('PUT');
    expect(request?.url).toBe('/api/items/A%2FB%20C%3F%23%26x?location=DC-EAST&note=correction%20%26%20more');
    expect(request?.headers['x-api-version']).toBe('2');
    expect(JSON.parse(request?.body ?? '')).toEqual({ delta: 3, key: event.id });
  });

  it('binds the lookup answer as $lookup in the URL and the body', async () => {
    const api = await startApi((request) =>
      request.method === 'GET'
        ? { status: 200, body: { items: [{ id: 'erp-77', sku: 'SKU-L' }] } }
        : { status: 200, body: { ok: true } },
    );
    await startHub(`url: ${api.url}/api/items/{{ $lookup.items[0].id }}
method: PATCH
lookup: { url: '${api.url}/api/items?sku={{ data.sku }}' }
body: '{ "id": $lookup.items[0].id, "delta": data.delta }'`);
    await ingest(adjustment('SKU-L'));
    await until(() => api.seen.length === 2, 'two requests');
    expect(api.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /api/items?sku=SKU-L',
      'PATCH /api/items/erp-77',
    ]);
    expect(JSON.parse(api.seen[1]?.body ?? '')).toEqual({ id: 'erp-77', delta: 3 });
  });

  it('binds $lookup to null when the lookup answers 404, so the body can tell', async () => {
    const api = await startApi((request) =>
      request.method === 'GET' ? { status: 404, body: { error: 'not found' } } : { status: 201 },
    );
    await startHub(`url: ${api.url}/api/items
lookup: { url: '${api.url}/api/items/{{ data.sku }}' }
body: '{ "action": $lookup = null ? "create" : "update", "sku": data.sku }'`);
    await ingest(adjustment('SKU-NEW'));
    await until(() => api.seen.length === 2, 'two requests');
    expect(api.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /api/items/SKU-NEW',
      'POST /api/items',
    ]);
    expect(JSON.parse(api.seen[1]?.body ?? '')).toEqual({ action: 'create', sku: 'SKU-NEW' });
  });

  it('takes a 409 as delivered with okIf, and captures values from the answer', async () => {
    const api = await startApi(() => ({ status: 409, body: { error: 'already exists', id: 'SO-991' } }));
    await startHub(`url: ${api.url}/api/salesOrders
body: '{ "externalId": data.sku }'
okIf: status = 409
capture: '{ "erpId": body.id, "sku": event.data.sku }'`);
    const event = adjustment('SKU-409');
    await ingest(event);
    await until(() => api.seen.length === 1, 'one request');
    await until(
      async () => (await hub!.store.connectorState.get('erp-shaped', `capture:${event.id}`)) !== undefined,
      'the captured values',
    );
    const kept = (await hub!.store.connectorState.get('erp-shaped', `capture:${event.id}`)) as {
      values: unknown;
    };
    expect(kept.values).toEqual({ erpId: 'SO-991', sku: 'SKU-409' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(api.seen).toHaveLength(1);
    expect(await exceptions()).toEqual([]);
  });

  it('refuses an answer a rule cannot be evaluated over, keeping its status and body for the operator', async () => {
    const api = await startApi(() => ({ status: 200, body: { x: 'abc' } }));
    await startHub(`url: ${api.url}/api/rule
body: '{ "sku": data.sku }'
failIf: $number(body.x) > 0`);
    await ingest(adjustment('SKU-RULE'));
    await until(async () => (await exceptions()).length === 1, 'one exception');
    const [exception] = await exceptions();
    expect(exception?.code).toBe('delivery_rejected');
    expect(exception?.lastStatus).toBe(200);
    expect(exception?.lastError).toContain('failIf: D3030');
    expect(api.seen).toHaveLength(1);
  });

  it('reads an XML answer by its content type: the rules and capture see its elements', async () => {
    const api = await startApi((request) => ({
      status: 200,
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      raw: request.body.includes('SKU-BAD')
        ? '<Envelope><Body><Result status="Rejected"><Message>unknown SKU</Message></Result></Body></Envelope>'
        : '<Envelope><Body><Result status="Accepted"><OrderId>SO-77</OrderId></Result></Body></Envelope>',
    }));
    await startHub(`url: ${api.url}/soap
body: '{ "sku": data.sku }'
failIf: body.Envelope.Body.Result.\`@status\` = 'Rejected'
capture: '{ "erpId": body.Envelope.Body.Result.OrderId }'`);
    const good = adjustment('SKU-XML');
    await ingest(good);
    await until(
      async () => (await hub!.store.connectorState.get('erp-shaped', `capture:${good.id}`)) !== undefined,
      'the captured values',
    );
    expect(await hub!.store.connectorState.get('erp-shaped', `capture:${good.id}`)).toMatchObject({
      values: { erpId: 'SO-77' },
    });
    await ingest(adjustment('SKU-BAD'));
    await until(async () => (await exceptions()).length === 1, 'one exception');
    const [exception] = await exceptions();
    expect(exception?.code).toBe('delivery_rejected');
    expect(exception?.lastError).toBe('failIf matched the answer');
    expect(api.seen).toHaveLength(2);
  });

  it('refuses an answer nested deeper than 64 levels with a clear error, capturing nothing', async () => {
    const deep = `{"id":"SO-1","x":${'['.repeat(70)}1${']'.repeat(70)}}`;
    const api = await startApi(() => ({ status: 200, raw: deep }));
    await startHub(`url: ${api.url}/api/deep
body: '{ "sku": data.sku }'
capture: '{ "erpId": body.id }'`);
    const event = adjustment('SKU-DEEP');
    await ingest(event);
    await until(async () => (await exceptions()).length === 1, 'one exception');
    const [exception] = await exceptions();
    expect(exception?.code).toBe('delivery_rejected');
    expect(exception?.lastStatus).toBe(200);
    expect(exception?.lastError).toBe('the answer nests more than 64 levels deep');
    expect(await hub!.store.connectorState.get('erp-shaped', `capture:${event.id}`)).toBeUndefined();
    expect(api.seen).toHaveLength(1);
  });

  it('parks an event whose body expression runs out of its time budget', async () => {
    const api = await startApi(() => ({ status: 200 }));
    await startHub(`url: ${api.url}/api/loop
body: '($f := function($n) { $n > 0 ? $f($n - 1) + $f($n - 1) : 0 }; $f(40))'`);
    await ingest(adjustment('SKU-LOOP'));
    await until(async () => (await exceptions()).length === 1, 'one exception');
    const [exception] = await exceptions();
    expect(exception?.code).toBe('delivery_rejected');
    expect(JSON.stringify(exception)).toMatch(/D1012|D1011/);
    expect(api.seen).toHaveLength(0);
  });

  it('still sends the CloudEvents webhook, signed, when a shaped section has no body', async () => {
    const api = await startApi(() => ({ status: 200 }));
    await startHub(`url: ${api.url}/hook
secret: webhook-secret-0001
auth: { bearer: api-token-1 }`);
    const event = adjustment('SKU-CE');
    await ingest(event);
    await until(() => api.seen.length === 1, 'one request');
    const [request] = api.seen;
    expect(request?.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(request?.headers.authorization).toBe('Bearer api-token-1');
    expect(request?.headers['manifold-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(JSON.parse(request?.body ?? '').id).toBe(event.id);
  });
  it('signs a shaped body with Manifold-Signature (t and v1 over the body sent) beside its own auth', async () => {
    const api = await startApi(() => ({ status: 200 }));
    await startHub(`url: ${api.url}/api/signed/{{ data.sku }}
method: PUT
secret: webhook-secret-0001
body: '{ "sku": data.sku, "delta": data.delta }'
auth: { bearer: api-token-1 }`);
    const event = adjustment('SKU-SIG');
    await ingest(event);
    await until(() => api.seen.length === 1, 'one request');
    const [request] = api.seen;
    expect(request?.body).toBe('{"sku":"SKU-SIG","delta":3}');
    expect(request?.headers.authorization).toBe('Bearer api-token-1');
    expect(request?.headers['idempotency-key']).toBe(event.id);
    const header = String(request?.headers['manifold-signature']);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
    // docs/webhooks.md: HMAC-SHA256 of `<t>.<raw body>` with the subscription's secret.
    expect(v1).toBe(
      createHmac('sha256', 'webhook-secret-0001').update(`${t}.${request?.body}`).digest('hex'),
    );
    // Not a signature over something else (the empty body, say).
    expect(v1).not.toBe(createHmac('sha256', 'webhook-secret-0001').update(`${t}.`).digest('hex'));
  });

  it('signs the body sent with hmac auth, and sends Basic credentials with basic auth', async () => {
    const api = await startApi(() => ({ status: 200 }));
    await startHub(`url: ${api.url}/api/hmac
body: '{ "sku": data.sku }'
auth: { hmac: { secret: shared-key-1, header: X-Shop-Hmac, encoding: base64, prefix: 'sha256=' } }`);
    await ingest(adjustment('SKU-H'));
    await until(() => api.seen.length === 1, 'one request');
    const [signed] = api.seen;
    const expected = createHmac('sha256', 'shared-key-1')
      .update(signed?.body ?? '')
      .digest('base64');
    expect(signed?.body).toBe('{"sku":"SKU-H"}');
    expect(signed?.headers['x-shop-hmac']).toBe(`sha256=${expected}`);
    await hub?.close();
    hub = undefined;

    const basic = await startApi(() => ({ status: 200 }));
    await startHub(`url: ${basic.url}/api/basic
body: '{ "sku": data.sku }'
auth: { basic: { username: hub, password: 'pä ss' } }`);
    await ingest(adjustment('SKU-B'));
    await until(() => basic.seen.length === 1, 'one request');
    expect(basic.seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from('hub:pä ss').toString('base64')}`);
  });
});
