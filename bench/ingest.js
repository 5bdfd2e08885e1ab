#!/usr/bin/env node
// Ingest benchmark (docs/benchmarks.md). Each figure is measured beside its baseline in the same run:
//   single events over 32 connections   vs  a bare node:http server answering 202 (the box's HTTP limit)
//   batches of 100 over 32 connections  vs  a raw better-sqlite3 loop writing the same rows
//                                           (event + outbox rows, synchronous=FULL, 100 per transaction)
// Usage: npm run bench:ingest [-- --seconds 10 --connections 32]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { readMigrations } from '../dist/store/migration-files.js';
import { THROUGHPUT_PRAGMAS } from '../dist/store/sqlite/sqlite-store.js';
import { machine, startProcess, stop } from './support.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '32' } },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const BATCH = 100;
const ROOT = new URL('..', import.meta.url).pathname;
const KEY = 'bench-wms-key-000000000001';
const dir = mkdtempSync(join(tmpdir(), 'manifold-bench-'));

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
async function load(url, path, headers, body) {
  await run(url, path, headers, body, Math.max(2, Math.round(SECONDS / 3)));
  return run(url, path, headers, body, SECONDS);
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

function rawSqliteLoop(seconds) {
  const db = new Database(join(dir, 'raw.db'));
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
  const batches = Array.from({ length: 200 }, () => Array.from({ length: BATCH }, event));
  let written = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(seconds * 1e9);
  while (process.hrtime.bigint() < deadline) {
    // Fresh ids for each pass so that every row is a real insert, as in the hub.
    const batch = batches[(written / BATCH) % batches.length].map((e) => ({
      ...e,
      id: `raw-${written}-${e.id}`,
    }));
    writeBatch(batch);
    written += BATCH;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return written / elapsed;
}

console.log(`machine: ${machine()}\nload: ${CONNECTIONS} connections, ${SECONDS} s per run\n`);

try {
  const bare = await startProcess(dir, process.execPath, ['-e', BARE_SERVER], /listening (\S+)/);
  const single = () => JSON.stringify(event());
  const headers = { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEY}` };
  const bareSingle = await load(bare.url, '/v1/events', headers, single);
  await stop(bare.child);

  const hub = await startProcess(
    dir,
    join(ROOT, 'bin/manifold'),
    ['serve', '--config', join(dir, 'bench.yaml')],
    /"url":"([^"]+)"/,
  );
  const hubSingle = await load(hub.url, '/v1/events', headers, single);
  const batchHeaders = { ...headers, 'content-type': 'application/cloudevents-batch+json' };
  const batchBody = () => JSON.stringify(Array.from({ length: BATCH }, event));
  const hubBatch = await load(hub.url, '/v1/events', batchHeaders, batchBody);
  await stop(hub.child);

  const rawRows = rawSqliteLoop(SECONDS);
  const hubBatchEvents = hubBatch.rps * BATCH;
  const rows = [
    ['single event, bare node:http 202', bareSingle.rps, bareSingle, ''],
    ['single event, hub (fsync on)', hubSingle.rps, hubSingle, (hubSingle.rps / bareSingle.rps).toFixed(2)],
    ['batch of 100, raw better-sqlite3 loop', rawRows, undefined, ''],
    ['batch of 100, hub (fsync on)', hubBatchEvents, hubBatch, (hubBatchEvents / rawRows).toFixed(2)],
  ];
  console.log('| run | events/s | p50 ms | p99 ms | ratio to baseline |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, rate, latency, ratio] of rows) {
    console.log(
      `| ${name} | ${Math.round(rate).toLocaleString('en-US')} | ${latency ? latency.p50 : '–'} | ${latency ? latency.p99 : '–'} | ${ratio || 'baseline'} |`,
    );
  }
  console.log(`\ntargets: single ≥ 0.35× bare, batched ≥ 0.6× raw loop`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
