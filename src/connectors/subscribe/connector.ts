/**
 * The `subscribe` connector kind: keeps a change-notification subscription registered on a system's API
 * (Business Central's and Microsoft Graph's `POST /subscriptions`, which expire unless renewed), so that
 * the system goes on posting its webhooks to the hub (docs/connectors.md#keeping-a-webhook-subscription-alive).
 *
 * One scheduled source per entry of `systems.<name>.subscribe`, named `subscribe:<system>:<name>`: pulled
 * every `every` by one process at a time (the pollers' lease, back-off and status). A run creates the
 * subscription when none is stored, renews it when it expires within `renewBefore` (creating it again when
 * the system answers 404: it was deleted or had expired), and otherwise does nothing. The last answer's
 * body and its expiry are kept in the source's connector state (key `subscription`); every expression reads
 * that body as `$` (an empty object before the first).
 */

import type { ConnectorContext, ConnectorKind, SourceConnector, SourceHub } from '../connector-port.js';
import { DEFAULT_HTTP_TIMEOUT_MS } from '../http/config-section.js';
import { evaluate } from '../http/expressions.js';
import { OAUTH2_STATE_INSTANCE, OAuth2Tokens } from '../http/oauth2.js';
import { CONNECTOR_HEADERS, excerptOf, type HttpConnector } from '../http/outbound.js';
import { call } from '../http/shaped-call.js';
import { fillHeader, fillTemplate } from '../http/shaped-request.js';
import { httpClient } from '../transport/http.js';
import { type CompiledSubscribe, readSubscribeSection, type SubscribeRequest } from './config-section.js';

/** The key of the stored subscription in the source's connector state. */
export const SUBSCRIPTION_KEY = 'subscription';

/** What is kept of the subscription: the system's last answer, and when it expires. */
export interface StoredSubscription {
  body: unknown;
  expiresAt: string;
  /** `created` or `renewed`, and when. */
  last: 'created' | 'renewed';
  at: string;
}

export const subscribeConnector: ConnectorKind = {
  kind: 'subscribe',
  systemSection: { key: 'subscribe', read: (value, { name }) => readSubscribeSection(value, name) },
  openSources: (context) => subscribeSources(context),
};

interface RunContext {
  client: HttpConnector;
  tokens: OAuth2Tokens;
  state: { get<T>(key: string): Promise<T | undefined> };
  now: () => Date;
}

function subscribeSources(context: ConnectorContext): SourceConnector[] {
  const all = [...context.config.systems.values()].flatMap(
    (system) => (system.sections?.subscribe as CompiledSubscribe[] | undefined) ?? [],
  );
  if (all.length === 0) return [];
  const client = httpClient(context);
  const tokens = context.shared(
    'http-oauth2',
    () =>
      new OAuth2Tokens(client, context.state(OAUTH2_STATE_INSTANCE), context.now, DEFAULT_HTTP_TIMEOUT_MS),
  );
  return all.map((subscribe) => {
    const name = `subscribe:${subscribe.system}:${subscribe.name}`;
    const run: RunContext = { client, tokens, state: context.state(name), now: context.now };
    return {
      name,
      system: subscribe.system,
      everyMs: subscribe.everyMs,
      singleton: true,
      labels: { system: subscribe.system, poll: `subscribe:${subscribe.name}` },
      pull: (hub) => keepAlive(run, subscribe, hub),
    };
  });
}

/** One run: create, renew, or nothing. Throws when the system refuses (the hub backs off and shows it). */
export async function keepAlive(
  context: RunContext,
  subscribe: CompiledSubscribe,
  hub: SourceHub,
): Promise<number> {
  const stored = await context.state.get<StoredSubscription>(SUBSCRIPTION_KEY);
  const nowMs = context.now().getTime();
  if (stored !== undefined && Date.parse(stored.expiresAt) - nowMs > subscribe.renewBeforeMs) return 0;
  if (stored !== undefined && subscribe.renew !== undefined) {
    const answer = await send(context, subscribe, subscribe.renew, stored.body);
    if (answer.ok) return keep(context, subscribe, hub, answer.body, 'renewed');
    // Gone (deleted by the system, or expired): registered again below.
    if (answer.status !== 404) throw new Error(answer.error);
  }
  const answer = await send(context, subscribe, subscribe.create, {});
  if (!answer.ok) throw new Error(answer.error);
  return keep(context, subscribe, hub, answer.body, 'created');
}

async function keep(
  context: RunContext,
  subscribe: CompiledSubscribe,
  hub: SourceHub,
  body: unknown,
  last: StoredSubscription['last'],
): Promise<number> {
  const at = context.now().toISOString();
  const expires = await evaluate(subscribe.expires, body);
  const expiresMs =
    typeof expires === 'string' || typeof expires === 'number' ? Date.parse(String(expires)) : Number.NaN;
  // An answer without a usable expiry is kept as expiring now: the next run renews it rather than
  // registering a second subscription.
  const expiresAt = Number.isNaN(expiresMs) ? at : new Date(expiresMs).toISOString();
  await hub.commit([], { [SUBSCRIPTION_KEY]: { body, expiresAt, last, at } satisfies StoredSubscription });
  if (Number.isNaN(expiresMs)) {
    throw new Error(`'expires' (${subscribe.expires.text}) gave no time over the ${last} subscription`);
  }
  return 0;
}

type Sent = { ok: true; body: unknown } | { ok: false; status?: number; error: string };

async function send(
  context: RunContext,
  subscribe: CompiledSubscribe,
  request: SubscribeRequest,
  input: unknown,
): Promise<Sent> {
  const path = await fillTemplate(request.url, input, {});
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (!CONNECTOR_HEADERS.has(lower)) headers[lower] = value;
  }
  for (const [name, parts] of Object.entries(request.headerTemplates ?? {})) {
    headers[name] = await fillHeader(parts, name, input, {});
  }
  let body: string | undefined;
  if (request.body !== undefined) {
    body = JSON.stringify(await evaluate(request.body, input));
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  const answer = await call(
    context,
    { timeoutMs: subscribe.timeoutMs },
    subscribe.auth ? { auth: subscribe.auth } : {},
    {
      origin: request.url.origin,
      path,
      method: request.method,
      headers,
      ...(body !== undefined ? { body } : {}),
    },
    {},
  );
  const where = `${request.method} ${request.url.origin}${path.split('?')[0]}`;
  if (answer.status === undefined) return { ok: false, error: `${where}: ${answer.error ?? 'no answer'}` };
  if (answer.status < 200 || answer.status > 299) {
    const excerpt = excerptOf(answer.body ?? '');
    return {
      ok: false,
      status: answer.status,
      error: `${where}: HTTP ${answer.status}${excerpt ? `: ${excerpt}` : ''}`,
    };
  }
  try {
    return { ok: true, body: JSON.parse(answer.body ?? '') };
  } catch {
    return { ok: false, status: answer.status, error: `${where}: the answer is not JSON` };
  }
}
