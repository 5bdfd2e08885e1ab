/**
 * The simulator end to end (docs/simulator.md): the real hub process on a copy of examples/manifold.yaml (a temp
 * SQLite store, free ports for the hub and every receiver, so a running `npm start` is never in the way),
 * and `runSimulation` playing every system against it for a few seconds with an ERP outage, duplicates and
 * out-of-order shipments. The report must show traffic, deliveries, suppressed duplicates, a measured drain
 * and latency — and no oversell.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFaults } from '../../src/cli/simulate/faults.js';
import { formatReport, type SimulationReport } from '../../src/cli/simulate/report.js';
import { runSimulation } from '../../src/cli/simulate/simulation.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';

const EXAMPLE = new URL('../../examples/manifold.yaml', import.meta.url);
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
  // The example's targets take 2 (storefront) to 10 (ERP) events/s, as their APIs would: at a few orders/s
  // (about 14 order events each) their backlogs would outlast the test. The outage and the circuit
  // breaker's 30 s before its probe are kept.
  text = text.replace(/rateLimit: \{[^}]*\}/g, 'rateLimit: { perSecond: 500, concurrency: 8 }');
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

  it('plays every system with an ERP outage, duplicates and out-of-order events: no oversell', async () => {
    let report: SimulationReport | undefined;
    report = await runSimulation({
      config: configFile,
      ordersPerSecond: 4,
      durationMs: 6000,
      drainTimeoutMs: 45_000,
      faults: 'erp-down:2s@1s,duplicates:30%,out-of-order',
      seed: 7,
    });
    const text = formatReport(report);
    expect(report.events.rejections, text).toEqual([]);
    expect(report.orders.placed).toBeGreaterThan(10);
    expect(report.orders.accepted, text).toBe(report.orders.placed);
    expect(Object.keys(report.orders.byChannel).sort()).toEqual(['b2b', 'edi-acme', 'web']);
    // The storefront also sends orders as its own signed webhook (examples: shop's inbound route).
    expect(report.orders.nativeWebhookOrders, text).toBeGreaterThan(0);
    expect(report.orders.shipped, text).toBeGreaterThan(0);
    expect(report.orders.delivered, text).toBeGreaterThan(0);
    // The example's X12 carrier reports half of the shipments by 214: every one applied by the hub.
    expect(report.orders.statusInterchanges, text).toBeGreaterThan(0);
    expect(report.orders.inTransit, text).toBeGreaterThan(0);
    expect(report.orders.statusInterchangesRefused, text).toBe(0);
    // The hub's X12 to the partner (855/856/810) is answered with 997s.
    expect(report.deliveries.perReceiver['acme-edi']?.unique, text).toBeGreaterThan(0);
    expect(report.orders.acknowledgementsSent, text).toBeGreaterThan(0);
    expect(report.oversells.count, text).toBe(0);
    expect(report.oversells.checks).toBeGreaterThan(0);
    expect(report.deliveries.received).toBeGreaterThan(0);
    expect(report.deliveries.signatureFailures).toBe(0);
    for (const receiver of [
      'wms-east-releases',
      'shop-orders',
      'portal-orders',
      'tms-shipments',
      'erp-orders',
    ])
      expect(report.deliveries.perReceiver[receiver]?.unique, receiver).toBeGreaterThan(0);
    expect(report.duplicatesSuppressed.total, text).toBeGreaterThan(0);
    expect(report.duplicatesSuppressed.events).toBeGreaterThan(0);
    expect(report.backlog.largest, text).toBeGreaterThan(0);
    const [outage] = report.outages;
    expect(outage).toMatchObject({ system: 'erp', fromMs: 1000, toMs: 3000 });
    expect(outage?.refused, text).toBeGreaterThan(0);
    expect(outage?.drainMs, text).toEqual(expect.any(Number));
    expect(report.latency.samples).toBeGreaterThan(0);
    expect(report.latency.p50Ms).toEqual(expect.any(Number));
    expect(report.latency.p99Ms).toBeGreaterThanOrEqual(report.latency.p50Ms as number);
    expect(report.drained, text).toBe(true);
    expect(text).toMatch(/oversells\s+0 \(must be 0\)/);
    report = undefined;
  }, 60_000);
});
