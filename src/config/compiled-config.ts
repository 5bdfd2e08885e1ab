/**
 * The validated, internal form of `manifold.yaml`. Built once at start by `compileConfig()`;
 * nothing downstream re-validates it.
 */

import type { Expression } from 'jsonata';
import type { CompiledConnector } from '../connectors/connector-port.js';
import type { RemitTo } from '../connectors/edi/config-section.js';
import type { AlertRule } from '../domain/alerts/alert-state.js';
import type { CircuitBreakerPolicy } from '../domain/delivery/circuit-breaker.js';
import type { RetryPolicy } from '../domain/delivery/retry-policy.js';
import type { HealthThresholds } from '../domain/delivery/subscription-health.js';
import type { Fact, Milestone } from '../domain/event-catalogue.js';
import type { AllocationRule, Coordinates, RegionHint } from '../domain/orders/allocation.js';
import type { UnitCodeMap, UnitTable } from '../domain/orders/units.js';
import type { ReadScope } from '../domain/read-scope.js';
import type { ConfigIssue } from './config-error.js';

export const SYSTEM_KINDS = ['erp', 'wms', 'tms', 'commerce', 'edi', 'carrier', 'other'] as const;
export type SystemKind = (typeof SYSTEM_KINDS)[number];

export interface CompiledSystem {
  name: string;
  kind: SystemKind;
  /** SHA-256 digests of the system's API keys; the plain keys are not kept. */
  keyHashes: Buffer[];
  /** Locations this system serves (a WMS); empty means not location-bound. */
  locations: string[];
  /** The sales channel this system takes orders for (a storefront, a portal, an EDI partner). */
  channel?: string;
  /** What the system's keys may read (`read:`, else least privilege by kind; docs/security.md). */
  read: ReadScope;
  x12?: X12Partner;
  /** Limits of the whole target, shared by every subscription that sends to it (docs/delivery.md#6-protecting-targets). */
  rateLimit?: TargetLimitPolicy;
  /** What an inventory snapshot from this system does: `report` drift (default) or `adopt` its counts. */
  reconcile?: ReconcileMode;
  /** Units of drift in one snapshot above which an `inventory_drift` exception opens (default 0). */
  driftThreshold?: number;
  /** The delivery circuit breaker of this target (default 5 failures, 30 s, up to 5 min). */
  circuitBreaker?: CircuitBreakerPolicy;
  /** Connector kinds' sections of this system by key (`inbound`: native webhooks in; `poll`: pollers), as each kind compiled it. */
  sections?: Record<string, unknown>;
}

/** A trading partner's X12 identity and options (`systems.<name>.x12`). */
export interface X12Partner {
  id: string;
  qualifier: string;
  version?: string;
  /** Seed entries of the item table (`itemMap:`): loaded at start for the keys the table lacks. */
  itemMap?: Record<string, string>;
  /**
   * The cross-reference table of the partner's item ids → SKUs (`items:`; `<partner>-items` when only
   * `itemMap` is given). Reversed (SKU → the partner's id) in the 855 and 856.
   */
  items?: string;
  /** The partner's unit codes → ours (`units: { CS: CA }`), read in PO103 and written in 855/856/810. */
  units?: UnitCodeMap;
  /** An outbound interchange still without a 997/999 this long after it was sent → `edi_unacknowledged`. */
  ackWithinMinutes?: number;
  /** A watched inbound folder: files are received as from the partner, then moved to `processed/` or `failed/`. */
  inbox?: string;
  /** Delimiters of the interchanges written to this partner (default `*`, `>`, `~`, `^`; a newline after each segment). */
  delimiters?: X12PartnerDelimiters;
  /** The partner's SFTP server (a 3PL's or a VAN's mailbox): documents out to `inbox`, in from `outbox`. */
  sftp?: X12Sftp;
}

/** `systems.<name>.x12.sftp` (docs/recipes/sftp-3pl.md). */
export interface X12Sftp {
  host: string;
  port: number;
  username: string;
  privateKey?: string;
  privateKeyFile?: string;
  passphrase?: string;
  /** `SHA256:…`, the host key fingerprint as OpenSSH prints it. */
  hostKey: string;
  /** Where the hub uploads documents for the partner (an `edi:` subscription with `sftp:`). */
  inbox?: string;
  /** Where the partner leaves documents for the hub (looked at every `pollSeconds`). */
  outbox?: string;
  /** Where the hub writes its acknowledgements (997/999, TA1) of what it took from `outbox`. */
  acks?: string;
  afterProcessing: 'delete' | 'move' | 'leave';
  moveTo?: string;
  upload: 'rename' | 'direct';
  pollSeconds: number;
  timeoutMs: number;
}

export interface X12PartnerDelimiters {
  element?: string;
  component?: string;
  segment?: string;
  repetition?: string;
  /** A line feed after each segment terminator (default true). */
  newline?: boolean;
}

export const RECONCILE_MODES = ['report', 'adopt'] as const;
export type ReconcileMode = (typeof RECONCILE_MODES)[number];

export interface CompiledLocation {
  name: string;
  /** Channels this location's stock is offered to. */
  channels: string[];
  /** Where the location is (`locations.<id>.coordinates`), for the `nearest` allocation policy. */
  coordinates?: Coordinates;
}

export interface CompiledChannel {
  name: string;
  safetyStock: number;
}

/** The X12 transaction sets a subscription can send (`edi: {sets}`). */
export const EDI_OUTBOUND_SET_IDS = ['855', '856', '810', '846', '940', '865'] as const;
export type EdiOutboundSetId = (typeof EDI_OUTBOUND_SET_IDS)[number];

export interface HttpConnectorConfig {
  url: string;
  secret?: string;
  headers: Record<string, string>;
  timeoutMs: number;
  batch: boolean;
  /** A call shaped for the target's own API (docs/connectors.md#shaped-calls-out); absent: CloudEvents. */
  shaped?: ShapedCall;
}

/** A JSONata expression compiled once at config load, with where it was written (for messages). */
export interface CompiledExpression {
  /** The key it was read from: `body`, `retryIf`, `url`… */
  key: string;
  text: string;
  expression: Expression;
}

/** A URL whose path and query may hold `{{ expression }}` parts, each URL-encoded when filled in. */
export interface UrlTemplate {
  /** `https://erp.example`: never templated. */
  origin: string;
  /** Literal text and expressions, in order, for the path and query (starting at `/` or `?`). */
  parts: (string | CompiledExpression)[];
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type OutboundAuth =
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; username: string; password: string }
  | {
      kind: 'hmac';
      secret: string;
      header: string;
      algorithm: 'sha256' | 'sha512';
      encoding: 'hex' | 'base64';
      prefix: string;
    }
  | {
      kind: 'oauth2';
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      scope?: string;
      /** How the client authenticates to the token endpoint (RFC 6749 §2.3.1): HTTP Basic or form fields. */
      clientAuth: 'basic' | 'body';
    };

/** `http:` keys that shape the request and read the answer (docs/connectors.md#shaped-calls-out). */
export interface ShapedCall {
  url: UrlTemplate;
  method: HttpMethod;
  body?: CompiledExpression;
  auth?: OutboundAuth;
  failIf?: CompiledExpression;
  okIf?: CompiledExpression;
  retryIf?: CompiledExpression;
  retryAfter?: CompiledExpression;
  lookup?: {
    url: UrlTemplate;
    method: HttpMethod;
    headers: Record<string, string>;
    /** JSONata over the event giving the lookup's JSON body (a GraphQL query, say). */
    body?: CompiledExpression;
    /**
     * JSONata over the lookup's answer body: a value means the call's work is already done (a create
     * whose answer was lost): nothing more is sent, the attempt is delivered, `capture` reads that value.
     */
    found?: CompiledExpression;
  };
  /** JSONata over the event: true sends nothing and counts the event as delivered. */
  skipIf?: CompiledExpression;
  /** JSONata over the answer: true makes the call again at once, lookup first, at most `repeatMax` times. */
  repeatIf?: CompiledExpression;
  repeatMax?: number;
  capture?: CompiledExpression;
  /** `capture: { xref, key, value }`: the answer's value kept in a cross-reference table instead. */
  captureXref?: { table: string; key: CompiledExpression; value: CompiledExpression };
  /** Headers whose value holds `{{ }}` parts (`If-Match: '{{ … }}'`), filled per event, not encoded. */
  headerTemplates?: Record<string, (string | CompiledExpression)[]>;
}

/** Defined beside the retry rules in the domain; re-exported here for the config compiler. */
export type { RetryPolicy };

export interface RateLimitPolicy {
  perSecond: number;
  burst: number;
  concurrency: number;
}

/** `systems.<name>.rateLimit`: what the target allows in all, summed over every subscription to it. */
export interface TargetLimitPolicy {
  /** Requests per second and burst (a token bucket); absent: no rate limit for the target. */
  bucket?: { perSecond: number; burst: number };
  /** Most requests in flight to the target; absent: the sum of its subscriptions' concurrency. */
  concurrency?: number;
}

export interface CompiledSubscription {
  name: string;
  /** The target system (a key of `systems`). */
  target: string;
  /** Type patterns as written; `*` matches any run of characters. */
  types: string[];
  /** Compiled form of `types`. */
  matchesType: (type: string) => boolean;
  /** Optional narrowing beyond `types`, kept as written: a subject pattern and data field values. */
  filter?: { subject?: string; data?: Record<string, unknown> };
  /**
   * The connector kind that delivers the subscription and its compiled section (src/connectors/registry.ts);
   * absent only in a config with errors. `http`, `edi` and `dir` below are the same sections of the `http`
   * and `edi` kinds, kept for their readers (the simulator, messages); other kinds have only this.
   */
  connector?: CompiledConnector;
  http?: HttpConnectorConfig;
  /** Outbound X12 (docs/edi.md): the sets sent to the target, an EDI partner (a system with `x12:`). */
  edi?: { sets: EdiOutboundSetId[] };
  /** A folder drop instead of HTTP (EDI subscriptions only): `<partner>-<ISA13>.x12`, written atomically. */
  dir?: { path: string };
  retry: RetryPolicy;
  rateLimit?: RateLimitPolicy;
  onFailure?: 'hold' | 'skip';
  /**
   * `coalesce` as written (docs/delivery.md §3): `true` coalesces every state-like type the subscription
   * takes, `false` none; unset, the types that coalesce by default (availability).
   */
  coalesce?: boolean;
  /** The overview's health thresholds (docs/console.md#subscription-health), defaults filled in; absent: defaults. */
  health?: HealthThresholds;
}

export type StoreConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; schema?: string };

export interface ServerConfig {
  host: string;
  port: number;
  /** SHA-256 digest of the admin key. */
  adminKeyHash: Buffer;
  /** SHA-256 digest of the key that may read `GET /metrics` (with the admin key). */
  metricsKeyHash?: Buffer;
  /** `GET /metrics` answers without a key (`metricsPublic: true`); by default it needs one. */
  metricsPublic: boolean;
  /** Largest accepted request body, bytes (default 1 MiB). */
  bodyLimit: number;
  /** Most events in one batch request (default 1,000). */
  maxBatchEvents: number;
  /**
   * How long a client may take to send its whole request, headers and body (default 30 s); a slower
   * one gets 408. Answering is not bounded by it (an order waits for its commit after the body is in).
   */
  requestTimeoutMs: number;
}

export const SHORT_PICK_POLICIES = ['recommit', 'backorder'] as const;
export type ShortPickPolicy = (typeof SHORT_PICK_POLICIES)[number];

/** `orders:` — how orders are taken (docs/orders.md). */
export interface OrdersConfig {
  /** Optional synchronous validation and enrichment by a system (the ERP) before stock is committed. */
  validate?: {
    system: string;
    http: HttpConnectorConfig;
    /** What a timeout (or an unreachable validator) does: hold the order (`credit_hold`) or accept it. */
    onTimeout: 'hold' | 'accept';
  };
  /** A short pick's shortfall: committed at another location when one has it, else backordered. */
  shortPick: ShortPickPolicy;
  /** How long Idempotency-Keys of POST requests are kept, hours (default 24). */
  idempotencyHours: number;
  /** Where stock is committed (`orders.allocation`, docs/orders.md#allocation-policies). */
  allocation: AllocationConfig;
}

/** `orders.allocation`: the rule of an order is its customer's, else its channel's, else the default. */
export interface AllocationConfig {
  default: AllocationRule;
  channels: Map<string, AllocationRule>;
  /** By the order's `customer.id`. */
  customers: Map<string, AllocationRule>;
  /** Ship-to → coordinates, for `nearest` (country, optionally region or postal-code prefix). */
  regions: RegionHint[];
}

/** The allocation rule of an order: its customer's, else its channel's, else the default. */
export function allocationRuleFor(
  allocation: AllocationConfig,
  channel: string,
  customerId: unknown,
): AllocationRule {
  return (
    (typeof customerId === 'string' ? allocation.customers.get(customerId) : undefined) ??
    allocation.channels.get(channel) ??
    allocation.default
  );
}

export interface CompiledConfig {
  /** Path of the file this came from, for messages. */
  file: string;
  store: StoreConfig;
  server: ServerConfig;
  systems: Map<string, CompiledSystem>;
  locations: Map<string, CompiledLocation>;
  channels: Map<string, CompiledChannel>;
  /** fact → the systems allowed to assert it. */
  ownership: Map<Fact, string[]>;
  /** system → (platform status code → milestone). */
  statusMaps: Map<string, Map<string, Milestone>>;
  subscriptions: CompiledSubscription[];
  orders: OrdersConfig;
  /** `units:` — eaches per unit of measure, per SKU or `'*'` (docs/orders.md#units-of-measure). */
  units: UnitTable;
  /**
   * The hub's own EDI identity (ISA07/ISA08, GS03), when it trades X12, and the remit-to party its 810s
   * carry (N1*RE).
   */
  edi?: { x12: { id: string; qualifier: string }; remitTo?: RemitTo };
  /** Trace context and span export. */
  tracing: TracingConfig;
  /** Alert rules, evaluated every few seconds. */
  alerts: AlertRule[];
  /** `xref:` — cross-reference tables by name (absent: none configured). */
  xref?: Map<string, XrefTableConfig>;
  /** `retention:` — how long stored data is kept (docs/operations.md#retention-and-backups). */
  retention: RetentionConfig;
  /** What loads but is probably not what was meant; `check-config` prints them, `serve` logs them. */
  warnings?: ConfigIssue[];
}

/** Retention periods in ms; an absent period keeps that kind forever. */
export interface RetentionConfig {
  eventsMs?: number;
  attemptsMs?: number;
  deliveriesMs?: number;
  ledgerMs?: number;
  /** Stored answers of Idempotency-Keys (absent: `orders.idempotencyHours`, 24 h by default). */
  idempotencyKeysMs?: number;
  /** How often the pruning loop runs. */
  intervalMs: number;
  /** Rows per pruning transaction. */
  batch: number;
  /** Where pruned events are archived (relative paths: to the working directory). */
  archive?: { dir: string };
}

/** One cross-reference table (docs/connectors.md#cross-reference-tables). */
export interface XrefTableConfig {
  name: string;
  description?: string;
  /** What `$xref` does with a key the table lacks: park the message, give undefined, or `default`. */
  onMissing: 'park' | 'skip' | 'default';
  /** The value given for a missing key under `onMissing: default`. */
  default?: unknown;
  /** The field of an object value that `?reverse=` looks up. */
  reverse?: string;
}

/** `tracing:` — traceparent is always carried; spans are exported over OTLP/HTTP when `otlp` is set. */
export interface TracingConfig {
  serviceName: string;
  /** Share of new traces (no incoming traceparent) recorded, 0..1. */
  sampleRatio: number;
  otlp?: { url: string; headers: Record<string, string>; timeoutMs: number };
}

/** The locations whose stock a channel is offered, in config order (ATP and allocation follow it). */
export function servingLocations(config: Pick<CompiledConfig, 'locations'>, channel: string): string[] {
  return [...config.locations.values()].filter((l) => l.channels.includes(channel)).map((l) => l.name);
}
