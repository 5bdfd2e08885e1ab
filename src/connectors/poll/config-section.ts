/**
 * `systems.<name>.poll`: the pollers of a system without webhooks (docs/connectors.md#polling). Each entry
 * is read and every JSONata expression compiled here, once; problems are reported at their file, line and
 * column, a JSONata syntax error with its position inside the expression (`../http/expressions.ts`).
 */

import { isMap } from 'yaml';
import type { CompiledExpression, OutboundAuth, UrlTemplate } from '../../config/compiled-config.js';
import { type ConfigValue, readDuration } from '../../config/config-reader.js';
import { DEFAULT_HTTP_TIMEOUT_MS } from '../http/config-section.js';
import { notAString, readExpression } from '../http/expressions.js';
import { readAuth, readHeaders, readUrlTemplate, templatedHeaderNames } from '../http/shaped-config.js';

/** One poller of a system, compiled. */
export interface CompiledPoll {
  /** The poller's name, unique within its system. */
  name: string;
  system: string;
  /** Time between runs (a run follows `next` pages until there are none). */
  everyMs: number;
  request: {
    url: UrlTemplate;
    method: 'GET' | 'POST';
    headers: Record<string, string>;
    auth?: Exclude<OutboundAuth, { kind: 'hmac' }>;
    timeoutMs: number;
  };
  items: CompiledExpression;
  type: CompiledExpression;
  id: CompiledExpression;
  data: CompiledExpression;
  subject?: CompiledExpression;
  /** Over each response, the next cursor; no value keeps the current one. */
  cursor?: CompiledExpression;
  /** The cursor before the first run (empty by default). */
  initialCursor: string;
  /** Over each response, the next page's URL (same origin as `request.url`); no value ends the run. */
  next?: CompiledExpression;
  /** Pages one run may follow at most (a `next` that never ends stops there; the next run goes on). */
  maxPages: number;
}

const POLL_KEYS = [
  'name',
  'every',
  'request',
  'items',
  'type',
  'id',
  'data',
  'subject',
  'cursor',
  'next',
  'maxPages',
] as const;
const REQUEST_KEYS = ['url', 'method', 'headers', 'auth', 'timeout'] as const;
const POLL_NAME = /^[a-z][a-z0-9-]*$/;
/** The shortest `every`: a poller is not a busy loop. */
const MIN_EVERY_MS = 1000;
const DEFAULT_MAX_PAGES = 100;

/** Reads `systems.<system>.poll` (a list of pollers); undefined when nothing usable is there. */
export function readPollSection(value: ConfigValue, system: string): CompiledPoll[] | undefined {
  const entries = value.list();
  if (entries === undefined) return undefined;
  const polls: CompiledPoll[] = [];
  const names = new Set<string>();
  for (const entry of entries) {
    const poll = readPoll(entry, system);
    if (poll === undefined) continue;
    if (names.has(poll.name)) {
      entry.map()?.get('name')?.report(`another poller of system '${system}' is named '${poll.name}'`);
      continue;
    }
    names.add(poll.name);
    polls.push(poll);
  }
  return polls;
}

function readPoll(value: ConfigValue, system: string): CompiledPoll | undefined {
  const map = value.map();
  if (map === undefined) return undefined;
  map.allowOnly(POLL_KEYS);
  const name = map
    .require('name')
    ?.matching(POLL_NAME, 'poller name', "use lowercase letters, digits and '-', starting with a letter");
  const everyValue = map.require('every');
  const everyMs = readDuration(everyValue);
  if (everyMs !== undefined && everyMs < MIN_EVERY_MS) {
    everyValue?.report(`'every' must be at least 1s, got ${everyMs} ms`);
  }
  const request = readRequest(map.require('request'));
  const items = readExpression(map.require('items'), 'items');
  const type = readTypeExpression(map.require('type'));
  const id = readExpression(map.require('id'), 'id');
  const data = readExpression(map.require('data'), 'data');
  const subject = readExpression(map.get('subject'), 'subject');
  const cursorSection = readCursor(map.get('cursor'));
  const next = readExpression(map.get('next'), 'next');
  const maxPages = map.get('maxPages')?.int(1, 10_000) ?? DEFAULT_MAX_PAGES;
  if (
    name === undefined ||
    everyMs === undefined ||
    everyMs < MIN_EVERY_MS ||
    request === undefined ||
    items === undefined ||
    type === undefined ||
    id === undefined ||
    data === undefined ||
    cursorSection === null
  ) {
    return undefined;
  }
  const poll: CompiledPoll = {
    name,
    system,
    everyMs,
    request,
    items,
    type,
    id,
    data,
    initialCursor: cursorSection?.initial ?? '',
    maxPages,
  };
  if (subject !== undefined) poll.subject = subject;
  if (cursorSection?.value !== undefined) poll.cursor = cursorSection.value;
  if (next !== undefined) poll.next = next;
  return poll;
}

function readRequest(value: ConfigValue | undefined): CompiledPoll['request'] | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(REQUEST_KEYS);
  const urlValue = map.require('url');
  const text = urlValue === undefined || notAString(urlValue) ? undefined : urlValue.string();
  const url =
    urlValue !== undefined && text !== undefined ? readUrlTemplate(urlValue, text, 'url') : undefined;
  const method = map.get('method')?.oneOf(['GET', 'POST'] as const, 'method') ?? 'GET';
  const headers = readHeaders(map.get('headers'));
  for (const name of templatedHeaderNames(map)) {
    map.get('headers')?.map()?.get(name)?.report("'{{ }}' templates in a poller's headers are not supported");
  }
  const auth = readAuth(map.get('auth'));
  if (auth?.kind === 'hmac') {
    map.get('auth')?.report("a poll request has no body to sign; use 'bearer', 'basic' or 'oauth2'");
  }
  const timeoutMs = readDuration(map.get('timeout')) ?? DEFAULT_HTTP_TIMEOUT_MS;
  if (url === undefined || auth?.kind === 'hmac') return undefined;
  return { url, method, headers, timeoutMs, ...(auth !== undefined ? { auth } : {}) };
}

/**
 * `cursor: <expression>` or `cursor: { value: <expression>, initial?: <text> }`. Undefined when absent;
 * null when present but unusable (reported).
 */
function readCursor(
  value: ConfigValue | undefined,
): { value?: CompiledExpression; initial?: string } | null | undefined {
  if (value === undefined) return undefined;
  if (!isMap(value.node)) {
    const compiled = readExpression(value, 'cursor');
    return compiled === undefined ? null : { value: compiled };
  }
  const map = value.map();
  if (map === undefined) return null;
  map.allowOnly(['value', 'initial']);
  const compiled = readExpression(map.require('value'), 'cursor.value');
  const initialValue = map.get('initial');
  const initial = initialValue === undefined || initialValue.isNull ? undefined : initialValue.string();
  if (compiled === undefined || (initialValue !== undefined && !initialValue.isNull && initial === undefined))
    return null;
  return { value: compiled, ...(initial !== undefined ? { initial } : {}) };
}

/** `type` is JSONata: a bare catalogue type (`com.manifold.…`) would read as a path and give nothing. */
function readTypeExpression(value: ConfigValue | undefined): CompiledExpression | undefined {
  if (value === undefined) return undefined;
  const text = value.scalar;
  if (typeof text === 'string' && /^com\.manifold\.[a-z0-9.-]+$/.test(text.trim())) {
    value.report(
      `'type' is a JSONata expression: write the type as a string literal, "'${text.trim()}'" (quotes inside the YAML value)`,
    );
    return undefined;
  }
  return readExpression(value, 'type');
}
