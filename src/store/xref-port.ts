/**
 * Cross-reference tables (`xref_entries`, migration 0014): per table, a key of ours and the value a system
 * uses for it (docs/connectors.md#cross-reference-tables). A value is any JSON value; the reverse lookup
 * finds the keys whose value is the given scalar, or whose object value has it in the table's `reverse`
 * field (the writer names that field, since the store does not read the configuration).
 */

/** One entry of a table. */
export interface XrefEntry {
  key: string;
  value: unknown;
  updatedAt: string;
}

/** A page of a table, ordered by key; `next` is the `after` of the following page, when there is one. */
export interface XrefPage {
  entries: XrefEntry[];
  next?: string;
}

/** Who changed a table through the admin API: the change is written to the audit log in its transaction. */
export interface XrefActor {
  /** `admin:<key id>`. */
  who: string;
}

export interface XrefStore {
  /** The value of `key` in `table`, or undefined. */
  get(table: string, key: string): Promise<unknown>;
  /** The entry of `key` in `table` with its time, or undefined. */
  entry(table: string, key: string): Promise<XrefEntry | undefined>;
  /**
   * Sets (or replaces) `key`. `reverseField`: the field of an object value kept for `reverse` (a scalar
   * value is always kept). `at` is the UTC ISO time.
   */
  put(
    table: string,
    key: string,
    value: unknown,
    at: string,
    reverseField?: string,
    actor?: XrefActor,
  ): Promise<void>;
  /** Sets every entry in one transaction: all or none (audited as one `xref.load` when `actor` is given). */
  putMany(
    table: string,
    entries: { key: string; value: unknown }[],
    at: string,
    reverseField?: string,
    actor?: XrefActor,
  ): Promise<void>;
  /** Removes `key`; true when it was there. */
  delete(table: string, key: string, actor?: XrefActor & { at: string }): Promise<boolean>;
  /** Up to `limit` entries with a key after `after` (and starting with `prefix`), ordered by key. */
  list(table: string, options: { after?: string; prefix?: string; limit: number }): Promise<XrefPage>;
  /** How many entries each table holds (tables without entries are left out). */
  counts(): Promise<Map<string, number>>;
  /** The entries whose scalar value (or reverse field) is `value` compared as text, ordered by key. */
  reverse(table: string, value: string): Promise<XrefEntry[]>;
}

/** The text a value is found by in reverse, or null: a scalar itself, an object's `reverseField`. */
export function reverseText(value: unknown, reverseField?: string): string | null {
  let v = value;
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    if (reverseField === undefined) return null;
    v = (v as Record<string, unknown>)[reverseField];
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}
