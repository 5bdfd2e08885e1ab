/**
 * (Over 400 lines: the port is types and one classifier, no behaviour; a kind's author reads what the hub
 * gives and expects in one file, the three roles side by side, as `src/connectors/README.md` walks it.)
 *
 * The connector port: what a connector kind (`http`, `edi`, …) gives the hub and what the hub gives it.
 * A kind is one folder under `src/connectors/<kind>/` and one line in `registry.ts`; the delivery engine,
 * the compiled config and the subscription compiler only speak to this port. See src/connectors/README.md.
 *
 * Three roles, each optional:
 * - outbound: canonical events → one attempt at the target system → a classified outcome;
 * - inbound: a request in the system's own format → canonical events, plus the protocol reply owed;
 * - source: the hub asks, the connector fetches (a folder's files, a poll), remembering what it took.
 *
 * A format (CloudEvents JSON, X12) is kept apart from the transport that carries its documents (HTTP, a
 * folder, SFTP, AS2), so that one format rides any transport (`OutboundDocument`, `Transport`).
 */
import type { CompiledConfig, CompiledSubscription, CompiledSystem } from '../config/compiled-config.js';
import type { ConfigValue, MapReader } from '../config/config-reader.js';
import type { CloudEvent } from '../domain/cloud-event.js';
import type { DeliveryOutcome } from '../domain/delivery/retry-policy.js';
import { targetSignal } from '../domain/delivery/target-signal.js';
import type { ManifoldError } from '../errors.js';

/* ------------------------------------------------------------------------------------------------ */
/* Outbound                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

/** W3C trace context headers to send with a request (engine/observability/trace-context.ts). */
export interface TraceHeaders {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

/**
 * What one outbound attempt came to, for the attempt record, the retry schedule, the target's adaptive
 * limit and its breaker. `classifyResult` reads it as one of the `OutboundVerdict`s.
 */
export interface OutboundResult {
  outcome: DeliveryOutcome;
  /** The target's answer code (an HTTP status), when it answered. */
  status?: number;
  /** The first 512 characters of the answer. */
  bodyExcerpt?: string;
  /** The target asked to wait this long (`Retry-After`), in milliseconds from its answer. */
  retryAfterMs?: number;
  /** Time from sending to the end of the exchange (answer read, or failure). */
  latencyMs: number;
  /** Why no answer came (network error, timeout), or why the document could not be made. */
  error?: string;
  /** Nothing left the hub (the connector was closed): says nothing about the target. */
  notSent?: boolean;
  /**
   * A refusal's exception code when it is not `delivery_rejected`: `xref_missing` for a call whose
   * cross-reference table lacks a key (`onMissing: park`), retried when the table gets it.
   */
  code?: string;
  /**
   * Sent, and the protocol's own acknowledgement (an X12 997/999, an AS2 MDN) comes later and apart. The
   * outbox counts the attempt as delivered (`outcome: 'delivered'`); the connector matches the
   * acknowledgement when it arrives and raises an exception when it does not come in time.
   */
  acknowledgement?: 'pending';
}

/**
 * An outbound attempt as the delivery rules read it:
 * - `delivered`: the target took it;
 * - `acknowledgement-pending`: the target took it, its protocol acknowledgement is still to come;
 * - `retry-throttled`: the target is up but asks to slow down (429, 503, `Retry-After`);
 * - `retry-unreachable`: no answer (refused, reset, timeout, 502/504): the only one the breaker counts;
 * - `retry-failed`: an answer that may go better later (a 500, a 408);
 * - `rejected`: refused for good (a 4xx, an unmappable event): the message is set aside;
 * - `unsent`: nothing went out (shutting down): says nothing about the target or the message.
 */
export type OutboundVerdict =
  | 'delivered'
  | 'acknowledgement-pending'
  | 'retry-throttled'
  | 'retry-unreachable'
  | 'retry-failed'
  | 'rejected'
  | 'unsent';

/** One attempt's context: the W3C trace headers to carry, and the attempt number (from 1). */
export interface OutboundAttempt {
  trace: TraceHeaders;
  attempt: number;
}

/**
 * The outbound role for one subscription. `send` makes one attempt and reports it; it never throws for the
 * target's failures (they are outcomes). Retries, rate limits and the breaker are the delivery engine's.
 */
export interface OutboundConnector {
  send(events: CloudEvent[], attempt: OutboundAttempt): Promise<OutboundResult>;
}

/** A document of a system's own format, ready for a transport. */
export interface OutboundDocument {
  contentType: string;
  body: string;
  /** The same for every attempt at the same events: the receiver drops repeats by it. */
  idempotencyKey: string;
  /** A name for transports that store documents (a folder, SFTP), e.g. `acme-000000042.x12`. */
  fileName: string;
}

/** Carries a document to a system (HTTP POST, a file in a folder, an SFTP upload, an AS2 message). One call, one attempt. */
export interface Transport {
  carry(document: OutboundDocument, trace: TraceHeaders): Promise<OutboundResult>;
}

/* ------------------------------------------------------------------------------------------------ */
/* Inbound and source                                                                                 */
/* ------------------------------------------------------------------------------------------------ */

/** A canonical event a connector read from a system, before the hub stamps its source (`/<system>`) and time. */
export interface InboundEvent {
  type: string;
  data: Record<string, unknown>;
  subject?: string;
  correlationid?: string;
  /** The event's id when the format derives one (so a resend is a duplicate); else the hub makes one. */
  id?: string;
  /** CloudEvents extension attributes (`x12interchange`). */
  extensions?: Record<string, string>;
}

/** A request in a system's own format, as the transport received it (an HTTP body, a file's content). */
export interface InboundRequest {
  /** The system that sent it (the HTTP caller's key; for a source, the source's system). */
  caller: string;
  body: Buffer;
  /** The transport's headers, lower-case (HTTP); empty for a file. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * What follows the system in the request's path, when the kind's route has more (a native webhook's
   * route name in `POST /v1/inbound/{system}/{route}`).
   */
  path?: string;
  /** The request's query parameters (HTTP), first value of each. */
  query?: Readonly<Record<string, string>>;
}

/** What became of one unit of a request (an X12 transaction set), for the answer and the metrics. */
export interface InboundUnit {
  /** The unit's control number or id in its format (ST02; `ISA` units carry ISA13). */
  control: string;
  /** The unit's type in its format (ST01, or `ISA` for a whole interchange). */
  type: string;
  /** `held`: sound and acknowledged, kept as an exception until what it needs exists (`xref_missing`). */
  outcome: 'applied' | 'rejected' | 'duplicate' | 'held';
  detail?: string;
}

/** The reply a protocol owes the sender of a request: a 997/999 or TA1, an AS2 MDN, a webhook handshake. */
export interface ProtocolReply {
  contentType: string;
  body: string;
  /** A transport status to answer with (HTTP), when the protocol says which (200 otherwise). */
  status?: number;
  /** Transport headers the protocol answers with (an AS2 receipt's AS2-From, AS2-To, Message-ID). */
  headers?: Record<string, string>;
  /** The request was received before: `body` is the reply kept from then, nothing was applied again. */
  repeated?: boolean;
  /** Per unit of the request, what became of it. */
  units?: InboundUnit[];
}

/** An exception an inbound connector opens (a rejected set), holding what an operator needs to replay it. */
export interface InboundException {
  code: string;
  detail: string;
  /** The system the input came from. */
  system: string;
  subject: string;
  /** The raw input (an X12 interchange), for `replay`. */
  payload: string;
}

/** What the hub keeps for an input received whole (an X12 interchange by its control number). */
export interface InboundReceipts {
  /**
   * The reply kept for `key` in `scope`; undefined when unknown or left unanswered by a dead process.
   * Throws `inFlight()` while a live process handles it.
   */
  lookup(
    scope: string,
    key: string,
    requestHash: string,
    inFlight: () => ManifoldError,
  ): Promise<{ body: unknown } | undefined>;
  /** Claims `key` before applying: the kept reply when there is one; ends with `finish` or `abandon`. */
  claim(
    scope: string,
    key: string,
    requestHash: string,
    inFlight: () => ManifoldError,
  ): Promise<{ kind: 'stored'; answer: { body: unknown } } | { kind: 'claimed' }>;
  /** Keeps the reply of a claimed key. */
  finish(scope: string, key: string, status: number, body: unknown): Promise<void>;
  /** Gives a claimed key up unanswered (a resend applies it again; what was logged is a duplicate). */
  abandon(scope: string, key: string): Promise<void>;
}

/**
 * What the hub does for an inbound connector or a source, for one request (its trace is the request's).
 */
export interface InboundHub {
  /**
   * Validates and applies `events` as sent by `system` (ownership, contracts, idempotency), all or none,
   * durably; one outcome per event. Throws the hub's problem (a `ManifoldError`) when they are refused.
   */
  apply(
    system: string,
    events: InboundEvent[],
  ): Promise<{ status: 'accepted' | 'duplicate'; id: string; seq: number }[]>;
  /** Opens an exception in the hub's queue (an operator fixes its cause and replays it); answers its id once durable. */
  raise(exception: InboundException): Promise<{ id: number }>;
  /** Notes on orders' timelines that move nothing and have no event of their own (a carrier status). */
  annotate(notes: { orderId: string; note: string }[]): Promise<void>;
  /** Inputs received whole, kept with their reply, so a resend is answered again and not applied twice. */
  receipts: InboundReceipts;
}

/**
 * The inbound role: a request in a system's own format, received for `system`, becomes canonical events
 * (applied through `hub`, all or none, in as many steps as the format has units: one per X12 set), and
 * the protocol reply owed to the sender — which may depend on what was applied (a 997 says, set by set).
 * It throws the hub's problem when the request cannot be received at all (not its format, not its partner).
 */
export interface InboundConnector {
  /** The format's name, for the `receive <format>` span (`x12`). */
  readonly format: string;
  /**
   * Who says an HTTP request comes from the system it is posted for: `key` (absent: the same) the hub, by
   * the caller's bearer key (the caller is the key's system, the admin key is refused); `request` the
   * connector itself, from the request (an HMAC or AS2 signature): no key, the caller is the path's system.
   */
  readonly authentication?: 'key' | 'request';
  receive(system: string, request: InboundRequest, hub: InboundHub): Promise<ProtocolReply>;
  /** Exception codes this connector opens and can apply again (`edi_rejected`). */
  readonly replays?: readonly string[];
  /**
   * The prefix of the subjects of the exceptions it opens (`x12:`), when it marks them: a code several
   * connectors replay (`xref_missing`) goes to the one whose prefix the subject has, else to one without.
   */
  readonly subjectPrefix?: string;
  /** Applies the input an exception holds again, after an operator fixed its cause; throws when it still fails. */
  replay?(exception: { system?: string; subject?: string; payload?: string }, hub: InboundHub): Promise<void>;
}

/** What the hub gives a source on each pull: the inbound hub, and the kind's inbound role for a request. */
export interface SourceHub extends InboundHub {
  /** Hands a request the source fetched (a file's content) to its kind's inbound role, in its own trace. */
  receive(request: InboundRequest): Promise<ProtocolReply>;
  /**
   * Applies `events` as sent by the source's system and sets `state`'s keys of the source's own
   * `ConnectorState` in the same durable transaction: both or neither (a poll cursor never runs ahead of,
   * nor falls behind, the items it read). Duplicates are reported as by `apply`; `events` may be empty.
   */
  commit(
    events: InboundEvent[],
    state: Record<string, unknown>,
  ): Promise<{ status: 'accepted' | 'duplicate' }[]>;
}

/**
 * The source role: the hub asks, the connector fetches (a folder's files, a poll of an API). One source per
 * place to look (a partner's `x12.inbox`); `pull` takes what is ready and keeps in its `ConnectorState`
 * what it must remember between pulls (the files seen, a cursor), so a restart neither loses nor
 * re-reads an input; an input taken twice (a crash between applying and moving it) is a duplicate by the
 * format's own idempotency (an interchange's control number).
 */
export interface SourceConnector {
  /** The instance's name (`edi:<partner>`): its `connector_state` and its log lines. */
  readonly name: string;
  /** The system its inputs come from (events are applied as sent by it). */
  readonly system: string;
  /**
   * Pulled on a schedule of its own, every this many milliseconds, backing off after failures (a poll of an
   * API); absent: pulled on the shared sources loop (every 2 s, a folder). A scheduled source's `pull`
   * throws when the look failed (the API is down): the hub counts it, backs off and shows it.
   */
  readonly everyMs?: number;
  /** One process at a time pulls it, across every process on the store (a lease named `source:<name>`). */
  readonly singleton?: boolean;
  /** Metric labels and what the console and `/readyz` show for it (`{ system, poll }`). */
  readonly labels?: { system: string; poll: string };
  /** One look: takes what is ready; answers how many inputs it took. */
  pull(hub: SourceHub): Promise<number>;
}

/* ------------------------------------------------------------------------------------------------ */
/* What the hub gives a connector                                                                     */
/* ------------------------------------------------------------------------------------------------ */

/**
 * Durable state of one connector instance (`connector_state`): tokens, last values sent, files seen.
 * Values are JSON; keys are the connector's own.
 */
export interface ConnectorState {
  get<T = unknown>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Counts of documents exchanged with trading partners (`manifold_edi_documents_total`). */
export interface ConnectorMetrics {
  document(labels: { partner: string; set: string; direction: 'in' | 'out'; outcome: string }): void;
}

/**
 * What a connector kind is given when the delivery engine (outbound) or the hub (inbound, sources) opens it. `stores` is the hub's store; a kind
 * names the narrow part it needs as its own interface (the store satisfies it), so that connectors never
 * import the store layer.
 */
export interface ConnectorContext {
  config: CompiledConfig;
  stores: unknown;
  now: () => Date;
  /** The durable state of one instance (a subscription's name, `<kind>:<partner>`). */
  state(instance: string): ConnectorState;
  /**
   * A resource shared by every kind of one engine under `name` (one HTTP client with a pool per origin),
   * made by `open` on first use and closed when the engine stops.
   */
  shared<T extends SharedResource>(name: string, open: () => T): T;
  metrics?: ConnectorMetrics;
}

export interface SharedResource {
  close(): Promise<void>;
}

/* ------------------------------------------------------------------------------------------------ */
/* A connector kind and its config section                                                            */
/* ------------------------------------------------------------------------------------------------ */

/**
 * How a subscription is delivered, as compiled by its kind: the kind's name (a key of the registry), its
 * section as the kind compiled it, and what the delivery engine needs to know of it.
 */
export interface CompiledConnector {
  kind: string;
  section: unknown;
  /** One attempt may carry several events (the engine caps a batch); otherwise one event per attempt. */
  batch: boolean;
  /** How long one attempt may take at most (a claimed row's lease is sized from it). */
  attemptTimeoutMs: number;
}

/** What a kind's section compiler knows of the subscription around it. */
export interface SectionContext {
  /** The target system (already checked to exist), when it was given. */
  target: string | undefined;
  /** The compiled systems (their `x12:` identity, locations, limits). */
  systems: ReadonlyMap<string, CompiledSystem>;
}

/**
 * A kind's section of one subscription, read in three steps so that its messages keep their place
 * among the subscription's own: `read` (before `types`), then the types hooks, then `complete`.
 */
export interface SubscriptionSection {
  /** The event types when the subscription gives none (undefined: `types` is required). */
  defaultTypes?: string[];
  /** Reports types that cannot work with this section (`matches` is the compiled `types`). */
  checkTypes?(types: string[], matches: (type: string) => boolean, typesValue: ConfigValue): void;
  /** Reads the rest of the section and binds it to `subscription`. */
  complete(subscription: CompiledSubscription): CompiledConnector | undefined;
}

/**
 * A kind's section of a system (`systems.<name>.<key>`), for a kind configured per sending system rather
 * than per subscription (the `webhook` kind's `inbound:`). `read` reports its problems on the reader (file,
 * line, key) and answers the compiled section, kept in `CompiledSystem.sections[key]`.
 */
export interface SystemSection {
  /** The key under the system (`inbound`). */
  readonly key: string;
  read(value: ConfigValue, system: { name: string }): unknown;
}

export interface ConnectorKind {
  /** The kind's name and the subscription key of its section (`http:`, `edi:`). */
  readonly kind: string;
  /** A section under each system instead of (or besides) a subscription section. */
  readonly systemSection?: SystemSection;
  /** Other subscription keys the kind owns (`dir:` for `edi`). */
  readonly extraKeys?: readonly string[];
  /** Sections of other kinds this kind uses as its transport (`edi` rides `http:`). */
  readonly rides?: readonly string[];
  /** The message for one of this kind's keys found on a subscription of another kind. */
  misplaced?(key: string): string;
  /**
   * Reads the kind's section of a subscription (`map` is the whole subscription). Undefined: the section
   * could not be read (its problems are reported); the subscription is then read as the default kind's.
   * Absent: the kind has no subscription section (nor key): it only receives (`systemSection`).
   */
  readSection?(map: MapReader, context: SectionContext): SubscriptionSection | undefined;
  /**
   * The outbound role, opened once per delivery engine: then a sender per subscription of this kind,
   * given its `section` as `readSection` compiled it.
   */
  openOutbound?(
    context: ConnectorContext,
  ): (subscription: CompiledSubscription, section: unknown) => OutboundConnector;
  /**
   * The inbound role, opened once per hub: `POST /v1/connectors/{kind}/{system}` hands it every request for
   * the kind (so do a kind's own routes, `POST /v1/edi/{partner}`, and its sources).
   */
  openInbound?(context: ConnectorContext): InboundConnector;
  /** The sources of this kind in the configuration (one per place to look), opened once per hub. */
  openSources?(context: ConnectorContext): SourceConnector[];
  /**
   * Runs once as the hub starts, before delivery and the sources (the `edi` kind seeds its partners' item
   * tables from `itemMap`); a throw stops the start.
   */
  prepare?(context: ConnectorContext): Promise<void>;
}

/** Reads an outbound result as the delivery rules do (see `OutboundVerdict`; docs/delivery.md §6). */
export function classifyResult(result: OutboundResult): OutboundVerdict {
  const signal = targetSignal(result);
  if (signal === 'unsent') return result.outcome === 'permanent' ? 'rejected' : 'unsent';
  if (result.outcome === 'delivered')
    return result.acknowledgement === 'pending' ? 'acknowledgement-pending' : 'delivered';
  if (result.outcome === 'permanent') return 'rejected';
  if (signal === 'throttled') return 'retry-throttled';
  if (signal === 'unreachable') return 'retry-unreachable';
  return 'retry-failed';
}
