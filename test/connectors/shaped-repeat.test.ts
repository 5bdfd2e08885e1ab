/**
 * The shaped-call keys for compare-and-set APIs, through the real delivery engine against a real local
 * API (docs/connectors.md#compare-and-set-apis-repeatif-and-skipif): `repeatIf` makes the call again at once,
 * lookup first, at most `repeatMax` times, then the attempt is an ordinary retry (superseded by a newer
 * value of a coalescing type); `lookup.body` sends
 * a body with a POST lookup; `retryIf` reads the lookup's answer too; `skipIf` sends nothing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

interface Seen {
  method: string;
  url: string;
  body: string;
}

let hub: TestApp | undefined;
let server: Server | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A level the API keeps: `read` answers it, `set` compares `from` with it first. */
async function startApi(reply: (request: Seen, index: number) => { status: number; body: unknown }) {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        body: Buffer.concat(chunks).toString(),
      };
      const answer = reply(request, seen.length);
      seen.push(request);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function startHub(http: string): Promise<void> {
  const subscriptions = `subscriptions:
  - name: cas
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 10, maxAgeMs: 60000 }
    http:
${http
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
`;
  hub = await buildTestApp({ yaml: testConfigYaml({ subscriptions }), delivery: { pollMs: 10 } });
}

async function ingest(sku: string): Promise<void> {
  const response = await hub!.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
    payload: JSON.stringify(
      adjustedEvent({ data: { sku, location: 'DC-EAST', delta: 3, reason: 'correction' } }),
    ),
  });
  expect(response.statusCode).toBe(202);
}

async function openExceptions(): Promise<{ code: string; detail: string }[]> {
  const response = await hub!.app.inject({
    method: 'GET',
    url: '/v1/exceptions?status=open',
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return (response.json() as { items: { code: string; detail: string }[] }).items;
}

const CAS = (url: string) => `url: ${url}/set
body: '{ "from": $lookup.level, "to": 10 }'
lookup: { url: '${url}/read', method: POST, body: '{ "sku": data.sku }' }
repeatIf: body.error = 'stale'
repeatMax: 2
retryIf: body.error = 'throttled'
retryAfter: '150'
failIf: $exists(body.error)`;

/** An API whose level drops by one (a sale) before each of the first `sales` compares. */
function casApi(sales: number) {
  let level = 20;
  let sold = 0;
  return (request: Seen): { status: number; body: unknown } => {
    const body = JSON.parse(request.body) as { sku?: string; from?: number; to?: number };
    if (request.url === '/read') return { status: 200, body: { level } };
    if (sold < sales) {
      sold += 1;
      level -= 1;
    }
    if (body.from !== level) return { status: 200, body: { error: 'stale' } };
    level = body.to as number;
    return { status: 200, body: { level } };
  };
}

it('repeats a stale compare at once, lookup first, and delivers it', async () => {
  const api = await startApi(casApi(2));
  await startHub(CAS(api.url));
  await ingest('SKU-CAS');
  await until(() => api.seen.length === 6, 'three lookups and three sets');
  expect(api.seen.map((r) => r.url)).toEqual(['/read', '/set', '/read', '/set', '/read', '/set']);
  expect(api.seen.map((r) => r.method)).toEqual(Array(6).fill('POST'));
  expect(JSON.parse(api.seen[0]?.body ?? '')).toEqual({ sku: 'SKU-CAS' });
  expect(api.seen.filter((r) => r.url === '/set').map((r) => JSON.parse(r.body).from)).toEqual([20, 19, 18]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(api.seen).toHaveLength(6);
  expect(await openExceptions()).toEqual([]);
});

it('stops repeating after repeatMax and retries later as an ordinary retry, reading again, not failIf', async () => {
  const api = await startApi(casApi(3));
  await startHub(CAS(api.url));
  await ingest('SKU-BUSY');
  // One call and two repeats, each with its lookup, all stale (three sales); then the row waits for its
  // backoff, and the next attempt reads the level again and sets it.
  await until(() => api.seen.length === 8, 'a second attempt');
  expect(api.seen.map((r) => r.url)).toEqual([
    '/read',
    '/set',
    '/read',
    '/set',
    '/read',
    '/set',
    '/read',
    '/set',
  ]);
  expect(api.seen.filter((r) => r.url === '/set').map((r) => JSON.parse(r.body).from)).toEqual([
    20, 19, 18, 17,
  ]);
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(api.seen).toHaveLength(8);
  expect(await openExceptions()).toEqual([]);
});

it('a compare stale on every attempt ends as delivery_failed after maxAttempts, never delivery_rejected', async () => {
  const api = await startApi(casApi(100));
  await startHub(CAS(api.url));
  await ingest('SKU-HOT');
  await until(async () => (await openExceptions()).length === 1, 'one exception');
  // maxAttempts is 2: two attempts of one call and two repeats each.
  expect(api.seen).toHaveLength(12);
  const [failed] = await openExceptions();
  expect(failed?.code).toBe('delivery_failed');
});

it('a row waiting after a stale compare is superseded by a newer value of its key (availability coalesces)', async () => {
  const api = await startApi(casApi(3));
  hub = await buildTestApp({
    yaml: testConfigYaml({
      subscriptions: `subscriptions:
  - name: cas
    target: erp
    types: [com.manifold.inventory.availability.v1]
    filter: { data: { channel: web } }
    retry: { maxAttempts: 3, initialDelayMs: 1500, maxDelayMs: 1500, maxAgeMs: 60000 }
    http:
      url: ${api.url}/set
      body: '{ "from": $lookup.level, "to": data.available }'
      lookup: { url: '${api.url}/read', method: POST, body: '{ "sku": data.sku }' }
      repeatIf: body.error = 'stale'
      repeatMax: 2
      failIf: $exists(body.error)
`,
    }),
    // The backoff's jitter at its top: the first retry waits ~1.5 s, time for a newer value to queue.
    delivery: { pollMs: 10, random: () => 0.999 },
  });
  await ingest('SKU-NEW');
  await until(() => api.seen.length === 6, 'the first attempt: a call and two repeats, all stale');
  expect(api.seen.filter((r) => r.url === '/set')).toHaveLength(3);
  await ingest('SKU-NEW'); // 3 more on hand: a newer availability of SKU-NEW@web
  await until(() => api.seen.length === 8, 'one more lookup and set');
  await new Promise((resolve) => setTimeout(resolve, 1800));
  // Only the newer value went out (on hand 6, less the web channel's safety stock of 2); the stale row
  // was skipped, not sent again.
  expect(api.seen).toHaveLength(8);
  expect(JSON.parse(api.seen[7]?.body ?? '').to).toBe(4);
  expect(await openExceptions()).toEqual([]);
});

it('reads the lookup answer with retryIf: a throttled lookup is retried after retryAfter', async () => {
  let throttled = 2;
  const inner = casApi(0);
  const api = await startApi((request) => {
    if (request.url === '/read' && throttled > 0) {
      throttled -= 1;
      return { status: 200, body: { error: 'throttled' } };
    }
    return inner(request);
  });
  await startHub(CAS(api.url));
  await ingest('SKU-SLOW');
  await until(() => api.seen.length === 4, 'two throttled lookups, a lookup and a set');
  expect(api.seen.map((r) => r.url)).toEqual(['/read', '/read', '/read', '/set']);
  // maxAttempts is 2: throttled answers use up no attempt, and each waited the 150 ms asked.
  expect(await openExceptions()).toEqual([]);
});

it('sends nothing for an event skipIf matches, and counts it delivered', async () => {
  const api = await startApi(casApi(0));
  await startHub(`${CAS(api.url)}
skipIf: $substring(data.sku, 0, 5) = 'SKIP-'`);
  await ingest('SKIP-1');
  await ingest('SKU-2');
  await until(() => api.seen.length === 2, 'the second event sent');
  expect(JSON.parse(api.seen[0]?.body ?? '')).toEqual({ sku: 'SKU-2' });
  await until(async () => {
    const overview = await hub!.app.inject({
      method: 'GET',
      url: '/v1/overview',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    const cas = (
      overview.json() as { subscriptions: { name: string; backlog: number; delivered: number }[] }
    ).subscriptions.find((s) => s.name === 'cas');
    return cas?.backlog === 0 && cas.delivered === 2;
  }, 'both delivered, nothing pending');
  expect(await openExceptions()).toEqual([]);
});

it('check-config refuses repeatMax without repeatIf, above 10, and a body on a GET lookup', async () => {
  await expect(
    startHub(`url: http://127.0.0.1:1/set
body: '{}'
repeatMax: 11
lookup: { url: 'http://127.0.0.1:1/read', body: '{}' }`),
  ).rejects.toThrow(
    /repeatMax[\s\S]*(integer from 1 to 10|add 'repeatIf')[\s\S]*GET lookup has no body|GET lookup has no body[\s\S]*repeatMax/,
  );
});
