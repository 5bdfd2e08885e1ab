/**
 * Input built to hurt: leap seconds and far-away years in time filters, JSON nested thousands deep,
 * numbers no double holds, NUL smuggled through binary-mode headers, duplicate line ids, malformed
 * HTTP. Each answers a 4xx problem document (or is read consistently), never a 500, and nothing of it
 * reaches the log.
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshOrderId, freshSku, shipTo } from '../support/orders.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';

let hub: TestApp;
beforeEach(async () => {
  hub = await buildTestApp();
});
afterEach(async () => {
  await hub.close();
});

const getAsAdmin = (url: string) =>
  hub.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${KEYS.admin}` } });

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { pointer: string; detail: string }[];
}

function expectProblem(response: { statusCode: number; headers: Record<string, unknown>; json(): unknown }) {
  expect(response.statusCode).toBeGreaterThanOrEqual(400);
  expect(response.statusCode).toBeLessThan(500);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  return response.json() as Problem;
}

async function loggedCount(): Promise<number> {
  return ((await getAsAdmin('/v1/events?limit=5000')).json() as { items: unknown[] }).items.length;
}

function order(overrides: Record<string, unknown> = {}) {
  return {
    orderId: freshOrderId(),
    channel: 'web',
    customer: { id: 'C-1' },
    lines: [{ lineId: '1', sku: freshSku(), quantity: 1, unitPrice: 5 }],
    shipTo,
    ...overrides,
  };
}

function postOrder(body: string | Record<string, unknown>) {
  return hub.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: {
      authorization: `Bearer ${KEYS.shop}`,
      'content-type': 'application/json',
      'idempotency-key': freshOrderId(),
    },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('time filters', () => {
  it('reads a leap second (23:59:60) as the instant after its minute, on every since/until/from/to', async () => {
    expect((await postAs(hub.app, '/v1/events', KEYS.wmsEast, adjustedEvent())).statusCode).toBe(202);
    const leap = '2016-12-31T23:59:60Z';
    const since = await getAsAdmin(`/v1/events?since=${leap}`);
    expect(since.statusCode).toBe(200);
    expect((since.json() as { items: unknown[] }).items).toHaveLength(1);
    const until = await getAsAdmin(`/v1/events?until=${leap}`);
    expect(until.statusCode).toBe(200);
    expect((until.json() as { items: unknown[] }).items).toHaveLength(0);
    expect((await getAsAdmin(`/v1/exceptions?since=${leap}`)).statusCode).toBe(200);
    expect((await getAsAdmin(`/v1/orders?since=${leap}`)).statusCode).toBe(200);
    const replay = await hub.app.inject({
      method: 'POST',
      url: '/v1/replays',
      headers: { authorization: `Bearer ${KEYS.admin}` },
      payload: { subscription: 'erp-inventory', from: leap, to: '2999-12-31T23:59:60Z' },
    });
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toMatchObject({
      total: 1,
      selection: { from: '2017-01-01T00:00:00.000Z', to: '3000-01-01T00:00:00.000Z' },
    });
  });

  it('compares an instant past year 9999 (through its offset) as a time, not as text', async () => {
    expect((await postAs(hub.app, '/v1/events', KEYS.wmsEast, adjustedEvent())).statusCode).toBe(202);
    // 9999-12-31T23:59:59-05:00 is in year 10000 UTC: `+010000-…` as ISO text sorts before every year.
    const farFuture = encodeURIComponent('9999-12-31T23:59:59-05:00');
    const since = await getAsAdmin(`/v1/events?since=${farFuture}`);
    expect(since.statusCode).toBe(200);
    expect((since.json() as { items: unknown[] }).items).toHaveLength(0);
    const until = await getAsAdmin(`/v1/events?until=${farFuture}`);
    expect((until.json() as { items: unknown[] }).items).toHaveLength(1);
    const farPast = encodeURIComponent('0000-01-01T00:00:00+05:00');
    expect(
      ((await getAsAdmin(`/v1/events?since=${farPast}`)).json() as { items: unknown[] }).items,
    ).toHaveLength(1);
    expect((await getAsAdmin(`/v1/orders?since=${farFuture}`)).json()).toMatchObject({ items: [] });
  });
});

describe('JSON nesting', () => {
  const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it('400 too-deep for a body nested past 64 levels, in every JSON body, with nothing logged', async () => {
    const event = JSON.stringify(adjustedEvent({ data: { sku: '\u0000' } }));
    const nested = event.replace('"data":{', `"data":{"x":${deep(10_000)},`);
    for (const [contentType, payload] of [
      ['application/cloudevents+json', nested],
      ['application/cloudevents-batch+json', `[${nested}]`],
      ['application/json', `[${nested}]`],
    ] as const) {
      const problem = expectProblem(await postAs(hub.app, '/v1/events', KEYS.wmsEast, payload, contentType));
      expect(problem.type, contentType).toBe('https://manifold.dev/problems/too-deep');
    }
    const binary = await hub.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: {
        authorization: `Bearer ${KEYS.wmsEast}`,
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'deep-1',
        'ce-source': '/wms-east',
        'ce-type': 'com.manifold.inventory.adjusted.v1',
      },
      payload: `{"sku":${deep(5_000)}}`,
    });
    expect(expectProblem(binary).type).toBe('https://manifold.dev/problems/too-deep');
    const customer = `{"id":"C-1","x":${deep(10_000)}}`;
    const deepOrder = JSON.stringify(order()).replace(/"customer":\{[^}]*\}/, `"customer":${customer}`);
    expect(expectProblem(await postOrder(deepOrder)).type).toBe('https://manifold.dev/problems/too-deep');
    const reservation = await hub.app.inject({
      method: 'POST',
      url: '/v1/reservations',
      headers: { authorization: `Bearer ${KEYS.shop}`, 'content-type': 'application/json' },
      payload: `{"lines":${deep(8_000)}}`,
    });
    expect(expectProblem(reservation).type).toBe('https://manifold.dev/problems/too-deep');
    expect(await loggedCount()).toBe(0);
  });

  it('takes 64 levels, and brackets inside strings do not count', async () => {
    const event = adjustedEvent({ id: `${'['.repeat(100)}"\\"${'{'.repeat(100)}` });
    expect((await postAs(hub.app, '/v1/events', KEYS.wmsEast, event)).statusCode).toBe(202);
    const levels = JSON.stringify(adjustedEvent()).replace('"data":{', `"data":{"x":${deep(62)},`);
    // 64 levels (event, data, 62 arrays) parse, then fail the contract on the unknown field only.
    const problem = expectProblem(await postAs(hub.app, '/v1/events', KEYS.wmsEast, levels));
    expect(problem.errors?.[0]).toMatchObject({ pointer: '/data/x', detail: "unknown field 'x'" });
  });
});

describe('numbers', () => {
  it('refuses non-finite and unsafe numbers anywhere, with a pointer', async () => {
    const text = JSON.stringify(adjustedEvent()).replace(/"delta":-?\d+/, '"delta":1e309');
    const infinite = expectProblem(await postAs(hub.app, '/v1/events', KEYS.wmsEast, text));
    expect(infinite.errors?.[0]).toMatchObject({ pointer: '/data/delta', detail: 'must be a finite number' });
    const unsafe = JSON.stringify(order()).replace('"quantity":1', '"quantity":9007199254740993');
    const problem = expectProblem(await postOrder(unsafe));
    expect(problem.errors?.[0]?.pointer).toBe('/lines/0/quantity');
    expect(await loggedCount()).toBe(0);
  });

  it('bounds order quantities (at most 1e9, like reservations) and prices', async () => {
    const tooMany = expectProblem(
      await postOrder(
        order({ lines: [{ lineId: '1', sku: freshSku(), quantity: 1_000_000_001, unitPrice: 1 }] }),
      ),
    );
    expect(JSON.stringify(tooMany.errors)).toContain('/lines/0/quantity');
    const tooDear = expectProblem(
      await postOrder(order({ lines: [{ lineId: '1', sku: freshSku(), quantity: 1, unitPrice: 1e13 }] })),
    );
    expect(JSON.stringify(tooDear.errors)).toContain('/lines/0/unitPrice');
    expect(await loggedCount()).toBe(0);
  });

  it('refuses two lines with one lineId (the order names its lines by them)', async () => {
    const sku = freshSku();
    const twice = order({
      lines: [
        { lineId: '1', sku, quantity: 1, unitPrice: 1 },
        { lineId: '1', sku, quantity: 2, unitPrice: 1 },
      ],
    });
    const problem = expectProblem(await postOrder(twice));
    expect(JSON.stringify(problem.errors)).toContain('/lines/1/lineId');
    const event = {
      specversion: '1.0',
      id: 'dup-lines',
      source: '/shop',
      type: 'com.manifold.order.accepted.v1',
      data: twice,
    };
    const asEvent = expectProblem(await postAs(hub.app, '/v1/events', KEYS.shop, event));
    expect(asEvent.errors?.[0]?.pointer).toBe('/data/lines/1/lineId');
    expect(await loggedCount()).toBe(0);
  });
});

describe('binary mode', () => {
  it('refuses a NUL percent-encoded in a ce-* header, as structured mode refuses it', async () => {
    const response = await hub.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: {
        authorization: `Bearer ${KEYS.wmsEast}`,
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-id': 'nul%00id',
        'ce-source': '/wms-east',
        'ce-type': 'com.manifold.inventory.adjusted.v1',
      },
      payload: JSON.stringify({ sku: 'SKU-1', location: 'DC-EAST', delta: 1, reason: 'correction' }),
    });
    expect(expectProblem(response).errors?.[0]?.pointer).toBe('/id');
    expect(await loggedCount()).toBe(0);
  });
});

describe('HTTP-level errors are problem documents', () => {
  it('a URL that does not decode', async () => {
    const problem = expectProblem(await getAsAdmin('/v1/orders/%E0%A4%A'));
    expect(problem).toMatchObject({ type: 'https://manifold.dev/problems/bad-url', status: 400 });
  });

  it('headers too large and bytes that are not HTTP, from the real server', async () => {
    await hub.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = hub.app.server.address() as { port: number };
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        let answer = '';
        const socket = connect(port, '127.0.0.1', () => socket.write(text));
        socket.on('data', (chunk) => {
          answer += chunk;
        });
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    const tooLong = await raw(`GET /v1/events?type=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(tooLong).toMatch(/^HTTP\/1\.1 431 /);
    expect(tooLong).toContain('Content-Type: application/problem+json');
    expect(JSON.parse(tooLong.slice(tooLong.indexOf('\r\n\r\n') + 4))).toMatchObject({
      type: 'https://manifold.dev/problems/headers-too-large',
      status: 431,
    });
    const junk = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(junk).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(junk.slice(junk.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400 });
  });

  it('a request arriving while the hub closes gets 503 as a problem document', async () => {
    await hub.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = hub.app.server.address() as { port: number };
    const body = JSON.stringify(adjustedEvent());
    const head = `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEYS.wmsEast}\r\nContent-Type: application/cloudevents+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.write(`${head}${body.slice(0, 10)}`, () => resolve()));
    // The first request is under way (its body half sent): the connection is busy while close begins.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = hub.app.close();
    socket.write(`${body.slice(10)}GET /v1/schemas HTTP/1.1\r\nHost: x\r\n\r\n`);
    await ended;
    await closed;
    const second = answer.slice(answer.indexOf('HTTP/1.1', 1));
    expect(answer).toMatch(/^HTTP\/1\.1 202 /);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second.toLowerCase()).toContain('content-type: application/problem+json');
    expect(second).toContain('https://manifold.dev/problems/shutting-down');
  });

  it('bounds how long a client may take to send its request (server.requestTimeout, 30 s by default)', async () => {
    expect(hub.app.server.requestTimeout).toBe(30_000);
    const slow = await buildTestApp({
      yaml: testConfigYaml().replace('maxBatchEvents: 1000', 'maxBatchEvents: 1000\n  requestTimeout: 5s'),
    });
    try {
      expect(slow.app.server.requestTimeout).toBe(5_000);
    } finally {
      await slow.close();
    }
  });
});

describe('POST /v1/exceptions/{id}/retry', () => {
  it('takes no body, an empty body, or an empty body labelled JSON (the note is optional)', async () => {
    for (const extra of [
      {},
      { payload: '' },
      { payload: '', headers: { 'content-type': 'application/json' } },
    ]) {
      const response = await hub.app.inject({
        method: 'POST',
        url: '/v1/exceptions/4242/retry',
        ...extra,
        headers: { authorization: `Bearer ${KEYS.admin}`, ...(extra as { headers?: object }).headers },
      });
      // Past the body: the exception does not exist.
      expect(expectProblem(response).type, JSON.stringify(extra)).toBe(
        'https://manifold.dev/problems/not-found',
      );
    }
  });
});
