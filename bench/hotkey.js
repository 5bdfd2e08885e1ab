#!/usr/bin/env node
// Hot-key benchmark (docs/benchmarks.md): every event on ONE key, one subscription, structured mode. A
// backlog of N events for one SKU is written into the store, the hub is started and drains it to a local
// sink, in order, one request at a time (per-key FIFO). Beside it, in the same run, the baseline: raw undici
// posting the same bodies to the same sink one after the other (one key in order allows nothing more),
// nothing durable. Reports both rates and their ratio, and checks the sink saw the key's events in order.
// Usage: npm run bench:hotkey [-- --events 5000]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { SqliteStore } from '../dist/store/sqlite/sqlite-store.js';
import { machine, startHub, startProcess, stop } from './support.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '5000' } } });
const EVENTS = Number(values.events);
const ROOT = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'manifold-hotkey-'));

function config(sink) {
  const file = join(dir, 'hub.yaml');
  writeFileSync(
    file,
    `
store: { sqlite: "${join(dir, 'hub.db')}" }
server: { host: 127.0.0.1, port: 0, adminKey: bench-admin-key-00000000001 }
systems:
  erp: { kind: erp, key: bench-erp-key-000000000001 }
  wms-east: { kind: wms, key: bench-wms-key-000000000001, locations: [DC-EAST] }
locations: { DC-EAST: { channels: [b2b] } }
channels: { b2b: {} }
ownership: { inventory.on_hand: [wms-east] }
subscriptions:
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    http: { url: "${sink}/erp" }
    rateLimit: { perSecond: 1000000 }
`,
  );
  return file;
}

let counter = 0;
/** The next event of the one hot key (an adjustment: a count type, so nothing coalesces). */
function event() {
  counter += 1;
  return {
    specversion: '1.0',
    id: `hot-${String(counter).padStart(7, '0')}`,
    source: '/wms-east',
    type: 'com.manifold.inventory.adjusted.v1',
    time: new Date().toISOString(),
    correlationid: `corr-${counter}`,
    subject: 'SKU-HOT@DC-EAST',
    partitionkey: 'SKU-HOT@DC-EAST',
    data: { sku: 'SKU-HOT', location: 'DC-EAST', delta: 1, reason: 'cycle_count' },
  };
}

const startSink = () =>
  startProcess(dir, process.execPath, [join(ROOT, 'bench/sink-server.js')], /listening (\S+)/, {
    KEEP_RECEIPTS: '1',
  });
const sinkCount = async (url) => (await (await fetch(`${url}/stats`)).json()).count;

/** One request at a time, in order: the fastest a single ordered key can go over one connection. */
async function rawInOrder(url, bodies) {
  const pool = new Pool(url, { connections: 1 });
  const started = performance.now();
  for (const body of bodies) {
    const response = await pool.request({
      method: 'POST',
      path: '/raw',
      headers: { 'content-type': 'application/cloudevents+json', 'idempotency-key': 'raw' },
      body,
    });
    await response.body.dump();
  }
  const rate = bodies.length / ((performance.now() - started) / 1000);
  await pool.close();
  return rate;
}

async function preload(file, events) {
  const store = new SqliteStore({ path: file });
  await store.migrate();
  for (let i = 0; i < events.length; i += 1000) {
    await store.append(
      events.slice(i, i + 1000).map((e) => ({
        system: 'wms-east',
        event: e,
        outbox: [{ subscription: 'erp-inventory', target: 'erp' }],
      })),
    );
  }
  await store.close();
}

async function main() {
  const sink = await startSink();
  try {
    const events = Array.from({ length: EVENTS }, () => event());
    const raw = await rawInOrder(
      sink.url,
      events.map((e) => JSON.stringify(e)),
    );
    const base = await sinkCount(sink.url);
    await preload(join(dir, 'hub.db'), events);
    const hub = await startHub(dir, config(sink.url));
    const started = performance.now();
    const atStart = (await sinkCount(sink.url)) - base;
    let delivered = atStart;
    while (delivered < EVENTS) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      delivered = (await sinkCount(sink.url)) - base;
    }
    const hubRate = (EVENTS - atStart) / ((performance.now() - started) / 1000);
    await stop(hub.child);
    // The hub's requests in arrival order (the receipts map keeps insertion order; a resend keeps its
    // first place): they must be the log order.
    const receipts = Object.keys(await (await fetch(`${sink.url}/receipts`)).json()).filter((id) =>
      id.startsWith('hot-'),
    );
    const inOrder = receipts.every((id, i) => i === 0 || id > receipts[i - 1]);
    console.log(`machine: ${machine()}`);
    console.log(`events: ${EVENTS} on one key, one subscription, structured mode`);
    console.log(`raw undici, one request at a time: ${Math.round(raw)} requests/s`);
    console.log(`hub, per-key FIFO, durable:         ${Math.round(hubRate)} deliveries/s`);
    console.log(`ratio: ${(hubRate / raw).toFixed(2)}×   in order at the sink: ${inOrder ? 'yes' : 'NO'}`);
    if (!inOrder) process.exitCode = 1;
  } finally {
    await stop(sink.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
