/**
 * Crash safety of batched and coalesced delivery (docs/delivery.md §3, §9): the real hub, delivering in
 * batches to a slow local target, is killed with SIGKILL mid-delivery and restarted, and more events come
 * in. Per key the target receives:
 * - with `batch: true` (order events): every event at least once, in order; what arrives twice is only the
 *   tail that was sent and not recorded at the crash, sent again from its first event, in order (N, N+1,
 *   then N, N+1 again);
 * - with `batch: true` and `coalesce: true` (counts): never an event older than one it already has, except
 *   a resend of one it already has, and the newest count of each key last.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHubProcess } from '../support/hub-process.js';
import { type Sink, startSink } from '../support/sink.js';
import { countedEvent, KEYS, pickedEvent, testConfigYaml } from '../support/test-config.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-crash-batch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY_COUNT = 6;
/** Events per key, half before the crash and half after the restart. */
const PER_KEY = 80;
const orderKeys = Array.from({ length: KEY_COUNT }, (_, i) => `ORD-B${i}`);
const skus = Array.from({ length: KEY_COUNT }, (_, i) => `SKU-C${i}`);

/** Orders `ORD-Bk` and counts `SKU-Ck@DC-EAST` (onHand = index in the key), interleaved, for steps [from, to). */
function eventsFor(from: number, to: number): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (let n = from; n < to; n++)
    for (let k = 0; k < KEY_COUNT; k++) {
      const data = { orderId: orderKeys[k], location: 'DC-EAST', lines: [{ lineId: '1', quantity: n + 1 }] };
      events.push(pickedEvent(orderKeys[k] as string, { data }));
      events.push(countedEvent(skus[k] as string, 'DC-EAST', n));
    }
  return events;
}

async function ingest(url: string, events: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < events.length; i += 100) {
    const response = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/cloudevents-batch+json',
        authorization: `Bearer ${KEYS.wmsEast}`,
      },
      body: JSON.stringify(events.slice(i, i + 100)),
    });
    expect(response.status, await response.text()).toBe(202);
  }
}

/** Per subject, the index in its key of each event received at `path` (orders: quantity − 1, counts: onHand), in arrival order. */
function arrivals(sink: Sink, path: string): Map<string, number[]> {
  const bySubject = new Map<string, number[]>();
  for (const request of sink.received.filter((r) => r.path === path))
    for (const event of request.events) {
      const data = event.data as { lines?: { quantity: number }[]; onHand?: number };
      const list = bySubject.get(event.subject as string) ?? [];
      list.push(data.onHand ?? (data.lines?.[0]?.quantity as number) - 1);
      bySubject.set(event.subject as string, list);
    }
  return bySubject;
}

describe('SIGKILL during batched and coalesced delivery', () => {
  it('keeps each key in order, loses nothing, resends only the unrecorded tail, and ends on the newest count', async () => {
    // The kill comes as the third order request arrives: it is on the wire (answered only after 300 ms),
    // so its events are sent but not recorded, and must be sent again after the restart.
    let orderRequests = 0;
    let onWire: (events: string[]) => void = () => undefined;
    const killed = new Promise<string[]>((resolve) => {
      onWire = resolve;
    });
    const sink = await startSink((request) => {
      if (request.path === '/orders' && ++orderRequests === 3) onWire(request.events.map((e) => e.id));
      return { status: 200, delayMs: request.path === '/orders' ? 300 : 100 };
    });
    const configFile = join(dir, 'manifold.yaml');
    writeFileSync(
      configFile,
      testConfigYaml({
        store: `{ sqlite: "${join(dir, 'hub.db')}" }`,
        subscriptions: `subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.picked.v1]
    http: { url: ${sink.url}/orders, batch: true }
    rateLimit: { perSecond: 100000, concurrency: 2 }
  - name: erp-counts
    target: erp
    types: [com.manifold.inventory.counted.v1]
    coalesce: true
    http: { url: ${sink.url}/counts, batch: true }
    rateLimit: { perSecond: 100000, concurrency: 2 }`,
      }),
    );
    const first = await startHubProcess(configFile);
    let unrecorded: string[] = [];
    try {
      await ingest(first.url, eventsFor(0, PER_KEY / 2));
      unrecorded = await Promise.race([
        killed,
        new Promise<string[]>((_, reject) => setTimeout(() => reject(new Error('no third request')), 20_000)),
      ]);
    } finally {
      await first.kill('SIGKILL');
    }
    const orderEventsBefore = sink.received
      .filter((r) => r.path === '/orders')
      .flatMap((r) => r.events).length;
    expect(orderEventsBefore).toBeLessThan(KEY_COUNT * PER_KEY); // killed mid-delivery

    const second = await startHubProcess(configFile);
    try {
      await ingest(second.url, eventsFor(PER_KEY / 2, PER_KEY));
      const done = () => {
        const orders = arrivals(sink, '/orders');
        const counts = arrivals(sink, '/counts');
        return (
          orderKeys.every((key) => new Set(orders.get(key)).size === PER_KEY) &&
          skus.every((sku) => counts.get(`${sku}@DC-EAST`)?.at(-1) === PER_KEY - 1)
        );
      };
      const deadline = Date.now() + 40_000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error('not every event was delivered after the restart');
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 500)); // nothing older may follow

      // What was on the wire at the crash arrived again (the unrecorded tail).
      const times = new Map<string, number>();
      for (const event of sink.received.flatMap((r) => r.events))
        times.set(event.id, (times.get(event.id) ?? 0) + 1);
      expect(unrecorded.length).toBeGreaterThan(0);
      for (const id of unrecorded) expect(times.get(id)).toBeGreaterThanOrEqual(2);

      // Batching was on: requests carried several events.
      expect(Math.max(...sink.received.map((r) => r.events.length))).toBeGreaterThan(1);

      // Orders: forward one event at a time, never skipping one; a step back only to resend the tail.
      const orders = arrivals(sink, '/orders');
      for (const key of orderKeys) {
        const order = orders.get(key) as number[];
        let highest = -1;
        for (let i = 0; i < order.length; i += 1) {
          const at = order[i] as number;
          expect(at, `${key}: ${order.join(',')}`).toBeLessThanOrEqual(highest + 1);
          if (i > 0 && at > (order[i - 1] as number)) expect(at).toBe((order[i - 1] as number) + 1);
          highest = Math.max(highest, at);
        }
        expect(new Set(order).size).toBe(PER_KEY);
      }

      // Counts: a subsequence in order, a step back only once (the crash) and only to counts already
      // received, resent in order; the newest count last.
      const counts = arrivals(sink, '/counts');
      let coalesced = 0;
      for (const sku of skus) {
        const order = counts.get(`${sku}@DC-EAST`) as number[];
        const seen = new Set<number>();
        let highest = -1;
        let stepsBack = 0;
        for (let i = 0; i < order.length; i += 1) {
          const at = order[i] as number;
          if (i > 0 && at <= (order[i - 1] as number)) stepsBack += 1;
          if (at <= highest) expect(seen.has(at), `${sku}: ${order.join(',')}`).toBe(true);
          seen.add(at);
          highest = Math.max(highest, at);
        }
        expect(stepsBack, `${sku}: ${order.join(',')}`).toBeLessThanOrEqual(1);
        expect(order.at(-1)).toBe(PER_KEY - 1);
        coalesced += PER_KEY - seen.size;
      }
      // Coalescing was on: a slow target did not get every count.
      expect(coalesced).toBeGreaterThan(0);
    } finally {
      await second.kill('SIGTERM');
      await sink.close();
    }
  }, 90_000);
});
