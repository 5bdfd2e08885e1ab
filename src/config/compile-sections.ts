/**
 * (Over 400 lines: one short compiler per declarative section, kept together because they share the
 * reader helpers and report into one issue list.)
 *
 * Compilers for the declarative sections of `manifold.yaml` (README: configuration): store, server, channels,
 * locations, systems, ownership and status maps. Each reports its issues and returns what it could build;
 * the caller throws when any issue was reported, so partial results never escape.
 */

import { createHash } from 'node:crypto';
import { readX12 } from '../connectors/edi/config-section.js';
import { systemSections } from '../connectors/registry.js';
import { type CircuitBreakerPolicy, DEFAULT_CIRCUIT_BREAKER } from '../domain/delivery/circuit-breaker.js';
import { FACTS, type Fact, HUB_SYSTEM, MILESTONES, type Milestone } from '../domain/event-catalogue.js';
import { readCoordinates } from './compile-orders.js';
import { compileReadScope } from './compile-read-scope.js';
import {
  type CompiledChannel,
  type CompiledLocation,
  type CompiledSystem,
  RECONCILE_MODES,
  type ServerConfig,
  type StoreConfig,
  SYSTEM_KINDS,
  type TargetLimitPolicy,
} from './compiled-config.js';
import { type ConfigValue, type MapReader, readDuration } from './config-reader.js';
import { didYouMean } from './did-you-mean.js';

/** The store used when `store` is absent. */
export const DEFAULT_STORE: Readonly<StoreConfig & { kind: 'sqlite' }> = {
  kind: 'sqlite',
  path: './data/manifold.db',
};

/** Names that may be declared and referenced: what `reference()` lists as valid. */
export interface DeclaredNames {
  systems: string[];
  locations: string[];
  channels: string[];
}

/**
 * Every credential seen so far, by SHA-256 digest, so two holders of the same key are caught: a shared
 * key would let one system assert what only the other owns.
 */
export class KeyRegistry {
  private readonly holders = new Map<string, string>();

  /** Records `digest` for `holder`; reports at `value` when another holder already has it. */
  claim(digest: Buffer, holder: string, value: ConfigValue): void {
    const hex = digest.toString('hex');
    const previous = this.holders.get(hex);
    if (previous === undefined) this.holders.set(hex, holder);
    else if (previous !== holder) {
      value.report(`same key as ${previous}; every system and the admin need a key of their own`);
    }
  }
}

const MIN_KEY_LENGTH = 16;
/** How long a client may take to send a whole request (headers and body), by default. */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const STORE_KEYS = ['sqlite', 'postgres', 'schema'] as const;
const SERVER_KEYS = [
  'host',
  'port',
  'adminKey',
  'adminKeySha256',
  'metricsKey',
  'metricsPublic',
  'bodyLimit',
  'maxBatchEvents',
  'requestTimeout',
] as const;
const SYSTEM_KEYS = [
  'kind',
  'key',
  'keys',
  'keySha256',
  'locations',
  'channel',
  'x12',
  'rateLimit',
  'circuitBreaker',
  'reconcile',
  'driftThreshold',
  'read',
] as const;
/** Keys of connector kinds' system sections (`inbound` of `webhook`): read by their kind. */
const systemSectionKeys = (): string[] => systemSections().map((s) => s.key);
const CREDENTIAL_KEYS = ['key', 'keys', 'keySha256'] as const;
const SYSTEM_NAME = /^[a-z][a-z0-9-]*$/;
const PLACE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PLACE_NAME_RULE = "use letters, digits, '.', '_' and '-', starting with a letter or digit";
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i;
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/**
 * The names other sections may refer to: every validly named entry, even one whose body has issues, so a
 * single mistake is not reported again at each reference.
 */
export function declaredNames(
  systems: MapReader | undefined,
  locations: MapReader | undefined,
  channels: MapReader | undefined,
): DeclaredNames {
  return {
    systems: (systems?.names() ?? []).filter((name) => SYSTEM_NAME.test(name) && name !== HUB_SYSTEM),
    locations: (locations?.names() ?? []).filter((name) => PLACE_NAME.test(name)),
    channels: (channels?.names() ?? []).filter((name) => PLACE_NAME.test(name)),
  };
}

/** SHA-256 of a key, the only form in which keys are kept. */
export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** `store: { sqlite: PATH }` or `{ postgres: URL, schema?: NAME }`; sqlite `./data/manifold.db` when absent. */
export function compileStore(value: ConfigValue | undefined): StoreConfig {
  const map = value?.map();
  if (map === undefined) return { ...DEFAULT_STORE };
  map.allowOnly(STORE_KEYS);
  const sqlite = map.get('sqlite');
  const postgres = map.get('postgres');
  if (sqlite !== undefined && postgres !== undefined) {
    map.report("set exactly one of 'sqlite' or 'postgres', not both");
    return { ...DEFAULT_STORE };
  }
  if (sqlite !== undefined) {
    map.get('schema')?.report("'schema' applies to postgres only");
    // Kept as written (relative to the process cwd); resolving it is the adapter's job.
    const path = sqlite.string();
    if (path === ':memory:' || path?.startsWith('file::memory:')) {
      // Each SQLite connection gets its own in-memory database: the writer thread would write one the
      // readers never see (every write fails).
      sqlite.report(
        `'${path}' cannot hold the hub's data: the hub writes from a worker thread with its own connection, and an in-memory database is private to one connection; use a file path such as ./data/manifold.db`,
        path,
      );
      return { ...DEFAULT_STORE };
    }
    return { kind: 'sqlite', path: path ?? DEFAULT_STORE.path };
  }
  if (postgres !== undefined) {
    const url = postgres.string();
    if (url !== undefined && !isPostgresUrl(url)) {
      postgres.report(
        `invalid postgres URL '${redactUrl(url)}'; expected postgres://user@host:5432/database`,
      );
    }
    const store: StoreConfig = { kind: 'postgres', url: url ?? '' };
    const schema = map
      .get('schema')
      ?.matching(/^[A-Za-z_][A-Za-z0-9_]*$/, 'schema', 'use letters, digits and _');
    if (schema !== undefined) store.schema = schema;
    return store;
  }
  map.report("missing store engine; set 'sqlite: PATH' or 'postgres: URL'");
  return { ...DEFAULT_STORE };
}

function isPostgresUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A URL without its password, for messages. */
function redactUrl(text: string): string {
  return text.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}

/**
 * `server: { host, port, adminKey | adminKeySha256, metricsKey?, metricsPublic?, bodyLimit, maxBatchEvents }`.
 */
export function compileServer(value: ConfigValue | undefined, keys: KeyRegistry): ServerConfig | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(SERVER_KEYS);
  const host = map.get('host')?.string() ?? '127.0.0.1';
  const port = map.get('port')?.int(0, 65535) ?? 8080;
  const bodyLimit = readSize(map.get('bodyLimit')) ?? 1024 * 1024;
  const maxBatchEvents = map.get('maxBatchEvents')?.int(1) ?? 1000;
  const requestTimeoutValue = map.get('requestTimeout');
  let requestTimeoutMs = readDuration(requestTimeoutValue) ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (requestTimeoutMs < 1000) {
    requestTimeoutValue?.report(
      'requestTimeout must be at least 1s: a client needs time to send its body',
      String(requestTimeoutValue.scalar),
    );
    requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  }
  const adminKey = map.get('adminKey');
  const adminKeySha256 = map.get('adminKeySha256');
  let adminKeyHash: Buffer | undefined;
  if (adminKey !== undefined && adminKeySha256 !== undefined) {
    map.report("set only one of 'adminKey' or 'adminKeySha256'");
  } else if (adminKey !== undefined) {
    adminKeyHash = readPlainKey(adminKey);
  } else if (adminKeySha256 !== undefined) {
    adminKeyHash = readKeyDigest(adminKeySha256);
  } else {
    map.report("missing required key 'adminKey' (or 'adminKeySha256'): the key for operations");
  }
  if (adminKeyHash !== undefined) keys.claim(adminKeyHash, 'server.adminKey', adminKey ?? adminKeySha256!);
  // A key that only reads GET /metrics (a Prometheus scraper's bearer token); the admin key reads it too.
  const metricsKey = map.get('metricsKey');
  const metricsKeyHash = metricsKey === undefined ? undefined : readPlainKey(metricsKey);
  if (metricsKeyHash !== undefined) keys.claim(metricsKeyHash, 'server.metricsKey', metricsKey!);
  // Metrics name systems, subscriptions and volumes: open only when the operator says so.
  const metricsPublic = map.get('metricsPublic')?.boolean() ?? false;
  if (metricsPublic && metricsKey !== undefined) {
    map
      .get('metricsPublic')
      ?.report("metricsPublic: true leaves GET /metrics open; remove it or 'metricsKey'");
  }
  return {
    host,
    port,
    adminKeyHash: adminKeyHash ?? Buffer.alloc(0),
    ...(metricsKeyHash === undefined ? {} : { metricsKeyHash }),
    metricsPublic,
    bodyLimit,
    maxBatchEvents,
    requestTimeoutMs,
  };
}

/** Bytes, from an integer or a size such as `512kb` or `1mb` (binary units). */
function readSize(value: ConfigValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value.scalar === 'number') return value.int(1);
  const text = value.string();
  const match = text === undefined ? null : SIZE.exec(text.trim());
  if (match === null) {
    if (text !== undefined)
      value.report(`invalid size '${text}'; expected bytes (1048576) or '512kb', '1mb'`, text);
    return undefined;
  }
  const bytes = Math.floor(Number(match[1]) * (SIZE_UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1));
  if (bytes < 1) {
    value.report(`size '${text}' is less than one byte`, text);
    return undefined;
  }
  return bytes;
}

/** The digest of a plain key; keys shorter than 16 characters are refused (never echoed in messages). */
function readPlainKey(value: ConfigValue): Buffer | undefined {
  const key = value.string({ secret: true });
  if (key === undefined) return undefined;
  if (key.length < MIN_KEY_LENGTH) {
    value.report(`key is too short (${key.length} characters); use at least ${MIN_KEY_LENGTH} characters`);
    return undefined;
  }
  // A key travels as `Authorization: Bearer <key>`: whitespace would split it, and HTTP carries no
  // control characters, so such a key could never be presented.
  const bad = [...key].findIndex((char) => /\s/u.test(char) || char < ' ' || char === '\u007f');
  if (bad !== -1) {
    const what = /\s/u.test([...key][bad] ?? '') ? 'whitespace' : 'a control character';
    value.report(
      `key contains ${what} (at character ${bad + 1}); a key is sent as 'Authorization: Bearer <key>' and must be one word of printable characters`,
    );
    return undefined;
  }
  return hashKey(key);
}

/** A key given as its SHA-256 digest, 64 hexadecimal characters. */
function readKeyDigest(value: ConfigValue): Buffer | undefined {
  const hex = value.string();
  if (hex === undefined) return undefined;
  if (!SHA256_HEX.test(hex)) {
    value.report(`expected a SHA-256 digest (64 hexadecimal characters), got '${hex}'`, hex);
    return undefined;
  }
  return Buffer.from(hex, 'hex');
}

/** `channels: { NAME: { safetyStock? } }`. */
export function compileChannels(map: MapReader | undefined): Map<string, CompiledChannel> {
  const channels = new Map<string, CompiledChannel>();
  for (const entry of map?.list() ?? []) {
    if (!PLACE_NAME.test(entry.name))
      map?.reportKey(entry, `invalid channel name '${entry.name}'; ${PLACE_NAME_RULE}`);
    const body = entry.value.map({ nullAsEmpty: true });
    if (body === undefined) continue;
    body.allowOnly(['safetyStock']);
    const safetyStock = body.get('safetyStock')?.int(0) ?? 0;
    channels.set(entry.name, { name: entry.name, safetyStock });
  }
  return channels;
}

/** `locations: { NAME: { channels: [CHANNEL…], coordinates?: { lat, lon } } }`; each channel must be declared. */
export function compileLocations(
  map: MapReader | undefined,
  declared: DeclaredNames,
): Map<string, CompiledLocation> {
  const locations = new Map<string, CompiledLocation>();
  for (const entry of map?.list() ?? []) {
    if (!PLACE_NAME.test(entry.name)) {
      map?.reportKey(entry, `invalid location name '${entry.name}'; ${PLACE_NAME_RULE}`);
    }
    const body = entry.value.map({ nullAsEmpty: true });
    if (body === undefined) continue;
    body.allowOnly(['channels', 'coordinates']);
    const channels = readReferences(body.get('channels'), declared.channels, 'channel', 'channels');
    const at = body.get('coordinates');
    const coordinates = at === undefined ? undefined : readCoordinates(at);
    locations.set(entry.name, { name: entry.name, channels, ...(coordinates ? { coordinates } : {}) });
  }
  return locations;
}

/** A list of declared names; bad items are reported and left out. */
function readReferences(
  value: ConfigValue | undefined,
  known: readonly string[],
  singular: string,
  plural: string,
  options: { allowSingle?: boolean } = {},
): string[] {
  const names: string[] = [];
  for (const item of value?.list(options) ?? []) {
    const name = item.reference(known, singular, plural);
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * `systems: { NAME: { kind, key | keys | keySha256, locations?, channel?, read?, x12?, rateLimit?,
 * reconcile?, driftThreshold? } }`.
 */
export function compileSystems(
  map: MapReader | undefined,
  declared: DeclaredNames,
  keys: KeyRegistry,
): Map<string, CompiledSystem> {
  const systems = new Map<string, CompiledSystem>();
  for (const entry of map?.list() ?? []) {
    const { name } = entry;
    if (name === HUB_SYSTEM) {
      map?.reportKey(
        entry,
        `system name '${HUB_SYSTEM}' is reserved for the hub itself; choose another name`,
      );
    } else if (!SYSTEM_NAME.test(name)) {
      map?.reportKey(
        entry,
        `invalid system name '${name}'; use lowercase letters, digits and '-', starting with a letter`,
      );
    }
    const body = entry.value.map();
    if (body === undefined) continue;
    body.allowOnly([...SYSTEM_KEYS, ...systemSectionKeys()]);
    const kind = body.require('kind')?.oneOf(SYSTEM_KINDS, 'kind');
    const keyHashes = readCredentials(body, `system '${name}'`, keys);
    const locations = readReferences(body.get('locations'), declared.locations, 'location', 'locations', {
      allowSingle: true,
    });
    const channel = body.get('channel')?.reference(declared.channels, 'channel', 'channels');
    const scoped = { kind: kind ?? 'other', locations, ...(channel === undefined ? {} : { channel }) };
    const read = compileReadScope(body.get('read'), scoped, declared);
    const system: CompiledSystem = { name, kind: kind ?? 'other', keyHashes, locations, read };
    if (channel !== undefined) system.channel = channel;
    const x12 = readX12(body.get('x12'));
    if (x12 !== undefined) system.x12 = x12;
    // A limit for the whole system, shared by every subscription that targets it (cloud ERP API quotas).
    const rateLimit = readTargetLimit(body.get('rateLimit'));
    if (rateLimit !== undefined) system.rateLimit = rateLimit;
    // When delivery stops calling this system after failures, and for how long (docs/delivery.md).
    const circuitBreaker = readCircuitBreaker(body.get('circuitBreaker'));
    if (circuitBreaker !== undefined) system.circuitBreaker = circuitBreaker;
    // Reconciliation of this system's inventory snapshots: report drift only, or adopt its counts.
    const reconcile = body.get('reconcile')?.oneOf(RECONCILE_MODES, 'reconcile mode');
    if (reconcile !== undefined) system.reconcile = reconcile;
    const driftThreshold = body.get('driftThreshold')?.int(0);
    if (driftThreshold !== undefined) system.driftThreshold = driftThreshold;
    // Sections a connector kind reads under the system (`inbound:` of the `webhook` kind).
    for (const section of systemSections()) {
      const value = body.get(section.key);
      if (value === undefined) continue;
      const compiled = section.read(value, { name });
      if (compiled !== undefined) system.sections = { ...system.sections, [section.key]: compiled };
    }
    systems.set(name, system);
  }
  return systems;
}

/**
 * `rateLimit: { perSecond?, burst?, concurrency? }` of a system: at least one of `perSecond` and
 * `concurrency`. Unlike a subscription's, nothing is defaulted: an unset `concurrency` adds no cap.
 */
function readTargetLimit(value: ConfigValue | undefined): TargetLimitPolicy | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(['perSecond', 'burst', 'concurrency']);
  const perSecond = map.get('perSecond')?.positiveNumber();
  const burst = map.get('burst')?.int(1);
  const concurrency = map.get('concurrency')?.int(1);
  if (map.get('perSecond') === undefined && map.get('concurrency') === undefined) {
    map.report("set 'perSecond', 'concurrency' or both");
    return undefined;
  }
  if (perSecond === undefined && map.get('burst') !== undefined) {
    map.get('burst')?.report("'burst' needs 'perSecond'");
  }
  const policy: TargetLimitPolicy = {};
  // A bucket must hold at least one token, or a rate below 1/s could never send.
  if (perSecond !== undefined)
    policy.bucket = { perSecond, burst: burst ?? Math.max(1, Math.ceil(perSecond)) };
  if (concurrency !== undefined) policy.concurrency = concurrency;
  return policy;
}

/** `circuitBreaker: { failures?, openFor?, maxOpenFor?, probes? }`, over the defaults (5, 30s, 5m, 3). */
function readCircuitBreaker(value: ConfigValue | undefined): CircuitBreakerPolicy | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(['failures', 'openFor', 'maxOpenFor', 'probes']);
  const policy: CircuitBreakerPolicy = {
    failureThreshold: map.get('failures')?.int(1) ?? DEFAULT_CIRCUIT_BREAKER.failureThreshold,
    openMs: readDuration(map.get('openFor')) ?? DEFAULT_CIRCUIT_BREAKER.openMs,
    maxOpenMs: readDuration(map.get('maxOpenFor')) ?? DEFAULT_CIRCUIT_BREAKER.maxOpenMs,
    halfOpenProbes: map.get('probes')?.int(1) ?? DEFAULT_CIRCUIT_BREAKER.halfOpenProbes,
  };
  if (policy.openMs < 100) map.get('openFor')?.report('openFor must be at least 100ms');
  if (policy.maxOpenMs < policy.openMs) {
    (map.get('maxOpenFor') ?? map.get('openFor'))?.report(
      `maxOpenFor (${policy.maxOpenMs} ms) must not be shorter than openFor (${policy.openMs} ms)`,
    );
    return undefined;
  }
  return policy;
}

/** Exactly one of `key`, `keys` (rotation) or `keySha256`, as digests. */
function readCredentials(body: MapReader, holder: string, keys: KeyRegistry): Buffer[] {
  const given = CREDENTIAL_KEYS.filter((key) => body.get(key) !== undefined);
  if (given.length === 0) {
    body.report("missing key; set one of 'key', 'keys' (a list, for rotation) or 'keySha256'");
    return [];
  }
  if (given.length > 1) {
    body.report(
      `set only one of 'key', 'keys' or 'keySha256', not ${given.map((key) => `'${key}'`).join(' and ')}`,
    );
    return [];
  }
  const digests: Buffer[] = [];
  const add = (value: ConfigValue, digest: Buffer | undefined): void => {
    if (digest === undefined || digests.some((known) => known.equals(digest))) return;
    keys.claim(digest, holder, value);
    digests.push(digest);
  };
  const key = body.get('key');
  if (key !== undefined) add(key, readPlainKey(key));
  const list = body.get('keys')?.list();
  if (list?.length === 0) body.get('keys')?.report('expected at least one key');
  for (const item of list ?? []) add(item, readPlainKey(item));
  for (const item of body.get('keySha256')?.list({ allowSingle: true }) ?? []) add(item, readKeyDigest(item));
  return digests;
}

/** `ownership: { FACT: [SYSTEM…] }`: who may assert each fact (docs/architecture.md). */
export function compileOwnership(map: MapReader | undefined, declared: DeclaredNames): Map<Fact, string[]> {
  const ownership = new Map<Fact, string[]>();
  for (const entry of map?.list() ?? []) {
    if (!(FACTS as readonly string[]).includes(entry.name)) {
      map?.reportKey(
        entry,
        `unknown fact '${entry.name}'; expected one of: ${FACTS.join(', ')}${didYouMean(entry.name, FACTS)}`,
      );
      continue;
    }
    const items = entry.value.isNull ? [] : entry.value.list({ allowSingle: true });
    if (items === undefined) continue;
    if (items.length === 0) {
      entry.value.report(`no systems listed; list the systems allowed to assert '${entry.name}'`);
      continue;
    }
    const owners: string[] = [];
    for (const item of items) {
      const owner = item.reference(declared.systems, 'system', 'systems');
      if (owner !== undefined && !owners.includes(owner)) owners.push(owner);
    }
    ownership.set(entry.name as Fact, owners);
  }
  return ownership;
}

/** `statusMaps: { SYSTEM: { CODE: MILESTONE } }`: each platform's status codes, as milestones. */
export function compileStatusMaps(
  map: MapReader | undefined,
  declared: DeclaredNames,
): Map<string, Map<string, Milestone>> {
  const statusMaps = new Map<string, Map<string, Milestone>>();
  for (const entry of map?.list() ?? []) {
    if (!declared.systems.includes(entry.name)) {
      const known =
        declared.systems.length === 0
          ? 'no systems are declared'
          : `known systems: ${declared.systems.join(', ')}`;
      map?.reportKey(
        entry,
        `no system named '${entry.name}'; ${known}${didYouMean(entry.name, declared.systems)}`,
      );
    }
    const codes = new Map<string, Milestone>();
    for (const code of entry.value.map()?.list() ?? []) {
      const milestone = code.value.oneOf(MILESTONES, 'milestone');
      if (milestone !== undefined) codes.set(code.name, milestone);
    }
    statusMaps.set(entry.name, codes);
  }
  return statusMaps;
}
