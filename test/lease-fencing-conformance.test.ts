/**
 * Lease epochs and fenced writes on every adapter (docs/durability.md#fencing): a lease's epoch grows only
 * when it passes to another holder (or is taken again after a release, which keeps its row); a singleton's
 * write carrying a fence the lease no longer matches — a process that paused past its lease — throws
 * `LeaseLost` and writes nothing (no event, no outbox row, no cursor, no alert state, no ledger fold), while
 * the current holder's fenced writes go through.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AlertInstance } from '../src/domain/alerts/alert-state.js';
import type { CloudEvent } from '../src/domain/cloud-event.js';
import type { Movement } from '../src/store/inventory-port.js';
import { type LeaseFence, LeaseLost } from '../src/store/lease-fence.js';
import type { NewEvent, Store } from '../src/store/store-port.js';
import { describeEachStore, type TestStore } from './support/stores.js';

const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function newEvent(source: string, id: string): NewEvent {
  const event: CloudEvent = { specversion: '1.0', id, source, type: 'com.manifold.test.v1', subject: id };
  return { system: 'erp', event, outbox: [{ subscription: 'to-wms', target: 'wms' }] };
}

function alert(rule: string): AlertInstance {
  return {
    rule,
    severity: 'warning',
    kind: 'drift',
    status: 'firing',
    value: 2,
    threshold: 1,
    summary: rule,
  };
}

function received(sku: string, onHand: number): Movement {
  return {
    sku,
    location: 'east',
    deltas: { on_hand: onHand },
    reason: 'received',
    guard: 'fact',
    system: 'wms',
  };
}

function conformance(t: TestStore) {
  let store: Store;
  beforeEach(() => {
    store = t.store;
  });

  /** `a` takes `name`, then `b` takes it over once it expired: a's fence is stale, b's current. */
  async function takenOver(name: string): Promise<{ stale: LeaseFence; current: LeaseFence }> {
    const first = await store.ops.takeLease(name, 'a', at(0), 10_000);
    const second = await store.ops.takeLease(name, 'b', at(10_001), 10_000);
    expect(first).toBeDefined();
    expect(second).toBe((first as number) + 1);
    return {
      stale: { name, holder: 'a', epoch: first as number },
      current: { name, holder: 'b', epoch: second as number },
    };
  }

  describe('lease epochs', () => {
    it('stay over renewals, grow on a takeover and on a new tenure after a release, never go back', async () => {
      expect(await store.ops.takeLease('source:x', 'a', at(0), 10_000)).toBe(1);
      expect(await store.ops.takeLease('source:x', 'a', at(5000), 10_000)).toBe(1); // renewed
      expect(await store.ops.takeLease('source:x', 'b', at(6000), 10_000)).toBeUndefined(); // held
      expect(await store.ops.takeLease('source:x', 'b', at(15_001), 10_000)).toBe(2); // expired: taken over
      expect(await store.ops.takeLease('source:x', 'a', at(16_000), 10_000)).toBeUndefined();
      await store.ops.releaseLease('source:x', 'b');
      expect(await store.ops.leases()).toEqual([]); // released: not listed, but the row keeps its epoch
      expect(await store.ops.takeLease('source:x', 'b', at(17_000), 10_000)).toBe(3); // a new tenure
      await store.ops.releaseLease('source:x', 'b');
      expect(await store.ops.takeLease('source:x', 'a', at(18_000), 10_000)).toBe(4);
      expect(await store.ops.leases()).toEqual([
        { name: 'source:x', owner: 'a', expiresAt: at(28_000), epoch: 4 },
      ]);
    });

    it('a takeover raced by many processes gives one of them the next epoch', async () => {
      await store.ops.takeLease('alerts', 'old', at(0), 1000);
      const others = [store, t.reopen(), t.reopen()];
      await Promise.all(others.slice(1).map((s) => s.migrate()));
      const answers = await Promise.all(
        others.flatMap((s, i) =>
          [0, 1].map((j) => s.ops.takeLease('alerts', `p${i}-${j}`, at(5000), 10_000)),
        ),
      );
      expect(answers.filter((e) => e !== undefined)).toEqual([2]);
    });
  });

  describe('a stale holder writes nothing', () => {
    it("a poller's events and cursor (connector state commit)", async () => {
      const { stale, current } = await takenOver('source:poll:erp:customers');
      const source = `/poll/${randomUUID()}`;
      await expect(
        store.connectorState.commit(
          'poll:erp:customers',
          [newEvent(source, 'a'), newEvent(source, 'b')],
          { cursor: 'page-2' },
          at(11_000),
          stale,
        ),
      ).rejects.toBeInstanceOf(LeaseLost);
      expect((await store.listEvents({ source, limit: 10 })).items).toEqual([]);
      expect(await store.connectorState.list('poll:erp:customers')).toEqual([]);
      await expect(
        store.connectorState.put('poll:erp:customers', 'status', { state: 'ok' }, at(11_000), stale),
      ).rejects.toBeInstanceOf(LeaseLost);
      expect(await store.connectorState.list('poll:erp:customers')).toEqual([]);

      // The holder's commit goes through, events, outbox rows and cursor together.
      const outcomes = await store.connectorState.commit(
        'poll:erp:customers',
        [newEvent(source, 'a'), newEvent(source, 'b')],
        { cursor: 'page-2' },
        at(12_000),
        current,
      );
      expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted']);
      expect((await store.listEvents({ source, limit: 10 })).items.map((e) => e.event.id)).toEqual([
        'a',
        'b',
      ]);
      expect(await store.listOutbox({ eventSeq: outcomes[0]!.seq, limit: 10 })).toHaveLength(1);
      expect(await store.connectorState.get('poll:erp:customers', 'cursor')).toBe('page-2');
    });

    it('a fence of a released lease, or at a later epoch of the same holder, is stale too', async () => {
      const epoch = (await store.ops.takeLease('source:p', 'a', at(0), 10_000)) as number;
      await store.ops.releaseLease('source:p', 'a');
      const fence = { name: 'source:p', holder: 'a', epoch };
      await expect(store.connectorState.put('p', 'cursor', 1, at(1000), fence)).rejects.toBeInstanceOf(
        LeaseLost,
      );
      const again = (await store.ops.takeLease('source:p', 'a', at(2000), 10_000)) as number;
      expect(again).toBe(epoch + 1);
      await expect(store.connectorState.put('p', 'cursor', 1, at(3000), fence)).rejects.toBeInstanceOf(
        LeaseLost,
      );
      expect(await store.connectorState.get('p', 'cursor')).toBeUndefined();
      await store.connectorState.put('p', 'cursor', 2, at(3000), { ...fence, epoch: again });
      expect(await store.connectorState.get('p', 'cursor')).toBe(2);
    });

    it("the alert evaluator's state", async () => {
      const { stale, current } = await takenOver('alerts');
      await expect(
        store.ops.saveAlertStates([{ key: 'drift', alert: alert('drift') }], at(11_000), stale),
      ).rejects.toBeInstanceOf(LeaseLost);
      expect(await store.ops.alertStates()).toEqual([]);
      await store.ops.saveAlertStates([{ key: 'drift', alert: alert('drift') }], at(12_000), current);
      expect((await store.ops.alertStates()).map((s) => s.key)).toEqual(['drift']);
    });

    it("the retention loop's ledger checkpoint", async () => {
      const sku = `SKU-${randomUUID().slice(0, 8)}`;
      for (const n of [5, 7, 3]) await store.inventory.applyMovements([received(sku, n)]);
      const ids = (await store.inventory.ledger({ sku, limit: 10 })).map((r) => r.id);
      const later = new Date(Date.now() + 3_600_000).toISOString();
      const { stale, current } = await takenOver('retention');
      await expect(
        store.retention.checkpointLedger(later, Math.max(...ids), 100, stale),
      ).rejects.toBeInstanceOf(LeaseLost);
      expect(await store.inventory.ledger({ sku, limit: 10 })).toHaveLength(3);
      expect(await store.retention.checkpointLedger(later, Math.max(...ids), 100, current)).toBe(2);
      const folded = await store.inventory.ledger({ sku, limit: 10 });
      expect(folded.map((r) => [r.reason, r.deltas])).toEqual([['checkpoint', { on_hand: 15 }]]);
    });
  });
}

await describeEachStore('lease fencing', conformance, { fresh: 'each' });
