/**
 * A native webhook's route, applied: the raw body read (JSON, or XML by fast-xml-parser) under the hub's
 * input limits, then each of the route's `emit` rules evaluated by JSONata under the expressions' budget
 * (`../http/expressions.ts`) into canonical events (docs/connectors.md#native-webhooks-in). Pure: no hub,
 * no store; `bin/manifold map test` runs the same code.
 */
import { XMLParser } from 'fast-xml-parser';
import type { InboundEvent } from '../connector-port.js';
import {
  evaluate,
  truthy,
  XREF_MISSING,
  XrefMissingError,
  type XrefResolver,
  xrefBinding,
} from '../http/expressions.js';
import type { EmitRule, WebhookRoute } from './config-section.js';

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
}

/** Arrays and objects (or XML elements) may nest this deep: the hub's cap on every JSON body (docs/operations.md). */
export const MAX_JSON_DEPTH = 64;

/** Most events one request may emit (an `each` over a huge array is refused, not half-applied). */
export const MAX_EVENTS_PER_REQUEST = 1000;

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  processEntities: false,
  htmlEntities: false,
});

/** The body as the expressions see it (`$`); undefined for an empty body. */
export function parseBody(route: WebhookRoute, body: Buffer, contentType: string | undefined): unknown {
  const text = body.toString('utf8');
  if (text.trim().length === 0) return undefined;
  const format = route.format === 'auto' ? formatOf(contentType, text) : route.format;
  if (nestsTooDeep(text, format)) {
    throw new MappingError('body', `the body nests more than ${MAX_JSON_DEPTH} levels deep`, '');
  }
  if (format === 'xml') {
    try {
      return xml.parse(text, true);
    } catch (error) {
      throw new MappingError('body', `the body is not well-formed XML: ${describe(error)}`, '');
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MappingError('body', `the body is not valid JSON: ${describe(error)}`, '');
  }
}

function formatOf(contentType: string | undefined, text: string): 'json' | 'xml' {
  const type = contentType?.toLowerCase() ?? '';
  if (type.includes('xml')) return 'xml';
  if (type.includes('json')) return 'json';
  return text.trimStart().startsWith('<') ? 'xml' : 'json';
}

/**
 * The depth cap of every request body, read before parsing and without recursion (as src/api/json-body.ts
 * does for the hub's own routes, which a connector may not import): brackets outside strings for JSON,
 * elements for XML.
 */
function nestsTooDeep(text: string, format: 'json' | 'xml'): boolean {
  let depth = 0;
  if (format === 'json') {
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (c === 92) i++;
        else if (c === 34) inString = false;
      } else if (c === 34) inString = true;
      else if (c === 123 || c === 91) {
        if (++depth > MAX_JSON_DEPTH) return true;
      } else if (c === 125 || c === 93) depth--;
    }
    return false;
  }
  for (const match of text.matchAll(/<(\/?)[A-Za-z_][^>]*?(\/?)>/g)) {
    if (match[1] === '/') depth--;
    else if (match[2] !== '/' && ++depth > MAX_JSON_DEPTH) return true;
  }
  return false;
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
    if (rule.when !== undefined && !truthy(await run(rule, 'when', body, bindings))) continue;
    const items = rule.each === undefined ? [body] : asList(await run(rule, 'each', body, bindings));
    for (const item of items) {
      events.push(await emitOne(rule, item, bindings));
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
