/**
 * Outbound 855/856/810 in the unit the partner ordered (docs/orders.md#units-of-measure), and the 856
 * shipment → order → pack → item hierarchy of a shipment with packages (docs/edi.md#856-hierarchy): each
 * set written, parsed back and validated by the project's X12 validator, then read segment by segment.
 */
import { describe, expect, it } from 'vitest';
import {
  map810,
  map855,
  map856,
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
import { gs1CheckDigit } from '../../src/domain/orders/packages.js';

const date = new Date('2026-11-27T10:15:00Z');
const context = { date, partner: 'acme', units: { CS: 'CA' } };
/** Line 1: 10 cases of 12 (120 eaches); line 2: 6 eaches. */
const orderLines = [
  { lineId: '1', sku: 'WID-BLUE', unitPrice: 60, uom: 'CA', quantity: 10, baseQuantity: 120 },
  { lineId: '2', sku: 'WID-RED', unitPrice: 4.25, uom: 'EA', quantity: 6, baseQuantity: 6 },
];
const sscc = (body: string) => `${body}${gs1CheckDigit(body)}`;
const SSCC_A = sscc('00614141123456789');
const SSCC_B = sscc('00614141123456790');

function roundTrip(result: OutboundResult<SetInput>): TransactionSet {
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const interchange = outboundInterchange([{ ...result.data, controlNumber: 101 }], {
    hub: { qualifier: 'ZZ', id: 'MANIFOLD' },
    partner: { qualifier: '01', id: '123456789' },
    date,
    controlNumber: 42,
  });
  const text = formatInterchange(
    { ...interchange, groups: interchange.groups.map((g) => ({ ...g, controlNumber: 7 })) },
    { newline: true },
  );
  const document = parseX12(text);
  expect(validateX12(document)).toEqual([]);
  const set = document.interchanges[0]?.groups[0]?.sets[0];
  if (!set) throw new Error('no set');
  return set;
}

const all = (set: TransactionSet, id: string): Segment[] => set.segments.filter((s) => s.id === id);
const values = (segment: Segment | undefined, ...positions: number[]) =>
  positions.map((p) => (segment ? valueAt(segment, p) : undefined));

/** Every HL's parent is an earlier HL of the level above it (S ← O ← P ← I, or O ← I). */
function expectSoundHierarchy(set: TransactionSet) {
  const levels = new Map<string, string>();
  const above: Record<string, string[]> = { O: ['S'], P: ['O'], I: ['O', 'P'] };
  all(set, 'HL').forEach((hl, index) => {
    const [id, parent, level] = values(hl, 1, 2, 3) as string[];
    expect(id).toBe(String(index + 1));
    if (level === 'S') expect(parent).toBe('');
    else expect(above[level as string]).toContain(levels.get(parent as string));
    levels.set(id as string, level as string);
  });
  const ctt = all(set, 'CTT')[0];
  expect(valueAt(ctt as Segment, 1)).toBe(String(all(set, 'HL').length));
  const hash = all(set, 'SN1').reduce((n, s) => n + Number(valueAt(s, 2)), 0);
  expect(valueAt(ctt as Segment, 2)).toBe(String(hash));
}

describe('outbound sets in the unit ordered', () => {
  it('855: PO1 and ACK in the partner code of the ordered unit; eaches when not whole cases', () => {
    const set = roundTrip(
      map855(
        {
          orderId: 'acme-4500012345',
          milestone: 'committed',
          previous: 'accepted',
          inferred: [],
          status: 'committed',
          lines: [
            { lineId: '1', sku: 'WID-BLUE', ordered: 120, committed: 114, backordered: 6, cancelled: 0 },
            { lineId: '2', sku: 'WID-RED', ordered: 6, committed: 6, backordered: 0, cancelled: 0 },
          ],
        } as Parameters<typeof map855>[0],
        { ...context, order: { lines: orderLines } },
      ),
    );
    expect(all(set, 'PO1').map((s) => values(s, 1, 2, 3))).toEqual([
      ['1', '10', 'CS'],
      ['2', '6', 'EA'],
    ]);
    // 114 eaches are not whole cases: said in eaches; so are the 6 backordered.
    expect(all(set, 'ACK').map((s) => values(s, 1, 2, 3))).toEqual([
      ['IA', '114', 'EA'],
      ['IB', '6', 'EA'],
      ['IA', '6', 'EA'],
    ]);
    expect(values(all(set, 'CTT')[0], 1, 2)).toEqual(['2', '16']);
  });

  it('855: a fully committed line of cases is acknowledged in cases', () => {
    const set = roundTrip(
      map855(
        {
          orderId: 'acme-4500012345',
          lines: [{ lineId: '1', ordered: 120, committed: 120 }],
        },
        { ...context, order: { lines: orderLines } },
      ),
    );
    expect(values(all(set, 'PO1')[0], 2, 3)).toEqual(['10', 'CS']);
    expect(values(all(set, 'ACK')[0], 1, 2, 3)).toEqual(['IA', '10', 'CS']);
  });

  it('810: IT1 in the ordered unit with the price per that unit', () => {
    const set = roundTrip(
      map810(
        {
          orderId: 'acme-4500012345',
          invoiceNumber: 'INV-1',
          invoiceDate: '2026-11-26',
          lines: [
            { lineId: '1', quantity: 120, unitPrice: 5 },
            { lineId: '2', quantity: 6, unitPrice: 4.25 },
          ],
          total: 625.5,
        },
        { ...context, order: { lines: orderLines } },
      ),
    );
    expect(all(set, 'IT1').map((s) => values(s, 1, 2, 3, 4))).toEqual([
      ['1', '10', 'CS', '60'],
      ['2', '6', 'EA', '4.25'],
    ]);
    expect(values(all(set, 'CTT')[0], 2)).toEqual(['16']);
  });

  it('856 without packages keeps S/O/I, SN1 in the ordered unit', () => {
    const set = roundTrip(
      map856(
        {
          orderId: 'acme-4500012345',
          location: 'DC-EAST',
          lines: [
            { lineId: '1', quantity: 10, uom: 'CA' },
            { lineId: '2', quantity: 5 },
          ],
        },
        { ...context, order: { lines: orderLines }, unitTable: { '*': { CA: 12 } } },
      ),
    );
    expect(all(set, 'HL').map((s) => valueAt(s, 3))).toEqual(['S', 'O', 'I', 'I']);
    expect(all(set, 'SN1').map((s) => values(s, 1, 2, 3))).toEqual([
      ['1', '10', 'CS'],
      ['2', '5', 'EA'],
    ]);
    expectSoundHierarchy(set);
  });
});

describe('856 with packages', () => {
  const shipped = {
    orderId: 'acme-4500012345',
    location: 'DC-EAST',
    carrier: 'UPSN',
    service: 'GROUND',
    tracking: '1Z999AA10123456784',
    lines: [
      { lineId: '1', quantity: 120 },
      { lineId: '2', quantity: 6 },
    ],
    packages: [
      {
        sscc: SSCC_A,
        tracking: '1Z999AA10123456791',
        weight: { value: 20.5, unit: 'LB' as const },
        lines: [
          { lineId: '1', quantity: 60 },
          { lineId: '2', quantity: 6 },
        ],
      },
      { sscc: SSCC_B, weight: { value: 19.5, unit: 'LB' as const }, lines: [{ lineId: '1', quantity: 54 }] },
    ],
  };

  it('writes S (TD1, TD5, REF BM/CN), O (PRF), one P per package with MAN*GM, I with LIN/SN1 under each', () => {
    const set = roundTrip(map856(shipped, { ...context, order: { lines: orderLines }, shipmentId: 'SH-1' }));
    expect(values(all(set, 'BSN')[0], 2, 5)).toEqual(['SH-1', '0001']);
    expect(all(set, 'HL').map((s) => values(s, 1, 2, 3))).toEqual([
      ['1', '', 'S'],
      ['2', '1', 'O'],
      ['3', '2', 'P'],
      ['4', '3', 'I'],
      ['5', '3', 'I'],
      ['6', '2', 'P'],
      ['7', '6', 'I'],
      // 6 eaches of line 1 are in no package: an item of the order.
      ['8', '2', 'I'],
    ]);
    const td1 = all(set, 'TD1');
    expect(values(td1[0], 1, 2, 6, 7, 8)).toEqual(['CTN25', '2', 'G', '40', 'LB']);
    expect(values(all(set, 'TD5')[0], 2, 3, 5)).toEqual(['2', 'UPSN', 'GROUND']);
    expect(all(set, 'REF').map((s) => values(s, 1, 2))).toEqual([
      ['BM', 'SH-1'],
      ['CN', '1Z999AA10123456784'],
    ]);
    expect(valueAt(all(set, 'PRF')[0] as Segment, 1)).toBe('4500012345');
    expect(all(set, 'MAN').map((s) => values(s, 1, 2))).toEqual([
      ['GM', SSCC_A],
      ['CP', '1Z999AA10123456791'],
      ['GM', SSCC_B],
    ]);
    // 60 eaches = 5 cases, 54 are not whole cases (eaches), the loose 6 neither.
    expect(all(set, 'SN1').map((s) => values(s, 1, 2, 3))).toEqual([
      ['1', '5', 'CS'],
      ['2', '6', 'EA'],
      ['1', '54', 'EA'],
      ['1', '6', 'EA'],
    ]);
    expectSoundHierarchy(set);
  });

  it("carries the order's parties: N1*ST and N1*SF in the shipment, REF*DP and N1*Z7 in the order", () => {
    const order = {
      lines: orderLines,
      shipTo: {
        name: 'ADDISON HVAC LLC',
        line1: '7050 OVERLAND RD',
        city: 'ORLANDO',
        region: 'FL',
        postalCode: '32810',
        country: 'US',
      },
      markFor: { name: 'STORE 112', id: '0112' },
      department: '42',
    };
    const set = roundTrip(map856(shipped, { ...context, order, shipmentId: 'SH-1' }));
    const ids = set.segments.map((s) => s.id);
    // Shipment: … DTM, then the ship-to and ship-from loops, before the order's HL.
    const order2 = ids.indexOf('PRF') - 1;
    expect(ids.slice(ids.indexOf('DTM'), order2)).toEqual(['DTM', 'N1', 'N3', 'N4', 'N1']);
    // Order: PRF, REF*DP, N1*Z7, then the first pack.
    expect(ids.slice(order2, order2 + 5)).toEqual(['HL', 'PRF', 'REF', 'N1', 'HL']);
    expect(all(set, 'N1').map((s) => values(s, 1, 2, 3, 4))).toEqual([
      ['ST', 'ADDISON HVAC LLC', '', ''],
      ['SF', 'DC-EAST', '92', 'DC-EAST'],
      ['Z7', 'STORE 112', '92', '0112'],
    ]);
    expect(values(all(set, 'N4')[0], 1, 2, 3, 4)).toEqual(['ORLANDO', 'FL', '32810', 'US']);
    expect(all(set, 'REF').map((s) => values(s, 1, 2))).toEqual([
      ['BM', 'SH-1'],
      ['CN', '1Z999AA10123456784'],
      ['DP', '42'],
    ]);
    // The parties add no HL: the hierarchy and the counts stay those of the packages.
    expect(all(set, 'HL')).toHaveLength(8);
    expectSoundHierarchy(set);
  });
});
