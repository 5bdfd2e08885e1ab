/**
 * Outbound mappings (canonical event data → X12 855, 856, 810, 846, 940): each set is mapped from
 * realistic data, written with the project's writer (explicit control numbers), parsed back and
 * validated (no issue), and its key segments checked.
 */
import { describe, expect, it } from 'vitest';
import {
  map810,
  map846,
  map855,
  map856,
  map940,
  OUTBOUND_SETS,
  type OutboundResult,
  outboundInterchange,
} from '../../src/connectors/edi/mappings/outbound.js';
import {
  formatInterchange,
  parseX12,
  type Segment,
  type SetInput,
  type TransactionSet,
  validateX12,
  valueAt,
} from '../../src/connectors/edi/x12/index.js';

const date = new Date('2026-11-27T10:15:00Z');
const hub = { qualifier: 'ZZ', id: 'MANIFOLD' };
const acme = { qualifier: '01', id: '123456789' };
const context = { date, partner: 'acme' };
const orderLines = [
  { lineId: '1', sku: 'WID-BLUE', unitPrice: 12.5 },
  { lineId: '2', sku: 'WID-RED', unitPrice: 4.25 },
  { lineId: '3', sku: 'GADGET-9', unitPrice: 38 },
];

function mapped(result: OutboundResult<SetInput>): SetInput {
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.data;
}

/** Writes the sets to the partner, parses them back, checks there is no issue; the sets as read. */
function roundTrip(...sets: SetInput[]): { text: string; sets: TransactionSet[]; gs01: string[] } {
  const numbered = sets.map((set, index) => ({ ...set, controlNumber: 101 + index }));
  const interchange = outboundInterchange(numbered, { hub, partner: acme, date, controlNumber: 42 });
  const text = formatInterchange(
    {
      ...interchange,
      groups: interchange.groups.map((group, index) => ({ ...group, controlNumber: 7 + index })),
    },
    { newline: true },
  );
  const document = parseX12(text);
  expect(document.issues).toEqual([]);
  expect(validateX12(document)).toEqual([]);
  const read = document.interchanges[0];
  if (!read) throw new Error('no interchange');
  return {
    text,
    sets: read.groups.flatMap((group) => group.sets),
    gs01: read.groups.map((group) => valueAt(group.header, 1)),
  };
}

function only(sets: TransactionSet[]): TransactionSet {
  expect(sets).toHaveLength(1);
  return sets[0] as TransactionSet;
}

const all = (set: TransactionSet, id: string): Segment[] => set.segments.filter((s) => s.id === id);
const one = (set: TransactionSet, id: string): Segment => {
  const found = all(set, id);
  expect(found, id).toHaveLength(1);
  return found[0] as Segment;
};
const values = (segment: Segment, ...positions: number[]) => positions.map((p) => valueAt(segment, p));

describe('outbound 855 purchase order acknowledgement', () => {
  const milestone = {
    orderId: 'acme-4500012345',
    milestone: 'committed' as const,
    previous: 'accepted' as const,
    inferred: [],
    lines: [
      { lineId: '1', sku: 'WID-BLUE', ordered: 24, committed: 24, backordered: 0 },
      { lineId: '2', sku: 'WID-RED', ordered: 6, committed: 4, backordered: 2 },
    ],
  };

  it('acknowledges a fully committed order with BAK02 AD and IA per line', () => {
    const set = only(
      roundTrip(
        mapped(
          map855(
            { ...milestone, lines: [{ lineId: '1', sku: 'WID-BLUE', ordered: 24, committed: 24 }] },
            { ...context, order: { lines: orderLines } },
          ),
        ),
      ).sets,
    );
    expect(values(one(set, 'BAK'), 1, 2, 3, 4)).toEqual(['00', 'AD', '4500012345', '20261127']);
    expect(values(one(set, 'PO1'), 1, 2, 3, 4, 6, 7)).toEqual(['1', '24', 'EA', '12.5', 'VN', 'WID-BLUE']);
    expect(values(one(set, 'ACK'), 1, 2, 3)).toEqual(['IA', '24', 'EA']);
    expect(values(one(set, 'CTT'), 1, 2)).toEqual(['1', '24']);
  });

  it('acknowledges a partly backordered order with BAK02 AC, IA and IB', () => {
    const result = roundTrip(mapped(map855(milestone, { ...context, order: { lines: orderLines } })));
    const set = only(result.sets);
    expect(result.gs01).toEqual(['PR']);
    expect(valueAt(one(set, 'BAK'), 2)).toBe('AC');
    expect(set.segments.map((s) => s.id)).toEqual(['BAK', 'PO1', 'ACK', 'PO1', 'ACK', 'ACK', 'CTT']);
    expect(all(set, 'ACK').map((s) => values(s, 1, 2))).toEqual([
      ['IA', '24'],
      ['IA', '4'],
      ['IB', '2'],
    ]);
    expect(values(one(set, 'CTT'), 1, 2)).toEqual(['2', '30']);
  });

  it('rejects lines with IR from an explicit acknowledgement, and refuses other milestones', () => {
    const set = only(
      roundTrip(
        mapped(
          map855(
            {
              orderId: 'acme-4500012399',
              poNumber: 'PO-77',
              lines: [
                { lineId: '1', sku: 'WID-BLUE', ordered: 3, committed: 3, unitPrice: 4.5 },
                { lineId: '2', sku: 'WID-RED', ordered: 2, committed: 0, rejected: 2, unitPrice: 15.99 },
              ],
            },
            context,
          ),
        ),
      ).sets,
    );
    expect(values(one(set, 'BAK'), 2, 3)).toEqual(['AC', 'PO-77']);
    expect(all(set, 'ACK').map((s) => values(s, 1, 2))).toEqual([
      ['IA', '3'],
      ['IR', '2'],
    ]);
    const shipped = map855({ ...milestone, milestone: 'shipped' }, context);
    expect(shipped.ok).toBe(false);
  });
});

describe('outbound 856 ship notice', () => {
  const shipped = {
    orderId: 'acme-4500012345',
    location: 'DC-WEST',
    lines: [
      { lineId: '1', quantity: 24 },
      { lineId: '2', quantity: 6 },
    ],
    carrier: 'UPSN',
    tracking: '1Z999AA10123456784',
  };

  it('writes BSN, HL S/O/I with the right parents, TD5, REF*BM, REF*CN, PRF, LIN and SN1', () => {
    const result = roundTrip(
      mapped(map856(shipped, { ...context, order: { lines: orderLines }, shipmentId: 'SH-0001' })),
    );
    const set = only(result.sets);
    expect(result.gs01).toEqual(['SH']);
    expect(values(one(set, 'BSN'), 1, 2, 3, 4, 5)).toEqual(['00', 'SH-0001', '20261127', '1015', '0004']);
    expect(all(set, 'HL').map((s) => values(s, 1, 2, 3))).toEqual([
      ['1', '', 'S'],
      ['2', '1', 'O'],
      ['3', '2', 'I'],
      ['4', '2', 'I'],
    ]);
    expect(values(one(set, 'TD5'), 2, 3)).toEqual(['2', 'UPSN']);
    expect(all(set, 'REF').map((s) => values(s, 1, 2))).toEqual([
      ['BM', 'SH-0001'],
      ['CN', '1Z999AA10123456784'],
    ]);
    expect(valueAt(one(set, 'PRF'), 1)).toBe('4500012345');
    expect(all(set, 'LIN').map((s) => values(s, 2, 3))).toEqual([
      ['VN', 'WID-BLUE'],
      ['VN', 'WID-RED'],
    ]);
    expect(all(set, 'SN1').map((s) => values(s, 2, 3))).toEqual([
      ['24', 'EA'],
      ['6', 'EA'],
    ]);
    expect(values(one(set, 'CTT'), 1, 2)).toEqual(['4', '30']);
  });

  it('adds a pack level with MAN*CP tracking, items under the pack', () => {
    const set = only(
      roundTrip(
        mapped(
          map856(shipped, {
            ...context,
            order: { lines: orderLines },
            trackingAs: 'MAN',
            pack: { marks: '00012345678901234567' },
            billOfLading: 'BOL-889',
          }),
        ),
      ).sets,
    );
    expect(valueAt(one(set, 'BSN'), 5)).toBe('0001');
    expect(all(set, 'HL').map((s) => values(s, 1, 2, 3))).toEqual([
      ['1', '', 'S'],
      ['2', '1', 'O'],
      ['3', '2', 'P'],
      ['4', '3', 'I'],
      ['5', '3', 'I'],
    ]);
    expect(all(set, 'REF').map((s) => values(s, 1, 2))).toEqual([['BM', 'BOL-889']]);
    expect(all(set, 'MAN').map((s) => values(s, 1, 2))).toEqual([
      ['GM', '00012345678901234567'],
      ['CP', '1Z999AA10123456784'],
    ]);
    expect(valueAt(one(set, 'CTT'), 1)).toBe('5');
  });

  it('refuses a shipped line that is not on the order', () => {
    const result = map856(
      { ...shipped, lines: [{ lineId: '9', quantity: 1 }] },
      { ...context, order: { lines: orderLines } },
    );
    expect(result).toMatchObject({ ok: false, problems: [{ field: 'lines[0].lineId' }] });
  });
});

describe('outbound 810 invoice', () => {
  it('writes BIG, IT1 per line, TDS in implied decimals and CTT', () => {
    const result = roundTrip(
      mapped(
        map810(
          {
            orderId: 'acme-4500012345',
            invoiceNumber: 'INV-2026-0042',
            invoiceDate: '2026-11-26',
            lines: [
              { lineId: '1', quantity: 2, unitPrice: 12.5 },
              { lineId: '2', quantity: 3, unitPrice: 4.25 },
            ],
            total: 37.75,
            currency: 'USD',
          },
          { ...context, order: { lines: orderLines, date: '2026-11-20' } },
        ),
      ),
    );
    const set = only(result.sets);
    expect(result.gs01).toEqual(['IN']);
    expect(values(one(set, 'BIG'), 1, 2, 3, 4)).toEqual([
      '20261126',
      'INV-2026-0042',
      '20261120',
      '4500012345',
    ]);
    expect(values(one(set, 'CUR'), 1, 2)).toEqual(['SE', 'USD']);
    expect(all(set, 'IT1').map((s) => values(s, 1, 2, 3, 4, 6, 7))).toEqual([
      ['1', '2', 'EA', '12.5', 'VN', 'WID-BLUE'],
      ['2', '3', 'EA', '4.25', 'VN', 'WID-RED'],
    ]);
    expect(valueAt(one(set, 'TDS'), 1)).toBe('3775');
    expect(values(one(set, 'CTT'), 1, 2)).toEqual(['2', '5']);
  });

  it('writes a whole total with two implied decimals (38.00 → 3800)', () => {
    const set = only(
      roundTrip(
        mapped(
          map810(
            {
              orderId: 'acme-4500012345',
              invoiceNumber: 'INV-43',
              lines: [{ lineId: '3', quantity: 1, unitPrice: 38 }],
              total: 38,
            },
            { ...context, order: { lines: orderLines } },
          ),
        ),
      ).sets,
    );
    expect(values(one(set, 'BIG'), 1, 2, 3, 4)).toEqual(['20261127', 'INV-43', '', '4500012345']);
    expect(valueAt(one(set, 'TDS'), 1)).toBe('3800');
    expect(valueAt(one(set, 'IT1'), 4)).toBe('38');
  });
});

describe('outbound 846 inventory advice', () => {
  it('writes BIA and LIN + QTY*33 per SKU, the last availability of a SKU winning', () => {
    const result = roundTrip(
      mapped(
        map846(
          [
            { sku: 'WID-BLUE', channel: 'acme', available: 120 },
            { sku: 'WID-RED', channel: 'acme', available: 0 },
            { sku: 'WID-BLUE', channel: 'acme', available: 118 },
          ],
          context,
        ),
      ),
    );
    const set = only(result.sets);
    expect(result.gs01).toEqual(['IB']);
    expect(values(one(set, 'BIA'), 1, 2, 3, 4)).toEqual(['00', 'MM', 'acme-202611271015', '20261127']);
    expect(all(set, 'LIN').map((s) => values(s, 2, 3))).toEqual([
      ['VN', 'WID-BLUE'],
      ['VN', 'WID-RED'],
    ]);
    expect(all(set, 'QTY').map((s) => values(s, 1, 2, 3))).toEqual([
      ['33', '118', 'EA'],
      ['33', '0', 'EA'],
    ]);
  });

  it('takes a single availability, and refuses several channels', () => {
    const set = only(
      roundTrip(
        mapped(map846({ sku: 'GADGET-9', channel: 'acme', available: 7 }, { ...context, reference: 'R1' })),
      ).sets,
    );
    expect(valueAt(one(set, 'BIA'), 3)).toBe('R1');
    expect(values(one(set, 'QTY'), 1, 2)).toEqual(['33', '7']);
    const mixed = map846(
      [
        { sku: 'A', channel: 'acme', available: 1 },
        { sku: 'A', channel: 'shop', available: 1 },
      ],
      context,
    );
    expect(mixed.ok).toBe(false);
  });
});

describe('outbound 940 warehouse shipping order', () => {
  it('writes W05, N1*ST/N3/N4, W66, LX + W01 per line and W76', () => {
    const result = roundTrip(
      mapped(
        map940(
          {
            orderId: 'acme-4500012345',
            location: 'DC-WEST',
            channel: 'acme',
            lines: [
              { lineId: '1', sku: 'WID-BLUE', quantity: 24 },
              { lineId: '2', sku: 'WID-RED', quantity: 4 },
            ],
            shipTo: {
              name: 'Acme Store 0042',
              line1: '7615 Disalle Blvd',
              line2: 'Dock 3',
              city: 'Fort Wayne',
              region: 'IN',
              postalCode: '46825',
              country: 'US',
            },
          },
          { ...context, shipping: { payment: 'PP', mode: 'M', scac: 'UPSN' } },
        ),
      ),
    );
    const set = only(result.sets);
    expect(result.gs01).toEqual(['OW']);
    expect(values(one(set, 'W05'), 1, 2, 3)).toEqual(['N', 'acme-4500012345', '4500012345']);
    expect(all(set, 'N1').map((s) => values(s, 1, 2))).toEqual([
      ['ST', 'Acme Store 0042'],
      ['WH', 'DC-WEST'],
    ]);
    expect(values(one(set, 'N3'), 1, 2)).toEqual(['7615 Disalle Blvd', 'Dock 3']);
    expect(values(one(set, 'N4'), 1, 2, 3, 4)).toEqual(['Fort Wayne', 'IN', '46825', 'US']);
    expect(values(one(set, 'W66'), 1, 2, 5)).toEqual(['PP', 'M', 'UPSN']);
    expect(all(set, 'LX').map((s) => valueAt(s, 1))).toEqual(['1', '2']);
    expect(all(set, 'W01').map((s) => values(s, 1, 2, 4, 5))).toEqual([
      ['24', 'EA', 'VN', 'WID-BLUE'],
      ['4', 'EA', 'VN', 'WID-RED'],
    ]);
    expect(valueAt(one(set, 'W76'), 1)).toBe('28');
  });
});

describe('outbound interchange', () => {
  it('puts each set in a group of its functional id, in one interchange from the hub', () => {
    const ack = mapped(
      map855({ orderId: 'acme-1', lines: [{ lineId: '1', sku: 'A', ordered: 1 }] }, context),
    );
    const advice = mapped(map846({ sku: 'A', channel: 'acme', available: 3 }, context));
    const second = mapped(
      map855({ orderId: 'acme-2', lines: [{ lineId: '1', sku: 'A', ordered: 2 }] }, context),
    );
    const result = roundTrip(ack, advice, second);
    expect(result.gs01).toEqual(['PR', 'IB']);
    expect(result.sets.map((s) => valueAt(s.header, 1))).toEqual(['855', '855', '846']);
    expect(
      result.text.startsWith(
        'ISA*00*          *00*          *ZZ*MANIFOLD       *01*123456789      *261127*1015*U*00401*000000042*0*P*>~',
      ),
    ).toBe(true);
    expect(
      Object.fromEntries(Object.entries(OUTBOUND_SETS).map(([id, set]) => [id, set.functionalId])),
    ).toEqual({
      '855': 'PR',
      '856': 'SH',
      '810': 'IN',
      '846': 'IB',
      '940': 'OW',
      '865': 'CA',
    });
    expect(() => outboundInterchange([{ id: '850', segments: [] }], { hub, partner: acme })).toThrow();
  });
});
