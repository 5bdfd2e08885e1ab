#!/usr/bin/env node
// Cluster benchmark (docs/benchmarks.md, docs/scaling.md): 1, 2 and 3 `bin/manifold serve` processes on one
// PostgreSQL schema, beside one process on the embedded SQLite store, in one run. For each:
//   ingest, single events   autocannon, CONNECTIONS connections split evenly over the processes
//   ingest, batches of 100  the same, each request a batch of 100 events
//   fan-out                 a backlog of EVENTS events × 2 subscriptions written to the store, then drained
//                           by the processes to two local receivers (bench/sink-server.js); the rate is
//                           taken between 10 % and 90 % of the deliveries, so process start-up is not in it
// Each figure is reported as a ratio to the 1-process PostgreSQL figure. While each load runs, the bench
// samples pg_stat_activity (the hubs' connections only, by application_name) for what their backends wait
// on, and reads the CPU seconds each hub process and its PostgreSQL backends used.
// Usage: npm run bench:cluster [-- --seconds 6 --connections 32 --events 6000 --processes 1,2,3 --cpu 1]
//   --cpu LIST   pins every hub process to these cores (taskset -c LIST): the hubs then share a fixed CPU
//                budget whatever their number, so a drop with more processes is contention, not CPU
//   env: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test),
//        BENCH_HUB_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the hubs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { PostgresStore } from '../dist/store/postgres/postgres-store.js';
import { SqliteStore } from '../dist/store/sqlite/sqlite-store.js';
import { cpuSeconds, machine, startHub, startProcess, stop } from './support.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '6' },
    connections: { type: 'string', default: '32' },
    events: { type: 'string', default: '6000' },
    processes: { type: 'string', default: '1,2,3' },
    cpu: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const EVENTS = Number(values.events);
const COUNTS = values.processes.split(',').map(Number);
const CONCURRENCY = Number(values.concurrency);
const BATCH = 100;
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = new URL('..', import.meta.url).pathname;
const KEY = 'bench-wms-key-000000000001';
const APP = `manifold-bench-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'manifold-cluster-'));
const schemas = [];

function config(name, store, sinkA, sinkB) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `
store: ${store}
server: { host: 127.0.0.1, port: 0, adminKey: bench-admin-key-00000000001, bodyLimit: 4mb }
systems:
  erp: { kind: erp, key: bench-erp-key-000000000001 }
  portal: { kind: commerce, key: bench-portal-key-0000000001, channel: b2b }
  wms-east: { kind: wms, key: ${KEY}, locations: [DC-EAST] }
locations: { DC-EAST: { channels: [b2b] } }
channels: { b2b: {} }
ownership: { inventory.on_hand: [wms-east] }
subscriptions:
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.*]
    http: { url: "${sinkA}/erp" }
    rateLimit: { perSecond: 1000000, concurrency: ${CONCURRENCY} }
  - name: portal-inventory
    target: portal
    types: [com.manifold.inventory.*]
    http: { url: "${sinkB}/portal" }
    rateLimit: { perSecond: 1000000, concurrency: ${CONCURRENCY} }
`,
  );
  return file;
}

/** A fresh schema on the bench database; its store line for the config (application_name tags it). */
function pgStore(name) {
  const schema = `bench_cluster_${process.pid}_${name}`;
  schemas.push(schema);
  return { schema, line: `{ postgres: "${PG_URL}?application_name=${APP}", schema: ${schema} }` };
}

let counter = 0;
function event() {
  counter += 1;
  const key = `SKU-${counter % 500}@DC-EAST`;
  return {
    specversion: '1.0',
    id: `cluster-${process.pid}-${counter}`,
    source: '/wms-east',
    type: 'com.manifold.inventory.adjusted.v1',
    time: new Date().toISOString(),
    correlationid: `corr-${counter}`,
    subject: key,
    partitionkey: key,
    data: { sku: `SKU-${counter % 500}`, location: 'DC-EAST', delta: 1, reason: 'cycle_count' },
  };
}

async function startHubs(file, count) {
  const cpu = values.cpu;
  // One after the other: processes starting at the same instant on one schema have been seen to fail
  // their start-up (a relation reported missing), which is not what this bench measures.
  const hubs = [];
  for (let i = 0; i < count; i += 1) {
    // A loaded machine can take long to start a process: 90 s before giving up.
    hubs.push(await startHub(dir, file, { timeoutMs: 90_000, ...(cpu ? { cpu } : {}) }));
  }
  return hubs;
}

/** Samples what the hubs' PostgreSQL backends wait on, every 50 ms, until stopped. */
function waitSampler(admin) {
  const counts = new Map();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await admin.query(
        `SELECT COALESCE(wait_event_type || ':' || wait_event, 'CPU')
                || CASE WHEN wait_event_type = 'Lock' THEN ' (' || left(regexp_replace(query, '\\s+', ' ', 'g'), 40) || '…)' ELSE '' END
                AS wait, count(*)::int AS n
         FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' GROUP BY 1`,
        [APP],
      );
      samples += 1;
      for (const row of rows) counts.set(row.wait, (counts.get(row.wait) ?? 0) + row.n);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return async () => {
    running = false;
    await loop;
    // Average number of backends in each state: 1.0 means one backend was there all the time.
    return [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([wait, n]) => `${wait} ${(n / samples).toFixed(1)}`)
      .join(', ');
  };
}

/** CPU seconds used so far by the hub processes and by the PostgreSQL backends serving them. */
async function cpuNow(admin, hubs) {
  const hubCpu = hubs.map((hub) => safeCpu(hub.child.pid));
  if (!admin) return { hubCpu, pgCpu: 0 };
  const { rows } = await admin.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [APP]);
  return { hubCpu, pgCpu: rows.reduce((sum, row) => sum + safeCpu(row.pid), 0), pids: rows.length };
}

function safeCpu(pid) {
  try {
    return cpuSeconds(pid);
  } catch {
    return 0;
  }
}

/** Runs the same load against every hub at once (connections split over them); summed requests/s. */
async function load(hubs, headers, body, seconds) {
  const per = Math.max(1, Math.round(CONNECTIONS / hubs.length));
  const results = await Promise.all(
    hubs.map((hub) =>
      autocannon({
        url: `${hub.url}/v1/events`,
        connections: per,
        duration: seconds,
        method: 'POST',
        headers,
        requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }],
      }),
    ),
  );
  const bad = results.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0);
  if (bad > 0) throw new Error(`${bad} failed requests`);
  return {
    // Completed requests over the run's length: the per-second average reads 0 when requests take longer.
    rps: results.reduce((sum, r) => sum + r.requests.total / r.duration, 0),
    p99: Math.max(...results.map((r) => r.latency.p99)),
  };
}

/** Warm-up (unmeasured), then a measured run with wait-event sampling and CPU accounting. */
async function measuredLoad(admin, hubs, headers, body, perRequest) {
  await load(hubs, headers, body, Math.max(2, Math.round(SECONDS / 3)));
  const before = await cpuNow(admin, hubs);
  const stopSampling = admin ? waitSampler(admin) : async () => '';
  const started = performance.now();
  const result = await load(hubs, headers, body, SECONDS);
  const elapsed = (performance.now() - started) / 1000;
  const waits = await stopSampling();
  const after = await cpuNow(admin, hubs);
  return {
    rate: result.rps * perRequest,
    p99: result.p99,
    waits,
    hubCpu: after.hubCpu.map((c, i) => (c - (before.hubCpu[i] ?? 0)) / elapsed),
    pgCpu: (after.pgCpu - before.pgCpu) / elapsed,
  };
}

const startSink = () =>
  startProcess(dir, process.execPath, [join(ROOT, 'bench/sink-server.js')], /listening (\S+)/);
const sinkCount = async (sink) => (await (await fetch(`${sink.url}/stats`)).json()).count;

/** Writes the backlog straight into the store, as ingest would: the event and one outbox row per sink. */
async function preload(store) {
  await store.migrate();
  for (let i = 0; i < EVENTS; i += 1000) {
    await store.append(
      Array.from({ length: Math.min(1000, EVENTS - i) }, () => ({
        system: 'wms-east',
        event: event(),
        outbox: [
          { subscription: 'erp-inventory', target: 'erp' },
          { subscription: 'portal-inventory', target: 'portal' },
        ],
      })),
    );
  }
  await store.close();
}

/** Drains the preloaded backlog with `count` processes; deliveries/s between 10 % and 90 %. */
async function fanout(admin, name, storeLine, makeStore, count, sinks) {
  progress(`${name}: fan-out`);
  const base = (await sinkCount(sinks[0])) + (await sinkCount(sinks[1]));
  const total = 2 * EVENTS;
  const file = config(name, storeLine, sinks[0].url, sinks[1].url);
  // SQLite: the backlog is written before its one process starts. PostgreSQL: the processes start first,
  // then the backlog is written, so that every process is there when it appears (a process starting
  // while the others drain would start late and slowly on a loaded machine).
  let hubs;
  if (count === 1 && !admin) {
    await preload(makeStore());
    hubs = await startHubs(file, count);
  } else {
    const store = makeStore();
    await store.migrate();
    hubs = await startHubs(file, count);
    await preload(store);
  }
  const before = await cpuNow(admin, hubs);
  const stopSampling = admin ? waitSampler(admin) : async () => '';
  let low;
  let high;
  const deadline = performance.now() + 120_000;
  try {
    while (!high) {
      if (performance.now() > deadline) throw new Error(`${name}: backlog not drained in 120 s`);
      const delivered = (await sinkCount(sinks[0])) + (await sinkCount(sinks[1])) - base;
      const now = performance.now();
      if (!low && delivered >= total * 0.1) low = { delivered, now };
      if (low && delivered >= total * 0.9) high = { delivered, now };
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const elapsed = (high.now - low.now) / 1000;
    const waits = await stopSampling();
    const after = await cpuNow(admin, hubs);
    // CPU over the whole drain (start-up included), per second of the 10–90 % window: an upper bound.
    return {
      rate: (high.delivered - low.delivered) / elapsed,
      waits,
      hubCpu: after.hubCpu.map((c, i) => (c - (before.hubCpu[i] ?? 0)) / elapsed),
      pgCpu: (after.pgCpu - before.pgCpu) / elapsed,
    };
  } finally {
    await Promise.all(hubs.map((hub) => kill(hub.child)));
  }
}

async function ingest(admin, name, storeLine, count) {
  progress(`${name}: ingest`);
  const file = config(name, storeLine, 'http://127.0.0.1:9', 'http://127.0.0.1:9');
  const hubs = await startHubs(file, count);
  try {
    const headers = { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEY}` };
    const single = await measuredLoad(admin, hubs, headers, () => JSON.stringify(event()), 1);
    const batchHeaders = { ...headers, 'content-type': 'application/cloudevents-batch+json' };
    const batchBody = () => JSON.stringify(Array.from({ length: BATCH }, event));
    const batch = await measuredLoad(admin, hubs, batchHeaders, batchBody, BATCH);
    return { single, batch };
  } finally {
    await Promise.all(hubs.map((hub) => kill(hub.child)));
  }
}

/**
 * Ends a hub at once (SIGKILL): a graceful stop waits for the fact applier to work off the ingested
 * backlog, which is not what is measured and would run into the next configuration.
 */
async function kill(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Progress on stderr, so that stdout holds only the results. */
const progress = (text) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const cpuText = (m) =>
  `${m.hubCpu.map((c) => c.toFixed(2)).join(' + ')}${m.pgCpu ? ` / pg ${m.pgCpu.toFixed(2)}` : ''}`;

const load0 = loadavg();
console.log(
  `machine: ${machine()}\nload average at start: ${load0.map((l) => l.toFixed(2)).join(', ')}\n` +
    `ingest: ${CONNECTIONS} connections split over the processes, ${SECONDS} s per run; fan-out: ` +
    `${fmt(EVENTS)} events × 2 subscriptions, concurrency ${CONCURRENCY}${values.cpu ? `; hubs pinned to cpu ${values.cpu}` : ''}\n`,
);

const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
const sinks = [await startSink(), await startSink()];
const rows = [];
try {
  {
    const sqliteFile = (name) => join(dir, `${name}.db`);
    const result = await ingest(
      undefined,
      'sqlite-ingest',
      `{ sqlite: "${sqliteFile('sqlite-ingest')}" }`,
      1,
    );
    const fan = await fanout(
      undefined,
      'sqlite-fanout',
      `{ sqlite: "${sqliteFile('sqlite-fanout')}" }`,
      () => new SqliteStore({ path: sqliteFile('sqlite-fanout') }),
      1,
      sinks,
    );
    rows.push({ name: '1 process, SQLite', ...result, fan });
  }
  for (const count of COUNTS) {
    const ingestStore = pgStore(`i${count}`);
    const result = await ingest(admin, `pg-ingest-${count}`, ingestStore.line, count);
    const fanStore = pgStore(`f${count}`);
    const fan = await fanout(
      admin,
      `pg-fanout-${count}`,
      fanStore.line,
      () => new PostgresStore({ url: PG_URL, schema: fanStore.schema }),
      count,
      sinks,
    );
    rows.push({ name: `${count} process${count > 1 ? 'es' : ''}, PostgreSQL`, count, ...result, fan });
  }
  const one = rows.find((r) => r.count === 1) ?? rows[1];
  const ratio = (value, base) => (base ? `${(value / base).toFixed(2)}×` : '–');
  console.log(
    '| store, processes | single events/s (p99 ms) | ratio | batches of 100, events/s | ratio | fan-out deliveries/s | ratio |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.name} | ${fmt(r.single.rate)} (${r.single.p99}) | ${ratio(r.single.rate, one.single.rate)} | ` +
        `${fmt(r.batch.rate)} | ${ratio(r.batch.rate, one.batch.rate)} | ${fmt(r.fan.rate)} | ${ratio(r.fan.rate, one.fan.rate)} |`,
    );
  }
  console.log(
    '\nCPU (cores busy: each hub process / its PostgreSQL backends) and PostgreSQL wait events (mean backends):',
  );
  for (const r of rows) {
    for (const [part, m] of [
      ['single', r.single],
      ['batch', r.batch],
      ['fan-out', r.fan],
    ]) {
      console.log(`- ${r.name}, ${part}: cpu ${cpuText(m)}${m.waits ? `; waits ${m.waits}` : ''}`);
    }
  }
  const load1 = loadavg();
  console.log(`\nload average at end: ${load1.map((l) => l.toFixed(2)).join(', ')}`);
} finally {
  await Promise.all(sinks.map((sink) => stop(sink.child)));
  for (const schema of schemas)
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
