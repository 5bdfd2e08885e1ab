/**
 * The `webhook` connector kind: native webhooks in (docs/connectors.md#native-webhooks-in). A system's
 * own JSON or XML, posted to `POST /v1/inbound/{system}/{route}`, is authenticated on its raw bytes
 * (`auth.ts`), turned into canonical events by the route's JSONata (`mapping.ts`) and applied through the
 * hub like `POST /v1/events` (contracts, ownership, dedupe by source and id, one durable commit). After
 * authentication nothing is lost: a request that cannot be mapped or applied is kept as an exception
 * (`mapping_failed`, `webhook_rejected`) holding the raw request, which a retry maps again with the
 * configuration of that time. Every authenticated request is kept (`inbound_requests`, secrets stripped)
 * with the events it produced.
 *
 * The kind has no subscription section: it reads `systems.<name>.inbound` (`systemSection`).
 */
import { randomUUID } from 'node:crypto';
import type { CompiledConfig } from '../../config/compiled-config.js';
import { ConflictError, type FieldProblem, ManifoldError, NotFoundError } from '../../errors.js';
import type {
  ConnectorKind,
  InboundConnector,
  InboundEvent,
  InboundHub,
  InboundRequest,
  ProtocolReply,
} from '../connector-port.js';
import { DEFAULT_HTTP_TIMEOUT_MS } from '../http/config-section.js';
import { XREF_MISSING, type XrefResolver, xrefResolver } from '../http/expressions.js';
import { OAUTH2_STATE_INSTANCE, OAuth2Tokens } from '../http/oauth2.js';
import { httpClient } from '../transport/http.js';
import { headerValue, secretHeaders, secretQuery, verify } from './auth.js';
import { readInbound, type WebhookInbound } from './config-section.js';
import { apiFetcher } from './fetch.js';
import { FETCH_FAILED, type Fetcher, MappingError, mapRequest, plainHeaders } from './mapping.js';

/** Exception codes: the request could not be mapped (body, expression, route), or its events were refused. */
export const MAPPING_FAILED = 'mapping_failed';
export const WEBHOOK_REJECTED = 'webhook_rejected';

/** Longest handshake token echoed back. */
const MAX_HANDSHAKE_TOKEN = 1024;

/** A kept request, as the connector writes it (the store's `inbound_requests` satisfies it). */
export interface KeptRequest {
  id: string;
  system: string;
  route: string;
  receivedAt: string;
  contentType?: string;
  headers: Record<string, string>;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  outcome: 'accepted' | 'duplicate' | 'ignored' | 'parked';
  exceptionId?: number;
  /** The ids of the events it produces (source `/<system>`). */
  eventIds: string[];
}

/** The part of the hub's store this kind uses (connectors never import the store layer). */
export interface WebhookStores {
  /** The cross-reference tables `$xref` reads (absent: `$xref` is an error). */
  xref?: { get(table: string, key: string): Promise<unknown> };
  inboundRequests: {
    record(request: KeptRequest): Promise<void>;
    settle(
      id: string,
      change: { outcome: KeptRequest['outcome']; eventIds?: string[]; exceptionId?: number },
      at: string,
    ): Promise<void>;
  };
}

/** What an exception holds to map the request again. */
interface ParkedPayload {
  requestId: string;
  route: string;
  contentType?: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  body: string;
  bodyEncoding: 'utf8' | 'base64';
}

/** The compiled `inbound:` of `system`, if it has one. */
export function inboundOf(
  config: Pick<CompiledConfig, 'systems'>,
  system: string,
): WebhookInbound | undefined {
  return config.systems.get(system)?.sections?.inbound as WebhookInbound | undefined;
}

export class WebhookInboundConnector implements InboundConnector {
  readonly format = 'webhook';
  /** The system's `inbound.auth` (HMAC over the raw body, a token, its key, basic) is checked here. */
  readonly authentication = 'request';
  readonly replays = [MAPPING_FAILED, WEBHOOK_REJECTED, XREF_MISSING, FETCH_FAILED] as const;

  private readonly xref: XrefResolver | undefined;

  constructor(
    private readonly config: CompiledConfig,
    private readonly stores: WebhookStores,
    private readonly now: () => Date,
    /** Makes the routes' `fetch` requests; without it a route with `fetch` parks its requests. */
    private readonly fetcher?: Fetcher,
  ) {
    this.xref = stores.xref === undefined ? undefined : xrefResolver(config, stores.xref);
  }

  async receive(system: string, request: InboundRequest, hub: InboundHub): Promise<ProtocolReply> {
    const compiled = this.config.systems.get(system);
    if (compiled === undefined) throw new NotFoundError(`no system '${system}'`);
    const inbound = inboundOf(this.config, system);
    if (inbound === undefined) {
      throw new NotFoundError(
        `system '${system}' takes no native webhooks (configure systems.${system}.inbound)`,
      );
    }
    const query = request.query ?? {};
    const handshake = inbound.handshake && query[inbound.handshake.query];
    if (handshake !== undefined && handshake !== '') return echo(handshake);
    verify(
      inbound.auth,
      { body: request.body, headers: request.headers, query },
      compiled.keyHashes,
      this.now().getTime(),
    );

    // Authenticated: from here on the request is kept, whatever becomes of it.
    const route = request.path ?? '';
    const hidden = new Set(secretHeaders(inbound.auth));
    const hiddenQuery = new Set(secretQuery(inbound.auth));
    const headers = Object.fromEntries(
      Object.entries(plainHeaders(request.headers)).filter(([name]) => !hidden.has(name)),
    );
    const keptQuery = Object.fromEntries(Object.entries(query).filter(([name]) => !hiddenQuery.has(name)));
    const text = request.body.toString('utf8');
    const utf8 = !text.includes('\u0000') && Buffer.from(text, 'utf8').equals(request.body);
    const contentType = headerValue(request.headers, 'content-type');
    const payload: ParkedPayload = {
      requestId: randomUUID(),
      route,
      ...(contentType !== undefined ? { contentType } : {}),
      headers,
      query: keptQuery,
      body: utf8 ? text : request.body.toString('base64'),
      bodyEncoding: utf8 ? 'utf8' : 'base64',
    };
    // The expressions see the headers as sent, less the secrets (a mapping never needs a signature).
    return this.handle(system, payload, request.body, hub, 'receive');
  }

  async replay(
    exception: { system?: string; subject?: string; payload?: string },
    hub: InboundHub,
  ): Promise<void> {
    if (exception.system === undefined || exception.payload === undefined) {
      throw new ConflictError('not-retryable', 'Nothing to retry', 'the exception holds no webhook request');
    }
    const payload = JSON.parse(exception.payload) as ParkedPayload;
    const body = Buffer.from(payload.body, payload.bodyEncoding);
    await this.handle(exception.system, payload, body, hub, 'replay');
  }

  /**
   * Maps and applies one authenticated request. On `receive` a failure parks it (202 parked); on `replay`
   * it throws 409 `still-failing` and the exception stays open.
   */
  private async handle(
    system: string,
    payload: ParkedPayload,
    body: Buffer,
    hub: InboundHub,
    mode: 'receive' | 'replay',
  ): Promise<ProtocolReply> {
    const inbound = inboundOf(this.config, system);
    const route = inbound?.routes.get(payload.route);
    let events: InboundEvent[];
    try {
      if (route === undefined) {
        const known = [...(inbound?.routes.keys() ?? [])].join(', ') || 'none';
        throw new MappingError(
          'route',
          `no route '${payload.route}' in systems.${system}.inbound.routes (known: ${known})`,
        );
      }
      events = await mapRequest(route, {
        system,
        route: payload.route,
        body,
        contentType: payload.contentType,
        headers: payload.headers,
        query: payload.query,
        ...(this.xref !== undefined ? { xref: this.xref } : {}),
        ...(this.fetcher !== undefined ? { fetch: this.fetcher } : {}),
      });
    } catch (error) {
      if (!(error instanceof MappingError)) throw error;
      const where = error.pointer ? ` at ${error.pointer}` : '';
      const code = error.code ?? MAPPING_FAILED;
      return this.fail(system, payload, hub, mode, code, `${error.key}${where}: ${error.message}`);
    }
    if (events.length === 0) {
      await this.keep(system, payload, mode, { outcome: 'ignored', eventIds: [] });
      return json(200, { status: 'ignored' });
    }
    // Every event gets its id here, so that the request can be kept beside the events' own commit (in
    // the same group commit, not after it): the request links its events by (source, id).
    for (const event of events) event.id ??= randomUUID();
    const eventIds = events.map((e) => e.id as string);
    const [applying, keeping] = await Promise.allSettled([
      hub.apply(system, events),
      // A retry keeps nothing new here: the request is settled once its outcome is known.
      mode === 'receive'
        ? this.keep(system, payload, mode, { outcome: 'accepted', eventIds })
        : Promise.resolve(),
    ]);
    if (applying.status === 'rejected') {
      const error = applying.reason;
      if (!(error instanceof ManifoldError) || error.status >= 500) throw unavailable(error);
      return this.fail(
        system,
        payload,
        hub,
        mode,
        WEBHOOK_REJECTED,
        refusal(error),
        keeping.status === 'fulfilled',
      );
    }
    if (keeping.status === 'rejected') throw keeping.reason;
    const results = applying.value;
    const applied = results.map((r) => ({ id: r.id, seq: r.seq }));
    const duplicate = results.every((r) => r.status === 'duplicate');
    if (mode === 'replay' || duplicate) {
      await this.keep(system, payload, 'replay', { outcome: duplicate ? 'duplicate' : 'accepted', eventIds });
    }
    return json(duplicate ? 200 : 202, { status: duplicate ? 'duplicate' : 'accepted', events: applied });
  }

  private async fail(
    system: string,
    payload: ParkedPayload,
    hub: InboundHub,
    mode: 'receive' | 'replay',
    code: string,
    detail: string,
    kept = false,
  ): Promise<ProtocolReply> {
    if (mode === 'replay') throw new ConflictError('still-failing', 'Still failing', detail);
    let exception: { id: number };
    try {
      exception = await hub.raise({
        code,
        detail: `webhook ${system}/${payload.route}: ${detail}`,
        system,
        subject: `${system}/${payload.route}`,
        payload: JSON.stringify(payload),
      });
    } catch (error) {
      throw unavailable(error);
    }
    const change = { outcome: 'parked' as const, exceptionId: exception.id, eventIds: [] };
    await this.keep(system, payload, kept ? 'replay' : 'receive', change);
    return json(202, { status: 'parked', exception: exception.id, code, detail });
  }

  /** Keeps the request with what became of it (`settle`: one kept already, a retry's). */
  private async keep(
    system: string,
    payload: ParkedPayload,
    mode: 'receive' | 'replay',
    change: { outcome: KeptRequest['outcome']; eventIds: string[]; exceptionId?: number },
  ): Promise<void> {
    const at = this.now().toISOString();
    try {
      if (mode === 'replay') {
        await this.stores.inboundRequests.settle(payload.requestId, change, at);
        return;
      }
      await this.stores.inboundRequests.record({
        id: payload.requestId,
        system,
        route: payload.route,
        receivedAt: at,
        ...(payload.contentType !== undefined ? { contentType: payload.contentType } : {}),
        headers: payload.headers,
        body: payload.body,
        bodyEncoding: payload.bodyEncoding,
        outcome: change.outcome,
        ...(change.exceptionId !== undefined ? { exceptionId: change.exceptionId } : {}),
        eventIds: change.eventIds,
      });
    } catch (error) {
      throw unavailable(error);
    }
  }
}

/** The handshake's answer: the token as sent, as text (only printable characters are echoed). */
function echo(token: string): ProtocolReply {
  if (token.length > MAX_HANDSHAKE_TOKEN || [...token].some(isControl)) {
    throw new ManifoldError(
      'invalid-handshake',
      400,
      'Invalid handshake',
      `the handshake token must be at most ${MAX_HANDSHAKE_TOKEN} printable characters`,
    );
  }
  return { contentType: 'text/plain; charset=utf-8', body: token, status: 200 };
}

function isControl(char: string): boolean {
  const code = char.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

function json(status: number, body: unknown): ProtocolReply {
  return { contentType: 'application/json', status, body: JSON.stringify(body) };
}

/** A store that failed: 503, so the sender sends again (a resend of applied events is a duplicate). */
function unavailable(error: unknown): ManifoldError {
  return new ManifoldError(
    'unavailable',
    503,
    'Service unavailable',
    'the hub could not keep the request durably; send it again (events already applied are answered as duplicates)',
    [],
    {},
    { cause: error },
  );
}

/** The hub's refusal (contract, ownership) as an exception's detail, with the pointers. */
function refusal(error: ManifoldError): string {
  const problems: FieldProblem[] = error.errors;
  const listed = problems
    .slice(0, 5)
    .map((p) => `${p.pointer} ${p.detail}`)
    .join('; ');
  return problems.length > 0 ? `${error.message} [${listed}]` : error.message;
}

export const webhookConnector: ConnectorKind = {
  kind: 'webhook',
  systemSection: { key: 'inbound', read: readInbound },
  openInbound: (context) => {
    const client = httpClient(context);
    const tokens = context.shared(
      'http-oauth2',
      () =>
        new OAuth2Tokens(client, context.state(OAUTH2_STATE_INSTANCE), context.now, DEFAULT_HTTP_TIMEOUT_MS),
    );
    return new WebhookInboundConnector(
      context.config,
      context.stores as WebhookStores,
      context.now,
      apiFetcher({ client, tokens }),
    );
  },
};
