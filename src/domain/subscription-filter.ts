/**
 * A subscription's `filter` (docs/delivery.md §1): which events of its types it wants, by subject pattern and by
 * data fields. Pure; compiled once per subscription.
 *
 * - `subject`: a pattern with `*` wildcards (`ORD-*`, `*@DC-EAST`).
 * - `data`: every listed field must match; a field is a dot path (`customer.id`); a scalar must be equal,
 *   a list means any of its values.
 */
import type { CloudEvent } from './cloud-event.js';
import { compileTypePatterns } from './type-pattern.js';

export interface SubscriptionFilter {
  subject?: string;
  data?: Record<string, unknown>;
}

/** Compiles a filter into a predicate; no filter accepts everything. */
export function compileFilter(filter: SubscriptionFilter | undefined): (event: CloudEvent) => boolean {
  if (!filter) return () => true;
  const subject = filter.subject === undefined ? undefined : compileTypePatterns([filter.subject]);
  const fields = Object.entries(filter.data ?? {}).map(([path, expected]) => ({
    path: path.split('.'),
    accepts: Array.isArray(expected)
      ? (value: unknown) => expected.some((candidate) => sameScalar(candidate, value))
      : (value: unknown) => sameScalar(expected, value),
  }));
  return (event) => {
    if (subject && !subject(event.subject ?? '')) return false;
    return fields.every(({ path, accepts }) => accepts(valueAt(event.data, path)));
  };
}

function valueAt(data: unknown, path: string[]): unknown {
  let current = data;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** YAML may give `2` where the event has `"2"` (or the reverse): compare scalars by their text. */
function sameScalar(expected: unknown, actual: unknown): boolean {
  if (actual === undefined || actual === null || typeof actual === 'object') return false;
  return String(expected) === String(actual);
}
