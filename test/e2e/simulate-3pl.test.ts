/**
 * The simulator plays the SFTP 3PL natively (docs/simulator.md): the real hub process on
 * examples/recipes/sftp-3pl.yaml as written, its `THREEPL_SFTP_*` variables the ones
 * `bin/manifold simulate --sftp-env` prints (the simulator's generated host and client keys), and
 * `runSimulation` against it: the simulator is the 3PL's SFTP server, counts its stock in 846s (QTY*17),
 * takes the 940s the hub uploads, answers with 997s and 945s, and reads the hub's 997s. The ERP places
 * the orders; they must end shipped through the 3PL, its stock counted, with no oversell.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport } from '../../src/cli/simulate/report.js';
import { runSimulation } from '../../src/cli/simulate/simulation.js';
import { sftpRecipeEnv } from '../../src/cli/simulate/threepl.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';

const RECIPE = new URL('../../examples/recipes/sftp-3pl.yaml', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'manifold-e2e-sim-3pl-'));
const keysDir = join(dir, 'keys');
let hub: HubProcess;
let env: NodeJS.ProcessEnv;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  env = {
    ...process.env,
    ...sftpRecipeEnv(keysDir, await freePort()),
    THREEPL_SFTP_POLL_SECONDS: '1',
    MANIFOLD_ADMIN_KEY: 'sim-admin-key-000000001',
    ERP_KEY: 'sim-erp-key-00000000001',
    THREEPL_KEY: 'sim-threepl-key-0000001',
    THREEPL_ISA_ID: '3PLWHSE',
    ERP_HOOK_SECRET: 'sim-erp-hook-secret-0001',
    ERP_ORDERS_URL: `http://127.0.0.1:${await freePort()}/orders`,
    MANIFOLD_PORT: '0',
    MANIFOLD_DB: join(dir, 'hub.db'),
  };
  hub = await startHubProcess(RECIPE, env);
}, 30_000);

afterAll(async () => {
  try {
    if (hub) await hub.kill('SIGTERM');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

async function get(path: string) {
  const response = await fetch(`${hub.url}${path}`, {
    headers: { authorization: `Bearer ${env.MANIFOLD_ADMIN_KEY}` },
  });
  return response.json() as Promise<{ items: { event: { data: Record<string, unknown> } }[] }>;
}

describe('bin/manifold simulate with the sftp-3pl recipe', () => {
  it('plays the 3PL over SFTP: 940s in, 997s, 945s and 846s out, the orders shipped', async () => {
    const report = await runSimulation({
      config: RECIPE,
      hub: hub.url,
      env,
      sftpKeys: keysDir,
      ordersPerSecond: 2,
      durationMs: 6000,
      drainTimeoutMs: 60_000,
      seed: 7,
    });
    const text = formatReport(report);
    if (process.env.SHOW_REPORT) process.stderr.write(text);
    const threepl = report.threePl.threepl;
    expect(threepl, text).toBeDefined();
    // The ERP placed the orders, on the 3PL location's channel.
    expect(report.orders.byChannel.wholesale?.accepted, text).toBeGreaterThan(5);
    // Every accepted order not backordered whole reached the 3PL as a 940, was acknowledged and shipped.
    expect(threepl?.ordersReceived, text).toBeGreaterThan(5);
    expect(threepl?.acknowledgementsSent, text).toBe(threepl?.ordersReceived);
    expect(threepl?.shipmentsSent, text).toBe(threepl?.ordersReceived);
    expect(threepl?.inventoryAdvices, text).toBeGreaterThanOrEqual(2);
    // The hub's 997 for every file it took (945s, 997s are not acknowledged, 846s): the 846s accepted.
    expect(threepl?.hubAcks.accepted, text).toBeGreaterThanOrEqual(
      (threepl?.shipmentsSent ?? 0) - report.orders.cancelledByErp + 1,
    );
    expect(report.oversells.count, text).toBe(0);
    expect(report.drained, text).toBe(true);
    expect(text).toMatch(/3PL threepl \(SFTP\)\s+\d+ 940s taken/);

    // The hub's side: shipments as the 3PL with its carrier and tracking, its counts of DC-3PL.
    const shipped = await get('/v1/events?type=com.manifold.order.shipped.v1&source=/threepl&limit=500');
    const runShipments = shipped.items.filter((i) => String(i.event.data.orderId).includes(report.runTag));
    expect(runShipments.length, text).toBeGreaterThanOrEqual(
      (threepl?.shipmentsSent ?? 0) - report.orders.cancelledByErp,
    );
    expect(runShipments[0]?.event.data).toMatchObject({
      location: 'DC-3PL',
      carrier: expect.stringMatching(/^(UPSN|FDEG|ODFL)$/),
      tracking: expect.stringMatching(/^1Z/),
    });
    const counted = await get('/v1/events?type=com.manifold.inventory.counted.v1&source=/threepl&limit=500');
    expect(
      counted.items.some(
        (i) => i.event.data.sku === `WIDGET-${report.runTag}` && i.event.data.onHand === 1000,
      ),
    ).toBe(true);
  }, 120_000);
});
