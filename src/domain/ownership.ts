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
    case 'hold': {
      // The contract allows only the four kinds; each is its own fact, so each has its own owners.
      const kind = field(data, 'hold');
      fact = `order.hold.${kind ?? 'manual'}` as Fact;
      if (!(FACTS as readonly string[]).includes(fact)) fact = 'order.hold.manual';
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

/**
 * The owners of the order facts a configuration may leave out (docs/orders.md#who-may-change-or-hold-an-order):
 * a change, a payment or a fraud hold come from whoever owns `order.accepted` (the channel's own system,
 * narrowed to its channel by the order processor); a credit or manual hold from the ERPs. A fact the
 * `ownership:` section names keeps its listed owners.
 */
export function defaultOwners(
  ownership: ReadonlyMap<Fact, readonly string[]>,
  systems: readonly { name: string; kind: string }[],
): Map<Fact, string[]> {
  const out = new Map<Fact, string[]>([...ownership].map(([f, owners]) => [f, [...owners]]));
  const accepted = [...(ownership.get('order.accepted') ?? [])];
  const erps = systems.filter((s) => s.kind === 'erp').map((s) => s.name);
  const defaults: [Fact, string[]][] = [
    ['order.changed', accepted],
    ['order.hold.payment', accepted],
    ['order.hold.fraud', accepted],
    ['order.hold.credit', erps],
    ['order.hold.manual', erps],
  ];
  for (const [f, owners] of defaults) if (!out.has(f)) out.set(f, owners);
  return out;
}
