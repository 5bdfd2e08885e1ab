/**
 * The commercial fields end to end on the EDI path (docs/edi.md): an 850 with charges, dates, parties and
 * buyer ids becomes an order; its release goes to the 3PL as a 940 with them, and the ERP's invoice goes
 * back to the partner as an 810 with N1*RE (config `edi: {remitTo}`), ITD, the order's SACs, its PO date
 * (BEG05) and its currency. Both
 * interchanges are dropped in a folder, parsed back and validated.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parseX12, type Segment, validateX12, valueAt } from '../../src/connectors/edi/x12/index.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';
import { postX12 } from './support.js';

const PO = readFileSync(new URL('../fixtures/edi-commercial/850-commercial.edi', import.meta.url), 'utf8');
const ORDER = 'acme-4500012345';

let hub: TestApp | undefined;
let dir: string | undefined;
afterEach(async () => {
  await hub?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  hub = undefined;
  dir = undefined;
});

/** The segments of every interchange dropped in `folder` for `set`. */
function dropped(folder: string, set: string): Segment[] | undefined {
  for (const name of readdirSync(folder).filter((n) => n.endsWith('.x12'))) {
    const document = parseX12(readFileSync(join(folder, name), 'utf8'));
    expect(validateX12(document)).toEqual([]);
    const found = document.interchanges.flatMap((i) => i.groups.flatMap((g) => g.sets));
    const match = found.find((s) => valueAt(s.header, 1) === set);
    if (match) return match.segments;
  }
  return undefined;
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('writes the 850 commercial fields into the 940 and the 810, with the remit-to of the config', async () => {
  dir = mkdtempSync(join(tmpdir(), 'manifold-commercial-'));
  const acmeDir = join(dir, 'acme');
  const eastDir = join(dir, 'east');
  mkdirSync(acmeDir);
  mkdirSync(eastDir);
  const yaml = testConfigYaml({
    subscriptions: `subscriptions:
  - name: acme-810
    target: acme
    edi: { sets: [810] }
    dir: ${acmeDir}
  - name: threepl-940
    target: threepl
    edi: { sets: [940] }
    dir: ${eastDir}
`,
  }).replace(
    "edi:\n  x12: { id: '999999999', qualifier: '01' }",
    "edi:\n  x12: { id: '999999999', qualifier: '01' }\n  remitTo: { name: Manifold Distribution, id: MFD-001, line1: PO Box 100, city: Columbus, region: OH, postalCode: '43004' }",
  );
  expect(yaml).toContain('remitTo');
  hub = await buildTestApp({ yaml, delivery: { pollMs: 10 } });
  for (const sku of ['AB3542', 'RD5322']) {
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
  const { sets } = await postX12(hub, PO, 'acme');
  expect(sets[0]).toMatchObject({ type: '850', outcome: 'applied' });

  const w940 = await until(() => dropped(eastDir, '940'), 'the 940');
  const ids = (id: string) => w940.filter((s) => s.id === id);
  expect(valueAt(ids('W05')[0] as Segment, 3)).toBe('4500012345');
  expect(ids('N1').map((s) => valueAt(s, 1))).toEqual(['ST', 'WH', 'BT', 'Z7']);
  expect(ids('G62').map((s) => [valueAt(s, 1), valueAt(s, 2)])).toEqual([
    ['10', '20261204'],
    ['37', '20261203'],
    ['38', '20261208'],
    ['02', '20261210'],
    ['01', '20261215'],
  ]);
  expect(ids('G69').map((s) => valueAt(s, 1))).toEqual(['SMALL WIDGET', 'MEDIUM WIDGET']);
  expect(ids('W01').map((s) => [valueAt(s, 3), valueAt(s, 6), valueAt(s, 7)])).toEqual([
    ['012345678905', 'BP', 'BUYER-77'],
    ['', 'BP', 'CAT-9'],
  ]);

  const invoiced = await postAs(hub.app, '/v1/events', KEYS.erp, {
    specversion: '1.0',
    id: randomUUID(),
    source: '/erp',
    type: 'com.manifold.order.invoiced.v1',
    data: {
      orderId: ORDER,
      invoiceNumber: 'INV-77',
      invoiceDate: '2026-12-05',
      lines: [{ lineId: '1', quantity: 120, unitPrice: 9.25 }],
      total: 1117.5,
      terms: { description: '2% 10 NET 30', discountPercent: 2, discountDays: 10, netDays: 30 },
    },
  });
  expect(invoiced.statusCode).toBe(202);
  const i810 = await until(() => dropped(acmeDir, '810'), 'the 810');
  // BIG03 is the PO date of the 850 (BEG05), not the day the hub took the order; the invoice names no
  // currency, so the order's (the 850's CUR) is written.
  const big = i810.find((s) => s.id === 'BIG') as Segment;
  expect([1, 2, 3, 4].map((p) => valueAt(big, p))).toEqual(['20261205', 'INV-77', '20261130', '4500012345']);
  expect(i810.filter((s) => s.id === 'CUR').map((s) => [valueAt(s, 1), valueAt(s, 2)])).toEqual([
    ['SE', 'USD'],
  ]);
  const remit = i810.findIndex((s) => s.id === 'N1');
  expect(i810.slice(remit, remit + 3).map((s) => s.elements.map(String))).toEqual([
    ['RE', 'Manifold Distribution', '91', 'MFD-001'],
    ['PO Box 100'],
    ['Columbus', 'OH', '43004'],
  ]);
  const itd = i810.find((s) => s.id === 'ITD') as Segment;
  expect([1, 2, 3, 5, 7, 12].map((p) => valueAt(itd, p))).toEqual([
    '08',
    '3',
    '2',
    '10',
    '30',
    '2% 10 NET 30',
  ]);
  // No charges or allowances on the invoice: the order's (from the 850's SACs).
  expect(i810.filter((s) => s.id === 'SAC').map((s) => [1, 2, 5, 15].map((p) => valueAt(s, p)))).toEqual([
    ['C', 'D240', '1250', 'LTL FREIGHT'],
    ['C', 'D500', '300', 'line 2: GIFT WRAP'],
    ['A', 'C310', '500', 'WINTER PROMOTION'],
  ]);
}, 30_000);
