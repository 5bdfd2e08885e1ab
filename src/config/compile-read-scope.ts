/**
 * `systems.<name>.read`: what a system's keys may read (docs/security.md). Absent, least privilege by
 * kind; `all` or `none`; or a mapping whose keys override the kind's default one by one:
 * `read: { orders: own|channel|location|all, inventory: none|channel|location|all, channels: [...],
 * locations: [...] }`. `channels` and `locations` default to the system's own `channel` and `locations`.
 */
import {
  defaultReadScope,
  INVENTORY_READ_LEVELS,
  ORDER_READ_LEVELS,
  type ReadScope,
  type ScopedSystem,
} from '../domain/read-scope.js';
import type { ConfigValue } from './config-reader.js';

const READ_KEYS = ['orders', 'inventory', 'channels', 'locations'] as const;
const READ_WORDS = ['all', 'none'] as const;

/** The compiled read scope of `system`; issues are reported at the `read` value and its keys. */
export function compileReadScope(
  value: ConfigValue | undefined,
  system: ScopedSystem,
  declared: { channels: readonly string[]; locations: readonly string[] },
): ReadScope {
  const scope = defaultReadScope(system);
  if (value === undefined) return scope;
  if (typeof value.scalar === 'string') {
    const word = value.oneOf(READ_WORDS, 'read scope');
    if (word === 'all') return { ...scope, orders: 'all', inventory: 'all' };
    if (word === 'none') return { ...scope, orders: 'own', inventory: 'none' };
    return scope;
  }
  const map = value.map();
  if (map === undefined) return scope;
  map.allowOnly(READ_KEYS);
  const channels = map.get('channels');
  const channelNames = channels && names(channels, declared.channels, 'channel', 'channels');
  if (channelNames) scope.channels = channelNames.found;
  const locations = map.get('locations');
  const locationNames = locations && names(locations, declared.locations, 'location', 'locations');
  if (locationNames) scope.locations = locationNames.found;
  const orders = map.get('orders');
  const orderLevel = orders?.oneOf(ORDER_READ_LEVELS, 'orders read level');
  if (orderLevel !== undefined) scope.orders = orderLevel;
  const inventory = map.get('inventory');
  const inventoryLevel = inventory?.oneOf(INVENTORY_READ_LEVELS, 'inventory read level');
  if (inventoryLevel !== undefined) scope.inventory = inventoryLevel;
  // A level by channel or location with none to read by would read nothing: say so (unless the names
  // given were all wrong, which is reported already).
  const noChannels = scope.channels.length === 0 && (channelNames?.given ?? 0) === 0;
  const noLocations = scope.locations.length === 0 && (locationNames?.given ?? 0) === 0;
  for (const [level, at] of [
    [orderLevel, orders],
    [inventoryLevel, inventory],
  ] as const) {
    if (level === 'channel' && noChannels) {
      at?.report(
        "reads by channel but the system has no channel; set the system's 'channel' or list read.channels",
      );
    }
    if (level === 'location' && noLocations) {
      at?.report(
        "reads by location but the system has no locations; set the system's 'locations' or list read.locations",
      );
    }
  }
  return scope;
}

/**
 * A list of declared names (one name alone reads as a list of one): those found, and how many were
 * given; unknown names are reported.
 */
function names(
  value: ConfigValue,
  known: readonly string[],
  singular: string,
  plural: string,
): { found: string[]; given: number } {
  const items = value.list({ allowSingle: true }) ?? [];
  const found: string[] = [];
  for (const item of items) {
    const name = item.reference(known, singular, plural);
    if (name !== undefined && !found.includes(name)) found.push(name);
  }
  return { found, given: items.length };
}
