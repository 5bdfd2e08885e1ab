#!/usr/bin/env node
// Ingest benchmark (docs/benchmarks.md). Each figure is measured beside its baselines in the same run:
//   single events over 32 connections   vs  min(a bare node:http server answering 202 (the box's HTTP
//                                           limit), a raw better-sqlite3 loop writing one event's rows,
//                                           32 events per transaction: one fsync per 32 events)
//   batches of 100 over 32 connections  vs  a raw better-sqlite3 loop writing the same rows
//                                           (event + outbox rows, synchronous=FULL, 100 per transaction)
// Usage: npm run bench:ingest [-- --seconds 10 --connections 32]
//   env: BENCH_ONLY=single|batch (one part only),
//        BENCH_HUB_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the hub, not the driver.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { readMigrations } from '../dist/store/migration-files.js';
import { THROUGHPUT_PRAGMAS } from '../dist/store/sqlite/sqlite-store.js';
import { cpuSeconds, machine, startHub, startProcess, stop } from './support.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' } },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const BATCH = 100;
const KEY = 'bench-wms-key-000000000001';
const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-'));
const only = process.env.BENCH_ONLY; // single | batch

const config = `
store: { sqlite: "${join(dir, 'hub.db')}" }
server: { host: 127.0.0.1, port: 0, adminKey: bench-admin-key-00000000001, bodyLimit: 4mb }
systems:
  erp: { kind: erp, key: bench-erp-key-000000000001 }
  portal: { kind: commerce, key: bench-portal-key-0000000001, channel: b2b }
  wms-east: { kind: wms, key: ${KEY}, locations: [DC-EAST] }
locations: { DC-EAST: { channels: [b2b] } }
channels: { b2b: {} }
ownership: { inventory.on_hand: [wms-east] }
subscriptions:
  - { name: erp-inventory, target: erp, types: [com.manifold.inventory.*], http: { url: "http://127.0.0.1:9/erp" } }
  - { name: portal-inventory, target: portal, types: [com.manifold.inventory.*], http: { url: "http://127.0.0.1:9/portal" } }
`;
writeFileSync(join(dir, 'bench.yaml'), config);

let counter = 0;
function event() {
  counter += 1;
  return {
    specversion: '1.0',
    id: `bench-${counter}`,
    source: '/wms-east',
    type: 'com.manifold.inventory.adjusted.v1',
    time: new Date().toISOString(),
    correlationid: `corr-${counter}`,
    data: { sku: `SKU-${counter % 500}`, location: 'DC-EAST', delta: 1, reason: 'cycle_count' },
  };
}

/** Runs the load; a first, shorter, unmeasured run warms the server (JIT) as a running hub would be. */
async function load(url, path, headers, body, pid) {
  await run(url, path, headers, body, Math.max(2, Math.round(SECONDS / 3)));
  const cpuBefore = pid ? cpuSeconds(pid) : 0;
  const result = await run(url, path, headers, body, SECONDS);
  // The server's CPU time per request (all its threads): steadier than throughput on a shared machine.
  if (pid) result.cpuMs = ((cpuSeconds(pid) - cpuBefore) * 1000) / (result.rps * SECONDS);
  return result;
}

async function run(url, path, headers, body, seconds) {
  const result = await autocannon({
    url: url + path,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    headers,
    requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }],
  });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${bad} failed requests against ${url}${path}`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

const BARE_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(202, { 'content-type': 'application/json' }); res.end('{"status":"accepted"}'); });
});
server.listen(0, '127.0.0.1', () => console.log('listening http://127.0.0.1:' + server.address().port));
`;

/** Runs the raw loop with `perTransaction` events per transaction (one fsync each); events/s. */
function rawSqliteLoop(seconds, perTransaction, name) {
  const db = new Database(join(dir, `${name}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  for (const pragma of THROUGHPUT_PRAGMAS) db.pragma(pragma);
  // The same schema as the hub's: every migration.
  for (const migration of readMigrations('sqlite')) db.exec(migration.sql);
  const insertEvent = db.prepare(
    `INSERT INTO events (source, id, type, subject, correlationid, system, ingested_at, envelope)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO NOTHING RETURNING seq`,
  );
  const insertOutbox = db.prepare(
    'INSERT INTO outbox (subscription, target, event_seq, partition_key, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const writeBatch = db.transaction((events) => {
    const at = new Date().toISOString();
    for (const e of events) {
      const key = `${e.data.sku}@${e.data.location}`;
      const { seq } = insertEvent.get(
        e.source,
        e.id,
        e.type,
        key,
        e.correlationid,
        'wms-east',
        at,
        JSON.stringify(e),
      );
      insertOutbox.run('erp-inventory', 'erp', seq, key, at);
      insertOutbox.run('portal-inventory', 'portal', seq, key, at);
    }
  });
  // Events are made before the clock starts: the loop measures the store, not the generator.
  const batches = Array.from({ length: 200 }, () => Array.from({ length: perTransaction }, event));
  let written = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < deadline) {
    // Fresh ids for each pass so that every row is a real insert, as in the hub.
    const batch = batches[(written / perTransaction) % batches.length].map((e) => ({
      ...e,
      id: `raw-${written}-${e.id}`,
    }));
    writeBatch(batch);
    written += perTransaction;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return written / elapsed;
}

const startBenchHub = () => startHub(dir, join(dir, 'bench.yaml'));

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const row = (name, rate, latency, ratio) =>
  console.log(
    `| ${name} | ${fmt(rate)} | ${latency ? latency.p50 : '–'} | ${latency ? latency.p99 : '–'} | ${ratio || 'baseline'} |`,
  );

console.log(`machine: ${machine()}\nload: ${CONNECTIONS} connections, ${SECONDS} s per run\n`);

try {
  const headers = { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEY}` };
  const single = () => JSON.stringify(event());
  let bareSingle;
  if (only !== 'batch') {
    const bare = await startProcess(dir, process.execPath, ['-e', BARE_SERVER], /listening (\S+)/);
    bareSingle = await load(bare.url, '/v1/events', headers, single, bare.child.pid);
    await stop(bare.child);
  }
  // The raw loops are bound by the host's fsync latency, which drifts within minutes: the grouped one
  // runs half before and half after the hub and counts both halves.
  const grouped = [];
  if (only !== 'batch') grouped.push(rawSqliteLoop(SECONDS / 2, CONNECTIONS, 'raw-grouped-before'));

  const hub = await startBenchHub();
  let hubSingle;
  let hubBatch;
  try {
    if (only !== 'batch') hubSingle = await load(hub.url, '/v1/events', headers, single, hub.child.pid);
    if (only !== 'single') {
      const batchHeaders = { ...headers, 'content-type': 'application/cloudevents-batch+json' };
      const batchBody = () => JSON.stringify(Array.from({ length: BATCH }, event));
      hubBatch = await load(hub.url, '/v1/events', batchHeaders, batchBody, hub.child.pid);
    }
  } finally {
    await stop(hub.child);
  }
  if (only !== 'batch') grouped.push(rawSqliteLoop(SECONDS / 2, CONNECTIONS, 'raw-grouped-after'));

  console.log('| run | events/s | p50 ms | p99 ms | ratio to baseline |');
  console.log('|---|---:|---:|---:|---:|');
  if (hubSingle) {
    const raw = (grouped[0] + grouped[1]) / 2;
    const limit = Math.min(bareSingle.rps, raw);
    row('single event, bare node:http 202', bareSingle.rps, bareSingle);
    row(
      `single event, raw better-sqlite3, ${CONNECTIONS} events per fsync (before ${fmt(grouped[0])}, after ${fmt(grouped[1])})`,
      raw,
    );
    row(
      'single event, hub (fsync on)',
      hubSingle.rps,
      hubSingle,
      `${(hubSingle.rps / limit).toFixed(2)} of the lower limit (${(hubSingle.rps / bareSingle.rps).toFixed(2)} of bare)`,
    );
  }
  if (hubBatch) {
    const rawRows = rawSqliteLoop(SECONDS, BATCH, 'raw-batch');
    const hubBatchEvents = hubBatch.rps * BATCH;
    row('batch of 100, raw better-sqlite3 loop', rawRows);
    row('batch of 100, hub (fsync on)', hubBatchEvents, hubBatch, (hubBatchEvents / rawRows).toFixed(2));
  }
  const cpu = (r) => (r?.cpuMs === undefined ? '–' : `${(r.cpuMs * 1000).toFixed(0)} µs`);
  console.log(
    `\nCPU per request (server process, all threads): bare ${cpu(bareSingle)}, hub single ${cpu(hubSingle)}, hub batch of ${BATCH} ${cpu(hubBatch)}`,
  );
  console.log(`\ntargets: single ≥ 0.5× min(bare, raw ${CONNECTIONS} per fsync), batched ≥ 0.6× raw loop`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
