/**
 * What a system's key may read (docs/security.md): which orders and reservations, and how much of the
 * inventory. A system's writes are governed by ownership; its reads by this scope, least privilege by
 * kind unless `read:` in its configuration says otherwise.
 */
import type { OrderState } from './orders/lifecycle.js';

/**
 * Orders and reservations a system reads, each level with the orders the system sent itself:
 * `own` only those; `channel` those of its channels; `location` those with a line at its locations;
 * `all` every one.
 */
export const ORDER_READ_LEVELS = ['own', 'channel', 'location', 'all'] as const;
export type OrderReadLevel = (typeof ORDER_READ_LEVELS)[number];

/**
 * The inventory a system reads, each level including the one before: `none`; `channel` the available
 * to promise of its channels; `location` also the positions, ledger rows and drift reports at its
 * locations; `all` everything.
 */
export const INVENTORY_READ_LEVELS = ['none', 'channel', 'location', 'all'] as const;
export type InventoryReadLevel = (typeof INVENTORY_READ_LEVELS)[number];

/** The compiled read scope of a system. */
export interface ReadScope {
  orders: OrderReadLevel;
  inventory: InventoryReadLevel;
  /** The channels `channel` levels read (default: the system's `channel`). */
  channels: string[];
  /** The locations `location` levels read (default: the system's `locations`). */
  locations: string[];
}

/** What the default scope depends on: the system's kind, channel and locations. */
export interface ScopedSystem {
  kind: string;
  channel?: string;
  locations: string[];
}

/**
 * Least privilege by kind: the ERP reads everything; a warehouse its locations; a storefront or portal its
 * channel; an EDI partner, a TMS, a carrier or any other system only the orders it sent and no inventory.
 */
export function defaultReadLevels(kind: string): { orders: OrderReadLevel; inventory: InventoryReadLevel } {
  switch (kind) {
    case 'erp':
      return { orders: 'all', inventory: 'all' };
    case 'wms':
      return { orders: 'location', inventory: 'location' };
    case 'commerce':
      return { orders: 'channel', inventory: 'channel' };
    default:
      return { orders: 'own', inventory: 'none' };
  }
}

/** The default scope of a system (no `read:` in its configuration). */
export function defaultReadScope(system: ScopedSystem): ReadScope {
  return {
    ...defaultReadLevels(system.kind),
    channels: system.channel === undefined ? [] : [system.channel],
    locations: [...system.locations],
  };
}

/** What a read of an order (or a reservation) is decided on. */
export interface ReadableOrder {
  channel: string;
  /** The system that sent it (the holder, for a reservation). */
  system: string;
  /** Every location it has a line at (committed, shipped from, reserved at). */
  locations: readonly string[];
}

/** May `reader` (a system with `scope`) read this order or reservation? */
export function mayReadOrder(reader: string, scope: ReadScope, order: ReadableOrder): boolean {
  if (order.system === reader) return true;
  switch (scope.orders) {
    case 'all':
      return true;
    case 'channel':
      return scope.channels.includes(order.channel);
    case 'location':
      return order.locations.some((l) => scope.locations.includes(l));
    default:
      return false;
  }
}

/** May a reader with `scope` read positions, ledger rows and drift lines at `location`? */
export function mayReadLocation(scope: ReadScope, location: string): boolean {
  if (scope.inventory === 'all') return true;
  return scope.inventory === 'location' && scope.locations.includes(location);
}

/** May a reader with `scope` read the available to promise of `channel`? */
export function mayReadChannelStock(scope: ReadScope, channel: string): boolean {
  if (scope.inventory === 'all') return true;
  return scope.inventory !== 'none' && scope.channels.includes(channel);
}

/** Every location an order has a line at: allocated, committed or shipped from. */
export function orderLocations(state: Pick<OrderState, 'lines'>): string[] {
  const locations = new Set<string>();
  for (const line of state.lines) {
    if (line.location) locations.add(line.location);
    for (const l of Object.keys(line.committedAt ?? {})) locations.add(l);
    for (const l of Object.keys(line.inTransitAt ?? {})) locations.add(l);
  }
  return [...locations];
}
