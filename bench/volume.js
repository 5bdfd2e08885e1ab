#!/usr/bin/env node
// Volume benchmark (docs/benchmarks.md): how cost grows with data. The same hub and the same load against
// an empty store and one holding 10 M events (SQLite, the embedded store), and the ratio of the two:
//   - ingest: single events over 32 connections, and batches of 100 (WMS cycle counts, each delivered to
//     the ERP);
//   - GET /v1/orders/{id} of random orders of the store;
//   - GET /v1/orders/{id}/timeline (the console's order page) of random orders;
//   - GET /v1/exceptions?status=open&limit=50 (the console's exception queue), newest and oldest first.
// The stores are made by bench/volume-fill.js and cached in bench/.volume (the 10 M one takes about
// 15–30 minutes and 17 GB; delete the folder to start again). The runs against the full store add to it;
// the deliveries a run leaves pending are skipped at the start of the next.
// Usage: npm run bench:volume [-- --events 10000000 --seconds 8]
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { machine, startHub, stop } from './support.js';
import { hubConfig, KEYS, ORDERS_PER_BLOCK, SMALL_BLOCKS, startSink, volumeStores } from './volume-fill.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    seconds: { type: 'string', default: '8' },
  },
});
const EVENTS = Number(values.events);
const SECONDS = Number(values.seconds);
const READ_CONNECTIONS = 4;
const INGEST_CONNECTIONS = 32;
const BATCH = 100;

const { small, full, blocks, tplEvents } = await volumeStores(EVENTS);
const dir = mkdtempSync(join(tmpdir(), 'manifold-volume-'));

const pad = (n) => String(n).padStart(7, '0');
/**
 * An order of the store at random: block 1..blocks (the last one keeps the template's names), one of the
 * orders without exceptions (the refused one has 14 open in the small store but in 1 block of 100 in the
 * full one: its page would be heavier in the small store).
 */
function orderIn(blockCount) {
  const n = 1 + Math.floor(Math.random() * blockCount);
  const k = 1 + Math.floor(Math.random() * (ORDERS_PER_BLOCK - 1));
  return n === blockCount ? `SO-VOLBLK-${k}` : `SO-${pad(n)}-${k}`;
}

let counter = 0;
const runTag = Date.now().toString(36);
function countEvent() {
  counter += 1;
  return {
    specversion: '1.0',
    id: `volume-${runTag}-${counter}`,
    source: '/wms-east',
    type: 'com.manifold.inventory.counted.v1',
    data: { sku: `VOLUME-SKU-${counter % 2000}`, location: 'DC-EAST', onHand: counter % 1000 },
  };
}

async function run(options, seconds) {
  const result = await autocannon({ duration: seconds, ...options });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) throw new Error(`${bad} failed requests to ${options.url}`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/** A warm-up of a quarter of the time, unmeasured, then the measured run. */
async function measure(options) {
  await run(options, Math.max(2, Math.round(SECONDS / 4)));
  return run(options, SECONDS);
}

function reads(url, path) {
  return {
    url,
    connections: READ_CONNECTIONS,
    headers: { authorization: `Bearer ${KEYS.admin}` },
    requests: [{ setupRequest: (request) => ({ ...request, path: path() }) }],
  };
}

function ingest(url, batch) {
  return {
    url: `${url}/v1/events`,
    connections: INGEST_CONNECTIONS,
    method: 'POST',
    headers: {
      authorization: `Bearer ${KEYS.wms}`,
      'content-type': batch ? 'application/cloudevents-batch+json' : 'application/cloudevents+json',
    },
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify(batch ? Array.from({ length: BATCH }, countEvent) : countEvent()),
        }),
      },
    ],
  };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

async function measureStore(name, dbPath, blockCount) {
  const sink = await startSink();
  const configFile = join(dir, `${name}.yaml`);
  writeFileSync(configFile, hubConfig(dbPath, sink.url));
  const hub = await startHub(dir, configFile);
  const results = { load: [] };
  try {
    const step = async (key, options, factor = 1) => {
      results.load.push(load());
      const r = await measure(options);
      results[key] = { ...r, rps: r.rps * factor };
      console.error(`${name} ${key}: ${JSON.stringify(results[key])} (load ${results.load.at(-1)})`);
    };
    await step(
      'order',
      reads(hub.url, () => `/v1/orders/${orderIn(blockCount)}`),
    );
    await step(
      'timeline',
      reads(hub.url, () => `/v1/orders/${orderIn(blockCount)}/timeline`),
    );
    await step(
      'exceptionsDesc',
      reads(hub.url, () => '/v1/exceptions?status=open&order=desc&limit=50'),
    );
    await step(
      'exceptionsAsc',
      reads(hub.url, () => '/v1/exceptions?status=open&order=asc&limit=50'),
    );
    await step('ingestSingle', ingest(hub.url, false));
    await step('ingestBatch', ingest(hub.url, true), BATCH);
  } finally {
    await stop(hub.child);
    sink.server.close();
  }
  return results;
}

try {
  console.log(`machine: ${machine()}`);
  const size = (statSync(full).size / 2 ** 30).toFixed(1);
  console.log(
    `stores: empty = ${SMALL_BLOCKS * ORDERS_PER_BLOCK} orders, ${SMALL_BLOCKS * tplEvents} events; full = ${(blocks * ORDERS_PER_BLOCK).toLocaleString('en-US')} orders, ${(blocks * tplEvents).toLocaleString('en-US')} events (${size} GiB)`,
  );
  console.log(
    `reads: ${READ_CONNECTIONS} connections; ingest: ${INGEST_CONNECTIONS} connections; ${SECONDS} s each\n`,
  );
  const emptyPath = join(dir, 'empty.db');
  copyFileSync(small, emptyPath);
  const empty = await measureStore('empty', emptyPath, SMALL_BLOCKS);
  // Deliveries an earlier run of this bench left pending (its sink is gone) would be sent during this one,
  // beside the measured load: they are skipped first.
  const db = new Database(full);
  const left = db.prepare("UPDATE outbox SET status = 'skipped' WHERE status = 'pending'").run().changes;
  db.close();
  if (left > 0) console.error(`skipped ${left} deliveries an earlier run left pending`);
  const big = await measureStore('full', full, blocks);
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log('| measure | empty | 10 M events | ratio (≤ 2) |');
  console.log('|---|---:|---:|---:|');
  const latency = (label, key) => {
    const a = empty[key];
    const b = big[key];
    console.log(`| ${label} p50 ms | ${a.p50} | ${b.p50} | ${(b.p50 / Math.max(a.p50, 1)).toFixed(2)} |`);
    console.log(`| ${label} p99 ms | ${a.p99} | ${b.p99} | ${(b.p99 / Math.max(a.p99, 1)).toFixed(2)} |`);
    console.log(`| ${label} requests/s | ${fmt(a.rps)} | ${fmt(b.rps)} | ${(a.rps / b.rps).toFixed(2)} |`);
  };
  const rate = (label, key) =>
    console.log(
      `| ${label} events/s | ${fmt(empty[key].rps)} | ${fmt(big[key].rps)} | ${(empty[key].rps / big[key].rps).toFixed(2)} |`,
    );
  rate('ingest, single events', 'ingestSingle');
  rate('ingest, batches of 100', 'ingestBatch');
  latency('GET /v1/orders/{id}', 'order');
  latency('GET /v1/orders/{id}/timeline', 'timeline');
  latency('GET /v1/exceptions (open, newest first)', 'exceptionsDesc');
  latency('GET /v1/exceptions (open, oldest first)', 'exceptionsAsc');
  console.log(`\nratio: 10 M / empty for latency, empty / 10 M for rates (above 1: slower with data)`);
  console.log(`load average before each run: empty ${empty.load.join(' | ')}; full ${big.load.join(' | ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
