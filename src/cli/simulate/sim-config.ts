/**
 * What the simulator needs from `manifold.yaml`: every system's plain key, the subscriptions it must
 * answer (their http URLs and secrets), the locations and channels, and the hub's address and X12
 * identity. The file is read with the hub's own loader (so it is validated exactly as `serve` does) and
 * once more with the same `${VAR:-default}` interpolation for the plain keys, which the compiled form
 * does not keep (it holds their digests only).
 */
import { readFileSync } from 'node:fs';
import type { CompiledConfig, ShapedCall, SystemKind, X12Sftp } from '../../config/compiled-config.js';
import { loadConfigFile } from '../../config/load-config.js';
import { interpolateDocument, parseYamlSource } from '../../config/yaml-source.js';
import { type NativeOrderRoute, nativeOrderRoute } from './native-orders.js';

/** A system the simulator can play: its name, kind, scope and plain key (when the file holds one). */
export interface SimSystem {
  name: string;
  kind: SystemKind;
  key?: string;
  channel?: string;
  locations: string[];
  x12?: { id: string; qualifier: string; version: string };
  /** The route its platform's own order webhooks go to (`inbound:`), when it has one (native-orders.ts). */
  native?: NativeOrderRoute;
  /** Its SFTP server (`x12.sftp`): the simulator is that server and plays the 3PL (threepl.ts). */
  sftp?: X12Sftp;
}

/** A subscription whose target the simulator plays: where the hub delivers it. */
export interface SimSubscription {
  name: string;
  target: string;
  types: string[];
  /** Where it listens; for a shaped call, its origin and the path's literal beginning. */
  url: URL;
  secret?: string;
  /** A shaped call (the system's own API): what the simulator checks of each request (receivers.ts). */
  shaped?: SimShapedCall;
}

/** What the simulated API expects of a shaped call: the method, the path (and query), the credentials. */
export interface SimShapedCall {
  method: string;
  /** Matches the request's path and query: the template's literal text, any value where it has `{{ }}`. */
  path: RegExp;
  /** The `Authorization` header a bearer or basic `auth` sends (other schemes are not checked). */
  authorization?: string;
}

export interface SimConfig {
  file: string;
  /** `http://<server.host>:<server.port>` (`0.0.0.0` and `::` read as the loopback address). */
  hubUrl: string;
  adminKey?: string;
  systems: Map<string, SimSystem>;
  /** Locations in config order (the allocation order), each with the channels it serves. */
  locations: { name: string; channels: string[] }[];
  channels: { name: string; safetyStock: number }[];
  subscriptions: SimSubscription[];
  /** The hub's X12 identity (ISA07/ISA08 of what partners send it). */
  hubX12?: { id: string; qualifier: string };
  /** Subscriptions without `http` (folder drops): not played. */
  skippedSubscriptions: string[];
  /** system → a status code of its own that `statusMaps` maps to `delivered` (the carrier's D1). */
  deliveredCodes: Map<string, string>;
}

/** Reads the configuration the hub runs with; throws the hub's `ConfigError` when it is not valid. */
export function readSimConfig(file: string, env: NodeJS.ProcessEnv = process.env): SimConfig {
  const compiled = loadConfigFile(file, env);
  const plain = plainKeys(file, env);
  return fromCompiled(compiled, plain);
}

interface PlainKeys {
  admin?: string;
  systems: Map<string, string>;
}

/** The plain keys as written (after interpolation); `keySha256` systems have none. */
function plainKeys(file: string, env: NodeJS.ProcessEnv): PlainKeys {
  const source = parseYamlSource(readFileSync(file, 'utf8'), file);
  interpolateDocument(source, env);
  const root = (source.doc.toJS() ?? {}) as {
    server?: { adminKey?: unknown };
    systems?: Record<string, { key?: unknown; keys?: unknown } | null>;
  };
  const systems = new Map<string, string>();
  for (const [name, body] of Object.entries(root.systems ?? {})) {
    const key = body?.key ?? (Array.isArray(body?.keys) ? body.keys[0] : undefined);
    if (typeof key === 'string' || typeof key === 'number') systems.set(name, String(key));
  }
  const admin = root.server?.adminKey;
  return {
    ...(typeof admin === 'string' ? { admin } : {}),
    systems,
  };
}

function fromCompiled(config: CompiledConfig, keys: PlainKeys): SimConfig {
  const systems = new Map<string, SimSystem>();
  for (const system of config.systems.values()) {
    const key = keys.systems.get(system.name);
    const native = nativeOrderRoute(system);
    systems.set(system.name, {
      ...(native === undefined ? {} : { native }),
      name: system.name,
      kind: system.kind,
      locations: system.locations,
      ...(key === undefined ? {} : { key }),
      ...(system.channel === undefined ? {} : { channel: system.channel }),
      ...(system.x12?.sftp === undefined ? {} : { sftp: system.x12.sftp }),
      ...(system.x12 === undefined
        ? {}
        : {
            x12: {
              id: system.x12.id,
              qualifier: system.x12.qualifier,
              version: system.x12.version ?? '00401',
            },
          }),
    });
  }
  const subscriptions: SimSubscription[] = [];
  const skippedSubscriptions: string[] = [];
  for (const s of config.subscriptions) {
    // X12 over HTTP is played too (the partner answers 997s); a folder drop is not. A shaped call is played
    // when it calls the ERP's sales-order API on this machine (receivers.ts), not a platform's own API
    // elsewhere (Shopify's Admin API: the recipe's fake plays that).
    if (s.http === undefined) {
      skippedSubscriptions.push(s.name);
      continue;
    }
    if (s.http.shaped !== undefined) {
      const played = shapedSubscription(s.name, s.target, s.types, s.http.shaped, s.http.secret);
      if (played === undefined) skippedSubscriptions.push(s.name);
      else subscriptions.push(played);
      continue;
    }
    subscriptions.push({
      name: s.name,
      target: s.target,
      types: s.types,
      url: new URL(s.http.url),
      ...(s.http.secret === undefined ? {} : { secret: s.http.secret }),
    });
  }
  const host = ['0.0.0.0', '::', ''].includes(config.server.host) ? '127.0.0.1' : config.server.host;
  return {
    file: config.file,
    hubUrl: `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`,
    ...(keys.admin === undefined ? {} : { adminKey: keys.admin }),
    systems,
    locations: [...config.locations.values()].map((l) => ({ name: l.name, channels: l.channels })),
    channels: [...config.channels.values()].map((c) => ({ name: c.name, safetyStock: c.safetyStock })),
    subscriptions,
    ...(config.edi === undefined ? {} : { hubX12: config.edi.x12 }),
    skippedSubscriptions,
    deliveredCodes: new Map(
      [...config.statusMaps].flatMap(([system, codes]) => {
        const code = [...codes].find(([, milestone]) => milestone === 'delivered')?.[0];
        return code === undefined ? [] : [[system, code] as const];
      }),
    ),
  };
}

/** The path of the ERP sales-order API the simulator plays (`…/{{ data.orderId }}` after it). */
export const SALES_ORDERS_PATH = '/api/salesOrders/';

/**
 * A shaped call as the simulator plays it: listening on its origin, matching its path template. Undefined
 * for a call it does not play: one to another machine, or to another path than `SALES_ORDERS_PATH`.
 */
function shapedSubscription(
  name: string,
  target: string,
  types: string[],
  shaped: ShapedCall,
  secret: string | undefined,
): SimSubscription | undefined {
  const host = new URL(shaped.url.origin).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return undefined;
  let pattern = '';
  let literal = '';
  let templated = false;
  for (const part of shaped.url.parts) {
    if (typeof part === 'string') {
      pattern += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (!templated) literal += part;
    } else {
      pattern += '[^/?&#]+';
      templated = true;
    }
  }
  if (!literal.startsWith(SALES_ORDERS_PATH)) return undefined;
  const auth = shaped.auth;
  let authorization: string | undefined;
  if (auth?.kind === 'bearer') authorization = `Bearer ${auth.token}`;
  if (auth?.kind === 'basic') {
    authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
  }
  return {
    name,
    target,
    types,
    url: new URL(literal.split('?')[0] || '/', shaped.url.origin),
    ...(secret === undefined ? {} : { secret }),
    shaped: {
      method: shaped.method,
      path: new RegExp(`^${pattern}$`),
      ...(authorization === undefined ? {} : { authorization }),
    },
  };
}
