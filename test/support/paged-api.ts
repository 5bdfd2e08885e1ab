/**
 * A real paged HTTP API (node:http) for poller tests: records with a version (`updated_at`), listed after
 * a cursor (`?since=`), two per page, with a relative `next` link. It checks the bearer token, counts the
 * requests, and can be made to fail, to answer one page slowly, or to point `next` at another origin.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiRecord {
  id: string;
  sku: string;
  delta: number;
  /** Where (default DC-EAST in the poller's mapping). */
  location?: string;
  /** The record's version: an ISO time, increasing. */
  updated_at: string;
}

export interface PagedApi {
  url: string;
  records: ApiRecord[];
  /** Every request's path and query, in order. */
  requests: string[];
  /** The forms posted to the token endpoint (`POST /oauth/token`). */
  tokenRequests: URLSearchParams[];
  /** Answer every request with this status (undefined: normal). */
  failWith: number | undefined;
  /** This page (2 or more) waits `slowMs` before it is answered. */
  slowPage: number | undefined;
  slowMs: number;
  /** Told when the slow page's request arrived (before it is answered). */
  onSlowPage: (() => void) | undefined;
  /** Give this absolute origin in `next` links instead of a relative path. */
  nextOrigin: string | undefined;
  /** Adds a record (or a new version of one) with the next version. */
  put(id: string, delta: number, location?: string): ApiRecord;
  close(): Promise<void>;
}

export const API_TOKEN = 'poll-test-token-0001';
const PAGE_SIZE = 2;

export async function startPagedApi(): Promise<PagedApi> {
  let clock = Date.parse('2026-12-01T00:00:00.000Z');
  const api: PagedApi = {
    url: '',
    records: [],
    requests: [],
    tokenRequests: [],
    failWith: undefined,
    slowPage: undefined,
    slowMs: 60_000,
    onSlowPage: undefined,
    nextOrigin: undefined,
    put(id, delta, location) {
      clock += 1000;
      const record: ApiRecord = { id, sku: `SKU-${id}`, delta, updated_at: new Date(clock).toISOString() };
      if (location !== undefined) record.location = location;
      api.records = [...api.records.filter((r) => r.id !== id), record];
      return record;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the slow page's request too
      }),
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    api.requests.push(req.url ?? '');
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && req.url === '/oauth/token') {
      // OAuth 2.0 client credentials (RFC 6749 §4.4): client `hub` / `hub-secret` by HTTP Basic.
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        api.tokenRequests.push(form);
        const basic = `Basic ${Buffer.from('hub:hub-secret').toString('base64')}`;
        if (req.headers.authorization !== basic) return answer(401, { error: 'invalid_client' });
        if (form.get('grant_type') !== 'client_credentials')
          return answer(400, { error: 'unsupported_grant_type' });
        answer(200, { access_token: API_TOKEN, token_type: 'Bearer', expires_in: 3600 });
      });
      return;
    }
    if (req.headers.authorization !== `Bearer ${API_TOKEN}`) return answer(401, { error: 'unauthorized' });
    if (api.failWith !== undefined) return answer(api.failWith, { error: 'down for maintenance' });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/adjustments') return answer(404, { error: 'not found' });
    const since = url.searchParams.get('since') ?? '';
    const page = Number(url.searchParams.get('page') ?? '1');
    const after = api.records
      .filter((r) => since === '' || r.updated_at > since)
      .sort((a, b) => a.updated_at.localeCompare(b.updated_at));
    const items = after.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    const more = after.length > page * PAGE_SIZE;
    const link = `/adjustments?since=${encodeURIComponent(since)}&page=${page + 1}`;
    const body = { data: items, next: more ? `${api.nextOrigin ?? ''}${link}` : null };
    if (page > 1 && page === api.slowPage) {
      api.onSlowPage?.();
      setTimeout(() => answer(200, body), api.slowMs).unref();
      return;
    }
    answer(200, body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}

/** A hub configuration with one poller of `wms-east` over `api` (every `every`; `locations` it serves). */
export function pollerConfigYaml(
  api: string,
  options: { every?: string; store?: string; port?: number; locations?: string; auth?: string } = {},
) {
  return `
store: ${options.store ?? '{ sqlite: "./unused.db" }'}
server: { host: 127.0.0.1, port: ${options.port ?? 0}, adminKey: test-admin-key-0000000001 }
systems:
  wms-east:
    kind: wms
    key: test-wms-east-key-000001
    locations: [${options.locations ?? 'DC-EAST'}]
    poll:
      - name: adjustments
        every: ${options.every ?? '1h'}
        request:
          url: "${api}/adjustments?since={{ $cursor }}"
          auth: ${options.auth ?? `{ bearer: ${API_TOKEN} }`}
          timeout: 10s
        items: data
        type: "'com.manifold.inventory.adjusted.v1'"
        id: "'adj-' & id & '-' & updated_at"
        data: "{ 'sku': sku, 'location': $exists(location) ? location : 'DC-EAST', 'delta': delta, 'reason': 'cycle_count' }"
        cursor: data[-1].updated_at
        next: next
locations:
  DC-EAST: { channels: [web] }
  DC-WEST: { channels: [web] }
channels:
  web: { safetyStock: 0 }
ownership:
  inventory.on_hand: [wms-east]
`;
}
