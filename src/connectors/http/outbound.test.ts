import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HttpConnectorConfig } from '../../config/compiled-config.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { connectionsByOrigin, HttpConnector } from './outbound.js';
import { verifySignature } from './signature.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Target {
  url: string;
  received: Received[];
  /** TCP connections the server accepted. */
  connections: number;
}

type Handler = (request: Received, response: ServerResponse) => void;

const servers: Server[] = [];
const connectors: HttpConnector[] = [];
let baselineTimers = 0;

function openHandles(): { sockets: number; timers: number } {
  const resources = process.getActiveResourcesInfo();
  return {
    sockets: resources.filter((name) => name === 'TCPServerWrap' || name === 'TCPSocketWrap').length,
    timers: Math.max(0, resources.filter((name) => name === 'Timeout').length - baselineTimers),
  };
}

async function settledLeaks(): Promise<{ sockets: number; timers: number }> {
  for (let i = 0; i < 100; i++) {
    const open = openHandles();
    if (open.sockets === 0 && open.timers === 0) return open;
    await new Promise((resolve) => setImmediate(resolve));
    if (i > 10) await new Promise((resolve) => setTimeout(resolve, 10).unref());
  }
  return openHandles();
}

beforeAll(() => {
  baselineTimers = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
});

afterEach(async () => {
  await Promise.all(connectors.splice(0).map((connector) => connector.destroy()));
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
  // A test that leaks a server, a socket or a timer fails (STYLE.md). libuv finishes closing handles a
  // moment after the close callbacks, so give it that moment.
  expect(await settledLeaks()).toEqual({ sockets: 0, timers: 0 });
});

/** A real HTTP target on a free local port that records what it received, then answers with `handler`. */
async function startTarget(handler: Handler): Promise<Target> {
  const target: Target = { url: '', received: [], connections: 0 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received: Received = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      target.received.push(received);
      handler(received, response);
    });
  });
  server.on('connection', () => {
    target.connections += 1;
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks?tenant=t1`;
  return target;
}

function connector(): HttpConnector {
  const created = new HttpConnector();
  connectors.push(created);
  return created;
}

function config(url: string, extra: Partial<HttpConnectorConfig> = {}): HttpConnectorConfig {
  return { url, headers: {}, timeoutMs: 2000, batch: false, ...extra };
}

function event(id: string): CloudEvent {
  return {
    specversion: '1.0',
    id,
    source: '/systems/wms-east',
    type: 'com.manifold.order.shipped.v1',
    subject: 'SO-1',
    data: { orderId: 'SO-1', location: 'DC-EAST', lines: [{ lineId: '1', quantity: 2 }] },
  };
}

function answer(status: number, body = '', headers: Record<string, string> = {}): Handler {
  return (_request, response) => {
    response.writeHead(status, headers);
    response.end(body);
  };
}

describe('HttpConnector.send', () => {
  it('delivers one structured event with the documented headers (2xx)', async () => {
    const target = await startTarget(answer(202, 'accepted'));
    const sent = event('evt-1');
    const response = await connector().send(
      config(target.url, { headers: { Authorization: 'Bearer k', 'Content-Type': 'text/plain' } }),
      [sent],
    );
    expect(response).toMatchObject({ outcome: 'delivered', status: 202, bodyExcerpt: 'accepted' });
    expect(response.latencyMs).toBeGreaterThanOrEqual(0);
    expect(response.error).toBeUndefined();
    const [received] = target.received;
    expect(received?.method).toBe('POST');
    expect(received?.url).toBe('/hooks?tenant=t1');
    expect(received?.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(received?.headers['idempotency-key']).toBe('evt-1');
    expect(received?.headers['user-agent']).toMatch(/^manifold\/\d+\.\d+\.\d+/);
    expect(received?.headers.authorization).toBe('Bearer k');
    expect(received?.headers['manifold-signature']).toBeUndefined();
    expect(JSON.parse(received?.body ?? '')).toEqual(sent);
  });

  it('reports 500 as retryable, with the body excerpt', async () => {
    const target = await startTarget(answer(500, 'database is down'));
    const response = await connector().send(config(target.url), [event('evt-1')]);
    expect(response).toMatchObject({ outcome: 'retryable', status: 500, bodyExcerpt: 'database is down' });
    expect(response.retryAfterMs).toBeUndefined();
  });

  it('reports 429 as retryable and passes Retry-After on, in seconds or as a date', async () => {
    const target = await startTarget(answer(429, 'slow down', { 'retry-after': '7' }));
    const response = await connector().send(config(target.url), [event('evt-1')]);
    expect(response).toMatchObject({ outcome: 'retryable', status: 429, retryAfterMs: 7000 });

    const now = new Date('2025-03-10T12:00:00Z');
    const dated = await startTarget(answer(503, '', { 'retry-after': 'Mon, 10 Mar 2025 12:00:30 GMT' }));
    const second = await connector().send(config(dated.url), [event('evt-1')], now);
    expect(second.outcome).toBe('retryable');
    expect(second.retryAfterMs).toBeGreaterThan(28_000);
    expect(second.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('reports 400 as permanent and keeps only the first 512 characters of the body', async () => {
    const target = await startTarget(answer(400, `${'é'.repeat(600)}tail`));
    const response = await connector().send(config(target.url), [event('evt-1')]);
    expect(response).toMatchObject({ outcome: 'permanent', status: 400 });
    expect(response.bodyExcerpt).toBe('é'.repeat(512));
  });

  it('does not follow redirects: 3xx is permanent', async () => {
    const target = await startTarget(answer(308, '', { location: '/elsewhere' }));
    const response = await connector().send(config(target.url), [event('evt-1')]);
    expect(response).toMatchObject({ outcome: 'permanent', status: 308 });
    expect(target.received).toHaveLength(1);
  });

  it('gives up on a target that never answers after about timeoutMs: retryable', async () => {
    const target = await startTarget(() => undefined);
    const response = await connector().send(config(target.url, { timeoutMs: 300 }), [event('evt-1')]);
    expect(response.outcome).toBe('retryable');
    expect(response.status).toBeUndefined();
    expect(response.error).toMatch(/timeout after 300 ms/);
    expect(response.latencyMs).toBeGreaterThanOrEqual(250);
    expect(response.latencyMs).toBeLessThan(1500);
  });

  it('keeps the answer when the status arrived but the body never ends', async () => {
    const target = await startTarget((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('partial');
    });
    const response = await connector().send(config(target.url, { timeoutMs: 300 }), [event('evt-1')]);
    expect(response).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(response.error).toMatch(/timeout/);
  });

  it('reports a refused connection as retryable', async () => {
    const target = await startTarget(answer(200));
    const closed = servers.pop()!;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const response = await connector().send(config(target.url), [event('evt-1')]);
    expect(response.outcome).toBe('retryable');
    expect(response.status).toBeUndefined();
    expect(response.error).toMatch(/ECONNREFUSED/);
  });

  it('sends a batch as application/cloudevents-batch+json with a digest key', async () => {
    const target = await startTarget(answer(200));
    const events = [event('a'), event('b'), event('c')];
    const response = await connector().send(config(target.url, { batch: true }), events);
    expect(response.outcome).toBe('delivered');
    const [received] = target.received;
    expect(received?.headers['content-type']).toBe('application/cloudevents-batch+json; charset=utf-8');
    expect(JSON.parse(received?.body ?? '')).toEqual(events);
    const digest = createHash('sha256').update('a\nb\nc').digest('hex');
    expect(received?.headers['idempotency-key']).toBe(`sha256-${digest}`);
  });

  it('signs the body so that the receiver can verify it', async () => {
    const secret = 'whsec-test';
    const verdicts: boolean[] = [];
    const target = await startTarget((request, response) => {
      const header = request.headers['manifold-signature'];
      const valid = verifySignature(secret, request.body, String(header), Math.floor(Date.now() / 1000));
      verdicts.push(valid, verifySignature('wrong', request.body, String(header), Date.now() / 1000));
      response.writeHead(valid ? 204 : 401);
      response.end();
    });
    const response = await connector().send(config(target.url, { secret }), [event('evt-1')]);
    expect(response).toMatchObject({ outcome: 'delivered', status: 204 });
    expect(verdicts).toEqual([true, false]);
  });

  it('reuses the connection between attempts (keep-alive), draining large responses', async () => {
    const target = await startTarget(answer(200, 'x'.repeat(200_000)));
    const http = connector();
    for (const id of ['a', 'b', 'c']) {
      const response = await http.send(config(target.url), [event(id)]);
      expect(response.bodyExcerpt).toHaveLength(512);
      // undici returns a socket to the pool a moment after the body ends; a send in the same tick opens another.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(target.received.map((request) => request.headers['idempotency-key'])).toEqual(['a', 'b', 'c']);
    expect(target.connections).toBe(1);
  });

  it('reports a header value the client refuses as permanent, without sending', async () => {
    const target = await startTarget(answer(200));
    const response = await connector().send(config(target.url, { headers: { 'x-bad': 'a\r\nb' } }), [
      event('evt-1'),
    ]);
    expect(response.outcome).toBe('permanent');
    expect(response.error).toBeDefined();
    expect(target.received).toHaveLength(0);
  });

  it('reports sends after close as retryable, and throws for a caller bug', async () => {
    const target = await startTarget(answer(200));
    const http = connector();
    await expect(http.send(config(target.url), [])).rejects.toThrow(RangeError);
    await http.close();
    const response = await http.send(config(target.url), [event('evt-1')]);
    expect(response).toMatchObject({ outcome: 'retryable', error: 'connector closed: not sent' });
    expect(target.received).toHaveLength(0);
  });
});

describe('connectionsByOrigin', () => {
  it('sums the concurrency of the subscriptions posting to each origin', () => {
    const base = { target: 'erp', types: [], matchesType: () => true, retry: {} as never };
    const map = connectionsByOrigin([
      {
        ...base,
        name: 'a',
        http: config('http://erp.local:9001/a'),
        rateLimit: { perSecond: 1, burst: 1, concurrency: 2 },
      },
      { ...base, name: 'b', http: config('http://erp.local:9001/b') },
      { ...base, name: 'c', http: config('https://shop.example.com/hooks') },
      { ...base, name: 'd' },
    ]);
    expect(map).toEqual(
      new Map([
        ['http://erp.local:9001', 6],
        ['https://shop.example.com', 4],
      ]),
    );
  });
});
