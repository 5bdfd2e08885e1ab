/** A partner's item table around a pure mapping (docs/edi.md#item-ids): park, skip, default, the seed. */
import { describe, expect, it } from 'vitest';
import type { XrefTableConfig } from '../../config/compiled-config.js';
import type { ItemLookup } from './mappings/item-ids.js';
import { partnerItemIds, seedPartnerItems, withPartnerItems } from './partner-items.js';

const LINES: [string, string][][] = [
  [
    ['BP', 'P-1'],
    ['UP', '0001'],
  ],
  [
    ['VN', 'OURS'],
    ['BP', 'P-2'],
  ],
];

/** A mapping that asks the table for each line and answers the SKUs it got. */
const mapping = (items: ItemLookup | undefined) => LINES.map((pairs) => items?.(pairs) ?? null);

function tables(onMissing: XrefTableConfig['onMissing'], entries: Record<string, unknown>) {
  const table: XrefTableConfig = {
    name: 'items',
    onMissing,
    ...(onMissing === 'default' ? { default: 'CATCH-ALL' } : {}),
  };
  return {
    tables: new Map([['items', table]]),
    store: {
      get: async (_: string, key: string) => entries[key],
      reverse: async (_: string, value: string) =>
        Object.entries(entries)
          .filter(([, v]) => v === value)
          .map(([key]) => ({ key })),
    },
  };
}

const partner = { id: 'P', qualifier: 'ZZ', items: 'items' };

describe('withPartnerItems', () => {
  it('takes the first id of a line the table has, any qualifier', async () => {
    const done = await withPartnerItems(
      tables('park', { '0001': 'SKU-1', 'P-2': 'SKU-2' }),
      partner,
      mapping,
    );
    expect(done).toEqual({ result: ['SKU-1', 'SKU-2'] });
  });

  it('park: the first line none of whose ids is in the table', async () => {
    const done = await withPartnerItems(tables('park', { 'P-1': 'SKU-1' }), partner, mapping);
    expect(done).toEqual({ missing: { table: 'items', ids: ['OURS', 'P-2'] } });
  });

  it('skip: nothing from the table (the mapping falls back to its qualifiers); default: the default', async () => {
    expect(await withPartnerItems(tables('skip', { 'P-1': 'SKU-1' }), partner, mapping)).toEqual({
      result: ['SKU-1', null],
    });
    expect(await withPartnerItems(tables('default', {}), partner, mapping)).toEqual({
      result: ['CATCH-ALL', 'CATCH-ALL'],
    });
  });

  it('without a store or a table, the inline itemMap maps', async () => {
    const inline = { id: 'P', qualifier: 'ZZ', itemMap: { 'P-2': 'SKU-2' } };
    expect(await withPartnerItems({ tables: undefined }, inline, mapping)).toEqual({
      result: [null, 'SKU-2'],
    });
    expect(await withPartnerItems({ tables: undefined }, undefined, mapping)).toEqual({
      result: [null, null],
    });
  });
});

it('partnerItemIds: the SKUs the table holds, by reverse lookup', async () => {
  const ids = await partnerItemIds(tables('park', { 'P-1': 'SKU-1', 'P-9': 'SKU-1' }), partner, [
    'SKU-1',
    'SKU-3',
  ]);
  expect(ids).toEqual({ 'SKU-1': 'P-1' });
});

it('seedPartnerItems: adds only the keys the table lacks', async () => {
  const table: Record<string, unknown> = { A: 'CHANGED' };
  const written: { key: string; value: unknown }[][] = [];
  const systems = new Map([['acme', { x12: { ...partner, itemMap: { A: 'SEED-A', B: 'SEED-B' } } }]]);
  const store = {
    get: async (_: string, key: string) => table[key],
    putMany: async (_: string, entries: { key: string; value: unknown }[]) => {
      written.push(entries);
    },
  };
  expect(await seedPartnerItems(systems, store, '2026-12-03T00:00:00Z')).toBe(1);
  expect(written).toEqual([[{ key: 'B', value: 'SEED-B' }]]);
});
