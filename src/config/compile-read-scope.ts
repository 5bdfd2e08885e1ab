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
  if (channels !== undefined) scope.channels = names(channels, declared.channels, 'channel', 'channels');
  const locations = map.get('locations');
  if (locations !== undefined) {
    scope.locations = names(locations, declared.locations, 'location', 'locations');
  }
  const orders = map.get('orders');
  const orderLevel = orders?.oneOf(ORDER_READ_LEVELS, 'orders read level');
  if (orderLevel !== undefined) scope.orders = orderLevel;
  const inventory = map.get('inventory');
  const inventoryLevel = inventory?.oneOf(INVENTORY_READ_LEVELS, 'inventory read level');
  if (inventoryLevel !== undefined) scope.inventory = inventoryLevel;
  // A level by channel or location with none to read by would read nothing: say so (unless the names
  // given were all wrong, which is reported already).
  const noChannels = scope.channels.length === 0 && !hasItems(channels);
  const noLocations = scope.locations.length === 0 && !hasItems(locations);
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

/** True when `value` is a non-empty list or a single name. */
function hasItems(value: ConfigValue | undefined): boolean {
  if (value === undefined || value.isNull) return false;
  return (
    typeof value.scalar === 'string' ||
    (Array.isArray(value.toJS()) && (value.toJS() as unknown[]).length > 0)
  );
}

/** A list of declared names (one name alone reads as a list of one); unknown names are reported. */
function names(value: ConfigValue, known: readonly string[], singular: string, plural: string): string[] {
  const found: string[] = [];
  for (const item of value.list({ allowSingle: true }) ?? []) {
    const name = item.reference(known, singular, plural);
    if (name !== undefined && !found.includes(name)) found.push(name);
  }
  return found;
}
