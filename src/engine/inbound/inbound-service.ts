/**
 * The hub's side of the connector port's inbound and source roles (src/connectors/README.md): what a
 * kind's inbound connector and sources are given (`InboundHub`), and the one entry every inbound route
 * and source goes through.
 *
 * `receive(kind, system, request)` finds the kind's inbound role (opened once), gives it a hub bound to the
 * request's trace (a `receive <format>` span, child of the caller's trace context) and answers its protocol
 * reply. The hub applies events through ingest as the sending system (ownership, contracts, idempotency,
 * delivery as for any event), opens exceptions in the queue, writes timeline notes, and keeps inputs
 * received whole with their reply in the Idempotency-Keys (so a resend is answered, never applied twice).
 * `replay(exception)` hands an exception back to the kind that opened it; `sources()` lists every kind's
 * sources, pulled by `SourceLoops`.
 */

import { randomUUID } from 'node:crypto';
import type { CompiledConfig } from '../../config/compiled-config.js';
import type {
  ConnectorContext,
  InboundConnector,
  InboundEvent,
  InboundHub,
  InboundRequest,
  ProtocolReply,
  SharedResource,
  SourceConnector,
  SourceHub,
} from '../../connectors/connector-port.js';
import { connectorKind, connectorKinds } from '../../connectors/registry.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { LeaseFence } from '../../store/lease-fence.js';
import type { Store } from '../../store/store-port.js';
import { connectorContext } from '../connector-context.js';
import type { IdempotencyKeys } from '../idempotency-keys.js';
import type { IngestService } from '../ingest-service.js';
import type { Telemetry } from '../observability/telemetry.js';
import type { TraceContext } from '../observability/trace-context.js';

export interface InboundServiceOptions {
  now?: () => Date;
  /** Counts the documents the connectors report (`manifold_edi_documents_total`). */
  telemetry?: Telemetry;
}

export class InboundService {
  private readonly now: () => Date;
  private readonly context: ConnectorContext;
  private readonly opened = new Map<string, InboundConnector>();
  private readonly shared = new Map<string, SharedResource>();

  constructor(
    config: CompiledConfig,
    private readonly store: Store,
    private readonly ingest: IngestService,
    /** The hub's Idempotency-Keys: an input received whole (an interchange) is kept by its key. */
    private readonly keys: IdempotencyKeys,
    options: InboundServiceOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    const { telemetry } = options;
    this.context = connectorContext(config, store, this.now, this.shared, telemetry);
  }

  /**
   * Runs each connector kind's `prepare` once, with the context its inbound role and sources are given,
   * before anything is received or pulled (the X12 partners' item seeds).
   */
  async prepare(): Promise<void> {
    for (const kind of connectorKinds()) await kind.prepare?.(this.context);
  }

  /** The inbound role of `kind`, opened on first use; undefined when the kind has none. */
  inbound(kind: string): InboundConnector | undefined {
    let connector = this.opened.get(kind);
    if (connector === undefined) {
      connector = connectorKind(kind)?.openInbound?.(this.context);
      if (connector === undefined) return undefined;
      this.opened.set(kind, connector);
    }
    return connector;
  }

  /**
   * Receives `request` for `system` by the inbound role of `kind` and answers its protocol reply. Its
   * events share one trace: a child of `incoming` (the request's), a `receive <format>` span when tracing.
   */
  async receive(
    kind: string,
    system: string,
    request: InboundRequest,
    incoming?: TraceContext,
  ): Promise<ProtocolReply> {
    const connector = this.inbound(kind);
    if (!connector) throw new NotFoundError(`no connector kind '${kind}' receives requests`);
    const work = this.ingest.tracing.startWork(`receive ${connector.format}`, incoming, {
      'manifold.system': request.caller,
      'manifold.partner': system,
    });
    try {
      const reply = await connector.receive(system, request, this.hub(work.trace));
      work.end();
      return reply;
    } catch (error) {
      work.end(error);
      throw error;
    }
  }

  /** Whether an exception of `code` is applied again by a connector (`replay`). */
  replays(code: string): boolean {
    return this.replayer(code) !== undefined;
  }

  /** Hands an exception back to the inbound role that opened it, to apply its input again. */
  async replay(exception: {
    code: string;
    system?: string;
    subject?: string;
    payload?: string;
  }): Promise<void> {
    const connector = this.replayer(exception.code, exception.subject);
    if (!connector?.replay) {
      throw new ConflictError('not-retryable', 'Nothing to retry', `no connector replays ${exception.code}`);
    }
    await connector.replay(exception, this.hub(undefined));
  }

  /** The sources of `kind` in the configuration (opened once per call: call it once). */
  sources(kind: string): SourceConnector[] {
    return connectorKind(kind)?.openSources?.(this.context) ?? [];
  }

  /**
   * What a source is given for one pull: the hub, and its kind's inbound role for what it fetched.
   * `fence`: the lease its puller holds (a poller), checked inside each `commit` (docs/durability.md#fencing).
   */
  sourceHub(kind: string, source: SourceConnector, fence?: LeaseFence): SourceHub {
    return {
      ...this.hub(undefined),
      receive: (request) => this.receive(kind, source.system, request),
      commit: async (events, state) => {
        const results = await this.ingest.ingest(
          source.system,
          this.cloudEvents(source.system, events),
          true,
          undefined,
          { connector: source.name, values: state, fence },
        );
        return results.map((r) => ({ status: r.status }));
      },
    };
  }

  /**
   * The inbound role that replays `code`; when several do (`xref_missing` of a webhook and of an X12 set),
   * the one whose `subjectPrefix` the exception's subject has (`x12:<partner>:…`), else one without a prefix.
   */
  private replayer(code: string, subject?: string): InboundConnector | undefined {
    let unmarked: InboundConnector | undefined;
    let any: InboundConnector | undefined;
    for (const k of connectorKinds()) {
      if (!k.openInbound) continue;
      const connector = this.inbound(k.kind);
      if (!connector?.replays?.includes(code)) continue;
      const prefix = connector.subjectPrefix;
      if (prefix !== undefined && subject?.startsWith(prefix)) return connector;
      if (prefix === undefined) unmarked ??= connector;
      any ??= connector;
    }
    return unmarked ?? any;
  }

  /** `events` as CloudEvents from `system`, stamped with its source and the hub's time. */
  private cloudEvents(system: string, events: InboundEvent[]): CloudEvent[] {
    const time = this.now().toISOString();
    return events.map((e) => ({
      specversion: '1.0',
      id: e.id ?? randomUUID(),
      source: `/${system}`,
      type: e.type,
      time,
      datacontenttype: 'application/json',
      ...(e.subject ? { subject: e.subject } : {}),
      ...(e.correlationid ? { correlationid: e.correlationid } : {}),
      ...e.extensions,
      data: e.data,
    }));
  }

  /** The hub an inbound connector is given for one request (`trace`: the request's). */
  private hub(trace: TraceContext | undefined): InboundHub {
    return {
      apply: async (system, events) => {
        const results = await this.ingest.ingest(system, this.cloudEvents(system, events), false, trace);
        return results.map((r) => ({ status: r.status, id: r.id, seq: r.seq }));
      },
      raise: async (exception) => {
        const created = await this.store.delivery.createException({
          ...exception,
          at: this.now().toISOString(),
        });
        return { id: created.id };
      },
      annotate: async (notes) => {
        const at = this.now().toISOString();
        // Timeline notes without a log event of their own (event position 0): shown in time order.
        await this.store.orders.commit({
          events: [],
          movements: [],
          orders: [],
          annotations: notes.map((n) => ({
            orderId: n.orderId,
            eventSeq: 0,
            inferred: [],
            late: false,
            note: n.note,
            at,
          })),
          exceptions: [],
          at,
        });
      },
      receipts: this.keys,
    };
  }
}
