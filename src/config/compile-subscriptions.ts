/**
 * Compiler for `subscriptions` (docs/delivery.md): which event types go to which system, through which
 * connector, with which retry, rate-limit and failure policy. Defaults are filled in here so the delivery
 * engine never re-validates or guesses.
 */
import type { SubscriptionSection } from '../connectors/connector-port.js';
import { connectorKeys, connectorKinds, kindsFor } from '../connectors/registry.js';
import { DEFAULT_CONCURRENCY } from '../domain/delivery/adaptive-concurrency.js';
import { CATALOGUE, catalogueEntry } from '../domain/event-catalogue.js';
import { compileTypePatterns, isValidTypePattern } from '../domain/type-pattern.js';
import { readHealth } from './compile-health.js';
import type { DeclaredNames } from './compile-sections.js';
import type {
  CompiledSubscription,
  CompiledSystem,
  RateLimitPolicy,
  RetryPolicy,
} from './compiled-config.js';
import type { ConfigValue } from './config-reader.js';
import { typeHint } from './type-hint.js';
import { positionOf } from './yaml-source.js';

/** What a subscription does with a message that exhausted its retries. */
export const ON_FAILURE_POLICIES = ['hold', 'skip'] as const;
export type OnFailurePolicy = (typeof ON_FAILURE_POLICIES)[number];

/** Retry policy of a subscription without `retry` (docs/delivery.md: 1 s initial, ×2, 5 min cap, one day). */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = {
  maxAttempts: 12,
  initialDelayMs: 1000,
  maxDelayMs: 300_000,
  maxAgeMs: 86_400_000,
};

/** The subscription's own keys; each connector kind's keys (`http`, `edi`, `dir`, …) go after `filter`. */
const SUBSCRIPTION_KEYS = ['name', 'target', 'types', 'filter'] as const;
const POLICY_KEYS = ['retry', 'rateLimit', 'onFailure', 'coalesce', 'health'] as const;
const SUBSCRIPTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CATALOGUE_TYPES = CATALOGUE.map((entry) => entry.type);

/**
 * `subscriptions: [ { name, target, types, filter?, http | (edi + (http | dir)), retry?, rateLimit?,
 * onFailure?, coalesce? } ]`. With `edi: {sets}` the target must be an EDI partner (a system with `x12:`), `types`
 * defaults to the sets' event types, and delivery is by `http` or by a `dir` folder drop.
 */
export function compileSubscriptions(
  value: ConfigValue | undefined,
  declared: DeclaredNames,
  /** The compiled systems, for the connector kinds' checks (an `edi:` target must have `x12:`). */
  systems: ReadonlyMap<string, CompiledSystem> = new Map(),
): CompiledSubscription[] {
  const subscriptions: CompiledSubscription[] = [];
  const firstLineByName = new Map<string, number>();
  for (const item of value?.list() ?? []) {
    const map = item.map();
    if (map === undefined) continue;
    map.allowOnly([...SUBSCRIPTION_KEYS, ...connectorKeys(), ...POLICY_KEYS]);
    const nameValue = map.require('name');
    const name = nameValue?.matching(
      SUBSCRIPTION_NAME,
      'subscription name',
      "use letters, digits, '.', '_' and '-', starting with a letter or digit",
    );
    if (name !== undefined && nameValue !== undefined) {
      const firstLine = firstLineByName.get(name);
      if (firstLine === undefined) firstLineByName.set(name, positionOf(item.source, nameValue.node).line);
      else
        nameValue.report(
          `duplicate subscription name '${name}' (first at line ${firstLine}); names must be unique`,
          name,
        );
    }
    const target = map.require('target')?.reference(declared.systems, 'system', 'systems');
    // The connector kind that delivers it (registry.ts) reads its own section: first what it needs
    // before `types`, then the rest after `filter`, so messages keep the order of the keys.
    const kinds = kindsFor((key) => map.has(key));
    const [kind] = kinds;
    const sectionContext = { target, systems };
    let section: SubscriptionSection | undefined = kind?.readSection?.(map, sectionContext);
    const fallback = connectorKinds()[0];
    if (section === undefined && fallback !== undefined && fallback !== kind)
      section = fallback.readSection?.(map, sectionContext);
    const chosen = section === undefined || kind === undefined ? fallback : kind;
    const typesValue =
      section?.defaultTypes !== undefined && !map.has('types') ? undefined : map.require('types');
    const types =
      typesValue === undefined && section?.defaultTypes !== undefined
        ? section.defaultTypes
        : readTypes(typesValue);
    if (section?.checkTypes !== undefined && typesValue !== undefined)
      section.checkTypes(types, compileTypePatterns(types), typesValue);
    const subscription: CompiledSubscription = {
      name: name ?? '',
      target: target ?? '',
      types,
      matchesType: compileTypePatterns(types),
      retry: readRetry(map.get('retry')),
    };
    const filter = readFilter(map.get('filter'));
    if (filter !== undefined) subscription.filter = filter;
    // The connector block is required: a subscription nothing can deliver would only pile up its outbox.
    if (kinds.length > 1) {
      map.report(`give one connector per subscription, not ${kinds.map((k) => `${k.kind}:`).join(' and ')}`);
    }
    // Keys of other kinds that the delivering kind neither owns nor rides as its transport.
    const own = new Set([chosen?.kind, ...(chosen?.extraKeys ?? []), ...(chosen?.rides ?? [])]);
    for (const other of connectorKinds()) {
      if (!other.readSection) continue;
      // The kinds refused above, and the one whose unreadable section was reported already.
      if ((kinds.length > 1 && kinds.includes(other)) || (other === kind && chosen !== kind)) continue;
      for (const key of [other.kind, ...(other.extraKeys ?? [])]) {
        if (own.has(key) || !map.has(key)) continue;
        map
          .get(key)
          ?.report(
            other.misplaced?.(key) ??
              `${key}: belongs to the ${other.kind} connector, not to a ${chosen?.kind ?? ''} subscription`,
          );
      }
    }
    const connector = section?.complete(subscription);
    if (connector !== undefined) subscription.connector = connector;
    const rateLimit = readRateLimit(map.get('rateLimit'));
    if (rateLimit !== undefined) subscription.rateLimit = rateLimit;
    const onFailure = map.get('onFailure')?.oneOf(ON_FAILURE_POLICIES, 'onFailure policy');
    if (onFailure !== undefined) subscription.onFailure = onFailure;
    const coalesceValue = map.get('coalesce');
    const coalesce = coalesceValue?.boolean();
    if (coalesce !== undefined && coalesceValue !== undefined) {
      subscription.coalesce = coalesce;
      if (coalesce) checkStateTypes(coalesceValue, types);
    }
    const health = readHealth(map.get('health'));
    if (health !== undefined) subscription.health = health;
    subscriptions.push(subscription);
  }
  return subscriptions;
}

/**
 * `coalesce: true` only on state-like types (docs/delivery.md §3): a pattern that can match a type whose
 * events are changes or transitions (an adjustment, an order's milestone) would drop some of them.
 */
function checkStateTypes(value: ConfigValue, types: readonly string[]): void {
  for (const pattern of types) {
    const matches = compileTypePatterns([pattern]);
    const offending = CATALOGUE_TYPES.find((type) => matches(type) && !catalogueEntry(type)?.state);
    if (offending === undefined) continue;
    value.report(
      `'coalesce: true' takes state-like types only; types pattern '${pattern}' matches ${offending}, whose ` +
        `events are changes, not the whole state of their key (state-like: ${stateTypeList()})`,
    );
    return;
  }
}

const stateTypeList = () =>
  CATALOGUE.filter((entry) => entry.state)
    .map((entry) => entry.type)
    .join(', ');

/** Non-empty list of type patterns, each matching at least one type of the catalogue (catches typos). */
function readTypes(value: ConfigValue | undefined): string[] {
  const items = value?.list({ allowSingle: true });
  if (items === undefined) return [];
  if (items.length === 0)
    value?.report('expected at least one event type pattern, e.g. com.manifold.order.*');
  const patterns: string[] = [];
  for (const item of items) {
    const pattern = item.string();
    if (pattern === undefined) continue;
    if (!isValidTypePattern(pattern)) {
      item.report(`invalid type pattern '${pattern}'; use letters, digits, '.', '-', '_' and '*'`, pattern);
      continue;
    }
    const matches = compileTypePatterns([pattern]);
    if (!CATALOGUE_TYPES.some(matches)) {
      item.report(`pattern '${pattern}' matches no event type; ${typeHint(pattern)}`, pattern);
      continue;
    }
    patterns.push(pattern);
  }
  return patterns;
}

/** `filter: { subject?, data? }`, kept as written for the delivery engine to apply. */
function readFilter(value: ConfigValue | undefined): CompiledSubscription['filter'] {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(['subject', 'data']);
  const filter: NonNullable<CompiledSubscription['filter']> = {};
  const subject = map.get('subject')?.string();
  if (subject !== undefined) filter.subject = subject;
  const data = map.get('data');
  if (data?.map() !== undefined) filter.data = data.toJS() as Record<string, unknown>;
  return filter;
}

/** `retry: { maxAttempts, initialDelayMs, maxDelayMs, maxAgeMs }`, each defaulted. */
function readRetry(value: ConfigValue | undefined): RetryPolicy {
  const map = value?.map();
  if (map === undefined) return { ...DEFAULT_RETRY };
  map.allowOnly(['maxAttempts', 'initialDelayMs', 'maxDelayMs', 'maxAgeMs']);
  const retry: RetryPolicy = {
    maxAttempts: map.get('maxAttempts')?.int(1) ?? DEFAULT_RETRY.maxAttempts,
    initialDelayMs: map.get('initialDelayMs')?.int(0) ?? DEFAULT_RETRY.initialDelayMs,
    maxDelayMs: map.get('maxDelayMs')?.int(0) ?? DEFAULT_RETRY.maxDelayMs,
    maxAgeMs: map.get('maxAgeMs')?.int(1) ?? DEFAULT_RETRY.maxAgeMs,
  };
  if (retry.maxDelayMs < retry.initialDelayMs) {
    const at = map.get('maxDelayMs') ?? map.get('initialDelayMs');
    at?.report(`maxDelayMs (${retry.maxDelayMs}) is less than initialDelayMs (${retry.initialDelayMs})`);
  }
  return retry;
}

/** `rateLimit: { perSecond, burst?, concurrency? }`: token bucket and concurrency cap for the target. */
export function readRateLimit(value: ConfigValue | undefined): RateLimitPolicy | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(['perSecond', 'burst', 'concurrency']);
  const perSecond = map.require('perSecond')?.positiveNumber() ?? 1;
  return {
    perSecond,
    // A bucket must hold at least one token, or a rate below 1/s could never send.
    burst: map.get('burst')?.int(1) ?? Math.max(1, Math.ceil(perSecond)),
    concurrency: map.get('concurrency')?.int(1) ?? DEFAULT_CONCURRENCY,
  };
}
