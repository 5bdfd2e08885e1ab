/**
 * A trading partner's item ids ↔ SKUs through its item table, a cross-reference table
 * (docs/edi.md#item-ids): inbound, each line's ids are looked up (the first the table has is the SKU; a
 * line none of whose ids is there follows the table's `onMissing`); outbound, a SKU's partner id is the
 * table's reverse lookup. `x12.itemMap` is the table's seed, loaded at start for the keys it lacks.
 */
import type { X12Partner, XrefTableConfig } from '../../config/compiled-config.js';
import type { ItemLookup } from './mappings/item-ids.js';

/** The part of the hub's cross-reference tables the item lookups read and the seed writes. */
export interface ItemTableStore {
  get(table: string, key: string): Promise<unknown>;
  reverse(table: string, value: string): Promise<{ key: string }[]>;
  putMany(table: string, entries: { key: string; value: unknown }[], at: string): Promise<void>;
}

/** The tables of the configuration and the store that holds them. */
export interface ItemTables {
  tables: ReadonlyMap<string, XrefTableConfig> | undefined;
  store?: Pick<ItemTableStore, 'get' | 'reverse'> | undefined;
}

/** A line of a set none of whose item ids is in a table with `onMissing: park`. */
export interface MissingItem {
  table: string;
  /** The line's item ids (the first is the key an operator adds). */
  ids: string[];
}

/** The item's SKU as a table value gives it: a string (or number); anything else is not a SKU. */
function skuText(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * Runs the pure mapping `map` with the partner's items: once to learn the item ids of the set's lines,
 * then, with those looked up, for its result. `missing` when a line's ids are all absent from a table that
 * parks; without an item table, `map` runs once with no lookup (VN, SK, BP give the SKU).
 */
export async function withPartnerItems<T>(
  tables: ItemTables,
  partner: X12Partner | undefined,
  map: (items: ItemLookup | undefined) => T | Promise<T>,
): Promise<{ result: T } | { missing: MissingItem }> {
  const name = partner?.items;
  const table = name === undefined ? undefined : tables.tables?.get(name);
  const store = tables.store;
  if (name === undefined || table === undefined || store === undefined) {
    const seed = partner?.itemMap;
    const lookup: ItemLookup | undefined =
      seed === undefined ? undefined : (pairs) => pairs.map(([, id]) => seed[id]).find(Boolean);
    return { result: await map(lookup) };
  }
  const lines: string[][] = [];
  await map((pairs) => {
    lines.push(pairs.map(([, id]) => id).filter((id) => id !== ''));
    return undefined;
  });
  const found = new Map<string, string | undefined>();
  for (const id of new Set(lines.flat())) found.set(id, skuText(await store.get(name, id)));
  const fallback = table.onMissing === 'default' ? skuText(table.default) : undefined;
  if (table.onMissing === 'park') {
    const missing = lines.find((ids) => ids.length > 0 && ids.every((id) => found.get(id) === undefined));
    if (missing !== undefined) return { missing: { table: name, ids: missing } };
  }
  const lookup: ItemLookup = (pairs) => {
    const ids = pairs.map(([, id]) => id).filter((id) => id !== '');
    const sku = ids.map((id) => found.get(id)).find((s) => s !== undefined);
    return sku ?? (ids.length > 0 ? fallback : undefined);
  };
  return { result: await map(lookup) };
}

/**
 * The partner's ids of `skus` (SKU → the first key of the item table whose value is that SKU); SKUs the
 * table does not hold are left out (the set then names them by `VN` alone).
 */
export async function partnerItemIds(
  tables: ItemTables,
  partner: X12Partner | undefined,
  skus: Iterable<string>,
): Promise<Record<string, string>> {
  const name = partner?.items;
  const ids: Record<string, string> = {};
  if (name === undefined || tables.store === undefined || !tables.tables?.has(name)) {
    for (const [id, sku] of Object.entries(partner?.itemMap ?? {})) ids[sku] ??= id;
    return ids;
  }
  for (const sku of new Set(skus)) {
    const [first] = await tables.store.reverse(name, sku);
    if (first !== undefined) ids[sku] = first.key;
  }
  return ids;
}

/**
 * Loads each partner's `itemMap` into its item table, for the keys the table does not have yet (an entry an
 * operator changed is never overwritten). Answers how many entries were added.
 */
export async function seedPartnerItems(
  systems: ReadonlyMap<string, { x12?: X12Partner | undefined }>,
  store: Pick<ItemTableStore, 'get' | 'putMany'>,
  at: string,
): Promise<number> {
  let added = 0;
  for (const system of systems.values()) {
    const x12 = system.x12;
    if (x12?.items === undefined || x12.itemMap === undefined) continue;
    const entries: { key: string; value: unknown }[] = [];
    for (const [key, sku] of Object.entries(x12.itemMap)) {
      if ((await store.get(x12.items, key)) === undefined) entries.push({ key, value: sku });
    }
    await store.putMany(x12.items, entries, at);
    added += entries.length;
  }
  return added;
}
