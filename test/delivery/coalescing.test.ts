/**
 * Coalescing end to end (docs/delivery.md §3): the delivery engine against a real, slow HTTP
 * target. Availability figures keep changing faster than the target answers: it receives far fewer calls
 * than there were figures, each key's figures in log order, and the last call of each key carries the
 * latest figure. Position events on the same subscription are never coalesced: every one arrives, in order.
 */
import type Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import type { CloudEvent } from '../../src/domain/cloud-event.js';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { testConfigYaml } from '../support/test-config.js';

const SUBSCRIPTION = 'shop-inventory';
const AVAILABILITY = 'com.manifold.inventory.availability.v1';
const POSITION = 'com.manifold.inventory.position.v1';
/** How long the target takes to answer each request. */
const TARGET_DELAY_MS = 200;

let hub: TestApp | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  hub = undefined;
  sink = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let counter = 0;

/** An event as the hub emits it (`source` /manifold, subject and partitionkey filled in). */
function hubEvent(type: string, subject: string, data: Record<string, unknown>): CloudEvent {
  counter += 1;
  return {
    specversion: '1.0',
    id: `hub-${process.pid}-${Date.now()}-${counter}`,
    source: '/manifold',
    type,
    subject,
    partitionkey: subject,
    time: new Date().toISOString(),
    data,
  };
}

/** Appends one event the way the hub does for its own events, and wakes the subscription's runner. */
async function emit(event: CloudEvent): Promise<void> {
  await hub!.store.append([
    { system: 'manifold', event, outbox: [{ subscription: SUBSCRIPTION, target: 'shop' }] },
  ]);
  hub!.engine!.wake([SUBSCRIPTION]);
}

it('a slow storefront receives the latest availability figure, not every step', {
  timeout: 30_000,
}, async () => {
  sink = await startSink(() => ({ status: 200, delayMs: TARGET_DELAY_MS }));
  hub = await buildTestApp({
    yaml: testConfigYaml({
      subscriptions: `subscriptions:
  - name: ${SUBSCRIPTION}
    target: shop
    types: [${AVAILABILITY}, ${POSITION}]
    http: { url: ${sink.url}/shop }
    rateLimit: { perSecond: 1000, concurrency: 4 }`,
    }),
    delivery: { pollMs: 10 },
  });

  // 60 figures of SKU-1 on web and 30 of SKU-2, one change every ~10 ms (a target answer takes 200 ms),
  // and 6 position events of SKU-1 at DC-EAST among them.
  const steps = 60;
  const started = performance.now();
  const last = { 'SKU-1@web': 0, 'SKU-2@web': 0 };
  let positions = 0;
  for (let i = 1; i <= steps; i++) {
    await emit(hubEvent(AVAILABILITY, 'SKU-1@web', { sku: 'SKU-1', channel: 'web', available: i }));
    last['SKU-1@web'] = i;
    if (i % 2 === 0) {
      await emit(hubEvent(AVAILABILITY, 'SKU-2@web', { sku: 'SKU-2', channel: 'web', available: 1000 + i }));
      last['SKU-2@web'] = 1000 + i;
    }
    if (i % 10 === 0) {
      positions += 1;
      await emit(hubEvent(POSITION, 'SKU-1@DC-EAST', { sku: 'SKU-1', location: 'DC-EAST', seq: positions }));
    }
    await sleep(10);
  }
  const changingMs = performance.now() - started;

  /** What the target received per key: the figures (or position numbers), in arrival order. */
  const received = (subject: string) =>
    sink!.received
      .flatMap((request) => request.events)
      .filter((event) => event.subject === subject)
      .map((event) => event.data as { available?: number; seq?: number });
  const deadline = Date.now() + 15_000;
  while (
    received('SKU-1@web').at(-1)?.available !== last['SKU-1@web'] ||
    received('SKU-2@web').at(-1)?.available !== last['SKU-2@web'] ||
    received('SKU-1@DC-EAST').length < positions ||
    (await hub.store.delivery.deliveryBacklog()).length > 0
  ) {
    if (Date.now() > deadline) throw new Error(`not all delivered: ${sink.received.length} requests`);
    await sleep(20);
  }

  const sku1 = received('SKU-1@web').map((data) => data.available as number);
  const sku2 = received('SKU-2@web').map((data) => data.available as number);
  // Far fewer calls than figures: one per key per answer of the target while figures kept changing, and
  // the last one. Each key's figures in log order, never one twice; the last is the latest.
  const rounds = Math.floor(changingMs / TARGET_DELAY_MS) + 2;
  for (const figures of [sku1, sku2]) expect(figures.length).toBeLessThanOrEqual(rounds);
  expect(sku1.length).toBeLessThan(steps / 3);
  for (const figures of [sku1, sku2]) expect(figures).toEqual([...new Set(figures)].sort((a, b) => a - b));
  expect(sku1.at(-1)).toBe(steps);
  expect(sku2.at(-1)).toBe(1000 + steps);
  // Position events are not coalesced: all of them, in order.
  expect(received('SKU-1@DC-EAST').map((data) => data.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  await sleep(3 * TARGET_DELAY_MS);
  expect(received('SKU-1@web')).toHaveLength(sku1.length);

  // In the outbox: what was not sent is skipped, and names the newer row of its key that replaced it.
  const outbox = await hub.store.listOutbox({ subscription: SUBSCRIPTION, limit: 1000 });
  expect(outbox).toHaveLength(steps + steps / 2 + positions);
  const delivered = outbox.filter((row) => row.status === 'delivered');
  const skipped = outbox.filter((row) => row.status === 'skipped');
  expect(delivered).toHaveLength(sku1.length + sku2.length + positions);
  expect(skipped).toHaveLength(outbox.length - delivered.length);
  const { db } = hub.store as unknown as { db: Database.Database };
  const superseded = new Map(
    (
      db.prepare('SELECT id, superseded_by FROM outbox WHERE status = ?').all('skipped') as {
        id: number;
        superseded_by: number;
      }[]
    ).map((row) => [row.id, row.superseded_by]),
  );
  const byId = new Map(outbox.map((row) => [row.id, row]));
  for (const row of skipped) {
    const newer = byId.get(superseded.get(row.id) as number);
    expect(newer?.partitionKey).toBe(row.partitionKey);
    expect(newer?.id).toBeGreaterThan(row.id);
  }
});
