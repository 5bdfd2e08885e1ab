/**
 * OAuth 2.0 client credentials for shaped calls, on both stores, against a real token endpoint that checks
 * what RFC 6749 has the server check (§4.4.2 grant_type, §2.3.1 client authentication, §3.2 form
 * encoding; §5.2 errors) and a real API that takes only the token it issued last: one token for many
 * deliveries of two subscriptions, kept in the connector state (a second engine on the same store reuses
 * it), replaced once on a 401 and the call made again, and a refused client reported as the error.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import type { CompiledConfig } from '../../src/config/compiled-config.js';
import { compileConfig } from '../../src/config/load-config.js';
import { tokenKey } from '../../src/connectors/http/oauth2.js';
import type { DeliveryResponse } from '../../src/connectors/http/outbound.js';
import type { CloudEvent } from '../../src/domain/cloud-event.js';
import { DeliveryEngine } from '../../src/engine/delivery/delivery-engine.js';
import type { Store } from '../../src/store/store-port.js';
import { describeEachStore } from '../support/stores.js';
import { adjustedEvent, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

const CLIENT_ID = 'manifold hub';
const CLIENT_SECRET = 'sëcret:with&odd=chars';
const SCOPE = 'orders.write inventory.write';

const servers: Server[] = [];
const engines: DeliveryEngine[] = [];
/** Engines first (they must not use a store being cleaned up), then the servers. */
async function stopAll(): Promise<void> {
  await Promise.all(engines.splice(0).map((engine) => engine.stop(2000)));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
}

async function listen(
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * A token endpoint for one client; `issued` lists the tokens handed out, in order, `issuedAt` when. Each
 * token is given `expires_in` seconds (`expiresIn`).
 */
async function startTokenServer(expiresIn = 3600) {
  const issued: string[] = [];
  const issuedAt: number[] = [];
  const grants: URLSearchParams[] = [];
  const url = await listen((req, body, res) => {
    if (req.method !== 'POST' || req.url !== '/oauth/token') return json(res, 404, { error: 'not_found' });
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim();
    if (type !== 'application/x-www-form-urlencoded') {
      return json(res, 400, { error: 'invalid_request', error_description: 'form-urlencoded body required' });
    }
    const form = new URLSearchParams(body);
    grants.push(form);
    // Client authentication: HTTP Basic (id and secret form-encoded first) or the body, never both.
    const authorization = req.headers.authorization;
    let id: string | undefined;
    let secret: string | undefined;
    if (authorization?.startsWith('Basic ')) {
      if (form.has('client_secret')) return json(res, 400, { error: 'invalid_request' });
      const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      id = decodeURIComponent(decoded.slice(0, colon).replaceAll('+', ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replaceAll('+', ' '));
    } else {
      id = form.get('client_id') ?? undefined;
      secret = form.get('client_secret') ?? undefined;
    }
    if (id !== CLIENT_ID || secret !== CLIENT_SECRET) {
      return json(
        res,
        401,
        { error: 'invalid_client', error_description: 'client authentication failed' },
        authorization ? { 'www-authenticate': 'Basic realm="token"' } : {},
      );
    }
    if (form.get('grant_type') !== 'client_credentials')
      return json(res, 400, { error: 'unsupported_grant_type' });
    if (form.get('scope') !== SCOPE) return json(res, 400, { error: 'invalid_scope' });
    const token = `tok-${issued.length + 1}`;
    issued.push(token);
    issuedAt.push(Date.now());
    json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: SCOPE });
  });
  return { url: `${url}/oauth/token`, issued, issuedAt, grants };
}

/** An API that accepts only `Bearer <valid token>` (the test revokes tokens by emptying `valid`). */
async function startApi() {
  const valid = new Set<string>();
  const seen: { authorization?: string; status: number }[] = [];
  const url = await listen((req, _body, res) => {
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    const status = valid.has(token) ? 201 : 401;
    seen.push({ ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), status });
    json(res, status, status === 201 ? { ok: true } : { error: 'invalid_token' });
  });
  return { url, valid, seen };
}

function config(
  apiUrl: string,
  tokenUrl: string,
  clientAuth: 'basic' | 'body',
  secret = CLIENT_SECRET,
): CompiledConfig {
  const oauth2 = `{ tokenUrl: '${tokenUrl}', clientId: '${CLIENT_ID}', clientSecret: '${secret}', scope: '${SCOPE}', clientAuth: ${clientAuth} }`;
  const subscription = (name: string) => `
  - name: ${name}
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    retry: { maxAttempts: 5, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }
    rateLimit: { perSecond: 100000, concurrency: 4 }
    http:
      url: ${apiUrl}/api/${name}/{{ data.sku }}
      method: PUT
      body: '{ "sku": data.sku, "delta": data.delta }'
      auth: { oauth2: ${oauth2} }`;
  return compileConfig(
    testConfigYaml({ subscriptions: `subscriptions:${subscription('erp-a')}${subscription('erp-b')}` }),
    'oauth2.yaml',
    {},
  );
}

async function append(store: Store, count: number, prefix: string): Promise<CloudEvent[]> {
  const events = Array.from({ length: count }, (_, i) => {
    const sku = `${prefix}-${i}`;
    return {
      ...adjustedEvent({ data: { sku, location: 'DC-EAST', delta: 1, reason: 'correction' } }),
      subject: sku,
      partitionkey: sku,
    } as CloudEvent;
  });
  const outcomes = await store.append(
    events.map((event) => ({
      system: 'wms-east',
      event,
      outbox: [
        { subscription: 'erp-a', target: 'erp' },
        { subscription: 'erp-b', target: 'erp' },
      ],
    })),
  );
  expect(outcomes.every((o) => o.status === 'accepted')).toBe(true);
  return events;
}

function startEngine(compiled: CompiledConfig, store: Store) {
  const responses: DeliveryResponse[] = [];
  const engine = new DeliveryEngine(compiled, store, {
    pollMs: 10,
    onAttempt: (_subscription, _claims, response) => responses.push(response),
  });
  engines.push(engine);
  engine.start();
  return { engine, responses };
}

await describeEachStore(
  'shaped calls: OAuth2 client credentials',
  (t) => {
    // Declared inside the suite: runs before the store helper's own cleanup of the store.
    afterEach(stopAll);

    it('fetches one token for many deliveries of two subscriptions and keeps it in the connector state', async () => {
      const tokens = await startTokenServer();
      const api = await startApi();
      api.valid.add('tok-1');
      const compiled = config(api.url, tokens.url, 'basic');
      await append(t.store, 10, 'SKU-O');
      const { responses } = startEngine(compiled, t.store);
      await until(() => responses.filter((r) => r.outcome === 'delivered').length === 20, '20 deliveries');
      expect(tokens.issued).toEqual(['tok-1']);
      expect(api.seen.every((r) => r.authorization === 'Bearer tok-1')).toBe(true);
      expect(tokens.grants[0]?.get('grant_type')).toBe('client_credentials');
      expect(tokens.grants[0]?.has('client_id')).toBe(false);
      const auth = compiled.subscriptions[0]?.http?.shaped?.auth;
      if (auth?.kind !== 'oauth2') throw new Error('expected oauth2');
      const stored = (await t.store.connectorState.get('http:oauth2', tokenKey(auth))) as {
        accessToken: string;
        expiresAt: number;
      };
      expect(stored.accessToken).toBe('tok-1');
      expect(stored.expiresAt).toBeGreaterThan(Date.now() + 3_500_000);

      // Another engine on the same store (a restart, a second process) uses the stored token.
      await engines.pop()?.stop(2000);
      await append(t.store, 3, 'SKU-P');
      const second = startEngine(compiled, t.store);
      await until(
        () => second.responses.filter((r) => r.outcome === 'delivered').length === 6,
        '6 deliveries',
      );
      expect(tokens.issued).toEqual(['tok-1']);
    });

    it('uses a token until it expires (expires_in), then fetches a new one before calling again', async () => {
      // 4 s of life: used for its first 2 s (the margin before expiry is half its life when that is short).
      const tokens = await startTokenServer(4);
      const api = await startApi();
      api.valid.add('tok-1');
      api.valid.add('tok-2'); // the API would still take tok-1: only its expiry makes the hub renew it
      const { responses } = startEngine(config(api.url, tokens.url, 'basic'), t.store);
      await append(t.store, 2, 'SKU-E');
      await until(() => responses.filter((r) => r.outcome === 'delivered').length === 4, '4 deliveries');
      expect(tokens.issued).toEqual(['tok-1']);
      expect(api.seen.every((r) => r.authorization === 'Bearer tok-1')).toBe(true);
      const expiring = (tokens.issuedAt[0] as number) + 2000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiring - Date.now()) + 100));
      await append(t.store, 3, 'SKU-F');
      await until(() => responses.filter((r) => r.outcome === 'delivered').length === 10, '10 deliveries');
      // One new token for the six later calls, none refused: renewed on expiry, not on a 401.
      expect(tokens.issued).toEqual(['tok-1', 'tok-2']);
      expect(api.seen.slice(4).map((r) => r.authorization)).toEqual(Array(6).fill('Bearer tok-2'));
      expect(api.seen.every((r) => r.status === 201)).toBe(true);
    });

    it('replaces a token the API refuses (401) once, and makes the call again with the new one', async () => {
      const tokens = await startTokenServer();
      const api = await startApi();
      api.valid.add('tok-1');
      const { responses } = startEngine(config(api.url, tokens.url, 'body'), t.store);
      await append(t.store, 2, 'SKU-R');
      await until(() => responses.filter((r) => r.outcome === 'delivered').length === 4, '4 deliveries');
      // The API revokes tok-1 and will take only tok-2.
      api.valid.clear();
      api.valid.add('tok-2');
      await append(t.store, 5, 'SKU-S');
      await until(() => responses.filter((r) => r.outcome === 'delivered').length === 14, '14 deliveries');
      expect(tokens.issued).toEqual(['tok-1', 'tok-2']);
      expect(tokens.grants[0]?.get('client_id')).toBe(CLIENT_ID);
      expect(tokens.grants[0]?.get('scope')).toBe(SCOPE);
      // Every delivery made it; the refused requests are the ones sent with tok-1 after the revocation.
      expect(responses.every((r) => r.outcome === 'delivered')).toBe(true);
      const refused = api.seen.filter((r) => r.status === 401);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((r) => r.authorization === 'Bearer tok-1')).toBe(true);
    });

    it('reports a client the token endpoint refuses (invalid_client) and sends nothing to the API', async () => {
      const tokens = await startTokenServer();
      const api = await startApi();
      const { responses } = startEngine(config(api.url, tokens.url, 'basic', 'wrong-secret'), t.store);
      await append(t.store, 1, 'SKU-X');
      await until(() => responses.length >= 2, 'two attempts');
      expect(responses[0]?.outcome).toBe('retryable');
      expect(responses[0]?.error).toContain('invalid_client');
      expect(api.seen).toHaveLength(0);
      expect(tokens.issued).toEqual([]);
    });
  },
  { fresh: 'each' },
);
