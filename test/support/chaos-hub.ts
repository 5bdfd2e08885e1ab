/**
 * What the chaos test (test/crash/chaos.test.ts) needs around the hub: a port it can listen on again after
 * every restart, its subscriptions (shaped like examples/manifold.yaml, all to the flaky receiver), which
 * logged events each receiver path must get, and reads of the log, the ledger and the positions.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { SeededRandom } from './seeded-random.js';
import { KEYS } from './test-config.js';

/**
 * A free port below the kernel's ephemeral range: the hub listens on it again after every restart, and a
 * port from that range could meanwhile be handed to another test's listener or outgoing connection.
 */
export async function stablePort(): Promise<number> {
  let low = 32768;
  try {
    low =
      Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual lower bound
  }
  const random = new SeededRandom(process.pid);
  for (let tries = 0; tries < 50; tries += 1) {
    const port = random.int(Math.max(1024, low - 12000), low - 1);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no free port below the ephemeral range');
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The example's shape: order events to the ERP, releases to each WMS, milestones and availability to the channels. */
export function subscriptions(receiver: string): string {
  const http = (path: string) =>
    `{ url: "${receiver}${path}", secret: chaos-hook-secret-000001, timeoutMs: 3000 }`;
  const retry = '{ maxAttempts: 12, initialDelayMs: 250, maxDelayMs: 4000 }';
  return `subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: ${http('/erp/orders')}
    rateLimit: { perSecond: 1000, concurrency: 16 }
    retry: ${retry}
    onFailure: hold
  - name: wms-east-releases
    target: wms-east
    types: [com.manifold.order.released.v1, com.manifold.order.release-cancelled.v1]
    filter: { data: { location: DC-EAST } }
    http: ${http('/wms-east/releases')}
    retry: ${retry}
    onFailure: hold
  - name: wms-west-releases
    target: wms-west
    types: [com.manifold.order.released.v1, com.manifold.order.release-cancelled.v1]
    filter: { data: { location: DC-WEST } }
    http: ${http('/wms-west/releases')}
    retry: ${retry}
    onFailure: hold
  - name: shop-orders
    target: shop
    types: [com.manifold.order.milestone.v1, com.manifold.order.exception.v1]
    filter: { subject: 'WEB-*' }
    http: ${http('/shop/orders')}
    rateLimit: { perSecond: 1000, concurrency: 8 }
    retry: ${retry}
  - name: shop-availability
    target: shop
    types: [com.manifold.inventory.availability.v1]
    filter: { data: { channel: web } }
    http: ${http('/shop/availability')}
    retry: { maxAttempts: 6, initialDelayMs: 250, maxDelayMs: 4000 }
    onFailure: skip
  - name: portal-orders
    target: portal
    types: [com.manifold.order.milestone.v1, com.manifold.order.exception.v1]
    filter: { subject: 'B2B-*' }
    http: ${http('/portal/orders')}
    retry: ${retry}
`;
}

/** Which logged events each receiver path must get (the subscriptions above, order events only). */
export const ROUTES: { path: string; wants: (e: LoggedEvent) => boolean }[] = [
  { path: '/erp/orders', wants: (e) => e.event.type.startsWith('com.manifold.order.') && e.system !== 'erp' },
  { path: '/wms-east/releases', wants: (e) => isRelease(e) && e.event.data?.location === 'DC-EAST' },
  { path: '/wms-west/releases', wants: (e) => isRelease(e) && e.event.data?.location === 'DC-WEST' },
  { path: '/shop/orders', wants: (e) => isHubOrderNews(e) && e.event.subject.startsWith('WEB-') },
  { path: '/portal/orders', wants: (e) => isHubOrderNews(e) && e.event.subject.startsWith('B2B-') },
];

/** An entry of `GET /v1/events`. */
export interface LoggedEvent {
  seq: number;
  system: string;
  event: { id: string; type: string; subject: string; data?: Record<string, unknown> };
}

/** A release (or its withdrawal) to a warehouse. */
export const isRelease = (e: LoggedEvent) =>
  e.event.type === 'com.manifold.order.released.v1' ||
  e.event.type === 'com.manifold.order.release-cancelled.v1';
/** What a channel hears about its orders: milestones and exceptions. */
export const isHubOrderNews = (e: LoggedEvent) =>
  e.event.type === 'com.manifold.order.milestone.v1' || e.event.type === 'com.manifold.order.exception.v1';

/** A GET with the admin key (or `token`): status and parsed body. */
export async function admin<T>(
  base: string,
  path: string,
  token: string = KEYS.admin,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as T };
}

/** The whole event log, in log order. */
export async function readLog(base: string): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await admin<{ items: LoggedEvent[]; next?: string }>(
      base,
      `/v1/events?limit=5000${cursor ? `&cursor=${cursor}` : ''}`,
    );
    events.push(...page.body.items);
    cursor = page.body.next;
  } while (cursor);
  return events;
}

/** An entry of `GET /v1/inventory/{sku}/ledger`. */
export interface LedgerEntry {
  id: number;
  location: string;
  deltas: Record<string, number>;
  reason: string;
  documentRef?: string;
  /** The event that caused it (an order's acceptance, the stock receipt a backorder fill followed). */
  eventId?: string;
  version: number;
}

/** The whole ledger of a SKU, oldest first. */
export async function readLedger(base: string, sku: string): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let before: number | undefined;
  do {
    const page = await admin<{ items: LedgerEntry[]; nextBefore?: number }>(
      base,
      `/v1/inventory/${sku}/ledger?limit=1000${before ? `&before=${before}` : ''}`,
    );
    entries.push(...page.body.items);
    before = page.body.nextBefore;
  } while (before);
  return entries.reverse();
}

/** A position of `GET /v1/inventory/{sku}`. */
export type Position = { location: string; buckets: Record<string, number>; available: number };

/** The SKU's positions (none for an unknown SKU). */
export async function positions(base: string, sku: string): Promise<Position[]> {
  return (await admin<{ positions?: Position[] }>(base, `/v1/inventory/${sku}`)).body.positions ?? [];
}

/** Runs `check` (which lists what is still wrong) until it lists nothing or `ms` passes; the last list. */
export async function eventually(check: () => Promise<string[]>, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const wrong = await check();
    if (wrong.length === 0 || Date.now() > deadline) return wrong;
    await sleep(250);
  }
}

/** `available` of a set of buckets, as the hub derives it. */
export const availableOf = (b: Record<string, number>) =>
  (b.on_hand ?? 0) -
  (b.reserved ?? 0) -
  (b.committed ?? 0) -
  (b.quarantined ?? 0) -
  (b.damaged ?? 0) -
  (b.returned ?? 0);
