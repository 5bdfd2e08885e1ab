/**
 * `xref:` — cross-reference tables (docs/connectors.md#cross-reference-tables): per table, what a missing
 * key does in `$xref(…)` and which field of an object value is looked up in reverse.
 */
import type { XrefTableConfig } from './compiled-config.js';
import type { ConfigValue } from './config-reader.js';
import type { YamlSource } from './yaml-source.js';

const TABLE_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const ON_MISSING = ['park', 'skip', 'default'] as const;

export function compileXref(value: ConfigValue | undefined): Map<string, XrefTableConfig> {
  const tables = new Map<string, XrefTableConfig>();
  const map = value?.map();
  if (map === undefined) return tables;
  for (const entry of map.list()) {
    if (!TABLE_NAME.test(entry.name)) {
      map.reportKey(
        entry,
        `xref table name '${entry.name}' must be lowercase letters, digits, '-' or '_', starting with a letter`,
      );
      continue;
    }
    const table = entry.value.map({ nullAsEmpty: true });
    if (table === undefined) continue;
    table.allowOnly(['description', 'onMissing', 'default', 'reverse']);
    const onMissingValue = table.get('onMissing');
    const onMissingText = onMissingValue?.string() ?? 'park';
    if (!(ON_MISSING as readonly string[]).includes(onMissingText)) {
      onMissingValue?.report(
        `onMissing must be one of: ${ON_MISSING.join(', ')}; got '${onMissingText}'`,
        onMissingText,
      );
      continue;
    }
    const onMissing = onMissingText as XrefTableConfig['onMissing'];
    const defaultValue = table.has('default') ? (table.get('default')?.toJS() ?? null) : undefined;
    if (onMissing === 'default' && !table.has('default')) {
      (onMissingValue ?? table).report("onMissing: default needs a 'default' value");
      continue;
    }
    if (onMissing !== 'default' && table.has('default')) {
      table.report(`'default' is only used with onMissing: default (this table has onMissing: ${onMissing})`);
    }
    const description = table.get('description')?.string();
    const reverse = table.get('reverse')?.string();
    tables.set(entry.name, {
      name: entry.name,
      onMissing,
      ...(description !== undefined ? { description } : {}),
      ...(onMissing === 'default' ? { default: defaultValue } : {}),
      ...(reverse !== undefined ? { reverse } : {}),
    });
  }
  return tables;
}

/** `$xref('name'` / `$xref("name"` with a literal table name, anywhere in the file. */
const XREF_CALL = /\$xref\(\s*(["'])([^"'\n]*)\1/g;

/**
 * Reports each `$xref` call whose literal table name is not under `xref:`, at its line and column. A name
 * computed by the expression is checked when it runs (an expression error).
 */
export function checkXrefCalls(source: YamlSource, text: string, tables: Map<string, XrefTableConfig>): void {
  for (const match of text.matchAll(XREF_CALL)) {
    const name = match[2] as string;
    if (tables.has(name)) continue;
    const { line, col } = source.lineCounter.linePos(match.index ?? 0);
    const known = [...tables.keys()];
    source.issues.push({
      file: source.file,
      line,
      column: col,
      path: '',
      value: name,
      message: `$xref names table '${name}', which is not under xref:${known.length > 0 ? ` (configured: ${known.join(', ')})` : ''}`,
    });
  }
}

/**
 * The item tables of the EDI partners (docs/edi.md#item-ids): `x12.items` must name a table under `xref:`;
 * a partner with only `itemMap` gets the table `<partner>-items` (onMissing: skip), declared here unless
 * `xref:` already has it.
 */
export function checkPartnerItems(
  systemsMap: { get(name: string): ConfigValue | undefined } | undefined,
  systems: ReadonlyMap<string, { x12?: { items?: string; itemMap?: Record<string, string> } }>,
  tables: Map<string, XrefTableConfig>,
): void {
  for (const [name, system] of systems) {
    const x12 = system.x12;
    if (x12 === undefined) continue;
    const at = systemsMap?.get(name)?.map()?.get('x12')?.map();
    if (x12.items !== undefined) {
      if (!tables.has(x12.items)) {
        const known = [...tables.keys()];
        at?.get('items')?.report(
          `no cross-reference table '${x12.items}' under xref:${known.length > 0 ? ` (configured: ${known.join(', ')})` : ''}`,
          x12.items,
        );
      }
      continue;
    }
    if (x12.itemMap === undefined) continue;
    const implied = `${name}-items`;
    if (!TABLE_NAME.test(implied)) {
      at?.get('itemMap')?.report(
        `the item table '${implied}' is not a valid table name; name one with items: <table under xref:>`,
      );
      continue;
    }
    x12.items = implied;
    if (!tables.has(implied)) {
      tables.set(implied, {
        name: implied,
        onMissing: 'skip',
        description: `item ids of EDI partner ${name} → SKUs (seeded from x12.itemMap)`,
      });
    }
  }
}
