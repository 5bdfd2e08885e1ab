/**
 * `orders: { validate?: { system, http: { url, timeoutMs? }, onTimeout?: hold | accept },
 * shortPick?: recommit | backorder, idempotencyHours?, allocation? }` (docs/orders.md).
 *
 * `allocation: { default?: RULE, channels?: { CHANNEL: RULE }, customers?: { CUSTOMER_ID: RULE },
 * regions?: [{ country, region?, postalPrefix?, lat, lon }] }` where RULE is a policy name
 * (`first-fit`, `nearest`) or `{ policy?, shipComplete? }`; keys a rule leaves out come from `default`.
 */

import { readHttp } from '../connectors/http/config-section.js';
import {
  ALLOCATION_POLICIES,
  type AllocationRule,
  type Coordinates,
  DEFAULT_ALLOCATION,
  type RegionHint,
} from '../domain/orders/allocation.js';
import type { DeclaredNames } from './compile-sections.js';
import { type AllocationConfig, type OrdersConfig, SHORT_PICK_POLICIES } from './compiled-config.js';
import type { ConfigValue } from './config-reader.js';

const DEFAULTS = { shortPick: 'recommit', idempotencyHours: 24 } as const;

const emptyAllocation = (): AllocationConfig => ({
  default: { ...DEFAULT_ALLOCATION },
  channels: new Map(),
  customers: new Map(),
  regions: [],
});

export function compileOrders(value: ConfigValue | undefined, declared: DeclaredNames): OrdersConfig {
  const map = value?.map();
  if (map === undefined) return { ...DEFAULTS, allocation: emptyAllocation() };
  map.allowOnly(['validate', 'shortPick', 'idempotencyHours', 'allocation']);
  const orders: OrdersConfig = {
    shortPick: map.get('shortPick')?.oneOf(SHORT_PICK_POLICIES, 'short pick policy') ?? DEFAULTS.shortPick,
    idempotencyHours: map.get('idempotencyHours')?.int(24) ?? DEFAULTS.idempotencyHours,
    allocation: compileAllocation(map.get('allocation'), declared),
  };
  const validate = map.get('validate')?.map();
  if (validate !== undefined) {
    validate.allowOnly(['system', 'http', 'onTimeout']);
    const system = validate.require('system')?.reference(declared.systems, 'system', 'systems');
    const http = readHttp(validate.require('http'));
    const onTimeout =
      validate.get('onTimeout')?.oneOf(['hold', 'accept'] as const, 'timeout policy') ?? 'hold';
    if (system !== undefined && http !== undefined) orders.validate = { system, http, onTimeout };
  }
  return orders;
}

function compileAllocation(value: ConfigValue | undefined, declared: DeclaredNames): AllocationConfig {
  const allocation = emptyAllocation();
  const map = value?.map();
  if (map === undefined) return allocation;
  map.allowOnly(['default', 'channels', 'customers', 'regions']);
  const base = map.get('default');
  if (base !== undefined) allocation.default = readRule(base, DEFAULT_ALLOCATION) ?? allocation.default;
  const channels = map.get('channels')?.map();
  for (const entry of channels?.list() ?? []) {
    if (!declared.channels.includes(entry.name)) {
      const known =
        declared.channels.length === 0
          ? 'no channels are declared'
          : `known channels: ${declared.channels.join(', ')}`;
      channels?.reportKey(entry, `no channel named '${entry.name}'; ${known}`);
      continue;
    }
    const rule = readRule(entry.value, allocation.default);
    if (rule) allocation.channels.set(entry.name, rule);
  }
  for (const entry of map.get('customers')?.map()?.list() ?? []) {
    const rule = readRule(entry.value, allocation.default);
    if (rule) allocation.customers.set(entry.name, rule);
  }
  for (const item of map.get('regions')?.list() ?? []) {
    const hint = readRegion(item);
    if (hint) allocation.regions.push(hint);
  }
  return allocation;
}

/** A rule: a policy name, or `{ policy?, shipComplete? }` (what it leaves out comes from `base`). */
function readRule(value: ConfigValue, base: AllocationRule): AllocationRule | undefined {
  if (value.scalar !== undefined && value.scalar !== null) {
    const policy = value.oneOf(ALLOCATION_POLICIES, 'allocation policy');
    return policy === undefined ? undefined : { ...base, policy };
  }
  const map = value.map();
  if (map === undefined) return undefined;
  map.allowOnly(['policy', 'shipComplete']);
  const policyValue = map.get('policy');
  const policy = policyValue?.oneOf(ALLOCATION_POLICIES, 'allocation policy');
  const shipCompleteValue = map.get('shipComplete');
  const shipComplete = shipCompleteValue?.boolean();
  if ((policyValue && policy === undefined) || (shipCompleteValue && shipComplete === undefined))
    return undefined;
  return { policy: policy ?? base.policy, shipComplete: shipComplete ?? base.shipComplete };
}

/** A number within `[-limit, limit]` (a latitude or longitude). */
function degrees(value: ConfigValue | undefined, limit: number): number | undefined {
  if (value === undefined) return undefined;
  const n = value.scalar;
  if (typeof n !== 'number' || !Number.isFinite(n) || Math.abs(n) > limit) {
    value.report(
      `expected a number from -${limit} to ${limit} (degrees), got ${JSON.stringify(n ?? null)}`,
      n,
    );
    return undefined;
  }
  return n;
}

/** `{ lat, lon }` in decimal degrees. */
export function readCoordinates(value: ConfigValue): Coordinates | undefined {
  const map = value.map();
  if (map === undefined) return undefined;
  map.allowOnly(['lat', 'lon']);
  const lat = degrees(map.require('lat'), 90);
  const lon = degrees(map.require('lon'), 180);
  return lat === undefined || lon === undefined ? undefined : { lat, lon };
}

const COUNTRY = /^[A-Z]{2}$/;

/** `{ country, region?, postalPrefix?, lat, lon }`. */
function readRegion(value: ConfigValue): RegionHint | undefined {
  const map = value.map();
  if (map === undefined) return undefined;
  map.allowOnly(['country', 'region', 'postalPrefix', 'lat', 'lon']);
  const country = map
    .require('country')
    ?.matching(COUNTRY, 'country', 'an ISO 3166-1 alpha-2 code in capitals, e.g. DE');
  const region = map.get('region')?.string();
  const postalValue = map.get('postalPrefix');
  const postalPrefix = postalValue?.scalar === undefined ? undefined : String(postalValue.scalar);
  const lat = degrees(map.require('lat'), 90);
  const lon = degrees(map.require('lon'), 180);
  if (country === undefined || lat === undefined || lon === undefined) return undefined;
  return {
    country,
    ...(region === undefined ? {} : { region }),
    ...(postalPrefix === undefined ? {} : { postalPrefix }),
    lat,
    lon,
  };
}
