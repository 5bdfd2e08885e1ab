/**
 * What the multi-process test (test/crash/three-processes-postgres.test.ts) needs around several real hub
 * processes on one PostgreSQL schema: their configuration (a poller and two subscriptions to one local
 * receiver), clients spread over the processes that fail over to the next one when theirs does not answer,
 * the workload (events over many keys, orders, a reservation storm), reads of the cluster view and of the
 * outbox's claims, and the checks of what the receiver got (every event, per-key order).
 */
import { createServer } from 'node:net';
import pg from 'pg';
import { orderBody } from './orders.js';
import { API_TOKEN } from './paged-api.js';
import { type Call, call, settle } from './retrying-client.js';
import type { ReceivedRequest } from './sink.js';
import { KEYS, testConfigYaml } from './test-config.js';

/** The SKUs the ingest stream adjusts: one partition key (`sku@DC-EAST`) each. */
export const INGEST_KEYS = Array.from({ length: 30 }, (_, i) => `CLU-K${String(i).padStart(2, '0')}`);
/** The SKU orders take, stocked plenty; the SKU the reservation storm fights over, stocked `STORM_UNITS`. */
export const ORDER_SKU = 'CLU-ORDER';
export const STORM_SKU = 'CLU-STORM';
export const STORM_UNITS = 100;

/**
 * `count` distinct free ports below the kernel's ephemeral range (a process listens on its port again when
 * restarted; a port from that range could meanwhile be handed to an outgoing connection).
 */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (ports.includes(port)) continue;
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      ports.push(port);
    }
  }
  return ports;
}

/** The hub's configuration: one poller (every second) of `pollApi`, and what is delivered to `receiver`. */
export function clusterConfigYaml(options: {
  store: string;
  port: number;
  receiver: string;
  pollApi: string;
}): string {
  const http = (path: string) => `{ url: "${options.receiver}${path}", timeoutMs: 3000 }`;
  const retry = '{ maxAttempts: 20, initialDelayMs: 200, maxDelayMs: 2000 }';
  const yaml = testConfigYaml({
    store: options.store,
    port: options.port,
    subscriptions: `subscriptions:
  - name: erp-adjustments
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    http: ${http('/adjustments')}
    retry: ${retry}
    onFailure: hold
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: ${http('/orders')}
    retry: ${retry}
    onFailure: hold
`,
  });
  // wms-east is also polled for its adjustments (a singleton: one process at a time holds its lease).
  const poll = `  wms-east:
    kind: wms
    key: ${KEYS.wmsEast}
    locations: [DC-EAST]
    poll:
      - name: adjustments
        every: 1s
        request:
          url: "${options.pollApi}/adjustments?since={{ $cursor }}"
          auth: { bearer: ${API_TOKEN} }
          timeout: 5s
        items: data
        type: "'com.manifold.inventory.adjusted.v1'"
        id: "'adj-' & id & '-' & updated_at"
        data: "{ 'sku': sku, 'location': 'DC-EAST', 'delta': delta, 'reason': 'cycle_count' }"
        cursor: data[-1].updated_at
        next: next
`;
  const line = `  wms-east: { kind: wms, key: ${KEYS.wmsEast}, locations: [DC-EAST] }\n`;
  if (!yaml.includes(line)) throw new Error('the test configuration changed: wms-east not found');
  return yaml.replace(line, poll);
}

/**
 * Sends `c` until it has a definite answer, first to `bases[first]`, then — when that process gives no
 * answer for a while (killed) — to the next one, as a load balancer would; false if `deadline` passes.
 */
export async function settleSpread(
  bases: readonly string[],
  first: number,
  c: Call,
  deadline: number,
): Promise<boolean> {
  for (let turn = 0; ; turn += 1) {
    const base = bases[(first + turn) % bases.length] as string;
    if (await settle(base, c, Math.min(deadline, Date.now() + 1500), () => 100)) return true;
    if (Date.now() >= deadline) return false;
  }
}

/** Runs `tasks` with at most `concurrency` at a time. */
export async function pool<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await (tasks[index] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

/** A single CloudEvent from wms-east, posted to `/v1/events`. */
function wmsEventCall(label: string, id: string, type: string, data: Record<string, unknown>): Call {
  return call({
    label,
    method: 'POST',
    path: '/v1/events',
    token: KEYS.wmsEast,
    contentType: 'application/cloudevents+json',
    body: { specversion: '1.0', id, source: '/wms-east', type, data },
  });
}

/** A counted on-hand figure from wms-east (stock for orders and reservations). */
export function countCall(sku: string, onHand: number): Call {
  return wmsEventCall(`count ${sku}`, `count-${sku}`, 'com.manifold.inventory.counted.v1', {
    sku,
    location: 'DC-EAST',
    onHand,
  });
}

/** The `n`th event of the ingest stream: +1 on key `n mod 30`. */
export function ingestCall(n: number): Call {
  const sku = INGEST_KEYS[n % INGEST_KEYS.length] as string;
  return wmsEventCall(`ingest ${n}`, `ingest-${n}`, 'com.manifold.inventory.adjusted.v1', {
    sku,
    location: 'DC-EAST',
    delta: 1,
    reason: 'cycle_count',
  });
}

/** The `n`th storefront order (one unit of `ORDER_SKU`), with its Idempotency-Key. */
export function orderCall(n: number): Call {
  return call({
    label: `order ${n}`,
    method: 'POST',
    path: '/v1/orders',
    token: KEYS.shop,
    idempotencyKey: `cluster-order-${n}`,
    body: orderBody(`WEB-CLU-${n}`, ORDER_SKU, 1),
  });
}

/** The `n`th hold of one unit of `STORM_SKU` by the B2B portal (no safety stock on its channel). */
export function reserveCall(n: number): Call {
  return call({
    label: `reserve ${n}`,
    method: 'POST',
    path: '/v1/reservations',
    token: KEYS.portal,
    idempotencyKey: `cluster-hold-${n}`,
    body: { channel: 'b2b', sku: STORM_SKU, quantity: 1, ttlSeconds: 3600 },
  });
}

/** A GET with the admin key from the first of `bases` that answers. */
export async function adminGet<T>(bases: readonly string[], path: string): Promise<T> {
  let last: unknown;
  for (const base of bases) {
    try {
      const response = await fetch(`${base}${path}`, {
        headers: { authorization: `Bearer ${KEYS.admin}` },
        signal: AbortSignal.timeout(5000),
      });
      if (response.ok) return (await response.json()) as T;
      last = new Error(`${path}: HTTP ${response.status}`);
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

/** `GET /v1/cluster`, as much of it as the test reads. */
export interface ClusterView {
  processes: {
    incarnation: string;
    pid: number;
    status: 'alive' | 'dead';
    leases: { name: string; expiresAt: string; expired: boolean }[];
  }[];
}

/** lease name → the pid holding it. */
export function leaseHolders(view: ClusterView): Map<string, number> {
  const held = new Map<string, number>();
  for (const p of view.processes) for (const lease of p.leases) held.set(lease.name, p.pid);
  return held;
}

/** Outbox rows still claimed by delivery engines of process `pid` (their owner is `host:pid:…`). */
export async function claimedBy(url: string, schema: string, pid: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${schema}".outbox
       WHERE status = 'pending' AND lease_owner LIKE $1 AND lease_until > now()`,
      [`%:${pid}:%`],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** An entry of `GET /v1/events`. */
export interface LoggedEvent {
  seq: number;
  system: string;
  event: { id: string; type: string; subject: string; source: string; data?: Record<string, unknown> };
}

/** The whole event log, in log order, from the first process of `bases` that answers. */
export async function readWholeLog(bases: readonly string[]): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await adminGet<{ items: LoggedEvent[]; next?: string }>(
      bases,
      `/v1/events?limit=5000${cursor ? `&cursor=${cursor}` : ''}`,
    );
    events.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return events;
}

/** What one receiver path got, checked against the log events it must get. */
export interface PathReport {
  path: string;
  expected: number;
  /** Expected events never received. */
  missing: string[];
  /** Deliveries of an event already received (at-least-once: a crash between sending and recording). */
  redeliveries: number;
  /** An event first received after a later event of its key had been (per-key order broken). */
  outOfOrder: string[];
}

/** Checks the requests received on `path` against `wanted` (log order): all there, in order per key. */
export function checkPath(path: string, received: ReceivedRequest[], wanted: LoggedEvent[]): PathReport {
  const seqOf = new Map(wanted.map((e) => [`${e.event.source}\n${e.event.id}`, e]));
  const seen = new Set<string>();
  const lastSeqOfKey = new Map<string, number>();
  let redeliveries = 0;
  const outOfOrder: string[] = [];
  for (const request of received.filter((r) => r.path === path)) {
    for (const event of request.events as { id: string; source?: string }[]) {
      const id = `${event.source ?? ''}\n${event.id}`;
      const logged = seqOf.get(id);
      if (!logged) continue; // not one the check is about
      // A redelivery (sent, then not recorded when its process died: its run is sent again once the claim
      // lapses) may follow later events of its key that were sent with it; the receiver has it already.
      // Order is checked on first receipt, which is what a receiver deduplicating on the key acts on.
      if (seen.has(id)) {
        redeliveries += 1;
        continue;
      }
      seen.add(id);
      const key = logged.event.subject;
      const last = lastSeqOfKey.get(key) ?? 0;
      if (logged.seq < last) outOfOrder.push(`${key}: ${event.id} (seq ${logged.seq}) after seq ${last}`);
      lastSeqOfKey.set(key, Math.max(last, logged.seq));
    }
  }
  const missing = wanted.filter((e) => !seen.has(`${e.event.source}\n${e.event.id}`)).map((e) => e.event.id);
  return { path, expected: wanted.length, missing, redeliveries, outOfOrder };
}
