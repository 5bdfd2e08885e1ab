/**
 * One poller's run (docs/connectors.md#polling): request the page (`request.url` with `{{ $cursor }}`, or
 * the pending `next` URL), read its items, map each to an event, and commit the page's events together with
 * the new cursor and the next page's URL (`SourceHub.commit`, one transaction), then follow `next` until
 * there is none. A crash anywhere leaves the stored cursor and `next` saying exactly which page to ask
 * for again; items read twice are the same events (same ids), dropped as duplicates.
 *
 * A page is JSON, or XML when its content type says so (read as the webhook kind reads a body, under the
 * same depth cap). A run that cannot go on throws (`PollError`): the hub backs off and shows it. Nothing is committed for a
 * page that fails, so its items are asked for again on the next run.
 */
import type { CompiledExpression } from '../../config/compiled-config.js';
import { ManifoldError } from '../../errors.js';
import type { InboundEvent, SourceHub } from '../connector-port.js';
import { DocumentError, formatOf, readDocument } from '../http/documents.js';
import { evaluate, type XrefResolver, xrefBinding } from '../http/expressions.js';
import type { OAuth2Tokens } from '../http/oauth2.js';
import { CONNECTOR_HEADERS, excerptOf, type HttpConnector } from '../http/outbound.js';
import { call } from '../http/shaped-call.js';
import { fillTemplate } from '../http/shaped-request.js';
import type { CompiledPoll } from './config-section.js';

/** The keys of a poller's connector state. */
export const CURSOR_KEY = 'cursor';
export const NEXT_KEY = 'next';

/** Why a run stopped: the API's answer, a mapping that failed, a `next` URL refused. */
export class PollError extends Error {
  constructor(
    message: string,
    /** `failed` (no usable answer) or `refused` (a `next` URL to another origin). */
    readonly outcome: 'failed' | 'refused' = 'failed',
  ) {
    super(message);
  }
}

export interface PollerContext {
  client: HttpConnector;
  tokens: OAuth2Tokens;
  /** The poller's own connector state (read here; written only through `hub.commit`). */
  state: { get<T>(key: string): Promise<T | undefined> };
  /** What `$xref` reads in the poller's expressions. */
  xref?: XrefResolver;
}

/** Runs `poll` once: every page until no `next` (at most `maxPages`); answers the items taken. */
export async function runPoll(context: PollerContext, poll: CompiledPoll, hub: SourceHub): Promise<number> {
  let cursor = (await context.state.get<string>(CURSOR_KEY)) ?? poll.initialCursor;
  let next = (await context.state.get<string | null>(NEXT_KEY)) ?? undefined;
  let taken = 0;
  for (let page = 0; page < poll.maxPages; page++) {
    const bindings = { cursor, ...xrefBinding(context.xref) };
    if (next !== undefined && new URL(next).origin !== poll.request.url.origin) {
      // Stored under a configuration that polled elsewhere: dropped, so the next run starts from the cursor.
      await hub.commit([], { [NEXT_KEY]: null });
      throw new PollError(
        `stored next URL ${new URL(next).origin} is not ${poll.request.url.origin}; dropped`,
        'refused',
      );
    }
    const target = next === undefined ? await firstPage(poll, bindings) : new URL(next);
    const body = await fetchPage(context, poll, target);
    const events = await mapItems(poll, body, bindings);
    const cursorValue = poll.cursor ? await evaluate(poll.cursor, body, bindings) : undefined;
    const newCursor = isEmpty(cursorValue) ? cursor : scalarText(cursorValue, 'cursor');
    const nextValue = poll.next ? await evaluate(poll.next, body, bindings) : undefined;
    let nextUrl: string | undefined;
    let refused: string | undefined;
    if (!isEmpty(nextValue)) {
      const candidate = scalarText(nextValue, 'next');
      const resolved = resolveNext(poll, target, candidate);
      if (typeof resolved === 'string') nextUrl = resolved;
      else refused = resolved.refused;
    }
    // The page's events and how far they go, in one transaction.
    const results = await commitPage(poll, hub, events, {
      [CURSOR_KEY]: newCursor,
      [NEXT_KEY]: nextUrl ?? null,
    });
    taken += results.filter((r) => r.status === 'accepted').length;
    if (refused !== undefined) throw new PollError(refused, 'refused');
    if (nextUrl === undefined) break;
    cursor = newCursor;
    next = nextUrl;
  }
  return taken;
}

/** The code of the exception opened for an item the hub refused (its contract, its owner). */
export const POLL_REJECTED = 'poll_rejected';

/**
 * Commits a page. When the hub refuses some of its events (an item that breaks its contract, a fact the
 * system does not own), each refused one is kept as a `poll_rejected` exception (its event, for a retry
 * once the cause is fixed) and the others are committed with the state: one bad record does not stop the
 * poller. The exceptions are opened first, so a crash in between opens one twice rather than none.
 */
async function commitPage(
  poll: CompiledPoll,
  hub: SourceHub,
  events: InboundEvent[],
  state: Record<string, unknown>,
): Promise<{ status: 'accepted' | 'duplicate' }[]> {
  try {
    return await hub.commit(events, state);
  } catch (error) {
    if (!(error instanceof ManifoldError) || (error.status !== 400 && error.status !== 403)) throw error;
    const refused = new Map<number, string[]>();
    for (const problem of error.errors) {
      if (problem.index === undefined) continue;
      refused.set(problem.index, [
        ...(refused.get(problem.index) ?? []),
        `${problem.pointer.replace(/^\/\d+/, '')} ${problem.detail}`,
      ]);
    }
    if (refused.size === 0) throw error;
    for (const [index, problems] of refused) {
      const event = events[index] as InboundEvent;
      await hub.raise({
        code: POLL_REJECTED,
        detail: `poller ${poll.system}/${poll.name}: event ${event.id} (${event.type}) refused: ${problems.join('; ')}`,
        system: poll.system,
        subject: event.id ?? '',
        payload: JSON.stringify(event),
      });
    }
    return hub.commit(
      events.filter((_, index) => !refused.has(index)),
      state,
    );
  }
}

/** `request.url` with `{{ }}` filled from `$cursor` (URL-encoded, path and query only). */
async function firstPage(
  poll: CompiledPoll,
  bindings: { cursor: string } & Record<string, unknown>,
): Promise<URL> {
  return new URL(`${poll.request.url.origin}${await fillTemplate(poll.request.url, {}, bindings)}`);
}

/**
 * The next page's URL, relative to the page that gave it, or why it is refused: only the origin of
 * `request.url` gets the poller's credentials.
 */
function resolveNext(poll: CompiledPoll, from: URL, text: string): string | { refused: string } {
  let url: URL;
  try {
    url = new URL(text, from);
  } catch {
    return { refused: `next: '${text}' is not a URL` };
  }
  if (url.origin !== poll.request.url.origin) {
    return {
      refused: `next: refused ${url.origin} (not the origin of request.url, ${poll.request.url.origin}): the request carries the poller's credentials`,
    };
  }
  return url.href;
}

async function fetchPage(context: PollerContext, poll: CompiledPoll, url: URL): Promise<unknown> {
  const headers: Record<string, string> = {
    accept: 'application/json, application/xml;q=0.9, text/xml;q=0.8',
  };
  for (const [name, value] of Object.entries(poll.request.headers)) {
    const lower = name.toLowerCase();
    if (!CONNECTOR_HEADERS.has(lower)) headers[lower] = value;
  }
  const answer = await call(
    context,
    { timeoutMs: poll.request.timeoutMs },
    poll.request.auth ? { auth: poll.request.auth } : {},
    {
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: poll.request.method,
      headers,
    },
    {},
  );
  const where = `${poll.request.method} ${url.origin}${url.pathname}`;
  if (answer.status === undefined) throw new PollError(`${where}: ${answer.error ?? 'no answer'}`);
  if (answer.status < 200 || answer.status > 299) {
    const excerpt = excerptOf(answer.body ?? '');
    throw new PollError(`${where}: HTTP ${answer.status}${excerpt ? `: ${excerpt}` : ''}`);
  }
  if (answer.complete === false)
    throw new PollError(`${where}: the answer is over 1 MiB; ask for smaller pages`);
  // Read as the webhook kind reads a body: JSON, or XML by its content type, under the depth cap.
  const text = answer.body ?? '';
  try {
    return readDocument(text, formatOf(answer.headers?.['content-type'], text));
  } catch (error) {
    if (!(error instanceof DocumentError)) throw error;
    throw new PollError(`${where}: the answer ${error.message}`);
  }
}

/** The page's items as events: `type`, `id`, `data` (and `subject`) evaluated with `$` the item. */
async function mapItems(
  poll: CompiledPoll,
  body: unknown,
  bindings: { cursor: string } & Record<string, unknown>,
): Promise<InboundEvent[]> {
  const value = await evaluate(poll.items, body, bindings);
  const items = value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
  const events: InboundEvent[] = [];
  for (const [index, item] of items.entries()) {
    const type = await evaluate(poll.type, item, bindings);
    const id = await evaluate(poll.id, item, bindings);
    const data = await evaluate(poll.data, item, bindings);
    if (typeof type !== 'string' || type === '') throw itemError(index, poll.type, 'a string');
    if (isEmpty(id) || (typeof id !== 'string' && typeof id !== 'number')) {
      throw itemError(index, poll.id, 'a string or a number');
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw itemError(index, poll.data, 'an object');
    }
    const event: InboundEvent = { type, id: String(id), data: data as Record<string, unknown> };
    if (poll.subject) {
      const subject = await evaluate(poll.subject, item, bindings);
      if (!isEmpty(subject)) event.subject = scalarText(subject, 'subject');
    }
    events.push(event);
  }
  return events;
}

function itemError(index: number, expression: CompiledExpression, expected: string): PollError {
  return new PollError(`item ${index}: '${expression.key}' (${expression.text}) must give ${expected}`);
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function scalarText(value: unknown, key: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  throw new PollError(
    `'${key}' must give a string or a number, got ${Array.isArray(value) ? 'a list' : 'an object'}`,
  );
}
