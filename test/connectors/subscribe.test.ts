/**
 * The `subscribe` kind (docs/connectors.md#keeping-a-webhook-subscription-alive): check-config of
 * `systems.<n>.subscribe`, and runs of `keepAlive` against the fake Business Central — created once through
 * the validation handshake, left alone until it is due, renewed by PATCH with the stored ETag, registered
 * again when the system answers 404, and a failed handshake is a failed run.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import type { SourceHub } from '../../src/connectors/connector-port.js';
import { OAuth2Tokens } from '../../src/connectors/http/oauth2.js';
import { HttpConnector } from '../../src/connectors/http/outbound.js';
import type { CompiledSubscribe } from '../../src/connectors/subscribe/config-section.js';
import {
  keepAlive,
  type StoredSubscription,
  SUBSCRIPTION_KEY,
} from '../../src/connectors/subscribe/connector.js';
import { FakeBusinessCentral } from '../fakes/business-central/server.js';
import { configIssues, lineOf } from '../support/config-issues.js';
import { testConfigYaml } from '../support/test-config.js';

function yamlWith(subscribe: string): string {
  const indented = subscribe
    .trim()
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n');
  return testConfigYaml().replace(
    / {2}erp: \{ kind: erp, key: ([^ ]+) \}/,
    `  erp:\n    kind: erp\n    key: $1\n    subscribe:\n${indented}`,
  );
}

const fake = new FakeBusinessCentral({ subscriptionLifetimeMs: 3 * 24 * 3600_000 });
let receiver: Server;
let receiverUrl = '';
let echo = true;

function entry(): string {
  return `- name: sales-orders
  every: 1h
  renewBefore: 24h
  auth: { oauth2: { tokenUrl: '${fake.tokenUrl}', clientId: '${fake.clientId}', clientSecret: '${fake.clientSecret}', scope: 'https://api.businesscentral.dynamics.com/.default', clientAuth: body } }
  create:
    url: ${fake.apiUrl}/subscriptions
    body: '{ "notificationUrl": "${receiverUrl}/hook", "resource": "/api/v2.0/companies(${fake.companyId})/salesOrders", "clientState": "s3cret" }'
  renew:
    url: "${fake.apiUrl}/subscriptions('{{ subscriptionId }}')"
    headers: { If-Match: "{{ $.'@odata.etag' }}" }
    body: '{ "clientState": clientState }'
  expires: expirationDateTime`;
}

beforeAll(async () => {
  await fake.start();
  receiver = createServer((req, res) => {
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken') ?? '';
    res.writeHead(200, { 'content-type': 'text/plain' }).end(echo ? token : 'nope');
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await fake.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

describe('subscribe: check-config', () => {
  it('compiles an entry, with its defaults', () => {
    const config = compileConfig(yamlWith(entry()), 'manifold.yaml', {});
    const [sub] = (config.systems.get('erp')?.sections?.subscribe ?? []) as CompiledSubscribe[];
    expect(sub).toMatchObject({
      name: 'sales-orders',
      system: 'erp',
      everyMs: 3_600_000,
      renewBeforeMs: 86_400_000,
    });
    expect(sub?.create.method).toBe('POST');
    expect(sub?.renew?.method).toBe('PATCH');
    expect(sub?.renew?.headerTemplates?.['if-match']).toBeDefined();
  });

  it('reports a missing create, a bad duration, an unknown key and bad JSONata at their lines', () => {
    const text = yamlWith(`- name: a
  renewBefore: 1 day
  colour: red
  expires: expirationDateTime ]`);
    const issues = configIssues(text);
    const lines = issues.map((i) => `${i.line} ${i.message}`).join('\n');
    expect(lines).toContain(`${lineOf(text, 'renewBefore: 1 day')} `);
    expect(lines).toMatch(/invalid duration '1 day'/);
    expect(lines).toMatch(/colour/);
    expect(lines).toMatch(/create/);
    expect(lines).toMatch(/invalid JSONata in 'expires'/);
  });
});

describe('subscribe: keepAlive against the fake Business Central', () => {
  const memory = new Map<string, unknown>();
  let nowMs = Date.now();
  let sub: CompiledSubscribe;
  let context: Parameters<typeof keepAlive>[0];
  const hub = {
    commit: async (_events: unknown[], state: Record<string, unknown>) => {
      for (const [key, value] of Object.entries(state)) memory.set(key, value);
      return [];
    },
  } as unknown as SourceHub;
  const stored = () => memory.get(SUBSCRIPTION_KEY) as StoredSubscription | undefined;
  const state = {
    get: async <T>(key: string) => memory.get(key) as T | undefined,
    put: async (key: string, value: unknown) => void memory.set(key, value),
    delete: async (key: string) => void memory.delete(key),
  };

  beforeAll(() => {
    const config = compileConfig(yamlWith(entry()), 'manifold.yaml', {});
    sub = (
      (config.systems.get('erp')?.sections?.subscribe ?? []) as CompiledSubscribe[]
    )[0] as CompiledSubscribe;
    const client = new HttpConnector();
    const now = () => new Date(nowMs);
    context = { client, tokens: new OAuth2Tokens(client, state, now, 5000), state, now };
  });

  it('creates it once, through the handshake; then does nothing until it is due', async () => {
    await keepAlive(context, sub, hub);
    expect(stored()?.last).toBe('created');
    expect(fake.subscriptions.size).toBe(1);
    const [bc] = [...fake.subscriptions.values()];
    expect(stored()?.expiresAt).toBe(new Date(bc?.expirationDateTime ?? '').toISOString());
    expect(bc?.clientState).toBe('s3cret');
    const requests = fake.log.length;
    await keepAlive(context, sub, hub);
    expect(fake.log.length).toBe(requests);
  });

  it('renews it with If-Match once it expires within renewBefore', async () => {
    nowMs += 2.5 * 24 * 3600_000;
    const tokens = fake.tokenRequests;
    const etag = ((stored()?.body ?? {}) as Record<string, string>)['@odata.etag'];
    await keepAlive(context, sub, hub);
    expect(stored()?.last).toBe('renewed');
    const patch = fake.log.filter((r) => r.method === 'PATCH').at(-1);
    expect(patch?.headers['if-match']).toBe(etag);
    expect(patch?.status).toBe(200);
    expect(fake.subscriptions.size).toBe(1);
    // The token expired on the hub's clock: a new one was fetched before the call, not after a 401.
    expect(fake.tokenRequests).toBe(tokens + 1);
    expect(fake.log.some((r) => r.status === 401)).toBe(false);
  });

  it('registers it again when the system deleted it (404 on renewal)', async () => {
    fake.subscriptions.clear();
    nowMs += 2.5 * 24 * 3600_000;
    await keepAlive(context, sub, hub);
    expect(stored()?.last).toBe('created');
    expect(fake.subscriptions.size).toBe(1);
  });

  it('fails the run when the handshake is not answered with the token', async () => {
    fake.subscriptions.clear();
    memory.delete(SUBSCRIPTION_KEY);
    echo = false;
    await expect(keepAlive(context, sub, hub)).rejects.toThrow(/HTTP 400.*could not be validated/);
    expect(stored()).toBeUndefined();
    echo = true;
  });
});
