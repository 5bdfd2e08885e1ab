#!/usr/bin/env node
// Peer benchmark against Node-RED 4 (docs/benchmarks.md). The same workload on both, one after the other
// in the same run (the workloads take turns at going first), against the same two sinks (bench/peer-sink.js):
//   events posted over 32 connections (undici) for 10 s, each to be fanned out to both sinks; an event
//   counts as delivered when both sinks have it by the end of the run + 10 s (the drain).
//   a. events spread over 1,000 keys (SKUs, round robin);  b. every event for one SKU (a hot key).
// Manifold: `bin/manifold serve` on the embedded store, one producing system and two subscriptions (two
// targets), structured CloudEvents to `POST /v1/events` with the system's key: durable, in order per key.
// Node-RED: `node-red@4`, installed on the first run into bench/.peer/node-red (git-ignored; downloaded
// from the npm registry), with the flow of bench/peer-nodered-flow.js: http in → http response 202, and
// two http request nodes posting the payload to the sinks; nothing kept, no order promised.
// Order check, per key and sink: an event answered before another was sent must arrive first. Also
// printed: the CPU time of each peer's process per delivered event (Linux).
// Usage: npm run bench:peer [-- --seconds 10 --drain 10 --connections 32 --keys 1000 --concurrency 16
//        --workload spread|hot]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import {
  EVENT_CONTENT_TYPE,
  NODERED_EVENTS_PATH,
  noderedFlow,
  noderedSettings,
} from './peer-nodered-flow.js';
import { machine, startProcess, stop } from './support.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    drain: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    keys: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    workload: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const DRAIN = Number(values.drain);
const CONNECTIONS = Number(values.connections);
const KEYS = Number(values.keys);
const CONCURRENCY = Number(values.concurrency);
const ROOT = new URL('..', import.meta.url).pathname;
const WMS_KEY = 'bench-wms-key-000000000001';
const NODERED_DIR = join(ROOT, 'bench/.peer/node-red');
const NODERED_PACKAGE = join(NODERED_DIR, 'node_modules/node-red');

const WORKLOADS = [
  {
    name: 'spread',
    title: `a. spread over ${KEYS.toLocaleString('en-US')} keys`,
    sku: (n) => `SKU-${n % KEYS}`,
  },
  { name: 'hot', title: 'b. one hot key', sku: () => 'SKU-HOT' },
].filter((w) => values.workload === undefined || w.name === values.workload);
if (WORKLOADS.length === 0) throw new Error(`--workload ${values.workload}: expected spread or hot`);
const dir = mkdtempSync(join(tmpdir(), 'manifold-peer-'));

/** Installs node-red@4 into the cache folder the first time; answers its version. */
function ensureNodeRed() {
  if (!existsSync(join(NODERED_PACKAGE, 'package.json'))) {
    console.log('first run: installing node-red@4 into bench/.peer/node-red (from the npm registry)');
    mkdirSync(NODERED_DIR, { recursive: true });
    const npm = spawnSync(
      'npm',
      ['install', '--prefix', NODERED_DIR, 'node-red@4', '--no-audit', '--no-fund'],
      {
        stdio: 'inherit',
      },
    );
    if (npm.status !== 0) throw new Error('npm install node-red@4 failed');
  }
  const { version } = JSON.parse(readFileSync(join(NODERED_PACKAGE, 'package.json'), 'utf8'));
  if (!version.startsWith('4.')) throw new Error(`bench/.peer/node-red holds node-red ${version}, not 4.x`);
  return version;
}

/** CPU time (user + system, every thread) a process has used, in ms (Linux: /proc/<pid>/stat, 100 ticks/s). */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function hubConfig(runDir, sinkA, sinkB) {
  const file = join(runDir, 'hub.yaml');
  const subscription = (name, target, url) => `
  - name: ${name}
    target: ${target}
    types: [com.manifold.inventory.adjusted.v1]
    http: { url: "${url}" }
    rateLimit: { perSecond: 1000000, concurrency: ${CONCURRENCY} }`;
  writeFileSync(
    file,
    `
store: { sqlite: "${join(runDir, 'hub.db')}" }
server: { host: 127.0.0.1, port: 0, adminKey: bench-admin-key-00000000001 }
systems:
  erp: { kind: erp, key: bench-erp-key-000000000001 }
  portal: { kind: commerce, key: bench-portal-key-0000000001, channel: b2b }
  wms-east: { kind: wms, key: ${WMS_KEY}, locations: [DC-EAST] }
locations: { DC-EAST: { channels: [b2b] } }
channels: { b2b: {} }
ownership: { inventory.on_hand: [wms-east] }
subscriptions:${subscription('erp-inventory', 'erp', `${sinkA}/erp`)}${subscription('portal-inventory', 'portal', `${sinkB}/portal`)}
`,
  );
  return file;
}

async function startManifold(runDir, sinkA, sinkB) {
  const hub = await startProcess(
    runDir,
    join(ROOT, 'bin/manifold'),
    ['serve', '--config', hubConfig(runDir, sinkA, sinkB)],
    /"url":"([^"]+)"/,
  );
  return { child: hub.child, url: hub.url, path: '/v1/events', auth: { authorization: `Bearer ${WMS_KEY}` } };
}

async function startNodeRed(runDir, sinkA, sinkB) {
  const flowFile = join(runDir, 'flows.json');
  writeFileSync(flowFile, JSON.stringify(noderedFlow(`${sinkA}/erp`, `${sinkB}/portal`), null, 2));
  const settings = join(runDir, 'settings.js');
  writeFileSync(settings, noderedSettings(await freePort(), flowFile));
  // Ready once the flows are started and the server listens (either line may come first).
  const ready = /(?=[\s\S]*Started flows)[\s\S]*?Server now running at (\S+)/;
  const red = join(NODERED_PACKAGE, 'red.js');
  const nr = await startProcess(
    runDir,
    process.execPath,
    [red, '--userDir', runDir, '--settings', settings],
    ready,
    {},
    120_000,
  );
  return { child: nr.child, url: nr.url.replace(/\/$/, ''), path: NODERED_EVENTS_PATH, auth: {} };
}

/** Posts events over CONNECTIONS connections for SECONDS; answers each accepted event's send/answer times. */
async function load(peer, workload, run) {
  const pool = new Pool(peer.url, { connections: CONNECTIONS });
  const headers = { 'content-type': EVENT_CONTENT_TYPE, ...peer.auth };
  const accepted = new Map();
  const refused = new Map();
  let n = 0;
  const startWall = Date.now();
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        n += 1;
        const sku = workload.sku(n);
        const event = {
          specversion: '1.0',
          id: `${run}-${n}`,
          source: '/wms-east',
          type: 'com.manifold.inventory.adjusted.v1',
          time: new Date().toISOString(),
          correlationid: `${run}-corr-${n}`,
          subject: `${sku}@DC-EAST`,
          partitionkey: `${sku}@DC-EAST`,
          data: { sku, location: 'DC-EAST', delta: 1, reason: 'cycle_count' },
        };
        const sentAt = performance.now();
        let outcome;
        try {
          const response = await pool.request({
            method: 'POST',
            path: peer.path,
            headers,
            body: JSON.stringify(event),
          });
          await response.body.dump();
          outcome = response.statusCode;
        } catch (error) {
          outcome = error.code ?? error.message;
        }
        if (outcome === 202) accepted.set(event.id, { sentAt, answeredAt: performance.now() });
        else refused.set(outcome, (refused.get(outcome) ?? 0) + 1);
      }
    }),
  );
  const endWall = Date.now();
  await pool.close();
  return { accepted, refused, startWall, endWall };
}

const distinct = async (sink) => (await (await fetch(`${sink.url}/stats`)).json()).distinct;
const receipts = async (sink) => (await fetch(`${sink.url}/receipts`)).json();

/** Waits until both sinks have every accepted event or the drain is over; answers the window's end. */
async function drain(sinks, accepted, endWall) {
  const deadline = endWall + DRAIN * 1000;
  while (Date.now() < deadline) {
    const counts = await Promise.all(sinks.map(distinct));
    if (counts.every((c) => c >= accepted.size)) break;
    await sleep(100);
  }
  return deadline;
}

/**
 * Out-of-order arrivals at one sink: events that arrived after an event of their key that was sent only
 * once they had been answered (so the sender had put them first).
 */
function outOfOrder(keys, accepted, deadline) {
  let late = 0;
  for (const arrivals of Object.values(keys)) {
    let latestSent = Number.NEGATIVE_INFINITY;
    for (const [id, at] of arrivals) {
      const times = accepted.get(id);
      if (times === undefined || at > deadline) continue;
      if (times.answeredAt < latestSent) late += 1;
      latestSent = Math.max(latestSent, times.sentAt);
    }
  }
  return late;
}

async function measure(peerName, start, workload, sinks) {
  await Promise.all(sinks.map((sink) => fetch(`${sink.url}/reset`, { method: 'POST' })));
  const runDir = mkdtempSync(join(dir, `${peerName}-`));
  const peer = await start(runDir, sinks[0].url, sinks[1].url);
  try {
    const cpuBefore = cpuMs(peer.child.pid);
    const result = await load(peer, workload, `${peerName}-${workload.name}`);
    const deadline = await drain(sinks, result.accepted, result.endWall);
    const cpu = cpuMs(peer.child.pid) - cpuBefore;
    const [a, b] = await Promise.all(sinks.map(receipts));
    const arrivedA = new Map();
    for (const arrivals of Object.values(a.keys)) for (const [id, at] of arrivals) arrivedA.set(id, at);
    let delivered = 0;
    let last = result.endWall;
    for (const arrivals of Object.values(b.keys)) {
      for (const [id, at] of arrivals) {
        const atA = arrivedA.get(id);
        if (!result.accepted.has(id) || atA === undefined || atA > deadline || at > deadline) continue;
        delivered += 1;
        last = Math.max(last, atA, at);
      }
    }
    return {
      accepted: result.accepted.size,
      refused: [...result.refused].map(([what, count]) => `${count} × ${what}`).join(', '),
      delivered,
      seconds: (last - result.startWall) / 1000,
      rate: delivered / ((last - result.startWall) / 1000),
      late: outOfOrder(a.keys, result.accepted, deadline) + outOfOrder(b.keys, result.accepted, deadline),
      repeats: a.repeats + b.repeats,
      cpuPerEvent: cpu / delivered,
    };
  } finally {
    await stop(peer.child);
  }
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');

async function main() {
  const version = ensureNodeRed();
  const startSink = () =>
    startProcess(dir, process.execPath, [join(ROOT, 'bench/peer-sink.js')], /listening (\S+)/);
  const sinks = [await startSink(), await startSink()];
  const rows = [];
  try {
    // The machine's load drifts: the workloads take turns at going first.
    for (const [index, workload] of WORKLOADS.entries()) {
      const manifoldFirst = index % 2 === 0;
      const first = manifoldFirst
        ? await measure('manifold', startManifold, workload, sinks)
        : await measure('nodered', startNodeRed, workload, sinks);
      const second = manifoldFirst
        ? await measure('nodered', startNodeRed, workload, sinks)
        : await measure('manifold', startManifold, workload, sinks);
      const [manifold, nodered] = manifoldFirst ? [first, second] : [second, first];
      rows.push({ workload, manifold, nodered, manifoldFirst });
    }
  } finally {
    for (const sink of sinks) await stop(sink.child);
    // BENCH_KEEP=1 keeps the run's folder (hub database, logs, Node-RED flow and settings) to inspect.
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  console.log(`machine: ${machine()}; Node-RED ${version}`);
  console.log(
    `${CONNECTIONS} connections, ${SECONDS} s of posting + ${DRAIN} s drain; Manifold concurrency ${CONCURRENCY} per subscription\n`,
  );
  console.log(
    '| workload | peer | accepted | delivered to both | delivered/s | ratio | order per key | not accepted | CPU ms per event |',
  );
  console.log('|---|---|---:|---:|---:|---:|---|---|---:|');
  for (const { workload, manifold, nodered, manifoldFirst } of rows) {
    for (const [name, r] of [
      ['Manifold', manifold],
      [`Node-RED ${version}`, nodered],
    ]) {
      const ratio = name === 'Manifold' ? `**${(manifold.rate / nodered.rate).toFixed(2)}×**` : '1';
      const first = (name === 'Manifold') === manifoldFirst ? ' (ran first)' : '';
      const order = r.late === 0 ? 'held' : `${fmt(r.late)} arrivals out of order`;
      const repeats = r.repeats > 0 ? ` (${fmt(r.repeats)} repeats)` : '';
      console.log(
        `| ${workload.title} | ${name}${first} | ${fmt(r.accepted)} | ${fmt(r.delivered)}${repeats} | ${fmt(r.rate)} (in ${r.seconds.toFixed(1)} s) | ${ratio} | ${order} | ${r.refused || '–'} | ${r.cpuPerEvent.toFixed(2)} |`,
      );
    }
  }
  if (rows.some((r) => r.manifold.late > 0)) process.exitCode = 1;
}

await main();
