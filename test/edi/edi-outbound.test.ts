/**
 * Outbound X12 through the delivery engine (docs/edi.md), in-process against a real HTTP sink:
 * an order of partner acme shipped → the partner receives an 856 that parses and validates; a retry
 * resends the same interchange (same ISA13); a `dir:` subscription drops the file; a mapping problem is
 * a permanent failure in the exception queue; the partner's 997 marks the interchange accepted or
 * rejected.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acknowledge,
  MemoryControlNumbers,
  parseX12,
  validateX12,
  valueAt,
  writeInterchange,
} from '../../src/connectors/edi/x12/index.js';
import { verifySignature } from '../../src/connectors/http/signature.js';
import { type Sink, startSink } from '../support/sink.js';
import { describeWithStore, openTestStore, requestedStores, type StoreKind } from '../support/stores.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const PO = readFileSync(new URL('../fixtures/edi/850-vics-nodex12.edi', import.meta.url), 'utf8');
const ORDER = 'acme-08292233294';
const SECRET = 'test-edi-hook-secret-01';
const FAST_RETRY = 'retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }';

let hub: TestApp | undefined;
let sink: Sink | undefined;
let dir: string | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  hub = undefined;
  sink = undefined;
  dir = undefined;
});

async function start(connector: string) {
  hub = await buildTestApp({
    yaml: testConfigYaml({
      subscriptions: `subscriptions:
  - name: acme-edi
    target: acme
    edi: { sets: [856] }
    ${connector}
    ${FAST_RETRY}
`,
    }),
    delivery: { pollMs: 10 },
  });
  return hub;
}

function post(url: string, key: string, payload: unknown, contentType?: string) {
  return postAs(hub!.app, url, key, payload, contentType);
}

/** Stock, acme's 850 (order acme-08292233294, released), then wms-east ships every line. */
async function orderShipped(orderId = ORDER): Promise<string> {
  for (const sku of ['AB3542', 'RD5322', 'XY5266', 'VX2332', 'RV0524', 'DX1875']) {
    const counted = await post('/v1/events', KEYS.wmsEast, {
      specversion: '1.0',
      id: randomUUID(),
      source: '/wms-east',
      type: 'com.manifold.inventory.counted.v1',
      data: { sku, location: 'DC-EAST', onHand: 1000 },
    });
    expect(counted.statusCode).toBe(202);
  }
  await hub!.inventory.settle();
  expect((await post('/v1/edi/acme', KEYS.acme, PO, 'application/edi-x12')).statusCode).toBe(200);
  await hub!.orders.settle();
  const order = await hub!.store.orders.getOrder(ORDER);
  expect(order).toBeDefined();
  const id = `ship-${randomUUID()}`;
  const shipped = await post('/v1/events', KEYS.wmsEast, {
    specversion: '1.0',
    id,
    source: '/wms-east',
    type: 'com.manifold.order.shipped.v1',
    correlationid: orderId,
    data: {
      orderId,
      location: 'DC-EAST',
      lines: (order?.document.lines ?? []).map((l) => ({ lineId: l.lineId, quantity: l.quantity })),
      carrier: 'UPSN',
      tracking: '1Z999AA10123456784',
    },
  });
  expect(shipped.statusCode).toBe(202);
  return id;
}

function segmentsOf(x12: string) {
  return parseX12(x12).interchanges.flatMap((i) =>
    i.groups.flatMap((g) => [g.header, ...g.sets.flatMap((s) => [s.header, ...s.segments])]),
  );
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The partner's 997 for an interchange the hub sent (written by the partner's side). */
async function partnerAck(sent: string, reject = false): Promise<string> {
  const [reply] = acknowledge(parseX12(sent), [], { date: new Date() });
  let text = await writeInterchange(reply!.reply, {
    controlNumbers: new MemoryControlNumbers(700),
    partner: 'hub',
    newline: true,
  });
  if (reject) text = text.replace(/AK5\*A~/, 'AK5*R*5~').replace(/AK9\*A\*1\*1\*1~/, 'AK9*R*1*1*0~');
  return text;
}

describe('outbound X12 subscriptions', () => {
  it('sends 855, 940, 856, 810 and 846 through subscriptions, each a sound interchange', async () => {
    sink = await startSink();
    // The order sets in one subscription; the partner channel's availability (846) in another, filtered
    // on its channel (order events carry no channel, so one filter cannot serve both).
    hub = await buildTestApp({
      yaml: testConfigYaml({
        subscriptions: `subscriptions:
  - name: acme-edi
    target: acme
    edi: { sets: [855, 856, 810, 940] }
    http: { url: ${sink.url}/edi }
    ${FAST_RETRY}
  - name: acme-846
    target: acme
    edi: { sets: [846] }
    filter: { data: { channel: edi-acme } }
    http: { url: ${sink.url}/edi-846 }
    ${FAST_RETRY}
`,
      }),
      delivery: { pollMs: 10 },
    });
    await orderShipped();
    const invoiced = await post('/v1/events', KEYS.erp, {
      specversion: '1.0',
      id: randomUUID(),
      source: '/erp',
      type: 'com.manifold.order.invoiced.v1',
      data: {
        orderId: ORDER,
        invoiceNumber: 'INV-9001',
        invoiceDate: '2026-11-27',
        lines: [{ lineId: '1', quantity: 120, unitPrice: 9.25 }],
        total: 1110,
      },
    });
    expect(invoiced.statusCode).toBe(202);
    await hub!.orders.settle();
    await hub!.inventory.settle();
    const sets = await until(async () => {
      const found = new Set(
        sink!.received.flatMap((r) =>
          segmentsOf(r.body)
            .filter((s) => s.id === 'ST')
            .map((s) => valueAt(s, 1)),
        ),
      );
      return ['855', '940', '856', '810', '846'].every((set) => found.has(set)) ? found : undefined;
    }, 'all five sets');
    expect([...sets].sort()).toEqual(['810', '846', '855', '856', '940']);
    for (const request of sink.received) expect(validateX12(parseX12(request.body))).toEqual([]);
    // One acknowledgement for the order, though it went through committed and then released.
    const acks = sink.received.filter((r) =>
      segmentsOf(r.body).some((seg) => seg.id === 'ST' && valueAt(seg, 1) === '855'),
    );
    expect(acks).toHaveLength(1);
    // Each document sent is counted; the milestones that make no 855 are not. A document is counted
    // once its answer is back, which may be just after the receiver has it: wait for the last count.
    const sentLine = (set: string) =>
      `manifold_edi_documents_total{partner="acme",set="${set}",direction="out",outcome="sent"}`;
    const metrics = await until(async () => {
      const body = (
        await hub!.app.inject({
          method: 'GET',
          url: '/metrics',
          headers: { authorization: `Bearer ${KEYS.admin}` },
        })
      ).body;
      return ['855', '856', '810', '940', '846'].every((set) => body.includes(sentLine(set)))
        ? body
        : undefined;
    }, 'every document counted');
    for (const set of ['855', '856', '810', '940', '846']) {
      expect(metrics).toContain(sentLine(set));
    }
    expect(metrics).toContain(
      'manifold_edi_documents_total{partner="acme",set="855",direction="out",outcome="sent"} 1',
    );
    const tds = sink.received.flatMap((r) => segmentsOf(r.body)).find((s) => s.id === 'TDS');
    expect(tds && valueAt(tds, 1)).toBe('111000');
  });

  it('sends an 856 for a shipped order of the partner, signed, with the Idempotency-Key, that validates', async () => {
    sink = await startSink();
    await start(`http: { url: ${sink.url}/edi, secret: ${SECRET} }`);
    const eventId = await orderShipped();
    const [request] = await sink.waitFor(1);
    expect(request!.path).toBe('/edi');
    expect(request!.headers['content-type']).toBe('application/edi-x12');
    expect(request!.headers['idempotency-key']).toBe(eventId);
    const signature = String(request!.headers['manifold-signature']);
    expect(verifySignature(SECRET, request!.body, signature, Math.floor(Date.now() / 1000))).toBe(true);
    const document = parseX12(request!.body);
    expect(validateX12(document)).toEqual([]);
    const segments = segmentsOf(request!.body);
    const st = segments.find((s) => s.id === 'ST');
    expect(st && valueAt(st, 1)).toBe('856');
    const prf = segments.find((s) => s.id === 'PRF');
    expect(prf && valueAt(prf, 1)).toBe('08292233294');
    const isa = document.interchanges[0]!.header;
    expect(valueAt(isa, 6).trim()).toBe('999999999');
    expect(valueAt(isa, 8).trim()).toBe('4405197800');
    expect(segments.filter((s) => s.id === 'LIN')).toHaveLength(6);
    const kept = await hub!.store.edi.getOutbound('acme-edi', '/wms-east', eventId);
    expect(kept).toMatchObject({ partner: 'acme', setId: '856', body: request!.body });
    expect(kept?.ackStatus).toBeUndefined();
  });

  it('resends the same interchange (same ISA13) when the first attempt fails', async () => {
    sink = await startSink((_request, index) => ({ status: index === 0 ? 503 : 200 }));
    await start(`http: { url: ${sink.url}/edi }`);
    const eventId = await orderShipped();
    const [first, second] = await sink.waitFor(2);
    const isa13 = (body: string) => valueAt(parseX12(body).interchanges[0]!.header, 13);
    expect(isa13(second!.body)).toBe(isa13(first!.body));
    expect(second!.body).toBe(first!.body);
    expect(second!.headers['idempotency-key']).toBe(eventId);
  });

  it('drops the interchange as <partner>-<ISA13>.x12 in a dir: folder', async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifold-edi-drop-'));
    await start(`dir: ${dir}`);
    const eventId = await orderShipped();
    const kept = await until(
      () => hub!.store.edi.getOutbound('acme-edi', '/wms-east', eventId),
      'the rendered interchange',
    );
    const file = join(dir, `acme-${String(kept.isa13).padStart(9, '0')}.x12`);
    await until(async () => (existsSync(file) ? true : undefined), file);
    expect(readFileSync(file, 'utf8')).toBe(kept.body);
    expect(readdirSync(dir)).toEqual([`acme-${String(kept.isa13).padStart(9, '0')}.x12`]);
    expect(validateX12(parseX12(kept.body))).toEqual([]);
  });

  it('parks an event that cannot be mapped, with the problem as the error', async () => {
    sink = await startSink();
    await start(`http: { url: ${sink.url}/edi }`);
    await orderShipped('acme-unknown-order');
    const exception = await until(async () => {
      const [found] = await hub!.store.delivery.listExceptions({ subscription: 'acme-edi', limit: 10 });
      return found;
    }, 'the exception');
    expect(exception.code).toBe('delivery_rejected');
    expect(JSON.stringify(exception)).toContain("no order 'acme-unknown-order'");
    expect(sink.received).toHaveLength(0);
  });

  it("records the partner's 997 as accepted, and an AK5 R as rejected with its codes", async () => {
    sink = await startSink();
    await start(`http: { url: ${sink.url}/edi }`);
    const eventId = await orderShipped();
    const [request] = await sink.waitFor(1);

    const accepted = await hub!.app.inject({
      method: 'POST',
      url: '/v1/edi/acme',
      headers: {
        authorization: `Bearer ${KEYS.acme}`,
        'content-type': 'application/edi-x12',
        accept: 'application/json',
      },
      payload: await partnerAck(request!.body),
    });
    expect(accepted.statusCode).toBe(200);
    expect(JSON.parse(String(accepted.headers['x-manifold-sets']))).toEqual({
      applied: 1,
      rejected: 0,
      duplicate: 0,
      held: 0,
    });
    expect(JSON.stringify(accepted.json())).toContain('accepted');
    let kept = await hub!.store.edi.getOutbound('acme-edi', '/wms-east', eventId);
    expect(kept).toMatchObject({ ackStatus: 'accepted', ackCodes: [] });
    // The order's timeline shows the 856 sent for the shipment and the partner's verdict on it.
    const timeline = await hub!.app.inject({
      method: 'GET',
      url: `/v1/orders/${ORDER}/timeline`,
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    const shipped = timeline
      .json()
      .entries.find((e: { type: string }) => e.type === 'com.manifold.order.shipped.v1');
    const delivery = shipped.deliveries.find((d: { subscription: string }) => d.subscription === 'acme-edi');
    expect(delivery.x12).toMatchObject({ set: '856', acknowledgement: 'accepted', interchange: kept?.isa13 });

    const ack = await partnerAck(request!.body, true);
    const rejected = await post(
      '/v1/edi/acme',
      KEYS.acme,
      ack.replaceAll('000000700', '000000701'),
      'application/edi-x12',
    );
    expect(rejected.statusCode).toBe(200);
    kept = await hub!.store.edi.getOutbound('acme-edi', '/wms-east', eventId);
    expect(kept).toMatchObject({ ackStatus: 'rejected', ackCodes: ['5'] });
    expect(kept?.ackAt).toBeDefined();
  });
});

async function edi(kind: StoreKind) {
  it('keeps the first interchange per (subscription, event) and records 997 verdicts by GS/ST', async () => {
    const testStore = await openTestStore(kind);
    try {
      const { store } = testStore;
      const row = {
        subscription: 'acme-edi',
        eventSource: '/wms-east',
        eventId: 'ship-1',
        partner: 'acme',
        setId: '856',
        isa13: 12,
        gsControl: 7,
        stControl: 7,
        body: 'ISA…first',
        createdAt: '2026-11-27T10:00:00.000Z',
      };
      expect(await store.edi.saveOutbound(row)).toMatchObject({ isa13: 12, body: 'ISA…first' });
      const again = await store.edi.saveOutbound({ ...row, isa13: 13, body: 'ISA…second' });
      expect(again).toMatchObject({ isa13: 12, body: 'ISA…first' });
      expect(
        await store.edi.listOutbound({
          partner: 'acme',
          unacknowledgedBefore: '2026-11-28T00:00:00Z',
          limit: 10,
        }),
      ).toHaveLength(1);
      const ack = { partner: 'acme', gsControl: 7, at: '2026-11-27T11:00:00.000Z' };
      expect(
        await store.edi.recordAcknowledgement({ ...ack, partner: 'other', status: 'accepted', codes: [] }),
      ).toBe(0);
      expect(
        await store.edi.recordAcknowledgement({
          ...ack,
          stControl: 7,
          setId: '856',
          status: 'rejected',
          codes: ['5'],
        }),
      ).toBe(1);
      expect(await store.edi.getOutbound('acme-edi', '/wms-east', 'ship-1')).toMatchObject({
        ackStatus: 'rejected',
        ackCodes: ['5'],
        ackAt: '2026-11-27T11:00:00.000Z',
      });
      expect(
        await store.edi.listOutbound({
          partner: 'acme',
          unacknowledgedBefore: '2026-11-28T00:00:00Z',
          limit: 10,
        }),
      ).toHaveLength(0);
    } finally {
      await testStore.cleanup();
    }
  });
}

for (const kind of requestedStores()) {
  await describeWithStore(kind, `edi_outbound on ${kind}`, () => edi(kind));
}
