/**
 * Ownership conflicts (docs/operations.md#configuration-warnings-and-errors): the `ownership:` matrix
 * lists who may assert each fact, and a location-bound system (a WMS with `locations:`) owns it for its own
 * locations only. Two owners of one fact for one location are reported here:
 * - `inventory.on_hand` is an absolute count: two owners for one location would overwrite each other's
 *   count on every report (and fight over `reconcile: adopt`), so it is an error;
 * - the other facts are events the hub accepts from each owner in turn; two warehouses sharing a
 *   location for them is allowed but rarely meant, so it is a warning;
 * - a system listed twice for one fact is a warning: the hub reads it once, and the second was often
 *   meant to be another system.
 */
import { isSeq } from 'yaml';
import type { CompiledSystem } from './compiled-config.js';
import type { ConfigValue, MapReader } from './config-reader.js';
import { positionOf } from './yaml-source.js';

/** Facts one system of record must own per location: a second owner's report replaces the first's. */
const EXCLUSIVE_FACTS: readonly string[] = ['inventory.on_hand'];

interface Owner {
  name: string;
  value: ConfigValue;
  /** Empty: every location. */
  locations: readonly string[];
}

/** Reports conflicting owners in `ownership:`; `systems` are the compiled systems (their locations). */
export function checkOwnershipScopes(
  map: MapReader | undefined,
  systems: ReadonlyMap<string, CompiledSystem>,
): void {
  for (const entry of map?.list() ?? []) {
    // A single owner or a malformed entry (reported by compileOwnership) has nothing to conflict with.
    if (!isSeq(entry.value.node)) continue;
    const items = entry.value.list();
    const owners: Owner[] = [];
    for (const item of items ?? []) {
      const name = typeof item.scalar === 'string' ? item.scalar : undefined;
      const system = name === undefined ? undefined : systems.get(name);
      if (name === undefined || system === undefined) continue;
      const earlier = owners.find((owner) => owner.name === name);
      if (earlier !== undefined) {
        item.warn(
          `'${name}' is listed twice for ${entry.name} (first at ${where(earlier.value)}); ` +
            'list each owner once (was another system meant?)',
          name,
        );
        continue;
      }
      const owner: Owner = { name, value: item, locations: system.locations };
      for (const other of owners) reportOverlap(entry.name, other, owner);
      owners.push(owner);
    }
  }
}

function reportOverlap(fact: string, first: Owner, second: Owner): void {
  const exclusive = EXCLUSIVE_FACTS.includes(fact);
  const shared = sharedLocations(first, second);
  if (shared === undefined) return;
  // Two systems bound to no location both own every location: for event facts that is the usual
  // "any of these systems may report it" (an ERP and a storefront), not a conflict.
  if (!exclusive && (first.locations.length === 0 || second.locations.length === 0)) return;
  const scope = shared.length === 0 ? 'every location' : `location ${shared.join(', ')}`;
  const message = `${fact} for ${scope} has two owners: '${first.name}' (at ${where(first.value)}) and '${second.name}'`;
  if (exclusive)
    second.value.report(
      `${message}; each would overwrite the other's count. Give each location one owner ` +
        `(systems.<name>.locations) or list one system here`,
      second.name,
    );
  else
    second.value.warn(
      `${message}; the hub accepts it from either, whichever reports first. Give each location one ` +
        'owner (systems.<name>.locations) if only one warehouse handles it',
      second.name,
    );
}

/** The locations both own (empty: both own every location), or undefined when they share none. */
function sharedLocations(a: Owner, b: Owner): string[] | undefined {
  if (a.locations.length === 0) return [...b.locations];
  if (b.locations.length === 0) return [...a.locations];
  const shared = a.locations.filter((location) => b.locations.includes(location));
  return shared.length === 0 ? undefined : shared;
}

function where(value: ConfigValue): string {
  const { line, column } = positionOf(value.source, value.node);
  return `line ${line}, column ${column}`;
}
