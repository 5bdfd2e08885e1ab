/**
 * The pruning loop on every adapter (docs/operations.md#retention-and-backups): it never drops an event above
 * the lowest cursor of the log's consumers, keeps an order's events until the order is closed plus the
 * period, archives what it drops (gzip JSON Lines named by log positions) before dropping it, and runs in one
 * process at a time (the `retention` lease).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { RetentionConfig } from '../src/config/compiled-config.js';
import type { CloudEvent } from '../src/domain/cloud-event.js';
import type { OrderState } from '../src/domain/orders/lifecycle.js';
import { archiveName, readArchive } from '../src/engine/retention/event-archive.js';
import { LOG_CURSORS, RetentionLoop } from '../src/engine/retention/retention-loop.js';
import type { OrderDocument, OrderRecord } from '../src/store/order-port.js';
import type { Store } from '../src/store/store-port.js';
import { describeEachStore } from './support/stores.js';

const DAY = 86_400_000;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function event(source: string, id: string, subject: string): CloudEvent {
  return { specversion: '1.0', id, source, type: 'com.manifold.test.v1', subject, data: { id } };
}

function order(orderId: string, milestone: string, updatedAt: string, version: number): OrderRecord {
  const state = {
    orderId,
    channel: 'web',
    milestone,
    reached: [milestone],
    lines: [],
  } as unknown as OrderState;
  const document = { orderId, channel: 'web', lines: [] } as unknown as OrderDocument;
  return {
    orderId,
    channel: 'web',
    system: 'shop',
    milestone,
    status: milestone,
    holds: [],
    state,
    document,
    version,
    createdAt: updatedAt,
    updatedAt,
  };
}

async function writeOrder(store: Store, record: OrderRecord, at: string) {
  await store.orders.commit({
    events: [],
    movements: [],
    orders: [{ record, expectVersion: record.version - 1 }],
    annotations: [],
    exceptions: [],
    at,
  });
}

async function moveCursors(store: Store, to: (name: string) => number) {
  for (const name of LOG_CURSORS) {
    const from = await store.log.cursor(name);
    expect(await store.log.moveCursor(name, from, to(name))).toBe(true);
  }
}

await describeEachStore(
  'retention loop',
  (t) => {
    it('archives then drops consumed payloads, below the lowest cursor, keeping open orders; one process at a time', async () => {
      const { store } = t;
      const archiveDir = mkdtempSync(join(tmpdir(), 'manifold-archive-'));
      dirs.push(archiveDir);
      const source = `/test/${randomUUID()}`;
      const orderId = `SO-${randomUUID().slice(0, 8)}`;
      const ids = ['a', 'b', 'c', 'd'];
      const outcomes = await store.append(
        ids.map((id) => ({
          system: 'shop',
          event: event(source, id, id === 'b' ? orderId : `k-${id}`),
          outbox: [],
        })),
      );
      const [a, b, c, d] = outcomes.map((o) => o.seq) as [number, number, number, number];
      // b is an event of an order that is still open.
      const now = Date.now();
      await writeOrder(
        store,
        order(orderId, 'shipped', new Date(now).toISOString(), 1),
        new Date(now).toISOString(),
      );
      // The order processor has got to c; the other consumers are past d.
      await moveCursors(store, (name) => (name === 'orders' ? c : d));

      const config: RetentionConfig = {
        eventsMs: DAY,
        intervalMs: 60_000,
        batch: 2,
        archive: { dir: archiveDir },
      };
      let clock = now + 2 * DAY;
      const loop = new RetentionLoop(store, config, { now: () => new Date(clock) });
      const other = t.reopen();
      await other.migrate();
      const otherLoop = new RetentionLoop(other, config, { now: () => new Date(clock) });
      expect(await loop.run()).toEqual({ events: 2, attempts: 0, deliveries: 0, ledger: 0 });
      // The other process does not hold the lease: it prunes nothing.
      expect(await otherLoop.run()).toEqual({ events: 0, attempts: 0, deliveries: 0, ledger: 0 });

      // a and c went (d is above the order processor's cursor, b's order is open), archived first.
      const page = await store.listEvents({ source, limit: 10 });
      expect(page.items.map((e) => e.seq)).toEqual([b, d]);
      expect(readdirSync(archiveDir)).toEqual([archiveName(a, c)]);
      const lines = await readArchive(join(archiveDir, archiveName(a, c)));
      expect(lines.map((l) => [l.seq, l.system, l.event.id])).toEqual([
        [a, 'shop', 'a'],
        [c, 'shop', 'c'],
      ]);
      expect(lines[0]?.event).toEqual(event(source, 'a', 'k-a'));

      // The order closes; once it has been closed for the period, its events go too.
      await writeOrder(
        store,
        order(orderId, 'delivered', new Date(clock).toISOString(), 2),
        new Date(clock).toISOString(),
      );
      await moveCursors(store, () => d);
      clock += DAY / 2;
      expect((await loop.run()).events).toBe(1); // d
      clock += DAY;
      expect((await loop.run()).events).toBe(1); // b
      expect((await store.listEvents({ source, limit: 10 })).items).toEqual([]);
      await loop.stop();
      // Released on stop: another process takes it at once.
      expect(await store.ops.tryLease('retention', 'another', new Date(clock).toISOString(), 1000)).toBe(
        true,
      );
      await otherLoop.stop();
    });
  },
  { fresh: 'each' },
);
