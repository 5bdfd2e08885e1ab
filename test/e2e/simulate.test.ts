/**
 * The simulator end to end (docs/simulator.md): the real hub process on a copy of examples/manifold.yaml as
 * written (a temp SQLite store and free ports for the hub and every receiver, so a running `npm start` is
 * never in the way; every rate limit kept). First the store is polluted as a demo's would be: an earlier
 * run's delivered rows, then the README's curl example and an order event stamped two hours ago posted
 * while no receiver listens (pending, retried during the next run). Then the README's fault example (shortened) runs: its report must count only itself
 * (its deliveries, latency, duplicates), drain, and show no oversell. Last, `bin/manifold simulate` with
 * a fault that cannot drain within a tiny budget exits 3 and names the subscription behind.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFaults } from '../../src/cli/simulate/faults.js';
import { exitCodeOf, formatReport, type SimulationReport } from '../../src/cli/simulate/report.js';
import { runSimulation } from '../../src/cli/simulate/simulation.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';

const EXAMPLE = new URL('../../examples/manifold.yaml', import.meta.url);
const SHIP_TO = { name: 'A. Curl', line1: '1 Main St', city: 'Columbus', postalCode: '43004', country: 'US' };
const BIN = new URL('../../bin/manifold', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'manifold-e2e-simulate-'));
const configFile = join(dir, 'manifold.yaml');
let hub: HubProcess;

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  let text = readFileSync(EXAMPLE, 'utf8').replace(
    'sqlite: ./data/manifold.db',
    `sqlite: ${join(dir, 'hub.db')}`,
  );
  text = text.replace(/^ {2}port: 8080$/m, `  port: ${await freePort()}`);
  const receiverPorts = new Map<string, number>();
  for (const [, port] of text.matchAll(/127\.0\.0\.1:(90\d\d)\//g)) {
    if (!receiverPorts.has(port as string)) receiverPorts.set(port as string, await freePort());
  }
  text = text.replace(
    /127\.0\.0\.1:(90\d\d)\//g,
    (_, port: string) => `127.0.0.1:${receiverPorts.get(port)}/`,
  );
  writeFileSync(configFile, text);
  hub = await startHubProcess(configFile);
}, 30_000);

afterAll(async () => {
  try {
    if (hub) await hub.kill('SIGTERM');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

describe('bin/manifold simulate', () => {
  it('reads the faults as documented', () => {
    const systems = ['erp', 'wms-east', 'shop'];
    expect(parseFaults('erp-down:20s,slow:shop:800ms,duplicates,out-of-order:50%', systems, 60_000)).toEqual({
      down: [{ kind: 'down', system: 'erp', atMs: 12_000, forMs: 20_000 }],
      slow: [{ kind: 'slow', system: 'shop', delayMs: 800 }],
      duplicates: 0.1,
      outOfOrder: 0.5,
    });
    expect(parseFaults('wms-east-down:5s@2s', systems, 60_000).down).toEqual([
      { kind: 'down', system: 'wms-east', atMs: 2000, forMs: 5000 },
    ]);
    expect(() => parseFaults('tms-down:5s', systems, 60_000)).toThrow(/no system named 'tms'/);
    expect(() => parseFaults('chaos', systems, 60_000)).toThrow(/not a fault/);
  });

  it('an earlier run and the README curl examples leave the store polluted', async () => {
    const earlier = await runSimulation({
      config: configFile,
      ordersPerSecond: 2,
      durationMs: 1500,
      drainTimeoutMs: 30_000,
      seed: 3,
    });
    expect(earlier.orders.accepted).toBeGreaterThan(0);
    expect(earlier.drained, formatReport(earlier)).toBe(true);
    expect(exitCodeOf(earlier)).toBe(0);
    // The README's "Try it" curl (a count of WIDGET-1) and an order event stamped two hours ago, sent
    // while nothing listens on the receivers' ports: their deliveries are pending, retried during the next run.
    const post = (key: string, event: Record<string, unknown>) =>
      fetch(`${hub.url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({ specversion: '1.0', ...event }),
      });
    const count = await post('dev-wms-east-key-000001', {
      id: 'count-0001',
      source: '/wms-east',
      type: 'com.manifold.inventory.counted.v1',
      correlationid: 'stocktake-2026-11',
      data: { sku: 'WIDGET-1', location: 'DC-EAST', onHand: 120 },
    });
    expect([200, 202]).toContain(count.status);
    const old = await post('dev-shop-key-000000001', {
      id: 'curl-order-0001',
      source: '/shop',
      type: 'com.manifold.order.accepted.v1',
      time: new Date(Date.now() - 2 * 3_600_000).toISOString(),
      subject: 'WEB-CURL-1',
      data: {
        orderId: 'WEB-CURL-1',
        channel: 'web',
        customer: { id: 'CURL-1' },
        shipTo: SHIP_TO,
        lines: [{ lineId: '1', sku: 'WIDGET-1', quantity: 1, unitPrice: 9.5 }],
      },
    });
    expect(old.status, await old.text()).toBe(202);
  }, 60_000);

  it("runs the README's fault example, drained, counting only its own run", async () => {
    // README: --faults erp-down:30s,slow:shop:800ms,duplicates,out-of-order at the default 2 orders/s, on
    // examples/manifold.yaml as written; shortened to 6 s with a 2 s outage.
    let report: SimulationReport | undefined;
    report = await runSimulation({
      config: configFile,
      ordersPerSecond: 2,
      durationMs: 6000,
      drainTimeoutMs: 50_000,
      faults: 'erp-down:2s@1s,slow:shop:800ms,duplicates,out-of-order',
      seed: 7,
    });
    const text = formatReport(report);
    // Only the run: the earlier run's rows and the curls' are answered, not counted; the order stamped two
    // hours ago would otherwise be the latency's max.
    expect(report.deliveries.waitingBefore, text).toBeGreaterThan(0);
    expect(report.deliveries.notOfThisRun, text).toBeGreaterThan(0);
    expect(report.latency.maxMs, text).toBeLessThan(600_000);
    expect(report.deliveries.duplicates, text).toBe(0);
    expect(report.drained, text).toBe(true);
    expect(report.behind).toEqual([]);
    expect(report.unsettled, text).toEqual([]);
    expect(exitCodeOf(report)).toBe(0);
    expect(report.events.rejections, text).toEqual([]);
    expect(report.orders.placed).toBeGreaterThan(6);
    expect(report.orders.accepted, text).toBe(report.orders.placed);
    expect(report.orders.shipped, text).toBeGreaterThan(0);
    expect(report.orders.delivered, text).toBeGreaterThan(0);
    expect(report.orders.statusInterchangesRefused, text).toBe(0);
    expect(report.oversells.count, text).toBe(0);
    expect(report.oversells.checks).toBeGreaterThan(0);
    expect(report.deliveries.signatureFailures).toBe(0);
    for (const receiver of [
      'wms-east-releases',
      'shop-orders',
      'tms-shipments',
      'erp-orders',
      'erp-sales-orders',
    ])
      expect(report.deliveries.perReceiver[receiver]?.unique, receiver).toBeGreaterThan(0);
    // The shaped call to the ERP's own sales-order API: every request had the method, path, bearer token,
    // signature and body the simulated API checks, one per accepted order.
    expect(report.deliveries.refusedRequests, text).toEqual([]);
    expect(report.deliveries.perReceiver['erp-sales-orders']?.unique, text).toBe(report.orders.accepted);
    expect(report.duplicatesSuppressed.events, text).toBeGreaterThan(0);
    expect(report.backlog.largest, text).toBeGreaterThan(0);
    const [outage] = report.outages;
    expect(outage).toMatchObject({ system: 'erp', fromMs: 1000, toMs: 3000 });
    expect(outage?.refused, text).toBeGreaterThan(0);
    expect(outage?.drainMs, text).toEqual(expect.any(Number));
    expect(report.latency.p99Ms).toBeGreaterThanOrEqual(report.latency.p50Ms as number);
    expect(text).toMatch(/oversells\s+0 \(must be 0\)/);
    expect(text).toMatch(/not of this run\s+\d+ answered, not counted/);
    // The old order reached the ERP's receiver during the run (nothing listened before it), and its two
    // hours did not count in the latency above.
    const timeline = (await fetch(`${hub.url}/v1/orders/WEB-CURL-1/timeline`, {
      headers: { authorization: 'Bearer dev-admin-key-00000001' },
    }).then((r) => r.json())) as {
      entries: { id?: string; deliveries: { subscription: string; status: string }[] }[];
    };
    const curl = timeline.entries.find((e) => e.id === 'curl-order-0001');
    expect(curl?.deliveries.find((d) => d.subscription === 'erp-orders')?.status, JSON.stringify(curl)).toBe(
      'delivered',
    );
    report = undefined;
  }, 90_000);

  it('bin/manifold simulate exits 3 naming the subscription behind when the run cannot drain in time', async () => {
    const child = spawn(
      BIN,
      [
        'simulate',
        '--config',
        configFile,
        '--orders-per-second',
        '4',
        '--duration',
        '1500ms',
        '--drain-timeout',
        '500ms',
        '--faults',
        'slow:shop:5s',
        '--quiet',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, `${stdout}\n${stderr}`).toBe(3);
    expect(stderr).toMatch(/did not drain within --drain-timeout/);
    expect(stderr).toMatch(/shop-orders \d+ pending, oldest \d+ s/);
    expect(stdout).toMatch(/drained\s+no, gave up after/);
  }, 60_000);
});
