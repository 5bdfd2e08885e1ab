/**
 * Connector state on every adapter: a connector instance's keys, each a JSON value, kept apart from every
 * other instance's, replaced in place, removed, and still there for another process on the same database.
 */
import { beforeEach, expect, it } from 'vitest';
import type { Store } from '../src/store/store-port.js';
import { describeEachStore, type TestStore } from './support/stores.js';

const T0 = '2026-12-02T10:00:00.000Z';
const T1 = '2026-12-02T10:05:00.000Z';

function conformance(t: TestStore) {
  let store: Store;
  beforeEach(() => {
    store = t.store;
  });

  it('keeps JSON values per connector instance and key, replaces and removes them', async () => {
    expect(await store.connectorState.get('acme-orders', 'token')).toBeUndefined();
    await store.connectorState.put('acme-orders', 'token', { value: 'abc', expiresAt: T1 }, T0);
    await store.connectorState.put('acme-orders', 'last-sent', [1, 2, 3], T0);
    await store.connectorState.put('shop-orders', 'token', 'other', T0);
    expect(await store.connectorState.get('acme-orders', 'token')).toEqual({ value: 'abc', expiresAt: T1 });
    expect(await store.connectorState.get('shop-orders', 'token')).toBe('other');

    await store.connectorState.put('acme-orders', 'token', { value: 'def' }, T1);
    expect(await store.connectorState.list('acme-orders')).toEqual([
      { key: 'last-sent', value: [1, 2, 3], updatedAt: T0 },
      { key: 'token', value: { value: 'def' }, updatedAt: T1 },
    ]);

    await store.connectorState.delete('acme-orders', 'last-sent');
    await store.connectorState.delete('acme-orders', 'never-there');
    expect(await store.connectorState.list('acme-orders')).toEqual([
      { key: 'token', value: { value: 'def' }, updatedAt: T1 },
    ]);
    // Another hub process on the same database sees the same state.
    const other = t.reopen();
    await other.migrate();
    expect(await other.connectorState.get('acme-orders', 'token')).toEqual({ value: 'def' });
    expect(await other.connectorState.get('shop-orders', 'token')).toBe('other');
  });

  it('refuses a value that is not JSON, and stores falsy values as they are', async () => {
    await expect(store.connectorState.put('a', 'k', undefined, T0)).rejects.toThrow(/not a JSON value/);
    await store.connectorState.put('a', 'zero', 0, T0);
    await store.connectorState.put('a', 'null', null, T0);
    expect(await store.connectorState.get('a', 'zero')).toBe(0);
    expect(await store.connectorState.get('a', 'null')).toBeNull();
  });
}

await describeEachStore('connector state', conformance, { fresh: 'each' });
