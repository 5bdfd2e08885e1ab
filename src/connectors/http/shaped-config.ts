/**
 * The keys of a subscription's `http:` section that shape the call for the target's own API: `method`,
 * `{{ }}` templates in the URL, `body`, `auth`, the answer rules (`failIf`, `okIf`, `retryIf`,
 * `retryAfter`), `lookup` and `capture` (docs/connectors.md#shaped-calls-out). Every expression is
 * compiled here, once.
 */

import { isMap, isScalar } from 'yaml';
import type {
  CompiledExpression,
  HttpMethod,
  OutboundAuth,
  ShapedCall,
  UrlTemplate,
} from '../../config/compiled-config.js';
import type { ConfigValue, MapReader } from '../../config/config-reader.js';
import { compileAt, notAString, readExpression } from './expressions.js';

/** The keys of `http:` that make a call shaped (beside `{{ }}` in `url`). */
export const SHAPED_KEYS = [
  'method',
  'body',
  'auth',
  'failIf',
  'okIf',
  'retryIf',
  'retryAfter',
  'lookup',
  'capture',
  'skipIf',
  'repeatIf',
  'repeatMax',
] as const;

/** How many times `repeatIf` may make the call again within one attempt, at most (and by default). */
export const REPEAT_MAX_LIMIT = 10;
export const REPEAT_MAX_DEFAULT = 3;

export const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** `https://host:port`, the part of a URL a template may never reach. */
const AUTHORITY = /^https?:\/\/[^/?#]*/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** True when the section asks for a shaped call (a shaped key, or a template in `url`). */
export function isShaped(map: MapReader, url: string | undefined): boolean {
  return (
    SHAPED_KEYS.some((key) => map.has(key)) ||
    (url?.includes('{{') ?? false) ||
    templatedHeaderNames(map).length > 0
  );
}

/** The names of `headers` whose value holds `{{`. */
export function templatedHeaderNames(map: MapReader): string[] {
  const names: string[] = [];
  for (const entry of map.get('headers')?.map()?.list() ?? []) {
    const text = entry.value.node !== null && isScalar(entry.value.node) ? entry.value.node.value : undefined;
    if (typeof text === 'string' && text.includes('{{')) names.push(entry.name);
  }
  return names;
}

/**
 * `headers: { If-Match: '{{ $xref("t", data.orderId).etag }}' }`: a header value with `{{ }}` parts, filled
 * per event (not URL-encoded; a value holding a line break or another control character refuses the call).
 */
export function readHeaderTemplates(map: MapReader): ShapedCall['headerTemplates'] {
  const templates: NonNullable<ShapedCall['headerTemplates']> = {};
  for (const entry of map.get('headers')?.map()?.list() ?? []) {
    const text = entry.value.string();
    if (text === undefined || !text.includes('{{')) continue;
    const key = `headers.${entry.name}`;
    const parts: (string | CompiledExpression)[] = [];
    let rest = text;
    while (rest !== '') {
      const open = rest.indexOf('{{');
      const close = open === -1 ? -1 : rest.indexOf('}}', open + 2);
      if (open === -1 || close === -1 || rest.slice(0, open).includes('}}')) {
        if (open !== -1 || rest.includes('}}')) return unbalanced(entry.value, text, key);
        parts.push(rest);
        break;
      }
      if (open > 0) parts.push(rest.slice(0, open));
      const inner = rest.slice(open + 2, close).trim();
      if (inner === '') {
        entry.value.report(`empty '{{ }}' in '${key}'; put a JSONata expression inside`, text);
        return undefined;
      }
      const compiled = compileAt(entry.value, `${key} {{ ${inner} }}`, inner);
      if (compiled === undefined) return undefined;
      parts.push(compiled);
      rest = rest.slice(close + 2);
    }
    templates[entry.name.toLowerCase()] = parts;
  }
  return Object.keys(templates).length > 0 ? templates : undefined;
}

/**
 * Reads a URL with `{{ }}` templates in its path and query. Reports a template in the scheme, host or
 * port (data must never choose where a request goes), an unclosed `{{`, and an invalid URL.
 */
export function readUrlTemplate(value: ConfigValue, text: string, key: string): UrlTemplate | undefined {
  const authority = AUTHORITY.exec(text)?.[0];
  if (authority === undefined) {
    value.report(`invalid URL '${text}'; expected an http:// or https:// URL`, text);
    return undefined;
  }
  if (authority.includes('{{') || authority.includes('}}')) {
    value.report(
      `'{{ }}' is allowed only in the path and query of '${key}', never in its scheme, host or port`,
      text,
    );
    return undefined;
  }
  let origin: string;
  try {
    const url = new URL(text.replaceAll(/\{\{[\s\S]*?\}\}/g, 'x'));
    if (url.hostname === '') throw new Error('no host');
    origin = url.origin;
  } catch {
    value.report(`invalid URL '${text}'; expected an http:// or https:// URL`, text);
    return undefined;
  }
  const parts: (string | CompiledExpression)[] = [];
  let rest = text.slice(authority.length);
  if (rest === '') rest = '/';
  while (rest !== '') {
    const open = rest.indexOf('{{');
    if (open === -1) {
      if (rest.includes('}}')) return unbalanced(value, text, key);
      parts.push(rest);
      break;
    }
    if (open > 0) {
      if (rest.slice(0, open).includes('}}')) return unbalanced(value, text, key);
      parts.push(rest.slice(0, open));
    }
    const close = rest.indexOf('}}', open + 2);
    if (close === -1) return unbalanced(value, text, key);
    const inner = rest.slice(open + 2, close).trim();
    if (inner === '') {
      value.report(`empty '{{ }}' in '${key}'; put a JSONata expression inside`, text);
      return undefined;
    }
    const compiled = compileAt(value, `${key} {{ ${inner} }}`, inner);
    if (compiled === undefined) return undefined;
    parts.push(compiled);
    rest = rest.slice(close + 2);
  }
  const first = parts[0];
  if (typeof first !== 'string' || !(first.startsWith('/') || first.startsWith('?'))) {
    // `https://host{{ x }}` is caught above; this is `https://host` followed directly by a template.
    value.report(`'${key}' must start its path with '/' before any '{{ }}'`, text);
    return undefined;
  }
  return { origin, parts };
}

function unbalanced(value: ConfigValue, text: string, key: string): undefined {
  value.report(`unbalanced '{{' / '}}' in '${key}'`, text);
  return undefined;
}

/** Reads the shaped keys of `map` (an `http:` section whose `url` is `url`). */
export function readShaped(
  map: MapReader,
  urlValue: ConfigValue,
  url: string,
  batch: boolean,
): ShapedCall | undefined {
  const template = readUrlTemplate(urlValue, url, 'url');
  const method = map.get('method')?.oneOf(HTTP_METHODS, 'method') ?? 'POST';
  const body = readExpression(map.get('body'), 'body');
  if (body !== undefined && method === 'GET') {
    map.get('body')?.report("a GET request has no body; remove 'body' or use another method");
  }
  const auth = readAuth(map.get('auth'));
  const failIf = readExpression(map.get('failIf'), 'failIf');
  const okIf = readExpression(map.get('okIf'), 'okIf');
  const retryIf = readExpression(map.get('retryIf'), 'retryIf');
  const retryAfter = readExpression(map.get('retryAfter'), 'retryAfter');
  if (retryAfter !== undefined && retryIf === undefined) {
    map.get('retryAfter')?.report("'retryAfter' applies to answers 'retryIf' matches; add 'retryIf'");
  }
  const lookup = readLookup(map.get('lookup'));
  const skipIf = readExpression(map.get('skipIf'), 'skipIf');
  const repeatIf = readExpression(map.get('repeatIf'), 'repeatIf');
  const repeatMax = map.get('repeatMax')?.int(1, REPEAT_MAX_LIMIT);
  if (repeatMax !== undefined && repeatIf === undefined) {
    map.get('repeatMax')?.report("'repeatMax' bounds the repeats 'repeatIf' asks for; add 'repeatIf'");
  }
  const headerTemplates = readHeaderTemplates(map);
  const captureValue = map.get('capture');
  const captureXref =
    captureValue !== undefined && isMap(captureValue.node) ? readCaptureXref(captureValue) : undefined;
  const capture =
    captureValue !== undefined && isMap(captureValue.node)
      ? undefined
      : readExpression(captureValue, 'capture');
  if (batch) {
    // Every shaped key that reads the event (not the answer) sees one event: with a batch the request
    // carries several, so the keys would silently use the first one's values for all of them.
    const oneEvent: [string, boolean][] = [
      ['body', map.has('body')],
      ['lookup', map.has('lookup')],
      ['capture', map.has('capture')],
      ['skipIf', map.has('skipIf')],
      ['repeatIf', map.has('repeatIf')],
      ['{{ }} in url', url.includes('{{')],
      ['{{ }} in headers', headerTemplates !== undefined],
    ];
    const named = oneEvent.filter(([, present]) => present).map(([key]) => key);
    if (named.length > 0) {
      map
        .get('batch')
        ?.report(
          `'batch: true' cannot be combined with ${named.join(', ')}: ${named.length > 1 ? 'they read' : 'it reads'} one event, and a batch carries several; remove 'batch' or ${named.length > 1 ? 'them' : 'it'}`,
        );
    }
  }
  if (template === undefined) return undefined;
  const shaped: ShapedCall = { url: template, method };
  if (body !== undefined) shaped.body = body;
  if (auth !== undefined) shaped.auth = auth;
  if (failIf !== undefined) shaped.failIf = failIf;
  if (okIf !== undefined) shaped.okIf = okIf;
  if (retryIf !== undefined) shaped.retryIf = retryIf;
  if (retryAfter !== undefined) shaped.retryAfter = retryAfter;
  if (lookup !== undefined) shaped.lookup = lookup;
  if (skipIf !== undefined) shaped.skipIf = skipIf;
  if (repeatIf !== undefined) {
    shaped.repeatIf = repeatIf;
    shaped.repeatMax = repeatMax ?? REPEAT_MAX_DEFAULT;
  }
  if (capture !== undefined) shaped.capture = capture;
  if (captureXref !== undefined) shaped.captureXref = captureXref;
  if (headerTemplates !== undefined) shaped.headerTemplates = headerTemplates;
  return shaped;
}

/**
 * `capture: { xref: <table>, key: <expr>, value: <expr> }`: the answer's value kept in a cross-reference
 * table (docs/connectors.md#cross-reference-tables). A mapping that lacks `xref` is read as before: YAML
 * took an unquoted `{ … }` expression for a mapping.
 */
function readCaptureXref(value: ConfigValue): ShapedCall['captureXref'] {
  const map = value.map();
  if (map === undefined) return undefined;
  if (!map.has('xref')) {
    notAString(value);
    return undefined;
  }
  map.allowOnly(['xref', 'key', 'value']);
  const table = map.require('xref')?.string();
  const key = readExpression(map.require('key'), 'capture.key');
  const captured = readExpression(map.require('value'), 'capture.value');
  if (table === undefined || key === undefined || captured === undefined) return undefined;
  return { table, key, value: captured };
}

/** `lookup: { url, method: GET, headers?, body? }`: a first call whose answer is bound as `$lookup`. */
function readLookup(value: ConfigValue | undefined): ShapedCall['lookup'] {
  if (value === undefined) return undefined;
  const map = value.map();
  if (map === undefined) return undefined;
  map.allowOnly(['url', 'method', 'headers', 'body', 'found']);
  const urlValue = map.require('url');
  if (urlValue === undefined || notAString(urlValue)) return undefined;
  const url = urlValue.string();
  const method = map.get('method')?.oneOf(HTTP_METHODS, 'method') ?? 'GET';
  const headers = readHeaders(map.get('headers'));
  const body = readExpression(map.get('body'), 'lookup.body');
  if (body !== undefined && method === 'GET') {
    map.get('body')?.report("a GET lookup has no body; add 'method: POST'");
  }
  const found = readExpression(map.get('found'), 'lookup.found');
  if (url === undefined) return undefined;
  const template = readUrlTemplate(urlValue, url, 'lookup.url');
  if (template === undefined) return undefined;
  const lookup: NonNullable<ShapedCall['lookup']> = { url: template, method, headers };
  if (body !== undefined) lookup.body = body;
  if (found !== undefined) lookup.found = found;
  return lookup;
}

/** Static headers: names checked, values strings (secrets: never echoed). */
export function readHeaders(value: ConfigValue | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of value?.map()?.list() ?? []) {
    if (!HEADER_NAME.test(entry.name)) {
      entry.value.report(`invalid header name '${entry.name}'`, entry.name);
      continue;
    }
    const headerValue = entry.value.string({ secret: true });
    if (headerValue !== undefined) headers[entry.name] = headerValue;
  }
  return headers;
}

const AUTH_KINDS = ['bearer', 'basic', 'hmac', 'oauth2'] as const;

/** `auth: { bearer | basic | hmac | oauth2 }`: exactly one scheme. */
export function readAuth(value: ConfigValue | undefined): OutboundAuth | undefined {
  if (value === undefined) return undefined;
  const map = value.map();
  if (map === undefined) return undefined;
  map.allowOnly(AUTH_KINDS);
  const given = AUTH_KINDS.filter((kind) => map.has(kind));
  if (given.length !== 1) {
    map.report(`'auth' takes exactly one of: ${AUTH_KINDS.join(', ')}`);
    return undefined;
  }
  switch (given[0]) {
    case 'bearer': {
      const token = map.require('bearer')?.string({ secret: true });
      return token === undefined ? undefined : { kind: 'bearer', token };
    }
    case 'basic': {
      const basic = map.require('basic')?.map();
      if (basic === undefined) return undefined;
      basic.allowOnly(['username', 'password']);
      const username = basic.require('username')?.string();
      const password = basic.require('password')?.string({ secret: true });
      if (username === undefined || password === undefined) return undefined;
      if (username.includes(':')) {
        basic.get('username')?.report("a Basic username cannot contain ':' (RFC 7617)");
        return undefined;
      }
      return { kind: 'basic', username, password };
    }
    case 'hmac': {
      const hmac = map.require('hmac')?.map();
      if (hmac === undefined) return undefined;
      hmac.allowOnly(['secret', 'header', 'algorithm', 'encoding', 'prefix']);
      const secret = hmac.require('secret')?.string({ secret: true });
      const header =
        hmac.get('header')?.matching(HEADER_NAME, 'header name', 'expected a token') ?? 'X-Signature';
      const algorithm = hmac.get('algorithm')?.oneOf(['sha256', 'sha512'] as const, 'algorithm') ?? 'sha256';
      const encoding = hmac.get('encoding')?.oneOf(['hex', 'base64'] as const, 'encoding') ?? 'hex';
      const prefix = hmac.has('prefix') ? (hmac.get('prefix')?.string() ?? '') : '';
      if (secret === undefined) return undefined;
      return { kind: 'hmac', secret, header, algorithm, encoding, prefix };
    }
    default: {
      const oauth = map.require('oauth2')?.map();
      if (oauth === undefined) return undefined;
      oauth.allowOnly(['tokenUrl', 'clientId', 'clientSecret', 'scope', 'clientAuth']);
      const tokenUrlValue = oauth.require('tokenUrl');
      const tokenUrl = tokenUrlValue?.string();
      if (tokenUrl !== undefined && !isHttpUrl(tokenUrl)) {
        tokenUrlValue?.report(`invalid URL '${tokenUrl}'; expected an http:// or https:// URL`, tokenUrl);
      }
      const clientId = oauth.require('clientId')?.string();
      const clientSecret = oauth.require('clientSecret')?.string({ secret: true });
      const scope = oauth.get('scope')?.string();
      const clientAuth = oauth.get('clientAuth')?.oneOf(['basic', 'body'] as const, 'clientAuth') ?? 'basic';
      if (
        tokenUrl === undefined ||
        !isHttpUrl(tokenUrl) ||
        clientId === undefined ||
        clientSecret === undefined
      )
        return undefined;
      return {
        kind: 'oauth2',
        tokenUrl,
        clientId,
        clientSecret,
        clientAuth,
        ...(scope !== undefined ? { scope } : {}),
      };
    }
  }
}

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
