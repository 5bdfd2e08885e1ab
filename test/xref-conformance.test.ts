/**
 * Cross-reference tables on every adapter: entries per table and key, replaced in place, paged in key
 * order, found in reverse by a scalar value or an object's chosen field, loaded all or nothing.
 */
import { beforeEach, expect, it } from 'vitest';
import type { Store } from '../src/store/store-port.js';
import { describeEachStore, type TestStore } from './support/stores.js';

const T0 = '2026-12-03T10:00:00.000Z';
const T1 = '2026-12-03T10:05:00.000Z';

function conformance(t: TestStore) {
  let store: Store;
  beforeEach(() => {
    store = t.store;
  });

  it('keeps values per table and key, replaces and removes them', async () => {
    expect(await store.xref.get('sku', 'A-1')).toBeUndefined();
    await store.xref.put('sku', 'A-1', '4401', T0);
    await store.xref.put('locations', 'A-1', { id: 'gid://1', name: 'Main' }, T0, 'id');
    expect(await store.xref.get('sku', 'A-1')).toBe('4401');
    expect(await store.xref.entry('sku', 'A-1')).toEqual({ key: 'A-1', value: '4401', updatedAt: T0 });
    expect(await store.xref.entry('sku', 'nope')).toBeUndefined();
    expect(await store.xref.get('locations', 'A-1')).toEqual({ id: 'gid://1', name: 'Main' });
    await store.xref.put('sku', 'A-1', 4402, T1);
    expect(await store.xref.list('sku', { limit: 10 })).toEqual({
      entries: [{ key: 'A-1', value: 4402, updatedAt: T1 }],
    });
    expect(await store.xref.delete('sku', 'A-1')).toBe(true);
    expect(await store.xref.delete('sku', 'A-1')).toBe(false);
    expect(await store.xref.get('sku', 'A-1')).toBeUndefined();
    expect(await store.xref.get('locations', 'A-1')).toEqual({ id: 'gid://1', name: 'Main' });
    await expect(store.xref.put('sku', 'x', undefined, T0)).rejects.toThrow(/not a JSON value/);
    const other = t.reopen();
    await other.migrate();
    expect(await other.xref.get('locations', 'A-1')).toEqual({ id: 'gid://1', name: 'Main' });
  });

  it('pages in key order', async () => {
    await store.xref.putMany(
      'sku',
      ['c', 'a', 'e', 'b', 'd'].map((key) => ({ key, value: key.toUpperCase() })),
      T0,
    );
    const first = await store.xref.list('sku', { limit: 2 });
    expect(first.entries.map((e) => e.key)).toEqual(['a', 'b']);
    expect(first.next).toBe('b');
    const second = await store.xref.list('sku', { after: first.next, limit: 2 });
    expect(second.entries.map((e) => e.key)).toEqual(['c', 'd']);
    const last = await store.xref.list('sku', { after: second.next, limit: 2 });
    expect(last).toEqual({ entries: [{ key: 'e', value: 'E', updatedAt: T0 }] });
  });

  it('pages the keys starting with a prefix, and counts the entries of each table', async () => {
    await store.xref.putMany(
      'sku',
      ['AB-2', 'AB-1', 'A_B', 'ab-3', 'ABC', 'B-1', 'AB%'].map((key) => ({ key, value: 1 })),
      T0,
    );
    await store.xref.put('other', 'AB-9', 2, T0);
    const first = await store.xref.list('sku', { prefix: 'AB', limit: 2 });
    expect(first.entries.map((e) => e.key)).toEqual(['AB%', 'AB-1']);
    const rest = await store.xref.list('sku', { prefix: 'AB', after: first.next, limit: 10 });
    expect(rest.entries.map((e) => e.key)).toEqual(['AB-2', 'ABC']);
    // `%` and `_` are plain characters of the prefix, not patterns.
    expect((await store.xref.list('sku', { prefix: 'A_', limit: 10 })).entries.map((e) => e.key)).toEqual([
      'A_B',
    ]);
    expect((await store.xref.list('sku', { prefix: 'AB%', limit: 10 })).entries.map((e) => e.key)).toEqual([
      'AB%',
    ]);
    expect(await store.xref.counts()).toEqual(
      new Map([
        ['sku', 7],
        ['other', 1],
      ]),
    );
  });

  it('finds keys in reverse by a scalar value or the chosen field of an object', async () => {
    await store.xref.putMany(
      'sku',
      [
        { key: 'A-1', value: 4401 },
        { key: 'A-2', value: '4401' },
        { key: 'A-3', value: '9' },
      ],
      T0,
    );
    await store.xref.put('customers', 'C1', { account: 'ERP-7', terms: 'net30' }, T0, 'account');
    await store.xref.put('customers', 'C2', { account: 'ERP-8' }, T0, 'account');
    expect((await store.xref.reverse('sku', '4401')).map((e) => e.key)).toEqual(['A-1', 'A-2']);
    expect(await store.xref.reverse('customers', 'ERP-7')).toEqual([
      { key: 'C1', value: { account: 'ERP-7', terms: 'net30' }, updatedAt: T0 },
    ]);
    expect(await store.xref.reverse('customers', 'net30')).toEqual([]);
    expect(await store.xref.reverse('sku', 'nothing')).toEqual([]);
  });

  it('loads many entries in one transaction: all or none', async () => {
    await expect(
      store.xref.putMany(
        'sku',
        [
          { key: 'ok', value: 1 },
          { key: 'bad', value: undefined },
        ],
        T0,
      ),
    ).rejects.toThrow(/bad/);
    expect(await store.xref.get('sku', 'ok')).toBeUndefined();
    const many = Array.from({ length: 1200 }, (_, i) => ({
      key: `k${String(i).padStart(5, '0')}`,
      value: i,
    }));
    await store.xref.putMany('sku', many, T0);
    expect((await store.xref.list('sku', { limit: 1000 })).entries).toHaveLength(1000);
    expect(await store.xref.get('sku', 'k01199')).toBe(1199);
  });

  it('audits admin changes in their own transaction', async () => {
    const who = { who: 'admin:abc' };
    await store.xref.putMany('sku', [{ key: 'a', value: 1 }], T0, undefined, who);
    await store.xref.put('sku', 'b', 2, T1, undefined, who);
    await store.xref.delete('sku', 'a', { ...who, at: T1 });
    await store.xref.put('sku', 'c', 3, T1);
    const audit = await store.delivery.listAudit({ limit: 10 });
    expect(audit.map((e) => [e.actor, e.action, e.target])).toEqual([
      ['admin:abc', 'xref.load', 'xref:sku'],
      ['admin:abc', 'xref.put', 'xref:sku/b'],
      ['admin:abc', 'xref.delete', 'xref:sku/a'],
    ]);
  });
}

await describeEachStore('cross-reference tables', conformance, { fresh: 'each' });
