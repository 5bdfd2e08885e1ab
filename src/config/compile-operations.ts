/**
 * The operations sections of the configuration (docs/operations.md):
 *
 * ```yaml
 * tracing:                                   # W3C traceparent is always carried; spans are exported
 *   serviceName: manifold                    # only when `otlp` is set
 *   sampleRatio: 1                           # share of new traces recorded (0..1)
 *   otlp: { url: http://127.0.0.1:4318/v1/traces, headers: { … }, timeoutMs: 10000 }
 * alerts:
 *   - name: erp-orders-backlog
 *     backlog: { subscription: erp-orders, above: 500, for: 5m }
 *     severity: critical                     # warning (default) | critical
 *   - { name: stale-deliveries, oldestPending: { olderThan: 10m } }
 *   - { name: exception-storm, exceptionRate: { above: 20, per: 5m, code: inventory_rejected } }
 *   - { name: target-down, circuitOpen: { target: erp, for: 1m } }
 *   - { name: wms-drift, drift: { system: wms-east, above: 100 } }
 *   # business service levels over the order lifecycle (docs/operations.md#service-levels)
 *   - { name: late-855, ackLate: { within: 4h, partner: acme } }
 *   - { name: missing-856, asnLate: { within: 1h } }
 *   - { name: missing-997, unacknowledged: { after: 2h } }
 *   - { name: stuck-releases, notShipped: { after: 24h, location: DC-EAST } }
 *   - { name: late-backorders, backorderedPast: { after: 48h }, severity: critical }
 * ```
 */

import { readHttp } from '../connectors/http/config-section.js';
import {
  ALERT_KINDS,
  ALERT_SEVERITIES,
  type AlertCondition,
  type AlertKind,
  type AlertRule,
} from '../domain/alerts/alert-state.js';
import type { DeclaredNames } from './compile-sections.js';
import type { TracingConfig } from './compiled-config.js';
import { type ConfigValue, type MapReader, readDuration } from './config-reader.js';

export function compileTracing(value: ConfigValue | undefined): TracingConfig {
  const map = value?.map();
  const tracing: TracingConfig = { serviceName: 'manifold', sampleRatio: 1 };
  if (map === undefined) return tracing;
  map.allowOnly(['serviceName', 'sampleRatio', 'otlp']);
  tracing.serviceName = map.get('serviceName')?.string() ?? 'manifold';
  const ratioValue = map.get('sampleRatio');
  if (ratioValue !== undefined) {
    const ratio = ratioValue.scalar;
    if (typeof ratio !== 'number' || ratio < 0 || ratio > 1) {
      ratioValue.report(`sampleRatio must be a number from 0 to 1, got '${String(ratio)}'`, ratio);
    } else tracing.sampleRatio = ratio;
  }
  const otlpValue = map.get('otlp');
  if (otlpValue !== undefined) {
    otlpValue.map()?.allowOnly(['url', 'headers', 'timeoutMs']);
    const http = readHttp(otlpValue);
    if (http !== undefined)
      tracing.otlp = { url: http.url, headers: http.headers, timeoutMs: http.timeoutMs };
  }
  return tracing;
}

/** What each condition's block may hold. */
const CONDITION_KEYS: Record<AlertKind, readonly string[]> = {
  backlog: ['subscription', 'above', 'for'],
  oldestPending: ['subscription', 'olderThan', 'for'],
  exceptionRate: ['code', 'above', 'per'],
  circuitOpen: ['target', 'for'],
  drift: ['system', 'above'],
  ackLate: ['partner', 'within', 'above', 'for'],
  asnLate: ['partner', 'within', 'above', 'for'],
  unacknowledged: ['partner', 'after', 'above', 'for'],
  notShipped: ['location', 'after', 'above', 'for'],
  backorderedPast: ['location', 'after', 'above', 'for'],
};

export function compileAlerts(
  value: ConfigValue | undefined,
  declared: DeclaredNames,
  subscriptions: readonly string[],
): AlertRule[] {
  if (value === undefined || value.isNull) return [];
  const items = value.list();
  if (items === undefined) return [];
  const rules: AlertRule[] = [];
  const names = new Set<string>();
  for (const item of items) {
    const map = item.map();
    if (map === undefined) continue;
    map.allowOnly(['name', 'severity', ...ALERT_KINDS]);
    const nameValue = map.require('name');
    const name = nameValue?.matching(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
      'alert rule name',
      'letters, digits, `.`, `_` and `-`, at most 64',
    );
    if (name !== undefined && names.has(name)) {
      nameValue?.report(`duplicate alert rule name '${name}'`, name);
    }
    if (name !== undefined) names.add(name);
    const severity = map.get('severity')?.oneOf(ALERT_SEVERITIES, 'severity') ?? 'warning';
    const kinds = ALERT_KINDS.filter((k) => map.has(k));
    if (kinds.length !== 1) {
      map.report(
        kinds.length === 0
          ? `an alert rule needs one condition: ${ALERT_KINDS.join(', ')}`
          : `an alert rule has one condition, got ${kinds.join(' and ')}`,
      );
      continue;
    }
    const kind = kinds[0] as AlertKind;
    const block = map.get(kind)?.map();
    if (block === undefined) continue;
    block.allowOnly(CONDITION_KEYS[kind]);
    const condition = readCondition(kind, block, declared, subscriptions);
    if (name !== undefined && condition !== undefined) rules.push({ name, severity, condition });
  }
  return rules;
}

function readCondition(
  kind: AlertKind,
  block: MapReader,
  declared: DeclaredNames,
  subscriptions: readonly string[],
): AlertCondition | undefined {
  const forMs = () => readDuration(block.get('for')) ?? 0;
  /** Service levels: how many breaching orders are tolerated (0: any breach alerts). */
  const above = () => block.get('above')?.int(0) ?? 0;
  const subscription = () =>
    block.get('subscription')?.reference(subscriptions, 'subscription', 'subscriptions');
  const optional = <K extends string, V>(key: K, v: V | undefined) =>
    (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
  switch (kind) {
    case 'backlog': {
      const above = block.require('above')?.int(0);
      if (above === undefined) return undefined;
      return { kind, above, forMs: forMs(), ...optional('subscription', subscription()) };
    }
    case 'oldestPending': {
      const olderThanMs = readDuration(block.require('olderThan'));
      if (olderThanMs === undefined) return undefined;
      return { kind, olderThanMs, forMs: forMs(), ...optional('subscription', subscription()) };
    }
    case 'exceptionRate': {
      const above = block.require('above')?.int(0);
      const perMs = readDuration(block.get('per')) ?? 300_000;
      if (above === undefined) return undefined;
      if (perMs < 1000) {
        block.get('per')?.report('per must be at least 1s');
        return undefined;
      }
      return { kind, above, perMs, ...optional('code', block.get('code')?.string()) };
    }
    case 'circuitOpen': {
      const target = block.get('target')?.reference(declared.systems, 'system', 'systems');
      return { kind, forMs: forMs(), ...optional('target', target) };
    }
    case 'drift': {
      const above = block.require('above')?.int(0);
      const system = block.get('system')?.reference(declared.systems, 'system', 'systems');
      if (above === undefined) return undefined;
      return { kind, above, ...optional('system', system) };
    }
    case 'ackLate':
    case 'asnLate': {
      const withinMs = readDuration(kind === 'ackLate' ? block.require('within') : block.get('within')) ?? 0;
      const partner = block.get('partner')?.reference(declared.systems, 'system', 'systems');
      return { kind, withinMs, above: above(), forMs: forMs(), ...optional('partner', partner) };
    }
    case 'unacknowledged': {
      const afterMs = readDuration(block.require('after'));
      const partner = block.get('partner')?.reference(declared.systems, 'system', 'systems');
      if (afterMs === undefined) return undefined;
      return { kind, afterMs, above: above(), forMs: forMs(), ...optional('partner', partner) };
    }
    case 'notShipped':
    case 'backorderedPast': {
      const afterMs = readDuration(kind === 'notShipped' ? block.require('after') : block.get('after')) ?? 0;
      const location = block.get('location')?.string();
      return { kind, afterMs, above: above(), forMs: forMs(), ...optional('location', location) };
    }
  }
}
