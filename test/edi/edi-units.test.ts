/**
 * Units of measure through the hub (docs/orders.md#units-of-measure, docs/edi.md): acme's 850 orders
 * `PO1*1*10*CA` of a 12-per-case item and `PO1*2*3*CS` (acme's code for a case): 156 eaches are committed;
 * the 855, 856 (with packages) and 810 sent back answer in cases, each line in the code acme ordered it in
 * (`CA` for the first line, `CS` for the second). A unit the table does
 * not know rejects the set in the 997 with the line and code, kept as an `edi_rejected` exception.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { parseX12, type SegmentInput, validateX12, valueAt } from '../../src/connectors/edi/x12/index.js';
import { gs1CheckDigit } from '../../src/domain/orders/packages.js';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';
import { postX12, toHub } from './support.js';

const ACME = { qualifier: '12', id: '4405197800' };
const seg = (id: string, ...elements: string[]): SegmentInput => ({ id, elements });
const sscc = (body: string) => `${body}${gs1CheckDigit(body)}`;

let hub: TestApp | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  hub = undefined;
  sink = undefined;
});

async function start(url: string) {
  const yaml = testConfigYaml({
    subscriptions: `subscriptions:
  - name: acme-edi
    target: acme
    edi: { sets: [855, 856, 810] }
    http: { url: ${url} }
    retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }
`,
  }).replace(
    "x12: { id: '4405197800', qualifier: '12' }",
    "x12: { id: '4405197800', qualifier: '12', units: { CS: CA } }",
  );
  hub = await buildTestApp({
    yaml: `${yaml}units:\n  '*': { CA: 12 }\n  BOLT-6: { CA: 6 }\n`,
    delivery: { pollMs: 10 },
  });
  return hub;
}

function po850(poNumber: string, lines: SegmentInput[]) {
  return toHub(ACME, 'PO', '850', [
    seg('BEG', '00', 'SA', poNumber, '', '20261127'),
    seg('N1', 'ST', 'ADDISON HVAC LLC'),
    seg('N3', '7050 OVERLAND RD'),
    seg('N4', 'ORLANDO', 'FL', '32810'),
    ...lines,
  ]);
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('an 850 in cases', () => {
  it('commits eaches and answers 855, 856 and 810 in cases', async () => {
    sink = await startSink();
    const app = await start(`${sink.url}/edi`);
    const post = (url: string, key: string, payload: unknown) => postAs(app.app, url, key, payload);
    for (const sku of ['E-100', 'E-200']) {
      await post('/v1/events', KEYS.wmsEast, {
        specversion: '1.0',
        id: randomUUID(),
        source: '/wms-east',
        type: 'com.manifold.inventory.counted.v1',
        data: { sku, location: 'DC-EAST', onHand: 500 },
      });
    }
    await app.inventory.settle();
    const { sets } = await postX12(
      app,
      po850('CASES-2', [
        seg('PO1', '1', '10', 'CA', '60', '', 'VN', 'E-100'),
        seg('PO1', '2', '3', 'CS', '60', '', 'VN', 'E-200'),
      ]),
      'acme',
    );
    expect(sets[0]).toMatchObject({ type: '850', outcome: 'applied' });
    const order = await app.store.orders.getOrder('acme-CASES-2');
    expect(order?.document.lines.map((l) => [l.quantity, l.uom, l.baseQuantity, l.partnerUom])).toEqual([
      [10, 'CA', 120, 'CA'],
      [3, 'CA', 36, 'CS'],
    ]);
    const positions = async (sku: string) => (await app.store.inventory.positions(sku))[0]?.buckets;
    expect(await positions('E-100')).toMatchObject({ on_hand: 500, committed: 120 });
    expect(await positions('E-200')).toMatchObject({ on_hand: 500, committed: 36 });

    // Shipped in eaches with two packages; invoiced in eaches at a price per each.
    const shipped = await post('/v1/events', KEYS.wmsEast, {
      specversion: '1.0',
      id: randomUUID(),
      source: '/wms-east',
      type: 'com.manifold.order.shipped.v1',
      data: {
        orderId: 'acme-CASES-2',
        location: 'DC-EAST',
        carrier: 'UPSN',
        lines: [
          { lineId: '1', quantity: 120 },
          { lineId: '2', quantity: 3, uom: 'CA' },
        ],
        packages: [
          { sscc: sscc('00614141100000001'), lines: [{ lineId: '1', quantity: 120 }] },
          {
            sscc: sscc('00614141100000002'),
            weight: { value: 9, unit: 'KG' },
            lines: [{ lineId: '2', quantity: 3 }],
          },
        ],
      },
    });
    expect(shipped.statusCode).toBe(202);
    const invoiced = await post('/v1/events', KEYS.erp, {
      specversion: '1.0',
      id: randomUUID(),
      source: '/erp',
      type: 'com.manifold.order.invoiced.v1',
      data: {
        orderId: 'acme-CASES-2',
        invoiceNumber: 'INV-7',
        lines: [
          { lineId: '1', quantity: 120, unitPrice: 5 },
          { lineId: '2', quantity: 36, unitPrice: 5 },
        ],
        total: 780,
      },
    });
    expect(invoiced.statusCode).toBe(202);
    await app.orders.settle();
    await app.inventory.settle();
    expect(await positions('E-100')).toMatchObject({ on_hand: 380, committed: 0, in_transit: 120 });
    expect(await positions('E-200')).toMatchObject({ on_hand: 464, committed: 0, in_transit: 36 });

    const setOf = (id: string) => {
      for (const request of sink!.received) {
        const document = parseX12(request.body);
        const set = document.interchanges
          .flatMap((i) => i.groups.flatMap((g) => g.sets))
          .find((s) => valueAt(s.header, 1) === id);
        if (set) {
          expect(validateX12(document)).toEqual([]);
          return set;
        }
      }
      return undefined;
    };
    const by = (set: NonNullable<ReturnType<typeof setOf>>, id: string, ...positions: number[]) =>
      set.segments.filter((s) => s.id === id).map((s) => positions.map((p) => valueAt(s, p)));
    const ack = await until(() => setOf('855'), 'the 855');
    expect(by(ack, 'PO1', 1, 2, 3)).toEqual([
      ['1', '10', 'CA'],
      ['2', '3', 'CS'],
    ]);
    expect(by(ack, 'ACK', 1, 2, 3)).toEqual([
      ['IA', '10', 'CA'],
      ['IA', '3', 'CS'],
    ]);
    const asn = await until(() => setOf('856'), 'the 856');
    expect(by(asn, 'HL', 3)).toEqual([['S'], ['O'], ['P'], ['I'], ['P'], ['I']]);
    expect(by(asn, 'MAN', 1, 2)).toEqual([
      ['GM', sscc('00614141100000001')],
      ['GM', sscc('00614141100000002')],
    ]);
    expect(by(asn, 'SN1', 1, 2, 3)).toEqual([
      ['1', '10', 'CA'],
      ['2', '3', 'CS'],
    ]);
    const invoice = await until(() => setOf('810'), 'the 810');
    expect(by(invoice, 'IT1', 1, 2, 3, 4)).toEqual([
      ['1', '10', 'CA', '60'],
      ['2', '3', 'CS', '60'],
    ]);
  });

  it('rejects a PO line in a unit the table does not know for the item, in the 997, kept as an exception', async () => {
    const app = await start('http://127.0.0.1:9/edi');
    // BOLT-6 has its own entry (6 per case, no pallet): PL is not known for it.
    const { sets, ack } = await postX12(
      app,
      po850('PALLET-1', [
        seg('PO1', '1', '1', 'EA', '1', '', 'VN', 'E-100'),
        seg('PO1', '7', '2', 'PL', '1', '', 'VN', 'BOLT-6'),
      ]),
      'acme',
    );
    expect(sets[0]).toMatchObject({ type: '850', outcome: 'rejected' });
    expect(sets[0]?.detail).toContain("line 7: PO103 unit 'PL' is not known");
    expect(ack.find((s) => s.id === 'AK5')?.elements[0]).toBe('R');
    const ak4 = ack.find((s) => s.id === 'AK4');
    expect(ak4 && valueAt(ak4, 1)).toBe('3');
    const exceptions = await app.app.inject({
      method: 'GET',
      url: '/v1/exceptions?code=edi_rejected',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    expect((exceptions.json() as { items: { detail: string }[] }).items).toEqual([
      expect.objectContaining({ detail: expect.stringContaining("PO103 unit 'PL'") }),
    ]);
    expect(await app.store.orders.getOrder('acme-PALLET-1')).toBeUndefined();
  });
});
