#!/usr/bin/env node
// Reservation benchmark (docs/benchmarks.md), each figure beside its baseline in the same run:
//  1. throughput: 32 connections each looping `POST /v1/reservations` (1 unit of one hot SKU) against the
//     hub (real process, SQLite with fsync on), beside a raw better-sqlite3 loop doing the same durable
//     work per reservation (conditional position update, reservation and line rows, ledger row, outbox
//     row), once in one fsync'd transaction each and once 32 reservations per transaction (one fsync per
//     32, as group commit can at best), each run for half the time before the hub and half after, and
//     beside a bare node:http server answering 201 (the box's HTTP limit). The hub's figure is also given
//     as a ratio to min(bare HTTP, raw 32 per fsync): the lower of the two limits;
//  2. storm: a fresh hub, a SKU with exactly 500 units, 2,000 one-unit requests over 64 connections:
//     exactly 500 must answer 201 and 1,500 answer 409 insufficient-stock, and the position must end at
//     reserved = 500, available = 0. Prints PASS/FAIL; exits 1 on FAIL.
// Usage: npm run bench:reserve [-- --seconds 10 --warmup 2 --connections 32]
//   env: BENCH_SECONDS, BENCH_WARMUP, BENCH_CONNECTIONS (defaults of the options above),
//        BENCH_ONLY=throughput|storm (one part only),
//        BENCH_HUB_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the hub, not the driver.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { Pool } from 'undici';
import { readMigrations } from '../dist/store/migration-files.js';
import { THROUGHPUT_PRAGMAS } from '../dist/store/sqlite/sqlite-store.js';
import { cpuSeconds, machine, startHub, startProcess, stop } from './support.js';

const env = process.env;
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: env.BENCH_SECONDS ?? '10' },
    warmup: { type: 'string', default: env.BENCH_WARMUP ?? '2' },
    connections: { type: 'string', default: env.BENCH_CONNECTIONS ?? '32' },
  },
});
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const CONNECTIONS = Number(values.connections);
const STORM = { stock: 500, requests: 2000, connections: 64 };
const SHOP_KEY = 'bench-shop-key-00000000001';
const WMS_KEY = 'bench-wms-key-000000000001';
const LOCATION = 'DC-EAST';
const HOT = 'HOT-SKU-1';
const dir = mkdtempSync(join(tmpdir(), 'manifold-reserve-'));
/** Set by any failed check: the process then exits 1. */
let failed = false;

/** A storefront `shop` (channel `web`, no safety stock) and a WMS owning on-hand at a location serving it. */
function config(name) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `
store: { sqlite: "${join(dir, `${name}.db`)}" }
server: { host: 127.0.0.1, port: 0, adminKey: bench-admin-key-00000000001 }
systems:
  shop: { kind: commerce, key: ${SHOP_KEY}, channel: web }
  wms-east: { kind: wms, key: ${WMS_KEY}, locations: [${LOCATION}] }
locations: { ${LOCATION}: { channels: [web] } }
channels: { web: { safetyStock: 0 } }
ownership: { inventory.on_hand: [wms-east] }
subscriptions:
  - name: shop-availability
    target: shop
    types: [com.manifold.inventory.availability.v1]
    http: { url: "http://127.0.0.1:9/shop" }
`,
  );
  return file;
}

const startBenchHub = (name) => startHub(dir, config(name));

const shopHeaders = { authorization: `Bearer ${SHOP_KEY}` };
const reserveBody = (sku) => JSON.stringify({ sku, channel: 'web', quantity: 1, ttlSeconds: 3600 });

/**
 * The position of `sku` at the location, or undefined while the hub does not know it. Read with the
 * warehouse's key: positions are in its read scope, not in the shop's (which reads its channel's ATP).
 */
async function position(url, sku) {
  const response = await fetch(`${url}/v1/inventory/${encodeURIComponent(sku)}`, {
    headers: { authorization: `Bearer ${WMS_KEY}` },
  });
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new Error(`GET /v1/inventory/${sku}: ${response.status}`);
  const view = await response.json();
  return view.positions.find((p) => p.location === LOCATION);
}

/** The WMS counts `onHand` units of `sku`; waits until the fact applier has applied it. */
async function seed(url, sku, onHand) {
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${WMS_KEY}`, 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({
      specversion: '1.0',
      id: `count-${sku}-${Date.now()}`,
      source: '/wms-east',
      type: 'com.manifold.inventory.counted.v1',
      time: new Date().toISOString(),
      data: { sku, location: LOCATION, onHand },
    }),
  });
  if (response.status !== 202) throw new Error(`seeding ${sku}: ${response.status} ${await response.text()}`);
  for (let waited = 0; waited < 20_000; waited += 50) {
    const p = await position(url, sku);
    if (p && p.buckets.on_hand === onHand) return p;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the count of ${sku} was not applied within 20 s`);
}

/** Closed-loop load for `seconds`: 201s and every other answer (a sample of their bodies is kept). */
async function load(url, sku, seconds, pid) {
  const cpuBefore = pid ? cpuSeconds(pid) : 0;
  const other = new Map(); // status → { count, samples }
  const result = await autocannon({
    url: `${url}/v1/reservations`,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    headers: { ...shopHeaders, 'content-type': 'application/json' },
    body: reserveBody(sku),
    requests: [
      {
        onResponse: (status, body) => {
          if (status === 201) return;
          const entry = other.get(status) ?? { count: 0, samples: [] };
          entry.count += 1;
          if (entry.samples.length < 3) entry.samples.push(String(body).slice(0, 300));
          other.set(status, entry);
        },
      },
    ],
  });
  const created = Number(result.statusCodeStats?.['201']?.count ?? 0);
  return {
    // The server's CPU time per 201 (all its threads): steadier than throughput on a shared machine.
    cpuMs: pid ? ((cpuSeconds(pid) - cpuBefore) * 1000) / Math.max(1, created) : undefined,
    created,
    rate: created / result.duration,
    errors: result.errors + result.timeouts,
    other,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

function printOther(label, run) {
  if (run.errors > 0) console.log(`  ${label}: ${run.errors} connection errors/timeouts`);
  for (const [status, { count, samples }] of run.other) {
    console.log(`  ${label}: ${count} answered ${status}, e.g. ${samples.join(' | ')}`);
  }
}

async function hubThroughput() {
  const hub = await startBenchHub('throughput');
  try {
    await seed(hub.url, HOT, 100_000_000);
    const warm = await load(hub.url, HOT, WARMUP); // unmeasured: JIT, caches
    const run = await load(hub.url, HOT, SECONDS, hub.child.pid);
    printOther('warm-up', warm);
    printOther('measured', run);
    // Every 201 must be a unit held. autocannon stops each run with up to one request per connection in
    // flight and drops its answer: the hub still holds those units, so reserved may exceed the 201s by as
    // much as that, never more, never less.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const p = await position(hub.url, HOT);
    const answered = warm.created + run.created;
    const unanswered = p.buckets.reserved - answered;
    const ok = unanswered >= 0 && unanswered <= 2 * CONNECTIONS;
    console.log(
      `  ${ok ? 'ok' : 'MISMATCH'}: position reserved = ${p.buckets.reserved}, 201 answers = ${answered} (${unanswered} in flight when the load stopped)`,
    );
    if (!ok) failed = true;
    return run;
  } finally {
    await stop(hub.child);
  }
}

/**
 * The same durable work per reservation as the hub, written straight with better-sqlite3, one fsync'd
 * transaction each: the conditional update of the position, the reservation and its line, the ledger row
 * and one outbox row (what a subscriber to availability gets).
 */
function rawSqliteLoop(name, seconds, perTransaction = 1) {
  const db = new Database(join(dir, `${name}.db`));
  // The hub's pragmas (sqlite-store.ts and writer-worker.js).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  for (const pragma of THROUGHPUT_PRAGMAS) db.pragma(pragma);
  // The hub's schema: every migration of the build being measured.
  for (const migration of readMigrations('sqlite')) db.exec(migration.sql);

  const at0 = new Date().toISOString();
  db.prepare(
    'INSERT INTO inventory_positions (sku, location, on_hand, version, updated_at) VALUES (?, ?, ?, 1, ?)',
  ).run(HOT, LOCATION, 100_000_000, at0);
  // The outbox rows need an event (FK outbox.event_seq → events.seq): one event row is inserted up front
  // and every outbox row points at it. The hub instead logs the availability events it publishes; the
  // baseline keeps only the outbox insert per reservation.
  const { seq } = db
    .prepare(
      `INSERT INTO events (source, id, type, subject, correlationid, system, ingested_at, envelope)
       VALUES (?, ?, ?, ?, NULL, ?, ?, ?) RETURNING seq`,
    )
    .get(
      '/manifold',
      'availability-0',
      'com.manifold.inventory.availability.v1',
      `${HOT}@web`,
      'manifold',
      at0,
      JSON.stringify({ sku: HOT, channel: 'web', available: 100_000_000 }),
    );

  const reserve = db.prepare(
    `UPDATE inventory_positions SET reserved = reserved + 1, version = version + 1, updated_at = ?
     WHERE sku = ? AND location = ? AND (on_hand - reserved - committed - quarantined - damaged - returned) >= 1
     RETURNING version`,
  );
  const insertReservation = db.prepare(
    `INSERT INTO reservations (id, channel, system, status, reference, order_id, expires_at, created_at)
     VALUES (?, 'web', 'shop', 'open', NULL, NULL, ?, ?)`,
  );
  const insertLine = db.prepare(
    'INSERT INTO reservation_lines (reservation_id, line, sku, location, quantity) VALUES (?, 1, ?, ?, 1)',
  );
  const insertLedger = db.prepare(
    `INSERT INTO inventory_ledger (sku, location, d_reserved, reason, system, document_ref, version, at)
     VALUES (?, ?, 1, 'reservation_created', 'shop', ?, ?, ?)`,
  );
  const insertOutbox = db.prepare(
    'INSERT INTO outbox (subscription, target, event_seq, partition_key, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const reserveWork = () => {
    const now = new Date();
    const at = now.toISOString();
    const row = reserve.get(at, HOT, LOCATION);
    if (!row) throw new Error('raw loop: out of stock');
    // Time-ordered like the hub's ids (reservation-service.ts), so each insert lands in the last leaf.
    const id = `rsv_${now.getTime().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
    insertReservation.run(id, new Date(now.getTime() + 3_600_000).toISOString(), at);
    insertLine.run(id, HOT, LOCATION);
    insertLedger.run(HOT, LOCATION, id, row.version, at);
    insertOutbox.run('shop-availability', 'shop', seq, `${HOT}@web`, at);
  };
  const reserveOne = db.transaction(reserveWork);

  // `perTransaction` reservations in one transaction (one fsync), each its own savepoint-free unit, as
  // the hub's writer thread commits a group.
  const reserveGroup = db.transaction(() => {
    for (let i = 0; i < perTransaction; i += 1) reserveWork();
  });
  let done = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  const unit = perTransaction === 1 ? reserveOne : reserveGroup;
  while (process.hrtime.bigint() < deadline) {
    unit.immediate();
    done += perTransaction;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const { reserved } = db.prepare('SELECT reserved FROM inventory_positions WHERE sku = ?').get(HOT);
  db.close();
  if (reserved !== done) throw new Error(`raw loop: ${done} transactions, reserved = ${reserved}`);
  return { done, elapsed, rate: done / elapsed };
}

// The HTTP limit of the box: a bare node:http server reading the body and answering 201 with a body
// the size of the hub's answer.
const BARE_SERVER = `
const http = require('node:http');
const answer = JSON.stringify({ id: 'rsv_' + 'x'.repeat(30), status: 'open', channel: 'web', reference: null,
  expiresAt: new Date().toISOString(), lines: [{ line: 1, sku: 'HOT-SKU-1', location: 'DC-EAST', quantity: 1 }] });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(201, { 'content-type': 'application/json' }); res.end(answer); });
});
server.listen(0, '127.0.0.1', () => console.log('listening http://127.0.0.1:' + server.address().port));
`;

async function bareThroughput() {
  const bare = await startProcess(dir, process.execPath, ['-e', BARE_SERVER], /listening (\S+)/);
  try {
    await load(bare.url, HOT, WARMUP);
    return await load(bare.url, HOT, SECONDS, bare.child.pid);
  } finally {
    await stop(bare.child);
  }
}

/** 2,000 one-unit requests for 500 units over 64 connections: exactly 500 holds, no oversell. */
async function storm() {
  const hub = await startBenchHub('storm');
  const pool = new Pool(hub.url, { connections: STORM.connections });
  try {
    const sku = 'STORM-SKU-1';
    await seed(hub.url, sku, STORM.stock);
    const body = reserveBody(sku);
    const counts = new Map(); // `${status} ${problem type}` → count
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: STORM.connections }, async () => {
        while (next < STORM.requests) {
          next += 1;
          const response = await pool.request({
            method: 'POST',
            path: '/v1/reservations',
            headers: { ...shopHeaders, 'content-type': 'application/json' },
            body,
          });
          const answer = await response.body.json().catch(() => ({}));
          const key = `${response.statusCode}${answer.type ? ` ${answer.type}` : ''}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }),
    );
    const ms = performance.now() - started;
    const created = counts.get('201') ?? 0;
    let insufficient = 0;
    for (const [key, n] of counts) if (/^409 \S*insufficient-stock$/.test(key)) insufficient += n;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const p = await position(hub.url, sku);
    const checks = [
      [`201 answers = ${STORM.stock}`, created === STORM.stock, created],
      [
        `409 insufficient-stock answers = ${STORM.requests - STORM.stock}`,
        insufficient === STORM.requests - STORM.stock,
        insufficient,
      ],
      [`position reserved = ${STORM.stock}`, p.buckets.reserved === STORM.stock, p.buckets.reserved],
      ['position available = 0', p.available === 0, p.available],
    ];
    return { counts, checks, ms, pass: checks.every(([, ok]) => ok) };
  } finally {
    await pool.close();
    await stop(hub.child);
  }
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const only = env.BENCH_ONLY; // throughput | storm
console.log(`machine: ${machine()}`);
try {
  if (!only || only === 'throughput') {
    console.log(
      `\nthroughput: ${CONNECTIONS} connections, ${SECONDS} s measured after ${WARMUP} s of warm-up`,
    );
    // The host's fsync latency drifts within minutes, and the raw loop is bound by it: the baseline runs
    // half before and half after the hub (each on a fresh database) and counts both halves.
    const bare = await bareThroughput();
    const before = rawSqliteLoop('raw-before', SECONDS / 2);
    const groupedBefore = rawSqliteLoop('raw-grouped-before', SECONDS / 2, CONNECTIONS);
    const hub = await hubThroughput();
    const groupedAfter = rawSqliteLoop('raw-grouped-after', SECONDS / 2, CONNECTIONS);
    const after = rawSqliteLoop('raw-after', SECONDS / 2);
    const raw = (before.done + after.done) / (before.elapsed + after.elapsed);
    const grouped = (groupedBefore.done + groupedAfter.done) / (groupedBefore.elapsed + groupedAfter.elapsed);
    const limit = Math.min(bare.rate, grouped);
    const errors = hub.errors + [...hub.other.values()].reduce((n, o) => n + o.count, 0);
    console.log('| run | reservations/s | errors | p50 ms | p99 ms | ratio | target |');
    console.log('|---|---:|---:|---:|---:|---:|---|');
    console.log(`| bare node:http 201 | ${fmt(bare.rate)} | – | ${bare.p50} | ${bare.p99} | baseline | |`);
    console.log(
      `| raw better-sqlite3, 1 transaction each (before ${fmt(before.rate)}, after ${fmt(after.rate)}) | ${fmt(raw)} | – | – | – | baseline | |`,
    );
    console.log(
      `| raw better-sqlite3, ${CONNECTIONS} per transaction (before ${fmt(groupedBefore.rate)}, after ${fmt(groupedAfter.rate)}) | ${fmt(grouped)} | – | – | – | baseline | |`,
    );
    console.log(
      `| hub, POST /v1/reservations (201s only) | ${fmt(hub.rate)} | ${errors} | ${hub.p50} | ${hub.p99} | ${(hub.rate / raw).toFixed(2)} of raw 1 each; ${(hub.rate / limit).toFixed(2)} of min(bare, raw ${CONNECTIONS} each) | ≥ 1.5; ≥ 0.5 |`,
    );
    const cpu = (r) => (r.cpuMs === undefined ? '–' : `${(r.cpuMs * 1000).toFixed(0)} µs`);
    console.log(`CPU per 201 (server process, all threads): bare ${cpu(bare)}, hub ${cpu(hub)}`);
  }
  if (!only || only === 'storm') {
    console.log(
      `\nstorm: ${STORM.requests.toLocaleString('en-US')} one-unit requests for ${STORM.stock} units over ${STORM.connections} connections`,
    );
    const s = await storm();
    console.log(`answers in ${fmt(s.ms)} ms: ${[...s.counts].map(([key, n]) => `${n} × ${key}`).join(', ')}`);
    for (const [what, ok, got] of s.checks) console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what} (got ${got})`);
    console.log(s.pass ? 'storm: PASS' : 'storm: FAIL');
    if (!s.pass) failed = true;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (failed) process.exitCode = 1;
