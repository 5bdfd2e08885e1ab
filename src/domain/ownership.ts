/**
 * Who may assert what (README: ingest rules). Pure: given the compiled ownership matrix and the caller, decides
 * whether an inbound event may be applied, and names the owners when it may not.
 */
import type { Fact, Milestone, TypeOwnership } from './event-catalogue.js';
import { FACTS, HUB_SYSTEM } from './event-catalogue.js';

/** What ownership needs to know of a system. */
export interface OwnerSystem {
  name: string;
  /** Locations the system serves; empty = not location-bound. */
  locations: readonly string[];
  /** The channel the system sells through, if any. */
  channel?: string;
}

export interface OwnershipContext {
  ownership: ReadonlyMap<Fact, readonly string[]>;
  systems: ReadonlyMap<string, OwnerSystem>;
  statusMaps: ReadonlyMap<string, ReadonlyMap<string, Milestone>>;
}

export type OwnershipDecision =
  | { allowed: true; fact?: Fact }
  | { allowed: false; fact: Fact | 'hub'; owners: string[]; reason: string };

/**
 * Decides whether `caller` may assert an event of the given ownership kind with `data`.
 * An owner listed for a fact is further narrowed by scope: a location-bound system (a WMS) owns the fact
 * only for its own locations, and a channel system only for orders of its own channel.
 */
export function decideOwnership(
  context: OwnershipContext,
  caller: string,
  ownership: TypeOwnership,
  data: unknown,
): OwnershipDecision {
  if (caller === HUB_SYSTEM) return { allowed: true };
  let fact: Fact;
  switch (ownership.kind) {
    case 'hub':
      return {
        allowed: false,
        fact: 'hub',
        owners: [HUB_SYSTEM],
        reason: 'this type is emitted by the hub only',
      };
    case 'status-map': {
      const status = field(data, 'status');
      const milestone = status === undefined ? undefined : context.statusMaps.get(caller)?.get(status);
      // An unmapped status is accepted into the log; the order lifecycle raises `unknown_status` for it.
      if (milestone === undefined) return { allowed: true };
      const mapped = `order.${milestone}`;
      if (!(FACTS as readonly string[]).includes(mapped)) return { allowed: true };
      fact = mapped as Fact;
      break;
    }
    case 'fact':
      fact = ownership.fact;
      break;
  }
  const listed = context.ownership.get(fact) ?? [];
  const location = field(data, 'location');
  const channel = field(data, 'channel');
  const inScope = (name: string): boolean => {
    const system = context.systems.get(name);
    if (!system) return false;
    if (location !== undefined && system.locations.length > 0 && !system.locations.includes(location))
      return false;
    if (channel !== undefined && system.channel !== undefined && system.channel !== channel) return false;
    return true;
  };
  const owners = listed.filter(inScope);
  if (owners.includes(caller)) return { allowed: true, fact };
  const scope = [location && `location ${location}`, channel && `channel ${channel}`]
    .filter(Boolean)
    .join(', ');
  return {
    allowed: false,
    fact,
    owners,
    reason:
      owners.length === 0
        ? `no system owns ${fact}${scope ? ` for ${scope}` : ''}`
        : `${fact}${scope ? ` for ${scope}` : ''} is owned by ${owners.join(', ')}`,
  };
}

function field(data: unknown, name: string): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const value = (data as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
