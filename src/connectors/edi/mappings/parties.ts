/**
 * The N1 loops of an X12 set (N1 with the N2/N3/N4 that follow it), shared by the inbound mappings that
 * read parties (850, 940): the ship-to becomes the canonical `shipTo`, the buyer the `customer`.
 *
 * | X12 | canonical |
 * |---|---|
 * | N1-01 | the party's entity code (`ST`, `BY`, …) |
 * | N1-02 (+ N2-01/N2-02 appended) | `name` |
 * | N1-04 | `id` |
 * | N3-01, N3-02 (every N3 of the loop) | `line1`, `line2` |
 * | N4-01, N4-02, N4-03, N4-04 (absent or not two letters → `US`) | `city`, `region`, `postalCode`, `country` |
 */
import { type Segment, type TransactionSet, valueAt } from '../x12/model.js';
import type { MappingProblem } from './inbound-850.js';

export interface Party {
  name: string;
  id?: string;
  lines: string[];
  city?: string;
  region?: string;
  postalCode?: string;
  country?: string;
}

/** The N1 loops of a set: N1 and the N2/N3/N4 that follow it, by entity code (ST, BY, …). */
export function parties(segments: readonly Segment[]): Map<string, { party: Party; at: Segment }> {
  const found = new Map<string, { party: Party; at: Segment }>();
  let current: Party | undefined;
  for (const segment of segments) {
    if (segment.id === 'N1') {
      current = { name: valueAt(segment, 2), lines: [] };
      const id = valueAt(segment, 4);
      if (id) current.id = id;
      found.set(valueAt(segment, 1), { party: current, at: segment });
    } else if (current && segment.id === 'N2') {
      current.name = [current.name, valueAt(segment, 1)].filter(Boolean).join(' ');
    } else if (current && segment.id === 'N3') {
      for (const position of [1, 2])
        if (valueAt(segment, position)) current.lines.push(valueAt(segment, position));
    } else if (current && segment.id === 'N4') {
      current.city = valueAt(segment, 1);
      current.region = valueAt(segment, 2);
      current.postalCode = valueAt(segment, 3);
      current.country = valueAt(segment, 4);
    } else if (!['PER', 'REF'].includes(segment.id)) {
      current = undefined;
    }
  }
  return found;
}

/**
 * The ship-to party (N1*ST) of a set as a canonical address, or the problem: no N1*ST (at the ST), or an
 * N1*ST without an N3 line or an N4 city and postal code (at its N1).
 */
export function shipToAddress(
  set: TransactionSet,
  found: Map<string, { party: Party; at: Segment }> = parties(set.segments),
): { ok: true; address: Record<string, unknown> } | { ok: false; problem: MappingProblem } {
  const shipTo = found.get('ST');
  if (!shipTo) {
    return {
      ok: false,
      problem: { segment: 'N1', ordinal: set.header.ordinal, detail: 'no ship-to party (N1*ST)' },
    };
  }
  const st = shipTo.party;
  if (!st.lines[0] || !st.city || !st.postalCode) {
    return {
      ok: false,
      problem: {
        segment: 'N1',
        ordinal: shipTo.at.ordinal,
        detail: 'the ship-to party lacks an N3 address line or an N4 city and postal code',
      },
    };
  }
  return {
    ok: true,
    address: {
      name: st.name || st.id || 'ship-to',
      line1: st.lines[0],
      ...(st.lines[1] ? { line2: st.lines[1] } : {}),
      city: st.city,
      ...(st.region ? { region: st.region } : {}),
      postalCode: st.postalCode,
      // N404 is optional in X12 (domestic): US unless given.
      country: st.country && /^[A-Z]{2}$/.test(st.country) ? st.country : 'US',
    },
  };
}

/** The customer: N1*BY (its N1-04 id and name), else the partner itself. */
export function customerOf(
  found: Map<string, { party: Party; at: Segment }>,
  partnerName: string,
): { id: string; name: string } {
  const buyer = found.get('BY')?.party;
  return { id: buyer?.id ?? partnerName, name: buyer?.name || partnerName };
}
