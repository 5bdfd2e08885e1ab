/**
 * X12 that would be taken wrongly rather than refused: quantities in units the hub does not count, dates
 * and times that are no day or time, and answers whose header grows with the interchange. Each wrong
 * value rejects its set with the AK4 position in the 997; the answer's header stays a few bytes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatInterchange, type SegmentInput, valueAt } from '../../src/connectors/edi/x12/index.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';
import { HUB_X12, postX12, sample, toHub } from './support.js';

let hub: TestApp;
beforeEach(async () => {
  hub = await buildTestApp();
});
afterEach(async () => {
  await hub.close();
});

const ACME = { qualifier: '12', id: '4405197800' };
const FREIGHTCO = { qualifier: 'ZZ', id: 'FRGT' };
const seg = (id: string, ...elements: string[]): SegmentInput => ({ id, elements });

const send = (body: string, partner: 'acme' | 'freightco') => postX12(hub, body, partner);

/** AK4-01 (position in segment), AK4-03 (the error code) and AK3-01 (the segment) of a 997. */
function ak4Of(ack: Awaited<ReturnType<typeof send>>['ack']) {
  const ak3 = ack.find((s) => s.id === 'AK3');
  const ak4 = ack.find((s) => s.id === 'AK4');
  return { segment: ak3 && valueAt(ak3, 1), position: ak4 && valueAt(ak4, 1), code: ak4 && valueAt(ak4, 3) };
}

async function rejections(): Promise<unknown[]> {
  const response = await hub.app.inject({
    method: 'GET',
    url: '/v1/exceptions?code=edi_rejected',
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return (response.json() as { items: unknown[] }).items;
}

function po850(poNumber: string, unit: string) {
  return toHub(ACME, 'PO', '850', [
    seg('BEG', '00', 'SA', poNumber, '', '20261127'),
    seg('N1', 'ST', 'ADDISON HVAC LLC'),
    seg('N3', '7050 OVERLAND RD'),
    seg('N4', 'ORLANDO', 'FL', '32810'),
    seg('PO1', '1', '10', unit, '10', '', 'VN', 'E-100'),
  ]);
}

describe('units of measure', () => {
  it('rejects an 850 line in cases (PO103 CA) at PO1-03 instead of ordering 10 units', async () => {
    const { sets, ack } = await send(po850('CASES-1', 'CA'), 'acme');
    expect(sets[0]).toMatchObject({ type: '850', outcome: 'rejected' });
    expect(sets[0]?.detail).toContain("PO103 unit 'CA'");
    expect(ak4Of(ack)).toMatchObject({ segment: 'PO1', position: '3', code: '7' });
    expect(await rejections()).toHaveLength(1);
    const order = await hub.app.inject({
      method: 'GET',
      url: '/v1/orders/acme-CASES-1',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    expect(order.statusCode).toBe(404);
  });

  it('takes EA, and a blank PO103 (optional in the 850) as each', async () => {
    for (const [po, unit] of [
      ['EACH-1', 'EA'],
      ['BLANK-1', ''],
    ] as const) {
      const { sets } = await send(po850(po, unit), 'acme');
      expect(sets[0], unit).toMatchObject({ type: '850', outcome: 'applied' });
    }
  });

  it('rejects the public 940 sample, which orders in cases, at W01-02', async () => {
    const sample940 = sample('940-edinengine.edi').replace(
      'ZZ*ABCDEFGHIJKLMNO*ZZ*123456789012345',
      '12*4405197800     *01*999999999      ',
    );
    const { sets, ack } = await send(sample940, 'acme');
    expect(sets[0]).toMatchObject({ type: '940', outcome: 'rejected' });
    expect(ak4Of(ack)).toMatchObject({ segment: 'W01', position: '2', code: '7' });
  });
});

describe('214 AT7 dates and times', () => {
  const status = (date: string, time: string) =>
    toHub(FREIGHTCO, 'QM', '214', [
      seg('B10', 'PRO-1', 'SO-404', 'FRGT'),
      seg('LX', '1'),
      seg('AT7', 'D1', 'NS', '', '', date, time, 'UT'),
    ]);

  it('rejects a day that does not exist, a date of zeros and a time past 23:59 alike, at their element', async () => {
    for (const [date, time, position] of [
      ['20240230', '1015', '5'],
      ['00000000', '1015', '5'],
      ['20240115', '2599', '6'],
      ['', '1015', '5'],
    ] as const) {
      const { sets, ack } = await send(status(date, time), 'freightco');
      expect(sets[0], `${date} ${time}`).toMatchObject({ type: '214', outcome: 'rejected' });
      expect(ak4Of(ack), `${date} ${time}`).toMatchObject({ segment: 'AT7', position });
    }
    expect(await rejections()).toHaveLength(4);
  });
});

describe('the answer', () => {
  it('keeps X-Manifold-Sets a few bytes for 200 sets; the per-set detail is in the JSON body', async () => {
    const sets = Array.from({ length: 200 }, (_, index) => ({
      id: '850',
      controlNumber: index + 1,
      segments: [
        seg('BEG', '00', 'SA', `BULK-${index}`, '', '20261127'),
        seg('N1', 'ST', 'ADDISON HVAC LLC'),
        seg('N3', '7050 OVERLAND RD'),
        seg('N4', 'ORLANDO', 'FL', '32810'),
        seg('PO1', '1', '1', 'CA', '10', '', 'VN', 'E-100'),
      ],
    }));
    const text = formatInterchange(
      {
        sender: ACME,
        receiver: HUB_X12,
        controlNumber: 4242,
        groups: [{ functionalId: 'PO', version: '004010', controlNumber: 4242, sets }],
      },
      { newline: true },
    );
    const { response, sets: detail } = await send(text, 'acme');
    const header = String(response.headers['x-manifold-sets']);
    expect(header.length).toBeLessThan(100);
    expect(JSON.parse(header)).toEqual({ applied: 0, rejected: 200, duplicate: 0, held: 0 });
    expect(detail).toHaveLength(200);
    const plain = await hub.app.inject({
      method: 'POST',
      url: '/v1/edi/acme',
      headers: { authorization: `Bearer ${KEYS.acme}`, 'content-type': 'application/edi-x12' },
      payload: text,
    });
    expect(plain.headers['content-type']).toMatch(/^application\/edi-x12/);
    expect(plain.headers['x-manifold-resent']).toBe('true');
    expect(String(plain.headers['x-manifold-sets']).length).toBeLessThan(100);
    expect(plain.body).toMatch(/^ISA/);
  });
});
