/**
 * The commercial fields on the outbound X12 (docs/edi.md): the 810 writes N1*RE (config `edi: {remitTo}`),
 * ITD from the invoice's terms and SAC from its charges and allowances (else the order's); the 940 writes
 * the PO, bill-to and mark-for, department, dates, notes, carrier and the line's buyer ids, GTIN and
 * description. Each set is written with the project's writer, parsed back and validated with no issue.
 */
import { describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import {
  map810,
  map940,
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
import { validateData } from '../../src/contracts/event-validator.js';
import { configIssues, lineOf } from '../support/config-issues.js';

const date = new Date('2026-11-27T10:15:00Z');
const context = { date, partner: 'acme' };
const orderLines = [
  { lineId: '1', sku: 'WID-BLUE' },
  { lineId: '2', sku: 'WID-RED' },
];

/** Maps, writes, parses back and validates one set; the set as read. */
function written(result: OutboundResult<SetInput>): TransactionSet {
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
  expect(document.issues).toEqual([]);
  expect(validateX12(document)).toEqual([]);
  const set = document.interchanges[0]?.groups[0]?.sets[0];
  if (!set) throw new Error('no set');
  return set;
}

const all = (set: TransactionSet, id: string): Segment[] => set.segments.filter((s) => s.id === id);
const values = (segment: Segment | undefined, ...positions: number[]) =>
  positions.map((p) => (segment ? valueAt(segment, p) : undefined));

const invoice = {
  orderId: 'acme-4500012345',
  invoiceNumber: 'INV-2026-0042',
  invoiceDate: '2026-11-26',
  lines: [{ lineId: '1', quantity: 2, unitPrice: 12.5 }],
  total: 37.5,
  currency: 'USD',
};
const remitTo = {
  name: 'Manifold Distribution',
  id: 'MFD-001',
  line1: 'PO Box 100',
  city: 'Columbus',
  region: 'OH',
  postalCode: '43004',
  country: 'US',
};

describe('810 commercial segments', () => {
  it('writes N1*RE, ITD and SAC from the invoice, in their places around the IT1 lines', () => {
    const data = {
      ...invoice,
      terms: { description: '2% 10 NET 30', discountPercent: 2, discountDays: 10, netDays: 30 },
      charges: [{ type: 'freight' as const, amount: 12.5, description: 'LTL FREIGHT' }],
      allowances: [{ code: 'WINTER10', amount: 5 }],
    };
    expect(validateData('com.manifold.order.invoiced.v1', data)).toEqual([]);
    const set = written(map810(data, { ...context, order: { lines: orderLines }, remitTo }));
    expect(set.segments.map((s) => s.id)).toEqual([
      'BIG',
      'CUR',
      'N1',
      'N3',
      'N4',
      'ITD',
      'IT1',
      'TDS',
      'SAC',
      'SAC',
      'CTT',
    ]);
    expect(values(all(set, 'N1')[0], 1, 2, 3, 4)).toEqual(['RE', 'Manifold Distribution', '91', 'MFD-001']);
    expect(values(all(set, 'N3')[0], 1)).toEqual(['PO Box 100']);
    expect(values(all(set, 'N4')[0], 1, 2, 3, 4)).toEqual(['Columbus', 'OH', '43004', 'US']);
    expect(values(all(set, 'ITD')[0], 1, 2, 3, 5, 7, 12)).toEqual([
      '08',
      '3',
      '2',
      '10',
      '30',
      '2% 10 NET 30',
    ]);
    expect(all(set, 'SAC').map((s) => values(s, 1, 2, 5, 15))).toEqual([
      ['C', 'D240', '1250', 'LTL FREIGHT'],
      ['A', 'C310', '500', 'WINTER10'],
    ]);
  });

  it("takes the order's charges and discounts when the invoice has none, and writes no RE without config", () => {
    const set = written(
      map810(invoice, {
        ...context,
        order: {
          lines: orderLines,
          charges: [{ type: 'handling', amount: 3 }],
          discounts: [{ code: 'C310', description: 'Promotion', amount: 1.25 }],
        },
      }),
    );
    expect(all(set, 'N1')).toEqual([]);
    expect(all(set, 'ITD')).toEqual([]);
    expect(all(set, 'SAC').map((s) => values(s, 1, 2, 5, 15))).toEqual([
      ['C', 'D500', '300', ''],
      ['A', 'C310', '125', 'Promotion'],
    ]);
  });

  it("writes the order's currency when the invoice names none, the invoice's when it does", () => {
    const { currency: _, ...noCurrency } = invoice;
    const order = { lines: orderLines, currency: 'CAD' };
    const fallback = written(map810(noCurrency, { ...context, order }));
    expect(all(fallback, 'CUR').map((s) => values(s, 1, 2))).toEqual([['SE', 'CAD']]);
    const own = written(map810(invoice, { ...context, order }));
    expect(all(own, 'CUR').map((s) => values(s, 1, 2))).toEqual([['SE', 'USD']]);
    const none = written(map810(noCurrency, { ...context, order: { lines: orderLines } }));
    expect(all(none, 'CUR')).toEqual([]);
  });

  it('writes net terms without a discount as ITD01 05', () => {
    const set = written(
      map810({ ...invoice, terms: { netDays: 45 } }, { ...context, order: { lines: orderLines } }),
    );
    expect(values(all(set, 'ITD')[0], 1, 2, 7)).toEqual(['05', '3', '45']);
  });
});

describe('edi: {remitTo} config', () => {
  const base = `server: { adminKey: admin-key-0000000001 }
systems:
  acme: { kind: edi, key: acme-key-00000000001, x12: { id: ACME, qualifier: ZZ } }
edi:
  x12: { id: MANIFOLD, qualifier: ZZ }
`;

  it('compiles a remit-to party', () => {
    const config = compileConfig(
      `${base}  remitTo: { name: Manifold Distribution, id: MFD-001, line1: PO Box 100, city: Columbus, region: OH, postalCode: '43004', country: US }\n`,
      'manifold.yaml',
      {},
    );
    expect(config.edi?.remitTo).toEqual(remitTo);
  });

  it('reports a bad value, a missing name and a half address at their lines', () => {
    const text = `${base}  remitTo:
    id: 'A*B'
    country: usa
    city: Columbus
`;
    const issues = configIssues(text);
    // Issues about the mapping as a whole stand at its first key.
    const mapping = lineOf(text, "id: 'A*B'");
    expect(issues.map((i) => [i.line, i.message])).toEqual([
      [mapping, "missing required key 'name'"],
      [mapping, 'a remit-to address needs line1, postalCode too (N3 and N4 are written together)'],
      [mapping, expect.stringContaining("invalid remit-to id 'A*B'")],
      [lineOf(text, 'country: usa'), expect.stringContaining('ISO 3166-1 alpha-2')],
    ]);
  });

  it('asks for the rest of an address', () => {
    const text = `${base}  remitTo: { name: Manifold, city: Columbus }\n`;
    expect(configIssues(text).map((i) => i.message)).toEqual([
      'a remit-to address needs line1, postalCode too (N3 and N4 are written together)',
    ]);
  });
});

describe('940 commercial segments', () => {
  it('writes the PO, parties, department, dates, notes, carrier and the line ids, GTIN and description', () => {
    const data = {
      orderId: 'acme-4500012345',
      location: 'DC-WEST',
      lines: [
        {
          lineId: '1',
          sku: 'WID-BLUE',
          quantity: 24,
          description: 'Blue widget, 10 mm',
          customerItemId: 'BUYER-77',
          gtin: '012345678905',
        },
        { lineId: '2', sku: 'WID-RED', quantity: 4, gtin: '4006381333931' },
      ],
      shipTo: {
        name: 'Acme Store 0042',
        line1: '7615 Disalle Blvd',
        city: 'Fort Wayne',
        postalCode: '46825',
        country: 'US',
      },
      customerPo: 'PO-778',
      department: '038',
      requestedShipDate: '2026-12-04',
      cancelAfter: '2026-12-15',
      shipVia: { carrier: 'UPSN', service: 'GROUND' },
      billTo: { name: 'Acme AP', id: 'AP-1', line1: '9 Ledger Rd', city: 'Dover', postalCode: '19901' },
      markFor: { name: 'Store 118', id: '118' },
      notes: 'Deliver to the back dock.\nCall ahead.',
    };
    expect(validateData('com.manifold.order.released.v1', data)).toEqual([]);
    const set = written(map940(data, { ...context, shipping: { payment: 'PP', mode: 'M' } }));
    expect(values(all(set, 'W05')[0], 3)).toEqual(['PO-778']);
    expect(all(set, 'N1').map((s) => values(s, 1, 2, 3, 4))).toEqual([
      ['ST', 'Acme Store 0042', '', ''],
      ['WH', 'DC-WEST', '', ''],
      ['BT', 'Acme AP', '92', 'AP-1'],
      ['Z7', 'Store 118', '92', '118'],
    ]);
    expect(all(set, 'N9').map((s) => values(s, 1, 2))).toEqual([
      ['DP', '038'],
      ['LI', '1'],
      ['LI', '2'],
    ]);
    expect(all(set, 'G62').map((s) => values(s, 1, 2))).toEqual([
      ['10', '20261204'],
      ['01', '20261215'],
    ]);
    expect(all(set, 'NTE').map((s) => values(s, 1, 2))).toEqual([
      ['WHI', 'Deliver to the back dock.'],
      ['WHI', 'Call ahead.'],
    ]);
    expect(values(all(set, 'W66')[0], 1, 2, 5)).toEqual(['PP', 'M', 'UPSN']);
    expect(all(set, 'W01').map((s) => values(s, 1, 3, 4, 5, 6, 7))).toEqual([
      ['24', '012345678905', 'VN', 'WID-BLUE', 'BP', 'BUYER-77'],
      ['4', '', 'VN', 'WID-RED', 'EN', '4006381333931'],
    ]);
    expect(all(set, 'G69').map((s) => values(s, 1))).toEqual([['Blue widget, 10 mm']]);
  });
});
