/**
 * Item ids of X12 lines (PO1, LIN, W12 …) → SKUs, shared by the inbound mappings: the partner's item table
 * first, then the qualifiers `VN` (vendor's item number), `SK` (SKU), `BP` (buyer's part number), in that
 * order.
 */

/**
 * The partner's item table as a mapping reads it: the SKU of a line's `[qualifier, id]` pairs (the first id
 * the table has), or undefined (docs/edi.md#item-ids).
 */
export type ItemLookup = (pairs: readonly [string, string][]) => string | undefined;

/** Item id qualifiers tried for the SKU, in order, after the partner's item table. */
export const ITEM_QUALIFIERS = ['VN', 'SK', 'BP'] as const;

/** The SKU of a line's `[qualifier, id]` pairs, or undefined when none maps. */
export function skuOf(pairs: readonly [string, string][], items?: ItemLookup): string | undefined {
  const mapped = items?.(pairs);
  if (mapped) return mapped;
  for (const qualifier of ITEM_QUALIFIERS) {
    const found = pairs.find(([q, id]) => q === qualifier && id !== '');
    if (found) return found[1];
  }
  return undefined;
}

/** A date and time read from X12 elements: the time (none when both were blank), or which one is wrong. */
export type X12DateTime = { ok: true; at?: string } | { ok: false; element: 'date' | 'time'; detail: string };

/**
 * `CCYYMMDD` and an optional `HHMM[SS[D…]]` (X12 DT and TM) as an RFC 3339 UTC time. A date that is no
 * calendar day (`20240230`, `00000000`), a time that is no time of day (`2599`), or a time without its
 * date is a problem the set is rejected for: dropping the value would lose what the partner said.
 */
export function readX12DateTime(date: string, time = ''): X12DateTime {
  if (date === '') {
    return time === ''
      ? { ok: true }
      : { ok: false, element: 'date', detail: `a time (${time}) without a date` };
  }
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(date);
  const day = d ? `${d[1]}-${d[2]}-${d[3]}` : '';
  // Date.parse rolls 02-30 over to 03-01: a real day survives the round trip unchanged.
  const millis = Date.parse(`${day}T00:00:00Z`);
  if (!d || Number.isNaN(millis) || new Date(millis).toISOString().slice(0, 10) !== day) {
    return { ok: false, element: 'date', detail: `'${date}' is not a calendar date CCYYMMDD` };
  }
  if (time === '') return { ok: true, at: `${day}T00:00:00Z` };
  const t = /^([01]\d|2[0-3])([0-5]\d)([0-5]\d)?\d{0,2}$/.exec(time);
  if (!t) return { ok: false, element: 'time', detail: `'${time}' is not a time of day HHMM[SS]` };
  return { ok: true, at: `${day}T${t[1]}:${t[2]}:${t[3] ?? '00'}Z` };
}
