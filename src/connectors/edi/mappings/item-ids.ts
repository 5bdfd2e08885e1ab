/**
 * Item ids of X12 lines (PO1, LIN, W12 …) → SKUs, shared by the inbound mappings: the partner's item map
 * first, then the qualifiers `VN` (vendor's item number), `SK` (SKU), `BP` (buyer's part number), in that
 * order.
 */

/** Item id qualifiers tried for the SKU, in order, after the partner's item map. */
export const ITEM_QUALIFIERS = ['VN', 'SK', 'BP'] as const;

/** The SKU of a line's `[qualifier, id]` pairs, or undefined when none maps. */
export function skuOf(
  pairs: readonly [string, string][],
  itemMap?: Record<string, string>,
): string | undefined {
  const mapped = pairs.map(([, id]) => itemMap?.[id]).find((sku) => sku !== undefined);
  if (mapped) return mapped;
  for (const qualifier of ITEM_QUALIFIERS) {
    const found = pairs.find(([q, id]) => q === qualifier && id !== '');
    if (found) return found[1];
  }
  return undefined;
}

/** `CCYYMMDD` (and optional `HHMM[SS]`) as an RFC 3339 UTC time, or undefined when not a date. */
export function x12DateTime(date: string, time = ''): string | undefined {
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(date);
  if (!d) return undefined;
  const t = /^(\d{2})(\d{2})(\d{2})?/.exec(time);
  const iso = `${d[1]}-${d[2]}-${d[3]}T${t ? `${t[1]}:${t[2]}:${t[3] ?? '00'}` : '00:00:00'}Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}
