/**
 * `orders: { validate?: { system, http: { url, timeoutMs? }, onTimeout?: hold | accept },
 * shortPick?: recommit | backorder, idempotencyHours? }` (docs/orders.md).
 */
import type { DeclaredNames } from './compile-sections.js';
import { readHttp } from './compile-subscriptions.js';
import { type OrdersConfig, SHORT_PICK_POLICIES } from './compiled-config.js';
import type { ConfigValue } from './config-reader.js';

const DEFAULTS: OrdersConfig = { shortPick: 'recommit', idempotencyHours: 24 };

export function compileOrders(value: ConfigValue | undefined, declared: DeclaredNames): OrdersConfig {
  const map = value?.map();
  if (map === undefined) return { ...DEFAULTS };
  map.allowOnly(['validate', 'shortPick', 'idempotencyHours']);
  const orders: OrdersConfig = {
    shortPick: map.get('shortPick')?.oneOf(SHORT_PICK_POLICIES, 'short pick policy') ?? DEFAULTS.shortPick,
    idempotencyHours: map.get('idempotencyHours')?.int(24) ?? DEFAULTS.idempotencyHours,
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
