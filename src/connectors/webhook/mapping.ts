/**
 * A native webhook's route, applied: the raw body read (JSON, or XML by fast-xml-parser) under the hub's
 * input limits, then each of the route's `emit` rules evaluated by JSONata under the expressions' budget
 * (`../http/expressions.ts`) into canonical events (docs/connectors.md#native-webhooks-in). Pure: no hub,
 * no store; `bin/manifold map test` runs the same code.
 */
import type { InboundEvent } from '../connector-port.js';
import { DocumentError, formatOf, readDocument } from '../http/documents.js';
import {
  evaluate,
  truthy,
  XREF_MISSING,
  XrefMissingError,
  type XrefResolver,
  xrefBinding,
} from '../http/expressions.js';
import type { EmitRule, FetchRule, WebhookRoute } from './config-section.js';

/** Exception code of a request whose `fetch` failed (the system did not answer the record). */
export const FETCH_FAILED = 'fetch_failed';

/**
 * Reads the record at `url` (already checked to be under `rule.base`) and gives its parsed JSON body.
 * Throws `FetchError` when there is no usable answer.
 */
export type Fetcher = (rule: FetchRule, url: URL) => Promise<unknown>;

/** A fetch without a usable answer: no answer, a status other than 2xx, or a body that is not JSON. */
export class FetchError extends Error {}

/** A request could not be mapped: which expression (or `body`), where in the input when known, and why. */
export class MappingError extends Error {
  constructor(
    /** `body` (it does not parse) or the expression's key (`routes.orders-create.data`). */
    readonly key: string,
    message: string,
    /** A JSON pointer into the body, or into the event (`/data/lines/0/sku`) when known. */
    readonly pointer?: string,
    /** The exception code to park the request under, when not `mapping_failed` (`xref_missing`). */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** What the expressions see besides the body (`$headers`, `$query`, `$system`, `$route`). */
export interface MappingInput {
  system: string;
  route: string;
  body: Buffer;
  contentType: string | undefined;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  query: Readonly<Record<string, string>>;
  /** What `$xref` reads: the tables of the hub (or of the preview) this request is mapped in. */
  xref?: XrefResolver;
  /** Makes a route's `fetch` (the hub's API client); without it a rule with `fetch` cannot be mapped. */
  fetch?: Fetcher;
}

/** Most events one request may emit (an `each` over a huge array is refused, not half-applied). */
export const MAX_EVENTS_PER_REQUEST = 1000;

/** The body as the expressions see it (`$`); undefined for an empty body. */
export function parseBody(route: WebhookRoute, body: Buffer, contentType: string | undefined): unknown {
  const text = body.toString('utf8');
  if (text.trim().length === 0) return undefined;
  const format = route.format === 'auto' ? formatOf(contentType, text) : route.format;
  try {
    return readDocument(text, format);
  } catch (error) {
    if (!(error instanceof DocumentError)) throw error;
    throw new MappingError('body', `the body ${error.message}`, '');
  }
}

/** Lower-case header names, each with its first value. */
export function plainHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const plain: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) plain[name.toLowerCase()] = first;
  }
  return plain;
}

/** The canonical events `route` makes of `input` (none: the request is ignored). Throws `MappingError`. */
export async function mapRequest(route: WebhookRoute, input: MappingInput): Promise<InboundEvent[]> {
  const body = parseBody(route, input.body, input.contentType);
  const bindings = {
    body,
    headers: plainHeaders(input.headers),
    query: { ...input.query },
    system: input.system,
    route: input.route,
    ...xrefBinding(input.xref),
  };
  const events: InboundEvent[] = [];
  for (const rule of route.emit) {
    // With `fetch`, `when` is read per item once its record is fetched (it sees `$fetched`).
    const whenFirst = rule.fetch === undefined;
    if (whenFirst && rule.when !== undefined && !truthy(await run(rule, 'when', body, bindings))) continue;
    const items = rule.each === undefined ? [body] : asList(await run(rule, 'each', body, bindings));
    for (const item of items) {
      let itemBindings: Record<string, unknown> = bindings;
      if (rule.fetch !== undefined) {
        itemBindings = { ...bindings, fetched: await fetchRecord(rule.fetch, item, bindings, input.fetch) };
        if (rule.when !== undefined && !truthy(await run(rule, 'when', item, itemBindings))) continue;
      }
      events.push(await emitOne(rule, item, itemBindings));
      if (events.length > MAX_EVENTS_PER_REQUEST) {
        throw new MappingError(rule.each?.key ?? rule.key, `more than ${MAX_EVENTS_PER_REQUEST} events`);
      }
    }
  }
  const seen = new Set<string>();
  for (const event of events) {
    if (event.id === undefined) continue;
    if (seen.has(event.id)) {
      throw new MappingError(
        route.emit.find((r) => r.type === event.type)?.id?.key ?? `routes.${route.name}`,
        `two events of this request got the same id '${event.id}'; give each its own (e.g. & '-cancel')`,
      );
    }
    seen.add(event.id);
  }
  return events;
}

/** Runs `fetch` for one item: its URL, checked to stay under `base`, then the record. */
async function fetchRecord(
  rule: FetchRule,
  item: unknown,
  bindings: Record<string, unknown>,
  fetcher: Fetcher | undefined,
): Promise<unknown> {
  let value: unknown;
  try {
    value = await evaluate(rule.url, item, bindings);
  } catch (error) {
    const message = (error as Error).message;
    const prefix = `${rule.url.key}: `;
    const code = error instanceof XrefMissingError ? XREF_MISSING : undefined;
    throw new MappingError(
      rule.url.key,
      message.startsWith(prefix) ? message.slice(prefix.length) : message,
      undefined,
      code,
    );
  }
  if (typeof value !== 'string' || value.length === 0) {
    throw new MappingError(rule.url.key, `must give a URL or a path (a string), got ${kindOf(value)}`);
  }
  const url = fetchUrl(rule.base, value);
  if (typeof url === 'string') throw new MappingError(rule.url.key, url);
  if (fetcher === undefined) {
    throw new MappingError(rule.key, `the record at ${url.href} is not fetched here (only the hub fetches)`);
  }
  try {
    return await fetcher(rule, url);
  } catch (error) {
    if (!(error instanceof FetchError)) throw error;
    throw new MappingError(
      rule.key,
      `GET ${url.origin}${url.pathname}: ${error.message}`,
      undefined,
      FETCH_FAILED,
    );
  }
}

/**
 * `value` (absolute, or relative to `base`) as a URL under `base`, or why not: another scheme, host or
 * port, a path outside `base` (after `.` and `..` are resolved), credentials, or an encoded `/`, `\` or
 * `.` (which a server could decode into a path outside `base`).
 */
export function fetchUrl(base: string, given: string): URL | string {
  // What a request gave is quoted in the exception: at most 200 characters of it.
  const value = given.length > 200 ? `${given.slice(0, 200)}…` : given;
  let url: URL;
  try {
    url = new URL(given, base);
  } catch {
    return `'${value}' is not a URL`;
  }
  const root = new URL(base);
  if (url.origin !== root.origin || url.username !== '' || url.password !== '') {
    return `'${value}' is not on ${root.origin}: a fetch stays on the base's origin`;
  }
  if (/%(2f|5c|2e)/i.test(url.pathname)) {
    return `'${value}' encodes '/', '\\' or '.' in its path`;
  }
  if (!url.pathname.startsWith(root.pathname)) {
    return `'${value}' is outside ${base}: a fetch stays under its base`;
  }
  url.hash = '';
  return url;
}

async function emitOne(
  rule: EmitRule,
  item: unknown,
  bindings: Record<string, unknown>,
): Promise<InboundEvent> {
  const data = await run(rule, 'data', item, bindings);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new MappingError(
      rule.data.key,
      `must give an object (the event's data), got ${kindOf(data)}`,
      '/data',
    );
  }
  const event: InboundEvent = { type: rule.type, data: plain(data) as Record<string, unknown> };
  if (rule.id !== undefined) {
    const id = await run(rule, 'id', item, bindings);
    if (typeof id === 'number' && Number.isFinite(id)) event.id = String(id);
    else if (typeof id === 'string' && id.length > 0 && id.length <= 256) event.id = id;
    else
      throw new MappingError(
        rule.id.key,
        `must give a non-empty string of at most 256 characters (the event id), got ${kindOf(id)}`,
        '/id',
      );
  }
  return event;
}

async function run(
  rule: EmitRule,
  which: 'data' | 'id' | 'when' | 'each',
  input: unknown,
  bindings: Record<string, unknown>,
): Promise<unknown> {
  const compiled = rule[which];
  if (compiled === undefined) return undefined;
  try {
    return await evaluate(compiled, input, bindings);
  } catch (error) {
    // ExpressionError's message starts with the key already.
    const message = (error as Error).message;
    const prefix = `${compiled.key}: `;
    const code = error instanceof XrefMissingError ? XREF_MISSING : undefined;
    throw new MappingError(
      compiled.key,
      message.startsWith(prefix) ? message.slice(prefix.length) : message,
      undefined,
      code,
    );
  }
}

/** JSONata's sequences and frozen arrays as plain JSON data (what the contracts and the log take). */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? [...value] : [value];
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}
