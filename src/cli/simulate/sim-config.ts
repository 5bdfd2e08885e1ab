/**
 * What the simulator needs from `manifold.yaml`: every system's plain key, the subscriptions it must
 * answer (their http URLs and secrets), the locations and channels, and the hub's address and X12
 * identity. The file is read with the hub's own loader (so it is validated exactly as `serve` does) and
 * once more with the same `${VAR:-default}` interpolation for the plain keys, which the compiled form
 * does not keep (it holds their digests only).
 */
import { readFileSync } from 'node:fs';
import type { CompiledConfig, SystemKind, X12Sftp } from '../../config/compiled-config.js';
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
  url: URL;
  secret?: string;
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
    // X12 over HTTP is played too (the partner answers 997s); a folder drop is not, nor a shaped call (the
    // platform's own API, such as Shopify's Admin API: the simulator answers CloudEvents webhooks only).
    if (s.http === undefined || s.http.shaped !== undefined) {
      skippedSubscriptions.push(s.name);
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
