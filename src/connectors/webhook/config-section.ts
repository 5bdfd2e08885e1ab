/**
 * `systems.<name>.inbound`: native webhooks in (docs/connectors.md#native-webhooks-in). How the system's
 * own requests are authenticated (`auth`), an optional registration `handshake`, and its `routes`, each
 * turning a request into canonical events by JSONata. Every expression is compiled here, once, by the
 * shaped calls' expressions module (`../http/expressions.ts`: budget, error positions).
 */
import type { CompiledExpression, OutboundAuth } from '../../config/compiled-config.js';
import type { ConfigValue, MapReader } from '../../config/config-reader.js';
import { readDuration } from '../../config/config-reader.js';
import { catalogueEntry } from '../../domain/event-catalogue.js';
import { DEFAULT_HTTP_TIMEOUT_MS } from '../http/config-section.js';
import { readExpression } from '../http/expressions.js';
import { isHttpUrl, readAuth as readOutboundAuth } from '../http/shaped-config.js';

/** How a webhook request proves it comes from the system. */
export type WebhookAuth =
  | { kind: 'bearer' }
  | {
      kind: 'hmac';
      header: string;
      /** One, or two while a secret is rotated: a signature by any of them passes. */
      secrets: string[];
      algorithm: 'sha256' | 'sha512' | 'sha1';
      encoding: 'base64' | 'hex';
      /** Text before the digest in the header (`sha256=`). */
      prefix: string;
      /** When set, the signed content is `<timestamp>.<body>` and the timestamp must be recent. */
      timestampHeader?: string;
      toleranceMs: number;
    }
  | { kind: 'token'; header?: string; query?: string; field?: string; values: string[] }
  | { kind: 'basic'; username: string; passwords: string[] };

/**
 * `fetch`: the record a notification names, read from the system's API before the event is made (one GET
 * per item). The URL the expression gives must stay under `base`: the hub never requests elsewhere.
 */
export interface FetchRule {
  /** `routes.bc.fetch`, for messages. */
  key: string;
  /** Scheme, host, port and path prefix every fetched URL must keep (ends with `/`). */
  base: string;
  /** JSONata over the item: a URL under `base`, or a path relative to it. */
  url: CompiledExpression;
  auth?: Exclude<OutboundAuth, { kind: 'hmac' }>;
  timeoutMs: number;
}

/** One event a route emits. */
export interface EmitRule {
  /** Where it was written, for messages: `routes.orders-create` or `routes.orders-create.emit[1]`. */
  key: string;
  type: string;
  id?: CompiledExpression;
  data: CompiledExpression;
  when?: CompiledExpression;
  each?: CompiledExpression;
  fetch?: FetchRule;
}

export interface WebhookRoute {
  name: string;
  /** How the body is read: by its Content-Type (`auto`, the default), or always JSON or XML. */
  format: 'auto' | 'json' | 'xml';
  emit: EmitRule[];
}

/** The compiled `inbound:` section of one system. */
export interface WebhookInbound {
  system: string;
  auth: WebhookAuth;
  /** Echo this query parameter as text/plain (subscription validation: Microsoft Graph, Business Central). */
  handshake?: { query: string };
  routes: Map<string, WebhookRoute>;
}

const INBOUND_KEYS = ['auth', 'handshake', 'routes'] as const;
const AUTH_KINDS = ['hmac', 'token', 'bearer', 'basic'] as const;
const HMAC_KEYS = [
  'header',
  'secret',
  'secrets',
  'algorithm',
  'encoding',
  'prefix',
  'timestampHeader',
  'tolerance',
] as const;
const ROUTE_KEYS = ['type', 'id', 'data', 'when', 'each', 'fetch', 'emit', 'format'] as const;
const EMIT_KEYS = ['type', 'id', 'data', 'when', 'each', 'fetch'] as const;
const FETCH_KEYS = ['base', 'url', 'auth', 'timeout'] as const;
const ROUTE_NAME = /^[a-z0-9][a-z0-9._-]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Default `tolerance` of a signed timestamp: five minutes either way. */
export const DEFAULT_TOLERANCE_MS = 5 * 60_000;

/** Reads `inbound:` of system `name`; undefined when it cannot be used (its problems are reported). */
export function readInbound(value: ConfigValue, system: { name: string }): WebhookInbound | undefined {
  const map = value.map();
  if (map === undefined) return undefined;
  map.allowOnly(INBOUND_KEYS);
  const authValue = map.get('auth');
  const auth = authValue === undefined ? { kind: 'bearer' as const } : readAuth(authValue);
  const handshake = readHandshake(map.get('handshake'));
  const routesMap = map.require('routes')?.map();
  const routes = new Map<string, WebhookRoute>();
  for (const entry of routesMap?.list() ?? []) {
    if (!ROUTE_NAME.test(entry.name)) {
      routesMap?.reportKey(
        entry,
        `invalid route name '${entry.name}'; use lowercase letters, digits, '.', '_' and '-' (it is a URL path segment)`,
      );
      continue;
    }
    const route = readRoute(entry.name, entry.value);
    if (route !== undefined) routes.set(entry.name, route);
  }
  if (routesMap !== undefined && routesMap.list().length === 0)
    routesMap.report('expected at least one route');
  if (auth === undefined) return undefined;
  return { system: system.name, auth, ...(handshake ? { handshake } : {}), routes };
}

function readHandshake(value: ConfigValue | undefined): { query: string } | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(['query']);
  const query = map.require('query')?.string();
  return query === undefined ? undefined : { query };
}

/** `auth: { hmac: {…} }`, `{ token: {…} }`, `{ basic: {…} }`, `bearer` or `{ bearer: {} }`. */
function readAuth(value: ConfigValue): WebhookAuth | undefined {
  if (value.scalar === 'bearer') return { kind: 'bearer' };
  const map = value.map();
  if (map === undefined) return undefined;
  map.allowOnly(AUTH_KINDS);
  const given = AUTH_KINDS.filter((k) => map.has(k));
  if (given.length !== 1) {
    map.report(`give exactly one of ${AUTH_KINDS.map((k) => `'${k}'`).join(', ')}`);
    return undefined;
  }
  const kind = given[0] as (typeof AUTH_KINDS)[number];
  if (kind === 'bearer') return { kind: 'bearer' };
  const section = map.get(kind)?.map();
  if (section === undefined) {
    if (map.get(kind) === undefined) map.report(`'${kind}' needs its settings`);
    return undefined;
  }
  if (kind === 'hmac') return readHmac(section);
  if (kind === 'token') return readToken(section);
  return readBasic(section);
}

/** One secret (`secret`) or several (`secrets`, while rotating): exactly one of the two keys. */
function readSecrets(map: MapReader, one: string, many: string): string[] | undefined {
  if (map.has(one) === map.has(many)) {
    map.report(`set one of '${one}' or '${many}' (a list, while rotating)`);
    return undefined;
  }
  if (map.has(one)) {
    const secret = map.get(one)?.string({ secret: true });
    return secret === undefined ? undefined : [secret];
  }
  const list = map.get(many)?.list();
  if (list === undefined) return undefined;
  if (list.length === 0 || list.length > 3) {
    map.get(many)?.report(`expected one to three ${many}`);
    return undefined;
  }
  const secrets = list.map((item) => item.string({ secret: true }));
  return secrets.every((s): s is string => s !== undefined) ? secrets : undefined;
}

function readHeaderName(value: ConfigValue | undefined): string | undefined {
  return value
    ?.matching(HEADER_NAME, 'header name', 'use the characters of an HTTP header name')
    ?.toLowerCase();
}

function readHmac(map: MapReader): WebhookAuth | undefined {
  map.allowOnly(HMAC_KEYS);
  const header = readHeaderName(map.require('header'));
  const secrets = readSecrets(map, 'secret', 'secrets');
  const algorithm =
    map.get('algorithm')?.oneOf(['sha256', 'sha512', 'sha1'] as const, 'algorithm') ?? 'sha256';
  const encoding = map.get('encoding')?.oneOf(['base64', 'hex'] as const, 'encoding') ?? 'hex';
  const prefix = map.get('prefix')?.string() ?? '';
  const timestampHeader = readHeaderName(map.get('timestampHeader'));
  const tolerance = readDuration(map.get('tolerance'));
  if (tolerance !== undefined && timestampHeader === undefined) {
    map.get('tolerance')?.report("'tolerance' needs 'timestampHeader'");
  }
  if (header === undefined || secrets === undefined) return undefined;
  return {
    kind: 'hmac',
    header,
    secrets,
    algorithm,
    encoding,
    prefix,
    ...(timestampHeader ? { timestampHeader } : {}),
    toleranceMs: tolerance ?? DEFAULT_TOLERANCE_MS,
  };
}

function readToken(map: MapReader): WebhookAuth | undefined {
  map.allowOnly(['header', 'query', 'field', 'value', 'values']);
  const where = (['header', 'query', 'field'] as const).filter((k) => map.has(k));
  if (where.length !== 1) {
    map.report(
      "give exactly one of 'header', 'query' or 'field' (a field of a JSON body: `token`, `data.token`, `value[].clientState`)",
    );
    return undefined;
  }
  const values = readSecrets(map, 'value', 'values');
  const header = readHeaderName(map.get('header'));
  const query = map.get('query')?.string();
  const field = map.get('field')?.string();
  if (values === undefined || (header ?? query ?? field) === undefined) return undefined;
  return {
    kind: 'token',
    values,
    ...(header ? { header } : {}),
    ...(query ? { query } : {}),
    ...(field ? { field } : {}),
  };
}

function readBasic(map: MapReader): WebhookAuth | undefined {
  map.allowOnly(['username', 'password', 'passwords']);
  const username = map.require('username')?.string();
  const passwords = readSecrets(map, 'password', 'passwords');
  if (username === undefined || passwords === undefined) return undefined;
  return { kind: 'basic', username, passwords };
}

/** A route: one event (`type`, `id`, `data`, `when`, `each`) or several (`emit: [...]`). */
function readRoute(name: string, value: ConfigValue): WebhookRoute | undefined {
  const map = value.map();
  if (map === undefined) return undefined;
  map.allowOnly(ROUTE_KEYS);
  const format = map.get('format')?.oneOf(['auto', 'json', 'xml'] as const, 'format') ?? 'auto';
  const key = `routes.${name}`;
  const emitValue = map.get('emit');
  if (emitValue !== undefined) {
    for (const single of EMIT_KEYS) {
      map.get(single)?.report(`'${single}' goes inside each item of 'emit' when the route has 'emit'`);
    }
    const items = emitValue.list();
    if (items === undefined) return undefined;
    if (items.length === 0) emitValue.report('expected at least one event in emit');
    const rules = items.map((item, index) => {
      const itemMap = item.map();
      return itemMap === undefined ? undefined : readEmit(itemMap, `${key}.emit[${index}]`, true);
    });
    if (!rules.every((r): r is EmitRule => r !== undefined)) return undefined;
    return { name, format, emit: rules };
  }
  const rule = readEmit(map, key, false);
  return rule === undefined ? undefined : { name, format, emit: [rule] };
}

function readEmit(map: MapReader, key: string, checkKeys: boolean): EmitRule | undefined {
  if (checkKeys) map.allowOnly(EMIT_KEYS);
  const typeValue = map.require('type');
  const type = typeValue?.string();
  if (type !== undefined && catalogueEntry(type) === undefined) {
    typeValue?.report(`unknown event type '${type}'; see GET /v1/schemas for the catalogue`, type);
  }
  const dataValue = map.require('data');
  const data = readExpression(dataValue, `${key}.data`);
  const id = readExpression(map.get('id'), `${key}.id`);
  const when = readExpression(map.get('when'), `${key}.when`);
  const each = readExpression(map.get('each'), `${key}.each`);
  const fetch = map.has('fetch') ? readFetch(map.get('fetch'), `${key}.fetch`) : undefined;
  if (map.has('fetch') && fetch === undefined) return undefined;
  if (type === undefined || catalogueEntry(type) === undefined || data === undefined) return undefined;
  if (map.get('id') !== undefined && id === undefined) return undefined;
  if (map.get('when') !== undefined && when === undefined) return undefined;
  if (map.get('each') !== undefined && each === undefined) return undefined;
  return {
    key,
    type,
    data,
    ...(id ? { id } : {}),
    ...(when ? { when } : {}),
    ...(each ? { each } : {}),
    ...(fetch ? { fetch } : {}),
  };
}

/** `fetch: { base, url, auth?, timeout? }`. */
function readFetch(value: ConfigValue | undefined, key: string): FetchRule | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(FETCH_KEYS);
  const baseValue = map.require('base');
  const text = baseValue?.string();
  let base: string | undefined;
  if (text !== undefined) {
    const parsed = isHttpUrl(text) ? new URL(text) : undefined;
    if (parsed === undefined || parsed.search !== '' || parsed.hash !== '' || parsed.username !== '') {
      baseValue?.report(
        `invalid base '${text}'; expected an http:// or https:// URL without query, fragment or credentials`,
        text,
      );
    } else {
      base = `${parsed.origin}${parsed.pathname.endsWith('/') ? parsed.pathname : `${parsed.pathname}/`}`;
    }
  }
  const url = readExpression(map.require('url'), `${key}.url`);
  const auth = readOutboundAuth(map.get('auth'));
  if (auth?.kind === 'hmac') map.get('auth')?.report("use 'bearer', 'basic' or 'oauth2'");
  const timeoutMs = readDuration(map.get('timeout')) ?? DEFAULT_HTTP_TIMEOUT_MS;
  if (base === undefined || url === undefined || auth?.kind === 'hmac') return undefined;
  if (map.has('auth') && auth === undefined) return undefined;
  return {
    key,
    base,
    url,
    timeoutMs,
    ...(auth !== undefined ? { auth: auth as Exclude<OutboundAuth, { kind: 'hmac' }> } : {}),
  };
}
