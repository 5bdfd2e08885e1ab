/**
 * X12 860 in, 865 out (docs/edi.md#860-purchase-order-change), end to end through `POST /v1/edi/{partner}`:
 * acme's 850 places an order; its 860 (test/fixtures/860-change-acme.edi) lowers, raises, removes and adds
 * lines — the order changes as a whole and acme receives an 865 that accepts each line; a second 860
 * after the warehouse picked a line is refused as a whole, into `order_change_refused` and an 865 that
 * rejects every line. Both the 860 and every 865 pass the project's X12 validator.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseX12, type Segment, validateX12, valueAt } from '../../src/connectors/edi/x12/index.js';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';
import { postX12, toHub } from './support.js';

const PO = readFileSync(new URL('../fixtures/edi/850-vics-nodex12.edi', import.meta.url), 'utf8');
const CHANGE = readFileSync(new URL('../fixtures/860-change-acme.edi', import.meta.url), 'utf8');
const ORDER = 'acme-08292233294';
const ACME = { qualifier: '12', id: '4405197800' };

let hub: TestApp | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  hub = undefined;
  sink = undefined;
});

function segmentsOf(x12: string): Segment[] {
  return parseX12(x12).interchanges.flatMap((i) =>
    i.groups.flatMap((g) => [g.header, ...g.sets.flatMap((s) => [s.header, ...s.segments])]),
  );
}
const elements = (s: Segment) => s.elements.map((_, i) => valueAt(s, i + 1));

/** With `units`, a unit table (12 per case, AB3542 also a 48-each pallet) and acme's code map `{CS: CA}`. */
async function start(options: { units?: boolean } = {}) {
  sink = await startSink();
  const yaml = testConfigYaml({
    subscriptions: `subscriptions:
  - name: acme-edi
    target: acme
    edi: { sets: [865] }
    http: { url: ${sink.url}/edi }
    retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }
`,
  });
  hub = await buildTestApp({
    yaml: options.units
      ? `${yaml.replace(
          "x12: { id: '4405197800', qualifier: '12' }",
          "x12: { id: '4405197800', qualifier: '12', units: { CS: CA } }",
        )}units:\n  '*': { CA: 12 }\n  AB3542: { CA: 12, PL: 48 }\n`
      : yaml,
    delivery: { pollMs: 10 },
  });
  for (const sku of ['AB3542', 'RD5322', 'XY5266', 'VX2332', 'RV0524', 'DX1875', 'NEW001']) {
    const counted = await postAs(hub.app, '/v1/events', KEYS.wmsEast, {
      specversion: '1.0',
      id: randomUUID(),
      source: '/wms-east',
      type: 'com.manifold.inventory.counted.v1',
      data: { sku, location: 'DC-EAST', onHand: 1000 },
    });
    expect(counted.statusCode).toBe(202);
  }
  await hub.inventory.settle();
  const placed = await postX12(hub, PO, 'acme');
  expect(placed.sets[0]).toMatchObject({ type: '850', outcome: 'applied' });
  return hub;
}

describe('X12 860 → order.changed → 865', () => {
  it('the sample 860 parses and passes the X12 validator', () => {
    const document = parseX12(CHANGE);
    expect(validateX12(document)).toEqual([]);
    expect(document.interchanges[0]?.groups[0]?.sets[0]?.header.elements[0]).toBe('860');
  });

  it('applies a change request as a whole and answers an 865 accepting every line', async () => {
    const h = await start();
    const { sets, ack } = await postX12(h, CHANGE, 'acme');
    expect(sets).toEqual([
      expect.objectContaining({ type: '860', outcome: 'applied', detail: `change 1 of order ${ORDER}` }),
    ]);
    expect(ack.find((s) => s.id === 'AK5')?.elements[0]).toBe('A');
    const order = await h.store.orders.getOrder(ORDER);
    const line = (id: string) => order?.state.lines.find((l) => l.lineId === id);
    expect(line('1')).toMatchObject({ ordered: 120, cancelled: 20, committed: 100 });
    expect(line('2')).toMatchObject({ ordered: 240, cancelled: 0, committed: 240 });
    expect(line('5')).toMatchObject({ ordered: 72, cancelled: 72, committed: 0 });
    expect(line('7')).toMatchObject({ sku: 'NEW001', ordered: 10, committed: 10, released: 10 });
    expect(order?.document.requestedDeliveryDate).toBe('2010-12-20');
    const [request] = await sink!.waitFor(1);
    expect(validateX12(parseX12(request!.body))).toEqual([]);
    const segments = segmentsOf(request!.body);
    expect(elements(segments.find((s) => s.id === 'GS')!)[0]).toBe('CA');
    expect(elements(segments.find((s) => s.id === 'ST')!)[0]).toBe('865');
    const bca = elements(segments.find((s) => s.id === 'BCA')!);
    expect(bca.slice(0, 5)).toEqual(['00', 'AT', '08292233294', '', '1']);
    expect(bca[5]).toMatch(/^\d{8}$/);
    expect(segments.filter((s) => s.id === 'POC').map(elements)).toEqual([
      ['1', 'CA', '100', '', 'EA', '', '', 'VN', 'AB3542'],
      ['2', 'CA', '240', '', 'EA', '', '', 'VN', 'RD5322'],
      ['5', 'DI', '', '', '', '', '', 'VN', 'RV0524'],
      ['7', 'AI', '10', '', 'EA', '', '', 'VN', 'NEW001'],
    ]);
    expect(segments.filter((s) => s.id === 'ACK').map(elements)).toEqual([
      ['IQ', '100', 'EA'],
      ['IQ', '240', 'EA'],
      ['ID'],
      ['IA', '10', 'EA'],
    ]);
  });

  it('refuses a change after pick as a whole: order_change_refused and an 865 rejecting every line', async () => {
    const h = await start();
    const picked = await postAs(h.app, '/v1/events', KEYS.wmsEast, {
      specversion: '1.0',
      id: randomUUID(),
      source: '/wms-east',
      type: 'com.manifold.order.picked.v1',
      data: { orderId: ORDER, location: 'DC-EAST', lines: [{ lineId: '1', quantity: 120 }] },
    });
    expect(picked.statusCode).toBe(202);
    await h.orders.settle();
    const before = await h.store.orders.getOrder(ORDER);
    const change = toHub(ACME, 'PC', '860', [
      { id: 'BCH', elements: ['04', 'SA', '08292233294', '', '2', '20101127'] },
      { id: 'POC', elements: ['2', 'QD', '200', '200', 'EA', '', '', 'VN', 'RD5322'] },
      { id: 'POC', elements: ['1', 'QD', '50', '50', 'EA', '', '', 'VN', 'AB3542'] },
      { id: 'CTT', elements: ['2', '250'] },
    ]);
    expect(validateX12(parseX12(change))).toEqual([]);
    const { sets } = await postX12(h, change, 'acme');
    expect(sets[0]).toMatchObject({ type: '860', outcome: 'applied' });
    const after = await h.store.orders.getOrder(ORDER);
    expect(after?.state.lines).toEqual(before?.state.lines);
    const open = await h.store.delivery.listExceptions({
      code: 'order_change_refused',
      subject: ORDER,
      status: 'open',
      limit: 10,
    });
    expect(open).toHaveLength(1);
    expect(open[0]?.detail).toMatch(/line 1 \(AB3542\) has 120 picked/);
    const [request] = await sink!.waitFor(1);
    expect(validateX12(parseX12(request!.body))).toEqual([]);
    const segments = segmentsOf(request!.body);
    expect(elements(segments.find((s) => s.id === 'BCA')!).slice(0, 5)).toEqual([
      '00',
      'RD',
      '08292233294',
      '',
      '2',
    ]);
    expect(segments.filter((s) => s.id === 'ACK').map(elements)).toEqual([
      ['IR', '200', 'EA'],
      ['IR', '50', 'EA'],
    ]);
  });

  it('rejects an 860 that names an order the hub does not have, or a change code it does not take, at the segment', async () => {
    const h = await start();
    const unknown = toHub(ACME, 'PC', '860', [
      { id: 'BCH', elements: ['04', 'SA', 'NO-SUCH-PO', '', '1', '20101127'] },
      { id: 'POC', elements: ['1', 'QD', '5', '5', 'EA'] },
    ]);
    const first = await postX12(h, unknown, 'acme');
    expect(first.sets[0]).toMatchObject({ type: '860', outcome: 'rejected' });
    expect(first.sets[0]?.detail).toMatch(/no order 'NO-SUCH-PO'/);
    const badCode = toHub(ACME, 'PC', '860', [
      { id: 'BCH', elements: ['04', 'SA', '08292233294', '', '3', '20101127'] },
      { id: 'POC', elements: ['1', 'ZZ', '5', '5', 'EA'] },
    ]);
    const second = await postX12(h, badCode, 'acme');
    expect(second.sets[0]).toMatchObject({ type: '860', outcome: 'rejected' });
    expect(second.sets[0]?.detail).toMatch(/POC02 'ZZ'/);
    expect(sink!.received).toHaveLength(0);
  });

  it('reads POC05 through the partner units, converts to eaches for the SKU, and answers the 865 in the unit ordered', async () => {
    const h = await start({ units: true });
    const change = toHub(ACME, 'PC', '860', [
      { id: 'BCH', elements: ['04', 'SA', '08292233294', '', '4', '20101127'] },
      // Line 1 (120 EA of AB3542) becomes 5 cases in acme's code, its price per case; line 8 is new, 2 CA.
      { id: 'POC', elements: ['1', 'QD', '5', '5', 'CS', '111', '', 'VN', 'AB3542'] },
      { id: 'POC', elements: ['8', 'AI', '2', '2', 'CA', '42', '', 'VN', 'NEW001'] },
      { id: 'CTT', elements: ['2', '7'] },
    ]);
    expect(validateX12(parseX12(change))).toEqual([]);
    const { sets } = await postX12(h, change, 'acme');
    expect(sets[0]).toMatchObject({ type: '860', outcome: 'applied' });
    await h.orders.settle();
    const order = await h.store.orders.getOrder(ORDER);
    const line = (id: string) => order?.state.lines.find((l) => l.lineId === id);
    expect(line('1')).toMatchObject({ ordered: 120, cancelled: 60, committed: 60 });
    expect(line('8')).toMatchObject({ sku: 'NEW001', ordered: 24, committed: 24 });
    const doc = (id: string) => order?.document.lines.find((l) => l.lineId === id);
    expect(doc('1')).toMatchObject({
      quantity: 5,
      uom: 'CA',
      partnerUom: 'CS',
      baseQuantity: 60,
      unitPrice: 111,
    });
    expect(doc('8')).toMatchObject({
      quantity: 2,
      uom: 'CA',
      partnerUom: 'CA',
      baseQuantity: 24,
      unitPrice: 42,
    });
    const [request] = await sink!.waitFor(1);
    expect(validateX12(parseX12(request!.body))).toEqual([]);
    const segments = segmentsOf(request!.body);
    expect(segments.filter((s) => s.id === 'POC').map(elements)).toEqual([
      ['1', 'CA', '5', '', 'CS', '', '', 'VN', 'AB3542'],
      ['8', 'AI', '2', '', 'CA', '', '', 'VN', 'NEW001'],
    ]);
    expect(segments.filter((s) => s.id === 'ACK').map(elements)).toEqual([
      ['IQ', '5', 'CS'],
      ['IA', '2', 'CA'],
    ]);
  });

  it('rejects an 860 line in a unit the table does not know for its SKU, naming the line and the code', async () => {
    const h = await start({ units: true });
    // RD5322 has no pallet (only AB3542's entry names PL).
    const change = toHub(ACME, 'PC', '860', [
      { id: 'BCH', elements: ['04', 'SA', '08292233294', '', '5', '20101127'] },
      { id: 'POC', elements: ['2', 'QD', '1', '1', 'PL', '', '', 'VN', 'RD5322'] },
    ]);
    const { sets } = await postX12(h, change, 'acme');
    expect(sets[0]).toMatchObject({ type: '860', outcome: 'rejected' });
    expect(sets[0]?.detail).toContain("line 2: POC05 unit 'PL' is not known");
    const order = await h.store.orders.getOrder(ORDER);
    expect(order?.state.lines.find((l) => l.lineId === '2')).toMatchObject({ ordered: 220, cancelled: 0 });
  });

  it('refuses an order.changed line whose unit is unknown for the SKU as a whole, naming the line and unit', async () => {
    const h = await start({ units: true });
    const changed = await postAs(h.app, '/v1/events', KEYS.acme, {
      specversion: '1.0',
      id: randomUUID(),
      source: '/acme',
      type: 'com.manifold.order.changed.v1',
      data: {
        orderId: ORDER,
        changeId: 'C-9',
        lines: [
          { lineId: '1', action: 'update', quantity: 2, uom: 'PL' },
          { lineId: '2', action: 'update', quantity: 1, uom: 'PL' },
        ],
      },
    });
    expect(changed.statusCode).toBe(202);
    await h.orders.settle();
    const order = await h.store.orders.getOrder(ORDER);
    expect(order?.state.lines.find((l) => l.lineId === '1')).toMatchObject({ ordered: 120, cancelled: 0 });
    const open = await h.store.delivery.listExceptions({
      code: 'order_change_refused',
      subject: ORDER,
      status: 'open',
      limit: 10,
    });
    expect(open).toHaveLength(1);
    expect(open[0]?.detail).toMatch(/line 2: unit 'PL' is not known/);
  });
});
