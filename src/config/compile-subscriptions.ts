/**
 * Compiler for `subscriptions` (docs/delivery.md): which event types go to which system, through which
 * connector, with which retry, rate-limit and failure policy. Defaults are filled in here so the delivery
 * engine never re-validates or guesses.
 */
import { CATALOGUE } from '../domain/event-catalogue.js';
import { compileTypePatterns, isValidTypePattern } from '../domain/type-pattern.js';
import type { DeclaredNames } from './compile-sections.js';
import {
  type CompiledSubscription,
  EDI_OUTBOUND_SET_IDS,
  type EdiOutboundSetId,
  type HttpConnectorConfig,
  type RateLimitPolicy,
  type RetryPolicy,
} from './compiled-config.js';
import type { ConfigValue } from './config-reader.js';
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

/** Timeout of one HTTP delivery attempt when `http.timeoutMs` is not set. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/** Concurrency of a rate-limited subscription when `rateLimit.concurrency` is not set. */
export const DEFAULT_CONCURRENCY = 4;

const SUBSCRIPTION_KEYS = [
  'name',
  'target',
  'types',
  'filter',
  'http',
  'edi',
  'dir',
  'retry',
  'rateLimit',
  'onFailure',
] as const;
const SUBSCRIPTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CATALOGUE_TYPES = CATALOGUE.map((entry) => entry.type);

/** The canonical event type each outbound X12 set is made from (see `connectors/edi/mappings/outbound.ts`). */
export const EDI_SET_EVENT_TYPES: Record<EdiOutboundSetId, string> = {
  '855': 'com.manifold.order.milestone.v1',
  '856': 'com.manifold.order.shipped.v1',
  '810': 'com.manifold.order.invoiced.v1',
  '846': 'com.manifold.inventory.availability.v1',
  '940': 'com.manifold.order.released.v1',
};

/**
 * `subscriptions: [ { name, target, types, filter?, http | (edi + (http | dir)), retry?, rateLimit?,
 * onFailure? } ]`. With `edi: {sets}` the target must be an EDI partner (a system with `x12:`), `types`
 * defaults to the sets' event types, and delivery is by `http` or by a `dir` folder drop.
 */
export function compileSubscriptions(
  value: ConfigValue | undefined,
  declared: DeclaredNames,
  /** The systems with an `x12:` identity: the only targets an `edi:` subscription may have. */
  ediPartners: ReadonlySet<string> = new Set(),
): CompiledSubscription[] {
  const subscriptions: CompiledSubscription[] = [];
  const firstLineByName = new Map<string, number>();
  for (const item of value?.list() ?? []) {
    const map = item.map();
    if (map === undefined) continue;
    map.allowOnly(SUBSCRIPTION_KEYS);
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
    const ediValue = map.get('edi');
    const edi = readEdi(ediValue);
    if (edi !== undefined && target !== undefined && !ediPartners.has(target)) {
      ediValue?.report(
        `subscription target '${target}' is not an EDI partner; an edi: subscription needs a target with x12: { id, qualifier } (systems.${target}.x12)`,
      );
    }
    const typesValue = edi !== undefined && !map.has('types') ? undefined : map.require('types');
    const types =
      typesValue === undefined && edi !== undefined
        ? [...new Set(edi.sets.map((set) => EDI_SET_EVENT_TYPES[set]))]
        : readTypes(typesValue);
    if (edi !== undefined && typesValue !== undefined && types.length > 0) {
      // A set is made from one event type: types that leave it out mean the set is never sent.
      const matches = compileTypePatterns(types);
      for (const set of edi.sets) {
        const needed = EDI_SET_EVENT_TYPES[set];
        if (!matches(needed)) {
          typesValue.report(
            `edi set ${set} is made from ${needed} events, which these types leave out, so it would never be sent; add '${needed}' to types (or drop ${set} from edi.sets)`,
          );
        }
      }
    }
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
    if (edi !== undefined) {
      subscription.edi = edi;
      const dirValue = map.get('dir');
      if (map.has('http') && dirValue !== undefined) {
        dirValue.report('give either http: or dir: for an edi: subscription, not both');
      } else if (!map.has('http') && dirValue === undefined) {
        ediValue?.report(
          'an edi: subscription needs http: { url } (POST application/edi-x12) or dir: <folder> (file drop)',
        );
      }
      const http = map.has('http') ? readHttp(map.get('http')) : undefined;
      if (http !== undefined) {
        subscription.http = http;
        if (http.batch) map.get('http')?.report('batch: true is not supported for edi: subscriptions');
      }
      const path = dirValue?.string();
      if (path !== undefined) subscription.dir = { path };
    } else {
      if (map.has('dir')) map.get('dir')?.report('dir: is only for edi: subscriptions (outbound X12 files)');
      const http = readHttp(map.require('http'));
      if (http !== undefined) subscription.http = http;
    }
    const rateLimit = readRateLimit(map.get('rateLimit'));
    if (rateLimit !== undefined) subscription.rateLimit = rateLimit;
    const onFailure = map.get('onFailure')?.oneOf(ON_FAILURE_POLICIES, 'onFailure policy');
    if (onFailure !== undefined) subscription.onFailure = onFailure;
    subscriptions.push(subscription);
  }
  return subscriptions;
}

/** `edi: { sets: [855, 856, 810, 846, 940] }` (a non-empty subset). */
function readEdi(value: ConfigValue | undefined): { sets: EdiOutboundSetId[] } | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(['sets']);
  const setsValue = map.require('sets');
  const items = setsValue?.list({ allowSingle: true });
  if (items === undefined) return undefined;
  if (items.length === 0)
    setsValue?.report(`expected at least one X12 set: ${EDI_OUTBOUND_SET_IDS.join(', ')}`);
  const sets: EdiOutboundSetId[] = [];
  for (const item of items) {
    const id = item.string();
    if (id === undefined) continue;
    if (!(EDI_OUTBOUND_SET_IDS as readonly string[]).includes(id)) {
      item.report(`X12 set '${id}' is not sent by Manifold; use ${EDI_OUTBOUND_SET_IDS.join(', ')}`, id);
      continue;
    }
    if (!sets.includes(id as EdiOutboundSetId)) sets.push(id as EdiOutboundSetId);
  }
  return { sets };
}

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
      item.report(
        `pattern '${pattern}' matches no event type; known types: ${CATALOGUE_TYPES.join(', ')}`,
        pattern,
      );
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

/** `http: { url, secret?, headers?, timeoutMs?, batch? }`: the webhook connector. */
export function readHttp(value: ConfigValue | undefined): HttpConnectorConfig | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(['url', 'secret', 'headers', 'timeoutMs', 'batch']);
  const urlValue = map.require('url');
  const url = urlValue?.string();
  if (url !== undefined && !isHttpUrl(url)) {
    urlValue?.report(`invalid URL '${url}'; expected an http:// or https:// URL`, url);
  }
  const headers: Record<string, string> = {};
  for (const entry of map.get('headers')?.map()?.list() ?? []) {
    if (!HEADER_NAME.test(entry.name)) {
      entry.value.report(`invalid header name '${entry.name}'`, entry.name);
      continue;
    }
    const headerValue = entry.value.string({ secret: true });
    if (headerValue !== undefined) headers[entry.name] = headerValue;
  }
  const http: HttpConnectorConfig = {
    url: url ?? '',
    headers,
    timeoutMs: map.get('timeoutMs')?.int(1) ?? DEFAULT_HTTP_TIMEOUT_MS,
    batch: map.get('batch')?.boolean() ?? false,
  };
  const secret = map.get('secret')?.string({ secret: true });
  if (secret !== undefined) http.secret = secret;
  return http;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
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
