/**
 * Three real hub processes (`bin/manifold serve`) on one PostgreSQL schema, the same configuration on three
 * ports (docs/operations.md, "Several hub processes"), clients spread over them: events over 30 keys, orders,
 * a storm of 300 holds for 100 units, a poller, deliveries to a local receiver. The process holding the
 * poller's lease is killed with SIGKILL in the middle of the load and started again later. Then:
 *
 * - every acknowledged event is in the log once and reached its subscriber; every logged event of each
 *   subscription too; per key, never one after a later one of its key (the order kept across the failover);
 * - every acknowledged order exists once (one `order.accepted` each); nothing was applied twice;
 * - exactly 100 holds granted, 200 refused for insufficient stock, the position's reserved bucket 100;
 * - the dead process's poller lease is taken over within its lease time (at a higher epoch), and its
 *   claimed outbox rows move to the survivors once their claim lapses.
 *
 * The failover times are measured and printed. Skipped, with the reason, when PostgreSQL is unreachable.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import {
  adminGet,
  type ClusterView,
  checkPath,
  claimedBy,
  clusterConfigYaml,
  countCall,
  freePorts,
  ingestCall,
  type LoggedEvent,
  leaseHolders,
  ORDER_SKU,
  orderCall,
  pool,
  readWholeLog,
  reserveCall,
  STORM_SKU,
  STORM_UNITS,
  settleSpread,
} from '../support/cluster-workload.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { type PagedApi, startPagedApi } from '../support/paged-api.js';
import type { Call } from '../support/retrying-client.js';
import { type Sink, startSink } from '../support/sink.js';
import { describeWithStore, TEST_POSTGRES_URL } from '../support/stores.js';

const INGESTED = 300;
const ORDERS = 30;
const HOLDS = 300;
/** The poller's lease (every 1s: renewed every second, lost after 3 s). */
const POLLER_LEASE = 'source:poll:wms-east:adjustments';
const POLLER_LEASE_MS = 3000;
/** How long the clients resend one call (a key owned by the killed process is free once it is dead, 15 s). */
const PATIENCE_MS = 45_000;

const hubs: HubProcess[] = [];
let sink: Sink | undefined;
let api: PagedApi | undefined;
let dir: string | undefined;
let schema: string | undefined;
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.kill('SIGKILL')));
  await sink?.close();
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (schema) {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  }
  sink = api = dir = schema = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await describeWithStore('postgres', 'three hub processes on one PostgreSQL', () => {
  it('lose nothing, apply nothing twice, keep per-key order and never oversell when one is killed', {
    timeout: 240_000,
  }, async () => {
    const startedAt = Date.now();
    sink = await startSink(() => ({ status: 200, delayMs: 5 }));
    api = await startPagedApi();
    for (let i = 0; i < 6; i++) api.put(`p${i}`, 1);
    dir = mkdtempSync(join(tmpdir(), 'manifold-three-'));
    schema = `three_${randomBytes(6).toString('hex')}`;
    const store = `{ postgres: ${JSON.stringify(TEST_POSTGRES_URL)}, schema: ${schema} }`;
    const ports = await freePorts(3);
    const configs = ports.map((port, i) => {
      const file = join(dir as string, `manifold-${i}.yaml`);
      writeFileSync(
        file,
        clusterConfigYaml({ store, port, receiver: (sink as Sink).url, pollApi: (api as PagedApi).url }),
      );
      return file;
    });
    // The first migrates; the other two start on the migrated schema.
    const start = (file: string) => startHubProcess(file);
    const started = [await start(configs[0] as string)];
    started.push(...(await Promise.all(configs.slice(1).map(start))));
    hubs.push(...started);
    const startupMs = Date.now() - startedAt;
    const bases = ports.map((port) => `http://127.0.0.1:${port}`);

    // Stock: plenty for orders, STORM_UNITS for the storm.
    const deadline = () => Date.now() + PATIENCE_MS;
    for (const c of [countCall(ORDER_SKU, 10_000), countCall(STORM_SKU, STORM_UNITS)])
      expect(await settleSpread(bases, 0, c, deadline())).toBe(true);
    await until(async () => {
      const view = await adminGet<{ positions?: { available: number }[] }>(
        bases,
        `/v1/inventory/${STORM_SKU}`,
      );
      return view.positions?.[0]?.available === STORM_UNITS;
    }, 'the storm SKU stocked');

    // The victim: the process holding the poller's lease.
    let victimIndex = -1;
    await until(async () => {
      const holder = leaseHolders(await adminGet<ClusterView>(bases, '/v1/cluster')).get(POLLER_LEASE);
      victimIndex = started.findIndex((h) => h.process.pid === holder);
      return victimIndex >= 0;
    }, 'a process holding the poller lease');
    const victim = started[victimIndex] as HubProcess;
    const victimPid = victim.process.pid as number;
    const epochBefore = await leaseEpoch(POLLER_LEASE);

    // The load, spread over the three processes; the victim is killed in its middle.
    const ingest = Array.from({ length: INGESTED }, (_, n) => ingestCall(n));
    const orders = Array.from({ length: ORDERS }, (_, n) => orderCall(n));
    const holds = Array.from({ length: HOLDS }, (_, n) => reserveCall(n));
    const send = (calls: Call[], concurrency: number) =>
      pool(
        calls.map((c, n) => () => settleSpread(bases, n % bases.length, c, deadline())),
        concurrency,
      );
    const load = Promise.all([send(ingest, 12), send(orders, 4), send(holds, 12)]);
    await until(
      () => ingest.filter((c) => c.answer).length >= INGESTED / 4,
      'a quarter of the events',
      90_000,
    );
    // New items for the poller, taken by whichever process holds its lease.
    for (let i = 6; i < 12; i++) api.put(`p${i}`, 1);
    const claimedAtKill = await claimedBy(TEST_POSTGRES_URL, schema, victimPid);
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    hubs.splice(hubs.indexOf(victim), 1);
    const survivors = bases.filter((_, i) => i !== victimIndex);

    // Failover: the poller's lease (another live process, a new epoch), then the victim's claimed rows.
    let pollerMovedMs = -1;
    await until(
      async () => {
        const holder = leaseHolders(await adminGet<ClusterView>(survivors, '/v1/cluster')).get(POLLER_LEASE);
        if (holder === undefined || holder === victimPid) return false;
        pollerMovedMs = Date.now() - killedAt;
        return true;
      },
      'the poller lease taken over',
      20_000,
    );
    expect(await leaseEpoch(POLLER_LEASE)).toBeGreaterThan(epochBefore);
    const restartAfterMs = 8000;
    const restart = (async () => {
      await sleep(Math.max(0, killedAt + restartAfterMs - Date.now()));
      const again = await start(configs[victimIndex] as string);
      hubs.push(again);
      return Date.now() - killedAt;
    })();
    let claimsMovedMs = claimedAtKill === 0 ? 0 : -1;
    const claimsWatch = (async () => {
      for (const giveUp = killedAt + 100_000; claimsMovedMs < 0 && Date.now() < giveUp; await sleep(200)) {
        if ((await claimedBy(TEST_POSTGRES_URL, schema as string, victimPid)) === 0)
          claimsMovedMs = Date.now() - killedAt;
      }
    })();
    const answered = await load;
    const restartedAfterMs = await restart;
    expect(answered.every(Boolean), 'every call got a definite answer').toBe(true);

    // Holds: exactly the stock granted, the rest refused; the position agrees.
    const granted = holds.filter((c) => c.answer?.status === 201);
    const refused = holds.filter(
      (c) => c.answer?.status === 409 && String(c.answer.body.type).endsWith('/insufficient-stock'),
    );
    expect(granted).toHaveLength(STORM_UNITS);
    expect(refused).toHaveLength(HOLDS - STORM_UNITS);
    expect(new Set(granted.map((c) => c.answer?.body.id)).size).toBe(STORM_UNITS);
    const storm = await adminGet<{ positions: { buckets: Record<string, number>; available: number }[] }>(
      bases,
      `/v1/inventory/${STORM_SKU}`,
    );
    expect(storm.positions[0]?.buckets.reserved).toBe(STORM_UNITS);
    expect(storm.positions[0]?.available).toBe(0);

    // Orders: every one answered 201 exists once.
    expect(orders.every((c) => c.answer?.status === 201)).toBe(true);
    for (const c of ingest) expect([200, 202]).toContain(c.answer?.status);

    // Deliveries: wait for the receiver to have every logged event of each subscription.
    await claimsWatch;
    let log: LoggedEvent[] = [];
    const wantedOf = (events: LoggedEvent[]) => ({
      adjustments: events.filter((e) => e.event.type === 'com.manifold.inventory.adjusted.v1'),
      orders: events.filter((e) => e.event.type.startsWith('com.manifold.order.') && e.system !== 'erp'),
    });
    const pending = async () => {
      log = await readWholeLog(bases.filter((_, i) => i !== victimIndex));
      const wanted = wantedOf(log);
      const received = (sink as Sink).received;
      return (
        checkPath('/adjustments', received, wanted.adjustments).missing.length +
        checkPath('/orders', received, wanted.orders).missing.length
      );
    };
    await until(async () => (await pending()) === 0, 'every logged event delivered', 60_000, 500);
    const wanted = wantedOf(log);
    const adjustments = checkPath('/adjustments', sink.received, wanted.adjustments);
    const orderNews = checkPath('/orders', sink.received, wanted.orders);

    // Nothing acknowledged lost, nothing applied twice.
    const ids = log.map((e) => `${e.event.source}\n${e.event.id}`);
    expect(new Set(ids).size).toBe(ids.length);
    const logged = new Set(ids);
    const lost = ingest.filter((c) => !logged.has(`/wms-east\n${(c.body as { id: string }).id}`));
    expect(lost.map((c) => c.label)).toEqual([]);
    const polled = log.filter((e) => e.event.id.startsWith('adj-p'));
    expect(polled.map((e) => e.event.id).sort()).toEqual(
      api.records.map((r) => `adj-${r.id}-${r.updated_at}`).sort(),
    );
    const accepted = log.filter((e) => e.event.type === 'com.manifold.order.accepted.v1');
    expect(accepted.map((e) => e.event.subject).sort()).toEqual(
      orders.map((c) => (c.body as { orderId: string }).orderId).sort(),
    );
    for (const report of [adjustments, orderNews]) {
      expect(report.missing, `${report.path}: missing`).toEqual([]);
      expect(report.outOfOrder, `${report.path}: out of order`).toEqual([]);
    }
    const view = await adminGet<ClusterView>(survivors, '/v1/cluster');
    // Dead, or already forgotten: its restart on the same address declared it gone.
    expect(view.processes.find((p) => p.pid === victimPid)?.status).not.toBe('alive');
    // Within its lease time, plus the survivors' next try (every second) and the time to read the view.
    expect(pollerMovedMs).toBeLessThanOrEqual(POLLER_LEASE_MS + 3000);

    const figures = {
      processes: 3,
      killedPid: victimPid,
      events: INGESTED,
      polled: polled.length,
      orders: ORDERS,
      holds: { asked: HOLDS, granted: granted.length, refused: refused.length },
      delivered: { adjustments: adjustments.expected, orders: orderNews.expected },
      redeliveries: adjustments.redeliveries + orderNews.redeliveries,
      resends: [...ingest, ...orders, ...holds].reduce((n, c) => n + c.sends - 1, 0),
      failover: {
        pollerLeaseMovedMs: pollerMovedMs,
        claimedRowsAtKill: claimedAtKill,
        claimedRowsMovedMs: claimsMovedMs,
        restartedAfterMs,
      },
      startupMs,
      runMs: Date.now() - startedAt,
    };
    console.log(`three processes: ${JSON.stringify(figures)}`);
    expect(claimsMovedMs).toBeGreaterThanOrEqual(0);
  });
});

/** The stored epoch of lease `name` (read straight from the schema). */
async function leaseEpoch(name: string): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ epoch: string }>(
      `SELECT epoch FROM "${schema}".leases WHERE name = $1`,
      [name],
    );
    return Number(rows[0]?.epoch ?? 0);
  } finally {
    await client.end();
  }
}

/** Polls `condition` every `everyMs` until it holds; fails naming `what` after `timeoutMs`. */
async function until(
  condition: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<void> {
  const giveUp = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // a process that is not up (yet): asked again
    }
    if (Date.now() > giveUp) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
