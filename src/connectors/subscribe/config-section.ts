/**
 * `systems.<name>.subscribe`: change-notification subscriptions the hub keeps registered on the system's
 * API (docs/connectors.md#keeping-a-webhook-subscription-alive). Each entry is read and every JSONata
 * expression compiled here, once; problems are reported at their file, line and column.
 */

import type {
  CompiledExpression,
  HttpMethod,
  OutboundAuth,
  UrlTemplate,
} from '../../config/compiled-config.js';
import { type ConfigValue, type MapReader, readDuration } from '../../config/config-reader.js';
import { DEFAULT_HTTP_TIMEOUT_MS } from '../http/config-section.js';
import { notAString, readExpression } from '../http/expressions.js';
import {
  HTTP_METHODS,
  readAuth,
  readHeaders,
  readHeaderTemplates,
  readUrlTemplate,
} from '../http/shaped-config.js';

/** One request of a subscription: where, how, and the body (JSONata over the stored subscription). */
export interface SubscribeRequest {
  url: UrlTemplate;
  method: HttpMethod;
  headers: Record<string, string>;
  headerTemplates?: Record<string, (string | CompiledExpression)[]>;
  body?: CompiledExpression;
}

/** One subscription to keep alive, compiled. */
export interface CompiledSubscribe {
  name: string;
  system: string;
  /** How often the hub checks the subscription (and creates it when there is none). */
  everyMs: number;
  /** Renewed when it expires sooner than this. */
  renewBeforeMs: number;
  create: SubscribeRequest;
  renew?: SubscribeRequest;
  /** Over an answer's body: when the subscription expires (an ISO 8601 time). */
  expires: CompiledExpression;
  auth?: Exclude<OutboundAuth, { kind: 'hmac' }>;
  timeoutMs: number;
}

const KEYS = ['name', 'every', 'renewBefore', 'create', 'renew', 'expires', 'auth', 'timeout'] as const;
const REQUEST_KEYS = ['url', 'method', 'headers', 'body'] as const;
const NAME = /^[a-z][a-z0-9-]*$/;
const DEFAULT_EVERY_MS = 60 * 60_000;
const DEFAULT_RENEW_BEFORE_MS = 24 * 60 * 60_000;

/** Reads `systems.<system>.subscribe` (a list); undefined when nothing usable is there. */
export function readSubscribeSection(value: ConfigValue, system: string): CompiledSubscribe[] | undefined {
  const entries = value.list();
  if (entries === undefined) return undefined;
  const compiled: CompiledSubscribe[] = [];
  const names = new Set<string>();
  for (const entry of entries) {
    const one = readOne(entry, system);
    if (one === undefined) continue;
    if (names.has(one.name)) {
      entry.map()?.get('name')?.report(`another subscription of system '${system}' is named '${one.name}'`);
      continue;
    }
    names.add(one.name);
    compiled.push(one);
  }
  return compiled;
}

function readOne(value: ConfigValue, system: string): CompiledSubscribe | undefined {
  const map = value.map();
  if (map === undefined) return undefined;
  map.allowOnly(KEYS);
  const name = map
    .require('name')
    ?.matching(NAME, 'subscription name', "use lowercase letters, digits and '-', starting with a letter");
  const everyValue = map.get('every');
  const everyMs = everyValue === undefined ? DEFAULT_EVERY_MS : readDuration(everyValue);
  if (everyMs !== undefined && everyMs < 1000) everyValue?.report(`'every' must be at least 1s`);
  const renewBeforeMs = readDuration(map.get('renewBefore')) ?? DEFAULT_RENEW_BEFORE_MS;
  const create = readRequest(map.require('create'), 'create', 'POST');
  const renew = map.has('renew') ? readRequest(map.get('renew'), 'renew', 'PATCH') : undefined;
  const expires = readExpression(map.require('expires'), 'expires');
  const auth = readAuth(map.get('auth'));
  if (auth?.kind === 'hmac') map.get('auth')?.report("use 'bearer', 'basic' or 'oauth2'");
  const timeoutMs = readDuration(map.get('timeout')) ?? DEFAULT_HTTP_TIMEOUT_MS;
  if (
    name === undefined ||
    everyMs === undefined ||
    everyMs < 1000 ||
    create === undefined ||
    (map.has('renew') && renew === undefined) ||
    expires === undefined ||
    auth?.kind === 'hmac'
  ) {
    return undefined;
  }
  return {
    name,
    system,
    everyMs,
    renewBeforeMs,
    create,
    expires,
    timeoutMs,
    ...(renew !== undefined ? { renew } : {}),
    ...(auth !== undefined ? { auth: auth as Exclude<OutboundAuth, { kind: 'hmac' }> } : {}),
  };
}

function readRequest(
  value: ConfigValue | undefined,
  key: string,
  defaultMethod: HttpMethod,
): SubscribeRequest | undefined {
  const map: MapReader | undefined = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(REQUEST_KEYS);
  const urlValue = map.require('url');
  const text = urlValue === undefined || notAString(urlValue) ? undefined : urlValue.string();
  const url =
    urlValue !== undefined && text !== undefined ? readUrlTemplate(urlValue, text, `${key}.url`) : undefined;
  const method = map.get('method')?.oneOf(HTTP_METHODS, 'method') ?? defaultMethod;
  const headers = readHeaders(map.get('headers'));
  const headerTemplates = readHeaderTemplates(map);
  const body = readExpression(map.get('body'), `${key}.body`);
  if (body !== undefined && method === 'GET') map.get('body')?.report('a GET request has no body');
  if (url === undefined) return undefined;
  return {
    url,
    method,
    headers,
    ...(headerTemplates !== undefined ? { headerTemplates } : {}),
    ...(body !== undefined ? { body } : {}),
  };
}
