/**
 * Retention on every adapter (docs/operations.md#retention-and-backups): which event payloads may be dropped
 * (never above the given cursor, never with a pending delivery), that a dropped event stays a duplicate and
 * leaves the log's reads, that attempts and delivered rows are removed in bounded batches while pending rows
 * stay, and that folding the ledger into checkpoint rows keeps the positions rebuilt from it.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { CloudEvent } from '../src/domain/cloud-event.js';
import type { DeliveryClaim } from '../src/store/delivery-port.js';
import type { Movement } from '../src/store/inventory-port.js';
import type { Store } from '../src/store/store-port.js';
import { describeEachStore } from './support/stores.js';

/** A cut-off in the future: everything written so far is "old". */
const LATER = new Date(Date.now() + 3_600_000).toISOString();
const EARLIER = new Date(Date.now() - 3_600_000).toISOString();
const SUBSCRIPTION = 'erp-orders';

function event(source: string, id: string): CloudEvent {
  return { specversion: '1.0', id, source, type: 'com.manifold.test.v1', subject: `k-${id}`, data: { id } };
}

async function appendThree(store: Store) {
  const source = `/test/${randomUUID()}`;
  const events = ['a', 'b', 'c'].map((id) => event(source, id));
  const outcomes = await store.append(
    events.map((e, i) => ({
      system: 'erp',
      event: e,
      outbox: i < 2 ? [{ subscription: SUBSCRIPTION, target: 'erp' }] : [],
    })),
  );
  return { source, events, seqs: outcomes.map((o) => o.seq) };
}

/** Delivers the outbox row of `seq` (one attempt, delivered). */
async function deliver(store: Store, seq: number): Promise<void> {
  const at = new Date().toISOString();
  const claims = await store.delivery.claimDeliveries({
    subscription: SUBSCRIPTION,
    limit: 100,
    now: at,
    leaseMs: 0,
    owner: 'test',
    inFlight: new Set(),
  });
  const claim = claims.find((c) => c.eventSeq === seq) as DeliveryClaim;
  expect(claim).toBeDefined();
  await store.delivery.completeAttempt({
    claim,
    owner: 'test',
    startedAt: at,
    finishedAt: at,
    outcome: 'delivered',
    latencyMs: 1,
    next: { kind: 'delivered' },
  });
}

function received(sku: string, location: string, onHand: number): Movement {
  return {
    sku,
    location,
    deltas: { on_hand: onHand },
    reason: 'received',
    guard: 'fact',
    system: 'wms',
  };
}

await describeEachStore(
  'retention',
  (t) => {
    it('drops payloads only of consumed events without open deliveries; a dropped event stays a duplicate', async () => {
      const { store } = t;
      const { source, seqs } = await appendThree(store);
      const [a, b, c] = seqs as [number, number, number];
      // Nothing is old before the cut-off.
      expect(await store.retention.prunableEvents(EARLIER, c, 10)).toEqual([]);
      // a and b wait for their delivery.
      expect((await store.retention.prunableEvents(LATER, c, 10)).map((e) => e.seq)).toEqual([c]);
      await deliver(store, a);
      // Never above the cursor given.
      expect((await store.retention.prunableEvents(LATER, a, 10)).map((e) => e.seq)).toEqual([a]);
      const prunable = await store.retention.prunableEvents(LATER, c, 10);
      expect(prunable.map((e) => e.seq)).toEqual([a, c]);
      expect(prunable[0]).toMatchObject({ system: 'erp', envelope: { id: 'a', source, data: { id: 'a' } } });
      expect(await store.retention.dropPayloads([a, c], new Date().toISOString())).toBe(2);
      expect(await store.retention.dropPayloads([a], new Date().toISOString())).toBe(0);
      expect(await store.retention.prunableEvents(LATER, c, 10)).toEqual([]);
      // Gone from the log's reads, still there as a duplicate.
      const page = await store.listEvents({ source, limit: 10 });
      expect(page.items.map((e) => e.seq)).toEqual([b]);
      expect(await store.log.eventsAfter(0, ['com.manifold.test.v1'], 10)).toMatchObject([{ seq: b }]);
      const again = await store.append([{ system: 'erp', event: event(source, 'a'), outbox: [] }]);
      expect(again).toEqual([{ status: 'duplicate', seq: a }]);
    });

    it('removes attempts and then delivered rows in batches, never pending rows', async () => {
      const { store } = t;
      const first = await appendThree(store);
      const second = await appendThree(store);
      const delivered = [first.seqs[0], first.seqs[1], second.seqs[0]] as number[];
      for (const seq of delivered) await deliver(store, seq);
      const pending = second.seqs[1] as number;
      expect(await store.retention.pruneAttempts(EARLIER, 10)).toBe(0);
      // The rows with attempts stay until their attempts are gone.
      expect(await store.retention.pruneDeliveries(LATER, 10)).toBe(0);
      expect(await store.retention.pruneAttempts(LATER, 2)).toBe(2);
      expect(await store.retention.pruneAttempts(LATER, 2)).toBe(1);
      expect(await store.retention.pruneDeliveries(EARLIER, 10)).toBe(0);
      expect(await store.retention.pruneDeliveries(LATER, 2)).toBe(2);
      expect(await store.retention.pruneDeliveries(LATER, 2)).toBe(1);
      expect(await store.retention.pruneDeliveries(LATER, 2)).toBe(0);
      const rows = await store.listOutbox({ subscription: SUBSCRIPTION, limit: 100 });
      expect(rows.map((r) => [r.eventSeq, r.status])).toEqual([[pending, 'pending']]);
      // Their events can now go too (the pending one stays).
      const prunable = await store.retention.prunableEvents(LATER, Number.MAX_SAFE_INTEGER, 10);
      expect(prunable.map((e) => e.seq)).not.toContain(pending);
      expect(prunable.map((e) => e.seq)).toEqual(expect.arrayContaining(delivered));
    });

    it('folds old ledger rows into one checkpoint per position: positions from the ledger are unchanged', async () => {
      const { store } = t;
      const sku = `SKU-${randomUUID().slice(0, 8)}`;
      const writes: [string, number][] = [
        ['east', 5],
        ['east', 7],
        ['west', 2],
        ['west', 4],
        ['east', -3],
        ['east', 11],
      ];
      for (const [location, n] of writes) await store.inventory.applyMovements([received(sku, location, n)]);
      const before = await store.inventory.positionsFromLedger(sku);
      const rows = await store.inventory.ledger({ sku, limit: 100 });
      const ids = rows.map((r) => r.id).sort((x, y) => x - y);
      const maxId = Math.max(...ids);
      expect(await store.retention.checkpointLedger(EARLIER, maxId, 100)).toBe(0);
      // Only rows at or below the cursor given are folded: the last east row stays as it is.
      const lastEast = Math.max(...rows.filter((r) => r.location === 'east').map((r) => r.id));
      const removed = await store.retention.checkpointLedger(LATER, lastEast - 1, 100);
      expect(removed).toBe(2 + 1);
      expect(await store.inventory.positionsFromLedger(sku)).toEqual(before);
      const after = await store.inventory.ledger({ sku, limit: 100 });
      expect(after.map((r) => [r.location, r.reason, r.deltas])).toEqual([
        ['east', 'received', { on_hand: 11 }],
        ['west', 'checkpoint', { on_hand: 6 }],
        ['east', 'checkpoint', { on_hand: 9 }],
      ]);
      // Again, with everything below the cursor: one row per position, the same positions.
      expect(await store.retention.checkpointLedger(LATER, maxId, 100)).toBe(1);
      expect(await store.retention.checkpointLedger(LATER, maxId, 100)).toBe(0);
      expect(await store.inventory.positionsFromLedger(sku)).toEqual(before);
      expect((await store.inventory.ledger({ sku, limit: 100 })).length).toBe(2);
      expect((await store.inventory.positions(sku)).map((p) => p.buckets.on_hand)).toEqual([20, 6]);
    });
  },
  { fresh: 'each' },
);
