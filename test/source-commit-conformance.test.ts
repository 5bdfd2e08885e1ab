/**
 * A source's events and its connector state in one transaction, on every adapter (a poller's page and
 * its cursor): both are written, or — when the transaction fails after the events were inserted — neither.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import type { CloudEvent } from '../src/domain/cloud-event.js';
import type { NewEvent, Store } from '../src/store/store-port.js';
import { describeEachStore, type TestStore } from './support/stores.js';

const T0 = '2026-12-02T10:00:00.000Z';

function newEvent(source: string, id: string, outbox: NewEvent['outbox'] = []): NewEvent {
  const event: CloudEvent = { specversion: '1.0', id, source, type: 'com.manifold.test.v1', subject: id };
  return { system: 'erp', event, outbox };
}

async function idsOf(store: Store, source: string): Promise<string[]> {
  const page = await store.listEvents({ source, limit: 100 });
  return page.items.map((e) => e.event.id);
}

function conformance(t: TestStore) {
  let store: Store;
  beforeEach(() => {
    store = t.store;
  });

  it('writes the events, their outbox rows and the state together', async () => {
    const source = `/poll/${randomUUID()}`;
    const outcomes = await store.connectorState.commit(
      'poll:erp:customers',
      [
        newEvent(source, 'a', [{ subscription: 'to-wms', target: 'wms' }]),
        newEvent(source, 'b'),
        newEvent(source, 'a'),
      ],
      { cursor: '2026-12-02T09:00:00Z', next: null },
      T0,
    );
    expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'duplicate']);
    expect(outcomes[2]?.seq).toBe(outcomes[0]?.seq);
    expect(outcomes[1]!.seq).toBeGreaterThan(outcomes[0]!.seq);
    expect(await idsOf(store, source)).toEqual(['a', 'b']);
    const outbox = await store.listOutbox({ eventSeq: outcomes[0]!.seq, limit: 10 });
    expect(outbox.map((o) => o.subscription)).toEqual(['to-wms']);
    expect(await store.connectorState.list('poll:erp:customers')).toEqual([
      { key: 'cursor', value: '2026-12-02T09:00:00Z', updatedAt: T0 },
      { key: 'next', value: null, updatedAt: T0 },
    ]);

    // Again with one event already logged: a duplicate, nothing written twice, the state moves on.
    const again = await store.connectorState.commit(
      'poll:erp:customers',
      [newEvent(source, 'b'), newEvent(source, 'c')],
      { cursor: '2026-12-02T09:30:00Z' },
      T0,
    );
    expect(again.map((o) => o.status)).toEqual(['duplicate', 'accepted']);
    expect(again[0]?.seq).toBe(outcomes[1]?.seq);
    expect(await idsOf(store, source)).toEqual(['a', 'b', 'c']);
    expect(await store.connectorState.get('poll:erp:customers', 'cursor')).toBe('2026-12-02T09:30:00Z');
    // Only the state: no event.
    expect(await store.connectorState.commit('poll:erp:customers', [], { cursor: 'x' }, T0)).toEqual([]);
    expect(await store.connectorState.get('poll:erp:customers', 'cursor')).toBe('x');
  });

  it('leaves neither events nor state when the transaction fails after the events', async () => {
    const source = `/poll/${randomUUID()}`;
    await store.connectorState.put('poll:erp:orders', 'cursor', 'before', T0);
    // The state write (after the events in the same transaction) breaks a NOT NULL constraint.
    await expect(
      store.connectorState.commit(
        null as unknown as string,
        [newEvent(source, 'x', [{ subscription: 'to-wms', target: 'wms' }]), newEvent(source, 'y')],
        { cursor: 'after' },
        T0,
      ),
    ).rejects.toThrow();
    expect(await idsOf(store, source)).toEqual([]);
    expect(await store.connectorState.get('poll:erp:orders', 'cursor')).toBe('before');
    // The store goes on: the same commit, well formed, writes both.
    await store.connectorState.commit('poll:erp:orders', [newEvent(source, 'x')], { cursor: 'after' }, T0);
    expect(await idsOf(store, source)).toEqual(['x']);
    expect(await store.connectorState.get('poll:erp:orders', 'cursor')).toBe('after');
  });

  it('refuses state that is not JSON before writing anything', async () => {
    const source = `/poll/${randomUUID()}`;
    await expect(
      store.connectorState.commit('poll:erp:x', [newEvent(source, 'z')], { cursor: undefined }, T0),
    ).rejects.toThrow(/not a JSON value/);
    expect(await idsOf(store, source)).toEqual([]);
  });
}

await describeEachStore('source commit (events + connector state)', conformance, { fresh: 'each' });
