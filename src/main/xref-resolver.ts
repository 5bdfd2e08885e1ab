/**
 * `$xref(table, key)` over the store (docs/connectors.md#cross-reference-tables): the entry's value, or
 * what the table's `onMissing` says — its `default`, undefined (`skip`), or the message parked as
 * `xref_missing` (`park`, thrown as `XrefMissingError`).
 */
import type { CompiledConfig } from '../config/compiled-config.js';
import { XrefMissingError, type XrefResolver } from '../connectors/http/expressions.js';
import type { XrefStore } from '../store/xref-port.js';

export function xrefResolver(
  config: Pick<CompiledConfig, 'xref'>,
  store: Pick<XrefStore, 'get'>,
): XrefResolver {
  return async (name, key) => {
    const table = config.xref?.get(name);
    if (table === undefined) {
      const known = [...(config.xref?.keys() ?? [])];
      throw new Error(
        `$xref: no cross-reference table '${name}' (${known.length > 0 ? `configured: ${known.join(', ')}` : 'none configured under xref:'})`,
      );
    }
    const value = await store.get(name, key);
    if (value !== undefined) return value;
    if (table.onMissing === 'default') return table.default;
    if (table.onMissing === 'skip') return undefined;
    throw new XrefMissingError(name, key);
  };
}
