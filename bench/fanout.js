#!/usr/bin/env node
// Delivery benchmark (docs/benchmarks.md), each figure beside its baseline in the same run:
//  1. throughput: a backlog of N events fanned out to two subscriptions (two local sinks) and drained by
//     the hub, beside raw undici posting the same bodies to the same sinks with the same concurrency;
//  2. latency from the ingest answer to receipt at the sink, p50/p99, at a steady 2,000 events/s;
//  3. memory: the hub's RSS while 500,000 events queue for a target that is down.
// Usage: npm run bench:fanout [-- --events 20000 --queued 500000 --rate 2000 --seconds 10]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { SqliteStore } from '../dist/store/sqlite/sqlite-store.js';
import { machine, percentile, rssMiB, startHub, startProcess, stop } from './support.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    queued: { type: 'string', default: '500000' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
  },
});
const EVENTS = Number(values.events);
const QUEUED = Number(values.queued);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const ROOT = new URL('..', import.meta.url).pathname;
const WMS_KEY = 'bench-wms-key-000000000001';
const dir = mkdtempSync(join(tmpdir(), 'manifold-fanout-'));

function config(name, sinkA, sinkB) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `
store: { sqlite: "${join(dir, `${name}.db`)}" }
server: { host: 127.0.0.1, port: 0, adminKey: bench-admin-key-00000000001, bodyLimit: 4mb }
systems:
  erp: { kind: erp, key: bench-erp-key-000000000001 }
  portal: { kind: commerce, key: bench-portal-key-0000000001, channel: b2b }
  wms-east: { kind: wms, key: ${WMS_KEY}, locations: [DC-EAST] }
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

let counter = 0;
function event() {
  counter += 1;
  return {
    specversion: '1.0',
    id: `fan-${counter}`,
    source: '/wms-east',
    type: 'com.manifold.inventory.adjusted.v1',
    time: new Date().toISOString(),
    correlationid: `corr-${counter}`,
    subject: `SKU-${counter % 1000}@DC-EAST`,
    partitionkey: `SKU-${counter % 1000}@DC-EAST`,
    data: { sku: `SKU-${counter % 1000}`, location: 'DC-EAST', delta: 1, reason: 'cycle_count' },
  };
}

const startSink = (env = {}) =>
  startProcess(dir, process.execPath, [join(ROOT, 'bench/sink-server.js')], /listening (\S+)/, env);
// BENCH_HUB_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the hub, not the driver.
const startBenchHub = (file) => startHub(dir, file);
const sinkCount = async (url) => (await (await fetch(`${url}/stats`)).json()).count;

/** Writes a backlog straight into the store, as ingest would (event + one outbox row per subscription). */
async function preload(file, count) {
  const store = new SqliteStore({ path: file });
  await store.migrate();
  for (let i = 0; i < count; i += 1000) {
    await store.append(
      Array.from({ length: Math.min(1000, count - i) }, () => ({
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

async function rawUndici(sinks, bodies) {
  const pools = sinks.map((url) => new Pool(url, { connections: CONCURRENCY }));
  const started = performance.now();
  await Promise.all(
    sinks.map(async (_url, s) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < bodies.length) {
            const body = bodies[next++];
            const response = await pools[s].request({
              method: 'POST',
              path: s === 0 ? '/erp' : '/portal',
              headers: { 'content-type': 'application/cloudevents+json', 'idempotency-key': 'x' },
              body,
            });
            await response.body.dump();
          }
        }),
      );
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(pools.map((pool) => pool.close()));
  return (bodies.length * sinks.length) / seconds;
}

async function throughput() {
  const sinkA = await startSink();
  const sinkB = await startSink();
  try {
    const bodies = Array.from({ length: EVENTS }, () => JSON.stringify(event()));
    const raw = await rawUndici([sinkA.url, sinkB.url], bodies);
    const base = (await sinkCount(sinkA.url)) + (await sinkCount(sinkB.url));
    const file = config('throughput', sinkA.url, sinkB.url);
    await preload(join(dir, 'throughput.db'), EVENTS);
    // Timed from the moment the hub listens (delivery starts just before): process start-up is not
    // delivery throughput.
    const hub = await startBenchHub(file);
    const started = performance.now();
    const atStart = (await sinkCount(sinkA.url)) + (await sinkCount(sinkB.url)) - base;
    let delivered = atStart;
    while (delivered < 2 * EVENTS) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      delivered = (await sinkCount(sinkA.url)) + (await sinkCount(sinkB.url)) - base;
    }
    const seconds = (performance.now() - started) / 1000;
    await stop(hub.child);
    return { raw, hub: (2 * EVENTS - atStart) / seconds };
  } finally {
    await stop(sinkA.child);
    await stop(sinkB.child);
  }
}

/** Sends `total` single events at RATE/s; resolves with each event's ingest-answer time. */
async function steadyIngest(pool, total) {
  const answered = new Map();
  const started = performance.now();
  const inFlight = [];
  for (let i = 0; i < total; i += 1) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const e = event();
    inFlight.push(
      pool
        .request({
          method: 'POST',
          path: '/v1/events',
          headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${WMS_KEY}` },
          body: JSON.stringify(e),
        })
        .then(async (response) => {
          await response.body.dump();
          if (response.statusCode !== 202) throw new Error(`ingest answered ${response.statusCode}`);
          answered.set(e.id, Date.now());
        }),
    );
  }
  await Promise.all(inFlight);
  return { answered, achieved: total / ((performance.now() - started) / 1000) };
}

async function waitForSinks(sinks, count) {
  for (const sink of sinks) {
    while ((await sinkCount(sink.url)) < count) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function latency() {
  const sinkA = await startSink({ KEEP_RECEIPTS: '1' });
  const sinkB = await startSink({ KEEP_RECEIPTS: '1' });
  const hub = await startBenchHub(config('latency', sinkA.url, sinkB.url));
  const pool = new Pool(hub.url, { connections: 64 });
  try {
    // Warm-up at the same rate (JIT, pools, caches), unmeasured, then drained.
    const warmup = RATE * Math.max(3, Math.round(SECONDS / 3));
    await steadyIngest(pool, warmup);
    await waitForSinks([sinkA, sinkB], warmup);
    const total = RATE * SECONDS;
    const { answered, achieved } = await steadyIngest(pool, total);
    await waitForSinks([sinkA, sinkB], warmup + total);
    const latencies = [];
    for (const sink of [sinkA, sinkB]) {
      const receipts = await (await fetch(`${sink.url}/receipts`)).json();
      for (const [id, answeredAt] of answered) latencies.push(receipts[id] - answeredAt);
    }
    return {
      achieved,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
    };
  } finally {
    await pool.close();
    await stop(hub.child);
    await stop(sinkA.child);
    await stop(sinkB.child);
  }
}

async function memoryWithTargetDown() {
  // Nothing listens on port 9: every delivery attempt fails, the circuit opens, the backlog grows.
  const hub = await startBenchHub(config('memory', 'http://127.0.0.1:9', 'http://127.0.0.1:9'));
  const pool = new Pool(hub.url, { connections: 8 });
  let peak = rssMiB(hub.child.pid);
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(hub.child.pid));
  }, 100);
  try {
    const started = performance.now();
    let sent = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (sent < QUEUED) {
          const size = Math.min(1000, QUEUED - sent);
          sent += size;
          const response = await pool.request({
            method: 'POST',
            path: '/v1/events',
            headers: {
              'content-type': 'application/cloudevents-batch+json',
              authorization: `Bearer ${WMS_KEY}`,
            },
            body: JSON.stringify(Array.from({ length: size }, event)),
          });
          await response.body.dump();
          if (response.statusCode !== 202) throw new Error(`ingest answered ${response.statusCode}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 2000)); // let the runners poll the full backlog
    peak = Math.max(peak, rssMiB(hub.child.pid));
    return { queued: QUEUED * 2, seconds, peak, end: rssMiB(hub.child.pid) };
  } finally {
    clearInterval(sampler);
    await pool.close();
    await stop(hub.child);
  }
}

console.log(`machine: ${machine()}\n`);
const only = process.env.BENCH_ONLY; // throughput | latency | memory
try {
  const t = !only || only === 'throughput' ? await throughput() : { hub: 0, raw: 1 };
  console.log('| run | figure | baseline | ratio | target |');
  console.log('|---|---:|---:|---:|---|');
  console.log(
    `| fan-out to 2 sinks, ${EVENTS.toLocaleString('en-US')} events × 2, concurrency ${CONCURRENCY} | ${Math.round(t.hub).toLocaleString('en-US')} deliveries/s | raw undici ${Math.round(t.raw).toLocaleString('en-US')}/s | ${(t.hub / t.raw).toFixed(2)} | ≥ 0.5 |`,
  );
  const l = !only || only === 'latency' ? await latency() : { achieved: 0, p50: 0, p99: 0, max: 0 };
  console.log(
    `| ingest answer → sink, ${Math.round(l.achieved)} events/s × 2 subscriptions | p50 ${l.p50} ms, p99 ${l.p99} ms (max ${l.max}) | – | – | p99 < 50 ms |`,
  );
  const m =
    !only || only === 'memory' ? await memoryWithTargetDown() : { queued: 0, seconds: 0, peak: 0, end: 0 };
  console.log(
    `| target down, ${m.queued.toLocaleString('en-US')} deliveries queued (ingested in ${m.seconds.toFixed(0)} s) | peak RSS ${m.peak.toFixed(0)} MiB (end ${m.end.toFixed(0)}) | – | – | < 300 MB |`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
