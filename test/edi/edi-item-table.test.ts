/**
 * A partner's item ids through its item table, a cross-reference table (docs/edi.md#item-ids), in-process
 * through `POST /v1/edi/{partner}` and the admin API: an 850 whose item the table lacks (`onMissing: park`)
 * is held as `xref_missing` and applied by itself once the operator adds it; the 855 and 856 sent back
 * name the partner's id (`BP`) from the reverse lookup; an 846 maps through a table seeded from `itemMap`
 * and follows an operator's change; a 945 is held and retried like the 850.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import { seedPartnerItems } from '../../src/connectors/edi/partner-items.js';
import { parseX12, type Segment, type SegmentInput, valueAt } from '../../src/connectors/edi/x12/index.js';
import { shipTo } from '../support/orders.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';
import { postX12, toHub } from './support.js';

let hub: TestApp | undefined;
let dir: string | undefined;
afterEach(async () => {
  await hub?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  hub = undefined;
  dir = undefined;
});

function yaml(folder: string): string {
  return `${testConfigYaml({
    subscriptions: `subscriptions:
  - name: acme-edi
    target: acme
    edi: { sets: [855, 856] }
    dir: ${folder}
    retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }
`,
  })
    .replace(
      `x12: { id: '4405197800', qualifier: '12' }`,
      `x12: { id: '4405197800', qualifier: '12', items: acme-items }`,
    )
    .replace(
      `x12: { id: 'THREEPL', qualifier: 'ZZ' }`,
      `x12: { id: 'THREEPL', qualifier: 'ZZ', items: threepl-items }`,
    )
    .replace(
      `x12: { id: 'SUPPLIER', qualifier: 'ZZ' }`,
      `x12: { id: 'SUPPLIER', qualifier: 'ZZ', itemMap: { SUP-1: S-ONE } }`,
    )}
xref:
  acme-items: { description: acme's item numbers to our SKUs, onMissing: park }
  threepl-items: { onMissing: park }
`;
}

const seg = (id: string, ...elements: string[]): SegmentInput => ({ id, elements });
const IDS = {
  acme: { qualifier: '12', id: '4405197800' },
  threepl: { qualifier: 'ZZ', id: 'THREEPL' },
  supplier: { qualifier: 'ZZ', id: 'SUPPLIER' },
};

async function call(
  method: 'GET' | 'PUT' | 'POST',
  url: string,
  payload?: unknown,
  key: string = KEYS.admin,
) {
  const response = await hub!.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${key}`,
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
  return { status: response.statusCode, body: response.body ? response.json() : {} };
}

async function counted(key: string, source: string, sku: string, location: string) {
  const response = await hub!.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${key}` },
    payload: {
      specversion: '1.0',
      id: randomUUID(),
      source,
      type: 'com.manifold.inventory.counted.v1',
      data: { sku, location, onHand: 50 },
    },
  });
  expect(response.statusCode).toBe(202);
  await hub!.inventory.settle();
}

async function retry(id: number) {
  const response = await call('POST', `/v1/exceptions/${id}/retry`, { note: 'item added' });
  await hub!.orders.settle();
  await hub!.inventory.settle();
  return response;
}

/** A segment's element values, in order. */
function elements(segment: Segment | undefined): string[] {
  if (segment === undefined) return [];
  return Array.from({ length: segment.elements.length }, (_, i) => valueAt(segment, i + 1));
}

/** The segments of the X12 file dropped for set `setId` (waits for it). */
async function dropped(setId: string) {
  let text = '';
  await until(() => {
    for (const name of readdirSync(dir!)) {
      const body = readFileSync(join(dir!, name), 'utf8');
      if (body.includes(`ST*${setId}*`)) text = body;
    }
    return text !== '';
  }, `the ${setId}`);
  return parseX12(text).interchanges[0]!.groups[0]!.sets[0]!.segments;
}

it('850: holds a PO whose item the table lacks as xref_missing; adding the item applies it; the 855 and 856 name the partner item (BP)', {
  timeout: 30_000,
}, async () => {
  dir = mkdtempSync(join(tmpdir(), 'manifold-edi-items-'));
  hub = await buildTestApp({ yaml: yaml(dir), delivery: { pollMs: 10 } });
  await counted(KEYS.wmsEast, '/wms-east', 'E-100', 'DC-EAST');
  const po = toHub(IDS.acme, 'PO', '850', [
    seg('BEG', '00', 'SA', 'IT-1', '', '20261127'),
    seg('N1', 'ST', 'ADDISON HVAC LLC'),
    seg('N3', '7050 OVERLAND RD'),
    seg('N4', 'ORLANDO', 'FL', '32810'),
    seg('PO1', '1', '2', 'EA', '10', '', 'BP', 'ACME-77', 'UP', '036000291452'),
  ]);
  const { sets, ack } = await postX12(hub, po, 'acme');
  // Sound, so accepted in the 997; held, not applied.
  expect(valueAt(ack.find((s) => s.id === 'AK5') as never, 1)).toBe('A');
  expect(sets[0]).toMatchObject({
    outcome: 'held',
    detail: "held: no item 'ACME-77' or '036000291452' in table 'acme-items'",
  });
  expect((await call('GET', '/v1/orders/acme-IT-1')).status).toBe(404);
  const [held] = (await call('GET', '/v1/exceptions?code=xref_missing&system=acme')).body.items;
  expect(held).toMatchObject({
    code: 'xref_missing',
    status: 'open',
    subject: expect.stringMatching(/^x12:acme:/),
  });
  expect(held.detail).toContain("cross-reference table 'acme-items' has no key 'ACME-77' or '036000291452'");

  const still = await retry(held.id);
  expect(still.status).toBe(409);
  // Adding the item applies the held set by itself (no operator retry).
  const added = await call('PUT', '/v1/xref/acme-items/ACME-77', 'E-100');
  expect(added.status).toBe(200);
  expect(added.body.retried).toEqual([held.id]);
  const done = await call('GET', `/v1/exceptions/${held.id}`);
  expect(done.body).toMatchObject({ status: 'resolved', resolution: 'retried' });
  await until(async () => (await call('GET', '/v1/orders/acme-IT-1')).status === 200, 'the order applied');
  const order = (await call('GET', '/v1/orders/acme-IT-1')).body;
  expect(order.lines[0]).toMatchObject({ lineId: '1', sku: 'E-100', quantity: 2 });

  // Out: the 855 at committed and the 856 at shipped name our SKU (VN) and the partner's (BP).
  const po1 = (await dropped('855')).find((s) => s.id === 'PO1');
  expect(elements(po1).slice(5)).toEqual(['VN', 'E-100', 'BP', 'ACME-77']);
  const shipped = await hub.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
    payload: {
      specversion: '1.0',
      id: randomUUID(),
      source: '/wms-east',
      type: 'com.manifold.order.shipped.v1',
      correlationid: 'acme-IT-1',
      data: { orderId: 'acme-IT-1', location: 'DC-EAST', lines: [{ lineId: '1', quantity: 2 }] },
    },
  });
  expect(shipped.statusCode).toBe(202);
  const lin = (await dropped('856')).find((s) => s.id === 'LIN');
  expect(elements(lin)).toEqual(['1', 'VN', 'E-100', 'BP', 'ACME-77']);
});

it('846: maps through the table seeded from itemMap, follows an operator change, and a restart does not overwrite it', async () => {
  hub = await buildTestApp({ yaml: yaml(tmpdir()) });
  expect(hub.config.xref?.get('supplier-items')).toMatchObject({ onMissing: 'skip' });
  expect((await call('GET', '/v1/xref/supplier-items/SUP-1')).body.value).toBe('S-ONE');
  const advice = (id: string) =>
    toHub(IDS.supplier, 'IB', '846', [
      seg('BIA', '00', 'SI', id, '20261127'),
      seg('LIN', '1', 'VN', 'SUP-1'),
      seg('QTY', '33', '7', 'EA'),
      seg('LIN', '2', 'VN', 'OWN-SKU'),
      seg('QTY', '33', '3', 'EA'),
    ]);
  // SUP-1 through the table; OWN-SKU is not in it (skip): its VN is the SKU, as without a table.
  expect((await postX12(hub, advice('R1'), 'supplier')).sets[0]?.detail).toBe(
    'incoming at DC-EAST: S-ONE 7, OWN-SKU 3',
  );
  expect((await call('PUT', '/v1/xref/supplier-items/SUP-1', 'S-TWO')).status).toBe(200);
  expect((await postX12(hub, advice('R2'), 'supplier')).sets[0]?.detail).toBe(
    'incoming at DC-EAST: S-TWO 7, OWN-SKU 3',
  );
  // The seed at the next start adds only what the table lacks.
  expect(await seedPartnerItems(hub.config.systems, hub.store.xref, new Date().toISOString())).toBe(0);
  expect(await hub.store.xref.get('supplier-items', 'SUP-1')).toBe('S-TWO');
});

it('945: holds a shipping advice whose item the table lacks, and applies it on retry once added', async () => {
  hub = await buildTestApp({ yaml: yaml(tmpdir()) });
  await counted(KEYS.wmsWest, '/wms-west', 'W-100', 'DC-WEST');
  const created = await hub.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { authorization: `Bearer ${KEYS.shop}`, 'idempotency-key': randomUUID() },
    payload: {
      orderId: 'SO-IT-945',
      channel: 'web',
      customer: { id: 'C-1', name: 'Ada' },
      lines: [{ lineId: '1', sku: 'W-100', quantity: 4, unitPrice: 5 }],
      shipTo,
    },
  });
  expect(created.statusCode).toBe(201);
  await hub.orders.settle();
  await hub.inventory.settle();
  await hub.store.xref.put('threepl-items', 'TPL-OTHER', 'W-999', new Date().toISOString());
  const advice = toHub(IDS.threepl, 'SW', '945', [
    seg('W06', 'N', 'SO-IT-945', '20261127', 'SHP-1'),
    seg('LX', '1'),
    seg('W12', 'CC', '4', '4', '', 'EA', '', 'VN', 'TPL-100'),
  ]);
  expect((await postX12(hub, advice, 'threepl')).sets[0]).toMatchObject({
    outcome: 'held',
    detail: "held: no item 'TPL-100' in table 'threepl-items'",
  });
  const [held] = (await call('GET', '/v1/exceptions?code=xref_missing&system=threepl')).body.items;
  expect((await retry(held.id)).status).toBe(409);
  await hub.store.xref.put('threepl-items', 'TPL-100', 'W-100', new Date().toISOString());
  expect((await retry(held.id)).body).toMatchObject({ status: 'resolved', resolution: 'retried' });
  expect((await call('GET', '/v1/orders/SO-IT-945')).body.lines[0]).toMatchObject({ shipped: 4 });
});

it('refuses an item table that is not under xref:, at its line', () => {
  const text = yaml(tmpdir()).replace('  threepl-items: { onMissing: park }\n', '');
  expect(() => compileConfig(text, 'hub.yaml', {})).toThrow(
    /hub\.yaml:\d+:\d+ systems\.threepl\.x12\.items: no cross-reference table 'threepl-items' under xref:/,
  );
});
