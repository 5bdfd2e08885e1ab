#!/usr/bin/env node
// Throttling benchmark, each figure beside its baseline in the same run (docs/benchmarks.md):
//  a. a backlog of N events (default 1,500) to a flaky target that answers 503 to the first two attempts
//     of every event and accepts the third, beside the same backlog to a target that accepts everything:
//     time to drain each, and the ratio. Subscription defaults: concurrency 4, retries from 1 s doubling.
//  b. M events (default 300) to a target that accepts at most 20 requests in any second and answers 429
//     with Retry-After above that, with no rate configured in the hub, beside the same with
//     `systems.erp.rateLimit: { perSecond: 20, burst: 1 }`: accepted per second at most, 429s provoked,
//     every event received, and the time each took.
// Usage: npm run bench:throttle [-- --events 1500 --limited 300 --limit 20]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteStore } from '../dist/store/sqlite/sqlite-store.js';
import { machine, startProcess, stop } from './support.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1500' },
    limited: { type: 'string', default: '300' },
    limit: { type: 'string', default: '20' },
  },
});
const EVENTS = Number(values.events);
const LIMITED_EVENTS = Number(values.limited);
const LIMIT = Number(values.limit);
const ROOT = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'manifold-throttle-'));
/** A run that has not drained by then is reported as failed, not waited for forever. */
const GIVE_UP_MS = 300_000;

function config(name, sinkUrl, erpExtra = '') {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `
store: { sqlite: "${join(dir, `${name}.db`)}" }
server: { host: 127.0.0.1, port: 0, adminKey: bench-admin-key-00000000001 }
systems:
  erp: { kind: erp, key: bench-erp-key-000000000001${erpExtra} }
  wms-east: { kind: wms, key: bench-wms-key-000000000001, locations: [DC-EAST] }
locations: { DC-EAST: { channels: [web] } }
channels: { web: {} }
ownership: { inventory.on_hand: [wms-east] }
subscriptions:
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    http: { url: "${sinkUrl}/erp" }
`,
  );
  return file;
}

let counter = 0;
function event() {
  counter += 1;
  const sku = `SKU-${counter}`;
  return {
    specversion: '1.0',
    id: `thr-${counter}`,
    source: '/wms-east',
    type: 'com.manifold.inventory.adjusted.v1',
    time: new Date().toISOString(),
    subject: `${sku}@DC-EAST`,
    partitionkey: `${sku}@DC-EAST`,
    data: { sku, location: 'DC-EAST', delta: 1, reason: 'cycle_count' },
  };
}

/** Writes a backlog straight into the store, as ingest would (event + outbox row). */
async function preload(file, count) {
  const store = new SqliteStore({ path: file });
  await store.migrate();
  for (let i = 0; i < count; i += 500) {
    await store.append(
      Array.from({ length: Math.min(500, count - i) }, () => ({
        system: 'wms-east',
        event: event(),
        outbox: [{ subscription: 'erp-inventory', target: 'erp' }],
      })),
    );
  }
  await store.close();
}

const startSink = (env) =>
  startProcess(dir, process.execPath, [join(ROOT, 'bench/throttle-sink.js')], /listening (\S+)/, env);
const startHub = (file) =>
  startProcess(dir, join(ROOT, 'bin/manifold'), ['serve', '--config', file], /"url":"([^"]+)"/);
const stats = async (url) => (await fetch(`${url}/stats`)).json();

async function exceptionCount(hubUrl) {
  const response = await fetch(`${hubUrl}/v1/exceptions?status=open&limit=1000`, {
    headers: { authorization: 'Bearer bench-admin-key-00000000001' },
  });
  return ((await response.json()).items ?? []).length;
}

/** One run: `count` events preloaded, the hub started, timed until the sink has accepted each once. */
async function drain(name, sinkEnv, count, erpExtra) {
  const sink = await startSink(sinkEnv);
  try {
    const file = config(name, sink.url, erpExtra);
    await preload(join(dir, `${name}.db`), count);
    const hub = await startHub(file);
    const started = performance.now();
    let current = await stats(sink.url);
    while (current.distinct < count && performance.now() - started < GIVE_UP_MS) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = await stats(sink.url);
    }
    const seconds = (performance.now() - started) / 1000;
    const exceptions = await exceptionCount(hub.url);
    await stop(hub.child);
    return { ...current, seconds, drained: current.distinct >= count, exceptions };
  } finally {
    await stop(sink.child);
  }
}

const fmt = (n, digits = 1) => n.toFixed(digits);

try {
  console.log(`machine: ${machine()}`);
  console.log(`\na. ${EVENTS} events, subscription defaults (concurrency 4, retries 1 s ×2, 12 attempts)`);
  const baseline = await drain('accepting', { MODE: 'accept' }, EVENTS);
  const flaky = await drain('flaky', { MODE: 'flaky' }, EVENTS);
  console.log(
    `   accepting target: drained in ${fmt(baseline.seconds)} s (${baseline.requests} requests, ${baseline.exceptions} exceptions)`,
  );
  console.log(
    `   flaky target (503, 503, 200): ${flaky.drained ? 'drained' : 'NOT drained'} in ${fmt(flaky.seconds)} s ` +
      `(${flaky.requests} requests, ${flaky.rejected} answered 503, ${flaky.exceptions} exceptions)`,
  );
  console.log(`   ratio flaky / accepting: ${fmt(flaky.seconds / baseline.seconds, 2)}×`);

  console.log(
    `\nb. ${LIMITED_EVENTS} events to a target accepting ≤ ${LIMIT} requests per second (429 + Retry-After)`,
  );
  const told = await drain(
    'limited-configured',
    { MODE: 'limited', LIMIT: String(LIMIT) },
    LIMITED_EVENTS,
    `, rateLimit: { perSecond: ${LIMIT}, burst: 1 }`,
  );
  const learnt = await drain('limited', { MODE: 'limited', LIMIT: String(LIMIT) }, LIMITED_EVENTS);
  for (const [label, run] of [
    [`configured perSecond: ${LIMIT} (baseline)`, told],
    ['no rate configured (429 + Retry-After only)', learnt],
  ]) {
    const rate = run.accepted / ((run.lastAcceptedAt - run.firstAt) / 1000);
    console.log(
      `   ${label}: ${run.distinct}/${LIMITED_EVENTS} events in ${fmt(run.seconds)} s, ` +
        `${fmt(rate)} accepted/s on average, at most ${run.maxAcceptedPerSecond} accepted and ` +
        `${run.maxRequestsPerSecond} requests in any second, ${run.rejected} answered 429, ${run.exceptions} exceptions`,
    );
  }
  console.log(`   ratio of times, no rate / configured rate: ${fmt(learnt.seconds / told.seconds, 2)}×`);
  const ok =
    flaky.drained &&
    flaky.seconds < 60 &&
    flaky.exceptions === 0 &&
    learnt.drained &&
    learnt.maxAcceptedPerSecond <= LIMIT;
  console.log(
    `\n${ok ? 'PASS' : 'FAIL'}: flaky drained in < 60 s without exceptions; limited target got every event at ≤ ${LIMIT}/s`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
