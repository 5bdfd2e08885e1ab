/**
 * A partner's SFTP outbox as the hub's source, in-process against a real local SFTP server
 * (test/fakes/sftp): a file unchanged between two looks is received as X12 from the partner, its 997
 * written to the acks folder, then deleted, moved or left as configured; a file left in place is not taken
 * again; a crash between the apply and the record, or a clean-up the server refuses, never applies a file
 * twice; a wrong host key raises an exception; the same ISA13 with other content is not a resend.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceConnector, SourceHub } from '../../src/connectors/connector-port.js';
import {
  formatInterchange,
  parseX12,
  type SegmentInput,
  valueAt,
} from '../../src/connectors/edi/x12/index.js';
import { type FakeSftpServer, fingerprintOf, generateKey, startFakeSftp } from '../fakes/sftp/server.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';
import { HUB_X12 } from './support.js';

const hostKey = generateKey();
const userKey = generateKey();
const keyFile = join(tmpdir(), `manifold-sftp-key-${process.pid}`);
writeFileSync(keyFile, userKey.private, { mode: 0o600 });

let server: FakeSftpServer;
let hub: TestApp;

afterEach(async () => {
  await hub?.close();
  await server?.close();
});

const seg = (id: string, ...elements: string[]): SegmentInput => ({ id, elements });
const SUPPLIER = { qualifier: 'ZZ', id: 'SUPPLIER' };

let nextControl = 7000;
/** An 846 from the supplier (ISA13 and GS06 `control`, fresh by default): `quantity` of `sku` coming to DC-EAST. */
const advice = (sku: string, quantity = 12, control = ++nextControl) =>
  formatInterchange(
    {
      sender: SUPPLIER,
      receiver: HUB_X12,
      controlNumber: control,
      groups: [
        {
          functionalId: 'IB',
          version: '004010',
          controlNumber: control,
          sets: [
            {
              id: '846',
              controlNumber: 1,
              segments: [
                seg('BIA', '00', 'SI', `R-${sku}`, '20261127'),
                seg('LIN', '1', 'SK', sku),
                seg('QTY', '33', String(quantity), 'EA'),
                seg('CTT', '1'),
              ],
            },
          ],
        },
      ],
    },
    { newline: true },
  );

async function start(sftp: string, options: { hostKey?: string; subscriptions?: string } = {}) {
  server = await startFakeSftp({
    username: 'supplier',
    authorizedKey: userKey.public,
    hostKey: hostKey.private,
  });
  for (const dir of ['out', 'acks', 'done']) mkdirSync(join(server.root, dir));
  const pinned = options.hostKey ?? fingerprintOf(hostKey.public);
  const yaml = testConfigYaml(options.subscriptions ? { subscriptions: options.subscriptions } : {}).replace(
    "x12: { id: 'SUPPLIER', qualifier: 'ZZ' } }",
    `x12: { id: 'SUPPLIER', qualifier: 'ZZ', sftp: { host: 127.0.0.1, port: ${server.port}, username: supplier, privateKeyFile: ${keyFile}, hostKey: '${pinned}', outbox: /out, acks: /acks, ${sftp} } } }`,
  );
  hub = await buildTestApp({ yaml, ...(options.subscriptions ? { delivery: { pollMs: 10 } } : {}) });
}

/** The supplier's SFTP source and its hub; `hub` may be wrapped (a crash, counting). */
function source(): { source: SourceConnector; hub: SourceHub } {
  const inbound = hub.context.inbound;
  const found = inbound.sources('edi').find((s) => s.name === 'edi-sftp:supplier');
  if (!found) throw new Error('no SFTP source for supplier');
  return { source: found, hub: inbound.sourceHub('edi', found) };
}

const drop = (name: string, body: string) => writeFileSync(join(server.root, 'out', name), body);
const files = (dir: string) => readdirSync(join(server.root, dir)).sort();

async function get(url: string) {
  const response = await hub.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return response.json() as {
    items: Array<{ event: { data: Record<string, unknown> } } & Record<string, unknown>>;
  };
}
const incoming = async () =>
  (await get('/v1/events?type=com.manifold.inventory.incoming.v1&source=/supplier')).items.length;

/** The segment ids and first elements of an acknowledgement file. */
function ackOf(name: string): { set?: string; ak5?: string; ta1?: string[] } {
  const document = parseX12(readFileSync(join(server.root, 'acks', name), 'utf8'));
  const interchange = document.interchanges[0];
  const segments = interchange?.groups.flatMap((g) => g.sets.flatMap((s) => [s.header, ...s.segments])) ?? [];
  const st = segments.find((s) => s.id === 'ST');
  const ak5 = segments.find((s) => s.id === 'AK5');
  const ta1 = interchange?.acknowledgements[0];
  return {
    ...(st ? { set: String(valueAt(st, 1)) } : {}),
    ...(ak5 ? { ak5: String(valueAt(ak5, 1)) } : {}),
    ...(ta1 ? { ta1: [String(valueAt(ta1, 4)), String(valueAt(ta1, 5))] } : {}),
  };
}

describe('a partner SFTP outbox', () => {
  it('takes a file unchanged between two looks, writes the 997 to acks and deletes it', async () => {
    await start('afterProcessing: delete');
    const { source: s, hub: h } = source();
    drop('846-1.x12', advice('S-SFTP-1'));
    expect(await s.pull(h)).toBe(0); // first seen: it may still be uploading
    expect(await s.pull(h)).toBe(1);
    expect(await incoming()).toBe(1);
    expect(files('out')).toEqual([]);
    expect(files('acks')).toEqual(['846-1.x12.ack.x12']);
    expect(ackOf('846-1.x12.ack.x12')).toEqual({ set: '997', ak5: 'A' });
    expect(server.connections).toBe(1); // the looks share one connection
  });

  it('moves a taken file to moveTo', async () => {
    await start('afterProcessing: move, moveTo: /done');
    const { source: s, hub: h } = source();
    drop('846-2.x12', advice('S-SFTP-2'));
    await s.pull(h);
    expect(await s.pull(h)).toBe(1);
    expect(files('out')).toEqual([]);
    expect(files('done')).toEqual(['846-2.x12']);
  });

  it('leaves a taken file in place and does not take it again, but takes a new file of the same name', async () => {
    await start('afterProcessing: leave');
    const { source: s, hub: h } = source();
    drop('inventory.x12', advice('S-SFTP-3'));
    await s.pull(h);
    expect(await s.pull(h)).toBe(1);
    expect(await s.pull(h)).toBe(0);
    expect(await s.pull(h)).toBe(0);
    expect(files('out')).toEqual(['inventory.x12']);
    expect(await incoming()).toBe(1);
    drop('inventory.x12', advice('S-SFTP-4', 1234)); // overwritten by the partner: another size
    await s.pull(h);
    expect(await s.pull(h)).toBe(1);
    expect(await incoming()).toBe(2);
  });

  it('a crash between applying a file and recording it: received again as a resend, applied once', async () => {
    await start('afterProcessing: delete');
    const { source: s, hub: h } = source();
    drop('846-5.x12', advice('S-SFTP-5'));
    await s.pull(h);
    // The process dies after the interchange was applied, before the file is recorded as taken.
    const crashing: SourceHub = { ...h, commit: () => Promise.reject(new Error('killed')) };
    await expect(s.pull(crashing)).rejects.toThrow('killed');
    expect(await incoming()).toBe(1);
    expect(files('out')).toEqual(['846-5.x12']);
    // The restart takes it again: its receipt answers it (a resend), nothing is applied twice.
    let outcome: string | undefined;
    const watching: SourceHub = {
      ...h,
      receive: async (request) => {
        const reply = await h.receive(request);
        outcome = reply.units?.[0]?.outcome;
        return reply;
      },
    };
    expect(await s.pull(watching)).toBe(1);
    expect(outcome).toBe('duplicate');
    expect(await incoming()).toBe(1);
    expect(files('out')).toEqual([]);
    expect(ackOf('846-5.x12.ack.x12')).toEqual({ set: '997', ak5: 'A' });
  });

  it('a clean-up the server refuses: the file is not received again, and is cleaned up once allowed', async () => {
    await start('afterProcessing: delete');
    server.rules.forbidRemove = true;
    const { source: s, hub: h } = source();
    drop('846-6.x12', advice('S-SFTP-6'));
    await s.pull(h);
    await expect(s.pull(h)).rejects.toThrow(/received but not cleaned up.*delete \/out\/846-6\.x12/);
    let received = 0;
    const counting: SourceHub = {
      ...h,
      receive: (r) => {
        received += 1;
        return h.receive(r);
      },
    };
    await expect(s.pull(counting)).rejects.toThrow('not cleaned up');
    server.rules.forbidRemove = false;
    expect(await s.pull(counting)).toBe(0);
    expect(received).toBe(0);
    expect(files('out')).toEqual([]);
    expect(await incoming()).toBe(1);
  });

  it('a file that is not X12 opens an edi_file_failed exception holding it, and is cleaned up', async () => {
    await start('afterProcessing: delete');
    const { source: s, hub: h } = source();
    drop('hello.txt', 'not an interchange');
    await s.pull(h);
    expect(await s.pull(h)).toBe(1);
    expect(files('out')).toEqual([]);
    expect(files('acks')).toEqual([]);
    const failed = (await get('/v1/exceptions?code=edi_file_failed')).items;
    expect(failed).toHaveLength(1);
    expect(String(failed[0]?.detail)).toContain('/out/hello.txt from supplier');
    expect(String(failed[0]?.detail)).toContain('no X12 interchange');
  });

  it('refuses a server with another host key, and raises one exception for an operator', async () => {
    await start('afterProcessing: delete', { hostKey: fingerprintOf(generateKey().public) });
    const { source: s, hub: h } = source();
    drop('846-7.x12', advice('S-SFTP-7'));
    await expect(s.pull(h)).rejects.toThrow(/host key of 127\.0\.0\.1:\d+ is SHA256:.*not the pinned/);
    await expect(s.pull(h)).rejects.toThrow('not the pinned');
    const alerts = (await get('/v1/exceptions?code=sftp_host_key_mismatch')).items;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ system: 'supplier' });
    expect(server.auths).toEqual([]);
    expect(files('out')).toEqual(['846-7.x12']);
  });

  it('outbound: a server with another host key gets nothing, the 940 is parked for an operator', async () => {
    const subscriptions = `subscriptions:
  - name: supplier-940
    target: supplier
    types: [com.manifold.order.released.v1]
    edi: { sets: [940] }
    sftp: { dir: /in }
`;
    await start('inbox: /in', { hostKey: fingerprintOf(generateKey().public), subscriptions });
    mkdirSync(join(server.root, 'in'));
    const stock = await hub.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
      payload: {
        specversion: '1.0',
        id: 'count-sftp-out',
        source: '/wms-east',
        type: 'com.manifold.inventory.counted.v1',
        data: { sku: 'S-OUT-1', location: 'DC-EAST', onHand: 10 },
      },
    });
    expect(stock.statusCode).toBe(202);
    await hub.inventory.settle();
    const placed = await hub.app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { authorization: `Bearer ${KEYS.shop}`, 'idempotency-key': 'sftp-out-1' },
      payload: {
        orderId: 'SO-SFTP-OUT',
        channel: 'web',
        customer: { id: 'C-1', name: 'Ada' },
        lines: [{ lineId: '1', sku: 'S-OUT-1', quantity: 2, unitPrice: 5 }],
        shipTo: { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
      },
    });
    expect(placed.statusCode).toBe(201);
    await hub.orders.settle();
    let rejected: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 200 && rejected.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      rejected = (await get('/v1/exceptions?code=delivery_rejected')).items;
    }
    expect(rejected).toHaveLength(1);
    expect(String(rejected[0]?.detail ?? rejected[0]?.error)).toMatch(
      /host key of 127\.0\.0\.1:\d+ is SHA256:.*not the pinned/,
    );
    expect(files('in')).toEqual([]);
    expect(server.auths).toEqual([]);
  });

  it('the same ISA13 with other content is rejected (TA1 R 025) and raised; with the same content it is a resend', async () => {
    await start('afterProcessing: delete');
    const { source: s, hub: h } = source();
    const control = 9100;
    const first = advice('S-SFTP-8', 12, control);
    drop('a.x12', first);
    await s.pull(h);
    expect(await s.pull(h)).toBe(1);
    // The partner reset its counter: a new interchange under the same ISA13.
    drop('b.x12', advice('S-SFTP-9', 5, control));
    drop('c.x12', first);
    await s.pull(h);
    expect(await s.pull(h)).toBe(2);
    expect(ackOf('b.x12.ack.x12')).toEqual({ ta1: ['R', '025'] });
    expect(ackOf('c.x12.ack.x12')).toEqual({ set: '997', ak5: 'A' });
    expect(await incoming()).toBe(1);
    const reused = (await get('/v1/exceptions?code=edi_control_number_reused')).items;
    expect(reused).toHaveLength(1);
    expect(String(reused[0]?.detail)).toContain(
      `interchange control number ${control} (ISA13) from supplier was used before`,
    );
    expect(existsSync(join(server.root, 'out', 'b.x12'))).toBe(false);
  });
});
