/**
 * The recipe examples/recipes/sftp-3pl.yaml end to end: the REAL hub process (`bin/manifold serve`) with
 * the recipe as written, its env vars pointing at a real local SFTP server (test/fakes/sftp: key
 * authentication only, the host key the recipe pins) and an HTTP sink standing in for the ERP.
 *
 * The ERP places an order → the hub commits it against the 3PL's on-hand and uploads a 940 into the 3PL's
 * inbox (/in) → the 3PL answers with a 945 and a 997 for the 940 in its outbox (/out) → the hub marks the
 * order shipped (carrier and tracking from the 945), writes its 997 for the 945 in /acks, moves the files
 * taken to /archive, and records the 3PL's 997 against the 940 it sent. The ERP hears the shipment.
 */
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatInterchange,
  parseX12,
  type SegmentInput,
  valueAt,
} from '../../src/connectors/edi/x12/index.js';
import { type FakeSftpServer, fingerprintOf, generateKey, startFakeSftp } from '../fakes/sftp/server.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { shipTo } from '../support/orders.js';
import { type Sink, startSink } from '../support/sink.js';
import { until } from '../support/until.js';

const RECIPE = new URL('../../examples/recipes/sftp-3pl.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'manifold-e2e-sftp-'));
const ENV = {
  MANIFOLD_ADMIN_KEY: 'e2e-admin-key-000000001',
  ERP_KEY: 'e2e-erp-key-00000000001',
  THREEPL_KEY: 'e2e-threepl-key-0000001',
  THREEPL_ISA_ID: '3PLWHSE',
  THREEPL_SFTP_USER: 'manifold',
  THREEPL_SFTP_POLL_SECONDS: '1',
  ERP_HOOK_SECRET: 'e2e-erp-hook-secret-0001',
  MANIFOLD_PORT: '0',
  MANIFOLD_DB: join(dir, 'hub.db'),
};
const hostKey = generateKey();
const userKey = generateKey();
let server: FakeSftpServer;
let erp: Sink;
let hub: HubProcess;

beforeAll(async () => {
  server = await startFakeSftp({
    username: 'manifold',
    authorizedKey: userKey.public,
    hostKey: hostKey.private,
  });
  for (const folder of ['in', 'out', 'acks', 'archive']) mkdirSync(join(server.root, folder));
  erp = await startSink();
  Object.assign(process.env, ENV, {
    THREEPL_SFTP_HOST: '127.0.0.1',
    THREEPL_SFTP_PORT: String(server.port),
    THREEPL_SFTP_PRIVATE_KEY: userKey.private,
    THREEPL_SFTP_HOST_KEY: fingerprintOf(hostKey.public),
    ERP_ORDERS_URL: `${erp.url}/orders`,
  });
  hub = await startHubProcess(RECIPE);
}, 30_000);

afterAll(async () => {
  try {
    if (hub) {
      await hub.kill('SIGTERM');
      // A graceful stop: the SFTP connections are closed with the engines, the process exits by itself.
      expect(hub.process.exitCode).toBe(0);
    }
  } finally {
    await erp?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

async function call(method: 'GET' | 'POST', path: string, key: string, body?: unknown) {
  const response = await fetch(`${hub.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': randomUUID() }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

// A dot file is an upload still under its temp name (the hub renames it once written).
const files = (folder: string) =>
  readdirSync(join(server.root, folder))
    .filter((name) => !name.startsWith('.'))
    .sort();
const seg = (id: string, ...elements: string[]): SegmentInput => ({ id, elements });

/** An interchange from the 3PL to the hub, as its translator would write it. */
function fromThreePl(control: number, functionalId: string, setId: string, segments: SegmentInput[]): string {
  return formatInterchange(
    {
      sender: { qualifier: 'ZZ', id: '3PLWHSE' },
      receiver: { qualifier: 'ZZ', id: 'MANIFOLD' },
      controlNumber: control,
      groups: [
        {
          functionalId,
          version: '004010',
          controlNumber: control,
          sets: [{ id: setId, controlNumber: 1, segments }],
        },
      ],
    },
    { newline: true },
  );
}

/** Stocks `sku` at the 3PL (its count) and has the ERP order 3 of it; answers the order id. */
async function placeOrder(sku: string): Promise<string> {
  const orderId = `SO-${randomUUID().slice(0, 8)}`;
  const count = await fetch(`${hub.url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ENV.THREEPL_KEY}`, 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({
      specversion: '1.0',
      id: `count-${sku}`,
      source: '/threepl',
      type: 'com.manifold.inventory.counted.v1',
      data: { sku, location: 'DC-3PL', onHand: 50 },
    }),
  });
  expect(count.status, await count.text()).toBe(202);
  const placed = await call('POST', '/v1/orders', ENV.ERP_KEY, {
    orderId,
    channel: 'wholesale',
    customer: { id: 'C-1', name: 'Ada' },
    lines: [{ lineId: '1', sku, quantity: 3, unitPrice: 9.5 }],
    shipTo,
  });
  expect(placed.status, JSON.stringify(placed.body)).toBeLessThan(300);
  return orderId;
}

const shippedMilestone = async (orderId: string) =>
  (await call('GET', `/v1/orders/${orderId}`, ENV.MANIFOLD_ADMIN_KEY)).body?.milestone === 'shipped';

describe('recipe sftp-3pl: the real hub with a 3PL over SFTP', () => {
  it('940 out to the inbox → 945 and 997 in from the outbox → shipped, 997 back in acks', async () => {
    const sku = `WIDGET-${randomUUID().slice(0, 6)}`;
    const orderId = await placeOrder(sku);

    // The 940 arrives in the 3PL's inbox, under its final name only (uploaded through a temp name).
    await until(() => files('in').length > 0, 'a 940 in /in', 20_000);
    const [name] = files('in');
    expect(name).toMatch(/^threepl-\d{9}\.x12$/);
    expect(server.requests.some((r) => r.startsWith('RENAME /in/.threepl-'))).toBe(true);
    const document = parseX12(readFileSync(join(server.root, 'in', name as string), 'utf8'));
    const interchange = document.interchanges[0]!;
    expect(valueAt(interchange.header, 6).trim()).toBe('MANIFOLD');
    expect(valueAt(interchange.header, 8).trim()).toBe('3PLWHSE');
    const set = interchange.groups[0]!.sets[0]!;
    expect(valueAt(set.header, 1)).toBe('940');
    const w05 = set.segments.find((s) => s.id === 'W05');
    expect(w05 && valueAt(w05, 2)).toBe(orderId);
    const w01 = set.segments.find((s) => s.id === 'W01');
    expect(w01 && [valueAt(w01, 1), valueAt(w01, 5)]).toEqual(['3', sku]);
    const gs06 = valueAt(interchange.groups[0]!.header, 6);
    const st02 = valueAt(set.header, 2);

    // The 3PL ships it, and acknowledges the 940.
    const control = 4000 + Math.floor(Math.random() * 1000);
    writeFileSync(
      join(server.root, 'out', `945-${control}.edi`),
      fromThreePl(control, 'SW', '945', [
        seg('W06', 'N', orderId, '20261127', `SHP-${control}`),
        seg('N9', 'CN', '1Z999AA10123456784'),
        seg('LX', '1'),
        seg('W12', 'CC', '3', '3', '0', 'EA', '', 'VN', sku),
        seg('W03', '3', '12', 'LB'),
        seg('W27', 'M', 'UPSN'),
      ]),
    );
    writeFileSync(
      join(server.root, 'out', `997-${control + 1}.edi`),
      fromThreePl(control + 1, 'FA', '997', [
        seg('AK1', 'OW', gs06),
        seg('AK2', '940', st02),
        seg('AK5', 'A'),
        seg('AK9', 'A', '1', '1', '1'),
      ]),
    );

    await until(
      async () =>
        (await call('GET', `/v1/orders/${orderId}`, ENV.MANIFOLD_ADMIN_KEY)).body?.milestone === 'shipped',
      'the order shipped',
      20_000,
    );
    await until(() => files('out').length === 0, 'the outbox emptied', 10_000);
    expect(files('archive')).toEqual([`945-${control}.edi`, `997-${control + 1}.edi`]);
    // The hub's 997 for the 945 (the 3PL's 997 is not acknowledged: no reply file for it).
    expect(files('acks')).toEqual([`945-${control}.edi.ack.x12`]);
    const ack = parseX12(readFileSync(join(server.root, 'acks', `945-${control}.edi.ack.x12`), 'utf8'));
    const ackSet = ack.interchanges[0]!.groups[0]!.sets[0]!;
    expect(valueAt(ackSet.header, 1)).toBe('997');
    expect(valueAt(ackSet.segments.find((s) => s.id === 'AK5')!, 1)).toBe('A');
    expect(valueAt(ack.interchanges[0]!.header, 8).trim()).toBe('3PLWHSE');

    // The ERP hears the shipment with the 945's carrier and tracking.
    await until(
      () => erp.received.some((r) => r.events.some((e) => e.type === 'com.manifold.order.shipped.v1')),
      'the ERP told of the shipment',
      10_000,
    );
    const shipped = erp.received
      .flatMap((r) => r.events)
      .find((e) => e.type === 'com.manifold.order.shipped.v1');
    expect(shipped?.data).toMatchObject({
      orderId,
      location: 'DC-3PL',
      carrier: 'UPSN',
      tracking: '1Z999AA10123456784',
    });

    // The 3PL's 997 was matched to the 940 the hub sent.
    const db = new Database(ENV.MANIFOLD_DB, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare('SELECT set_id, ack_status FROM edi_outbound WHERE partner = ?').get('threepl');
      expect(row).toEqual({ set_id: '940', ack_status: 'accepted' });
    } finally {
      db.close();
    }
    expect(existsSync(join(server.root, 'in', name as string))).toBe(true);
  }, 60_000);

  it('a 3PL answering with an 856 ship notice: the order shipped, a 997 back', async () => {
    const sku = `GADGET-${randomUUID().slice(0, 6)}`;
    const before = files('in').length;
    const orderId = await placeOrder(sku);
    await until(() => files('in').length > before, 'a second 940 in /in', 20_000);
    const control = 6000 + Math.floor(Math.random() * 1000);
    writeFileSync(
      join(server.root, 'out', `856-${control}.edi`),
      fromThreePl(control, 'SH', '856', [
        seg('BSN', '00', `ASN-${control}`, '20261127', '1015', '0004'),
        seg('HL', '1', '', 'S'),
        seg('TD5', '', '2', 'FDEG'),
        seg('REF', 'CN', '794612345678'),
        seg('HL', '2', '1', 'O'),
        seg('PRF', orderId),
        seg('HL', '3', '2', 'I'),
        seg('LIN', '1', 'VN', sku),
        seg('SN1', '1', '3', 'EA'),
        seg('CTT', '3', '3'),
      ]),
    );
    await until(() => shippedMilestone(orderId), 'the order shipped by the 856', 20_000);
    await until(() => files('acks').includes(`856-${control}.edi.ack.x12`), 'the 997 of the 856', 10_000);
    const ack = parseX12(readFileSync(join(server.root, 'acks', `856-${control}.edi.ack.x12`), 'utf8'));
    const ackSet = ack.interchanges[0]!.groups[0]!.sets[0]!;
    expect(valueAt(ackSet.segments.find((s) => s.id === 'AK2')!, 1)).toBe('856');
    expect(valueAt(ackSet.segments.find((s) => s.id === 'AK5')!, 1)).toBe('A');
    await until(() => files('archive').includes(`856-${control}.edi`), 'the 856 archived', 10_000);
  }, 60_000);
});
