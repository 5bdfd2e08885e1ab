/**
 * The AS2 transport's outcomes against a local endpoint: a 503 is retried (with its Retry-After), a 400 is
 * permanent, a receipt signed by a certificate that is not the partner's, or one for another Message-ID,
 * is permanent; no valid certificate of the partner is permanent without sending anything.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorState } from '../../src/connectors/connector-port.js';
import { as2Transport } from '../../src/connectors/transport/as2.js';
import { loadPartner } from '../../src/connectors/transport/as2-config.js';
import { OpenSsl } from '../fakes/as2/openssl.js';
import { FakeAs2Partner, splitHeaders } from '../fakes/as2/partner.js';

const ssl = new OpenSsl();
const hub = ssl.identity('hub');
const retailer = ssl.identity('retailer');
const stranger = ssl.identity('stranger');
let answer: (headers: Record<string, string>) => {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
};
let posts = 0;
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      posts += 1;
      const reply = answer(request.headers as Record<string, string>);
      response.writeHead(reply.status, reply.headers).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/as2`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function memoryState(): ConnectorState & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return {
    map,
    get: async <T>(key: string) => map.get(key) as T | undefined,
    put: async (key, value) => void map.set(key, value),
    delete: async (key) => void map.delete(key),
  };
}

function transport(certificates = [retailer.certPem], mdn: 'sync' | 'async' = 'sync') {
  const state = memoryState();
  const partner = loadPartner('retailer', {
    id: 'RETAILER',
    hubId: 'MANIFOLD',
    url,
    certificates,
    hubKeys: [{ certificate: hub.certPem, key: hub.keyPem }],
    mdn,
    ...(mdn === 'async' ? { receiptUrl: 'http://127.0.0.1:9/v1/as2/retailer' } : {}),
    timeoutMs: 5000,
  });
  return { state, carrier: as2Transport({ partner, state, now: () => new Date() }) };
}

const document = {
  contentType: 'application/edi-x12',
  body: 'ISA*00~',
  idempotencyKey: 'k-1',
  fileName: 'r-1.x12',
};

/** A receipt signed by `signer` for `messageId`, as an HTTP answer. */
function receiptBy(signer: typeof retailer, messageId: string) {
  const fake = new FakeAs2Partner({ ssl, own: signer, hub, id: 'RETAILER', hubId: 'MANIFOLD' });
  const split = splitHeaders(fake.receipt(messageId, 'irrelevant'));
  return { status: 200, headers: { 'content-type': split.headers['content-type'] ?? '' }, body: split.body };
}

describe('the AS2 transport’s outcomes', { timeout: 30_000 }, () => {
  it('retries a 503 with its Retry-After and refuses a 400 for good', async () => {
    answer = () => ({ status: 503, headers: { 'retry-after': '7' }, body: Buffer.from('busy') });
    expect(await transport().carrier.carry(document, {})).toMatchObject({
      outcome: 'retryable',
      status: 503,
      retryAfterMs: 7000,
    });
    answer = () => ({ status: 400, headers: {}, body: Buffer.from('bad') });
    const async = transport(undefined, 'async');
    expect(await async.carrier.carry(document, {})).toMatchObject({ outcome: 'permanent', status: 400 });
    expect(async.state.map.size).toBe(0);
  });

  it('refuses a receipt signed by another certificate, or for another Message-ID', async () => {
    answer = (headers) => receiptBy(stranger, headers['message-id'] ?? '');
    expect(await transport().carrier.carry(document, {})).toMatchObject({
      outcome: 'permanent',
      error: expect.stringContaining('cannot be trusted'),
    });
    answer = () => receiptBy(retailer, '<other@RETAILER>');
    expect(await transport().carrier.carry(document, {})).toMatchObject({
      outcome: 'permanent',
      error: expect.stringContaining('is for <other@RETAILER>'),
    });
  });

  it('sends nothing when no certificate of the partner is valid', async () => {
    const before = posts;
    const partnerless = transport([]);
    expect(await partnerless.carrier.carry(document, {})).toMatchObject({
      outcome: 'permanent',
      error: expect.stringContaining('no certificate of partner retailer is valid now'),
    });
    expect(posts).toBe(before);
  });
});
