/**
 * The simulated 3PL (threepl.ts) with the hub's own SFTP client (`transport/sftp.ts`): the key folder is
 * made once and reused; a configuration pinning another host key is refused with what to set; the hub's
 * client logs in with the configured key, and a 940 uploaded to the inbox is answered in the outbox with
 * a 997 and a 945 (carrier, tracking, the lines shipped), after the first 846 (QTY*17); a 997 written to
 * `acks` is read and counted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { X12Sftp } from '../../config/compiled-config.js';
import { formatInterchange, parseX12, valueAt } from '../../connectors/edi/x12/index.js';
import { SftpConnection } from '../../connectors/transport/sftp.js';
import { fingerprintOf } from './sftp-server.js';
import { sftpRecipeEnv, simSftpKeys, ThreePl, ThreePlSetupError } from './threepl.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-sim-3pl-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const until = async (check: () => Promise<boolean>, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

it('serves the 3PL over SFTP: 846 at the start, 997 and 945 for a 940, the hub 997s counted', async () => {
  const keys = simSftpKeys(dir);
  expect(simSftpKeys(dir)).toEqual(keys); // made once, then reused
  const env = sftpRecipeEnv(dir, await freePort());
  expect(env.THREEPL_SFTP_HOST_KEY).toBe(fingerprintOf(keys.host.public));
  const sftp: X12Sftp = {
    host: '127.0.0.1',
    port: Number(env.THREEPL_SFTP_PORT),
    username: 'threepl',
    privateKey: keys.client.private,
    hostKey: env.THREEPL_SFTP_HOST_KEY as string,
    inbox: '/in',
    outbox: '/out',
    acks: '/acks',
    afterProcessing: 'move',
    moveTo: '/archive',
    upload: 'rename',
    pollSeconds: 1,
    timeoutMs: 5000,
  };
  const options = {
    name: 'threepl',
    sftp,
    x12: { id: '3PLWHSE', qualifier: 'ZZ', version: '00401' },
    hub: { id: 'MANIFOLD', qualifier: 'ZZ' },
    keysDir: dir,
    stock: new Map([
      ['WIDGET-T1', 1000],
      ['RARE-T1', 4],
    ]),
    between: (low: number) => low,
    pick: <T>(items: readonly T[]) => items[0] as T,
    tag: 'T1',
  };
  await expect(
    ThreePl.start({ ...options, sftp: { ...sftp, hostKey: `SHA256:${'A'.repeat(43)}` } }),
  ).rejects.toThrow(ThreePlSetupError);
  const threepl = await ThreePl.start(options);
  const client = new SftpConnection({ ...sftp, timeoutMs: 5000 });
  try {
    threepl.begin();
    const outbox = async () => (await client.list('/out')).map((f) => f.name).sort();
    await until(async () => (await outbox()).some((n) => n.includes('-846-')), 'the first 846');
    const inventory = parseX12((await client.read(`/out/${(await outbox())[0]}`)).toString());
    const lines = inventory.interchanges[0]?.groups[0]?.sets[0]?.segments ?? [];
    expect(lines.filter((s) => s.id === 'QTY').map((s) => [valueAt(s, 1), valueAt(s, 2)])).toEqual([
      ['17', '1000'],
      ['17', '4'],
    ]);

    const order = formatInterchange({
      sender: { qualifier: 'ZZ', id: 'MANIFOLD' },
      receiver: { qualifier: 'ZZ', id: '3PLWHSE' },
      controlNumber: 41,
      groups: [
        {
          functionalId: 'OW',
          version: '004010',
          controlNumber: 41,
          sets: [
            {
              id: '940',
              controlNumber: 1,
              segments: [
                { id: 'W05', elements: ['N', 'WHOLESALE-T1-1', 'WHOLESALE-T1-1'] },
                { id: 'LX', elements: ['1'] },
                { id: 'W01', elements: ['3', 'EA', '', 'VN', 'RARE-T1'] },
              ],
            },
          ],
        },
      ],
    });
    await client.put('/in', 'threepl-000000041.x12', order);
    await until(async () => (await outbox()).some((n) => n.includes('-945-')), 'the 945');
    expect((await client.list('/in')).length).toBe(0); // taken
    const names = await outbox();
    const ack = parseX12((await client.read(`/out/${names.find((n) => n.includes('-997-'))}`)).toString());
    const ak = ack.interchanges[0]?.groups[0]?.sets[0]?.segments ?? [];
    const ak1 = ak.find((s) => s.id === 'AK1');
    expect(ak1 && [valueAt(ak1, 1), valueAt(ak1, 2)]).toEqual(['OW', '41']);
    const shipment = parseX12(
      (await client.read(`/out/${names.find((n) => n.includes('-945-'))}`)).toString(),
    );
    const w = shipment.interchanges[0]?.groups[0]?.sets[0]?.segments ?? [];
    const seg = (id: string) => w.find((s) => s.id === id);
    expect(valueAt(seg('W06') as never, 2)).toBe('WHOLESALE-T1-1');
    expect([valueAt(seg('W12') as never, 3), valueAt(seg('W12') as never, 8)]).toEqual(['3', 'RARE-T1']);
    expect(valueAt(seg('W27') as never, 2)).toBe('UPSN');
    expect(valueAt(seg('N9') as never, 1)).toBe('CN');
    expect(options.stock.get('RARE-T1')).toBe(1);
    expect(threepl.idle()).toBe(false); // its 945 is still in the outbox

    await client.put(
      '/acks',
      'x.ack.x12',
      formatInterchange({
        sender: { qualifier: 'ZZ', id: 'MANIFOLD' },
        receiver: { qualifier: 'ZZ', id: '3PLWHSE' },
        controlNumber: 42,
        groups: [
          {
            functionalId: 'FA',
            version: '004010',
            controlNumber: 42,
            sets: [
              {
                id: '997',
                controlNumber: 1,
                segments: [
                  { id: 'AK1', elements: ['SW', '7'] },
                  { id: 'AK2', elements: ['945', '1'] },
                  { id: 'AK5', elements: ['R', '5'] },
                  { id: 'AK9', elements: ['R', '1', '1', '0'] },
                ],
              },
            ],
          },
        ],
      }),
    );
    await until(async () => threepl.counters.hubAcks.files === 1, 'the hub 997 read');
    expect(threepl.counters).toMatchObject({
      ordersReceived: 1,
      acknowledgementsSent: 1,
      shipmentsSent: 1,
      inventoryAdvices: 1,
      hubAcks: { files: 1, accepted: 0, rejected: 1 },
    });
  } finally {
    await client.close();
    await threepl.stop();
  }
});
