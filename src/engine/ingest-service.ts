/**
 * Ingest: the one path every inbound event takes (HTTP today; EDI and files later). Validates the
 * envelope and data against the v1 contracts, checks that the caller is the event's source and owns the
 * fact, fills in subject and partition key, picks the matching subscriptions (never the sender itself:
 * echo suppression), and appends event + outbox rows in one durable commit. A batch is all or nothing.
 */
import type { CompiledConfig } from '../config/compiled-config.js';
import { validateEvent } from '../contracts/index.js';
import type { OrderShippedData } from '../contracts/order-schemas.js';
import type { CloudEvent } from '../domain/cloud-event.js';
import { catalogueEntry, HUB_SYSTEM, partitionKeyOf } from '../domain/event-catalogue.js';
import { packageProblems } from '../domain/orders/packages.js';
import { isKnownUnit, toBase, type UnitTable } from '../domain/orders/units.js';
import { decideOwnership, type OwnershipContext } from '../domain/ownership.js';
import { compileFilter } from '../domain/subscription-filter.js';
import { type FieldProblem, ForbiddenError, ValidationError } from '../errors.js';
import type { LeaseFence } from '../store/lease-fence.js';
import type { AppendOutcome, NewEvent, OutboxTarget, Store } from '../store/store-port.js';
import type { Telemetry } from './observability/telemetry.js';
import type { TraceContext } from './observability/trace-context.js';
import { type Tracing, tracingFor } from './observability/tracing.js';

export interface IngestResult {
  id: string;
  source: string;
  status: AppendOutcome['status'];
  seq: number;
}

interface Route {
  target: OutboxTarget;
  /** Whether the subscription has a `filter` to apply per event. */
  filtered: boolean;
}

interface ItemRejection {
  kind: 'validation' | 'source' | 'ownership';
  problems: FieldProblem[];
  owners?: string[];
}

/** Ingests events on behalf of an authenticated system. */
export class IngestService {
  private readonly ownershipContext: OwnershipContext;
  /** Subscriptions per event type and sender (types and echo suppression), computed once per pair. */
  private readonly routes = new Map<string, Route[]>();
  /** Each subscription's compiled `filter`. */
  private readonly filters: Map<string, (event: CloudEvent) => boolean>;

  /**
   * @param onAppended told which subscriptions got new outbox rows, after the commit (wakes delivery)
   */
  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
    private readonly onAppended: (subscriptions: Set<string>) => void = () => undefined,
    /** Told the types of newly accepted events, after the commit (wakes the inventory fact applier). */
    private readonly onAccepted: (types: Set<string>) => void = () => undefined,
    /** Counts what ingest takes, suppresses and refuses. */
    private readonly telemetry?: Telemetry,
    /** Trace context for every stored event, and the ingest and process spans. */
    readonly tracing: Tracing = tracingFor(config),
  ) {
    this.ownershipContext = {
      ownership: config.ownership,
      systems: config.systems,
      statusMaps: config.statusMaps,
    };
    this.filters = new Map(config.subscriptions.map((s) => [s.name, compileFilter(s.filter)]));
  }

  /**
   * Validates and appends `events` sent by `system`; all are rejected if one is bad. Resolves with one
   * result per event once the commit is durable. `batch` makes problem pointers start with the item index.
   * `incoming` is the request's trace context: the parent of events that carry none of their own.
   */
  async ingest(
    system: string,
    events: readonly unknown[],
    batch: boolean,
    incoming?: TraceContext,
    /** Connector state written in the same transaction as the events (a source's cursor). */
    state?: { connector: string; values: Record<string, unknown>; fence?: LeaseFence | undefined },
  ): Promise<IngestResult[]> {
    const prepared: NewEvent[] = [];
    const rejections: { index: number; rejection: ItemRejection }[] = [];
    events.forEach((raw, index) => {
      const outcome = this.prepare(system, raw);
      if ('kind' in outcome) rejections.push({ index, rejection: outcome });
      else prepared.push(outcome);
    });
    if (rejections.length > 0) {
      for (const raw of events) this.telemetry?.ingest(system, typeOf(raw), 'rejected');
      throw rejectionError(rejections, batch);
    }
    const spans = this.tracing.startIngest(system, prepared, incoming);
    let outcomes: AppendOutcome[];
    try {
      outcomes = await this.appendAndWake(prepared, state);
    } catch (error) {
      spans?.fail(error);
      throw error;
    }
    spans?.end(outcomes.map((o) => o.status));
    return outcomes.map((outcome, i) => {
      const { event } = prepared[i] as NewEvent;
      this.telemetry?.ingest(system, event.type, outcome.status);
      return { id: event.id, source: event.source, status: outcome.status, seq: outcome.seq };
    });
  }

  /**
   * Appends events the hub itself emits (availability, positions, milestones) from `/manifold`: checked
   * against their contracts (a failure is a bug, thrown), keyed and routed like inbound events.
   */
  async emit(events: readonly CloudEvent[]): Promise<AppendOutcome[]> {
    return this.appendAndWake(events.map((event) => this.hubEvent(event)));
  }

  /**
   * A hub event checked against its contract (a failure is a bug, thrown), keyed and routed, ready to be
   * appended — by `emit`, or inside a writer's own transaction (the order processor). It carries the
   * trace of `cause` (the inbound event it answers) with a new span id, or starts a trace.
   */
  hubEvent(event: CloudEvent, cause?: TraceContext): NewEvent {
    const problems = validateEvent(event);
    if (problems.length > 0) {
      throw new Error(`hub event ${event.type} breaks its contract: ${JSON.stringify(problems)}`);
    }
    const key = partitionKeyOf(catalogueEntry(event.type)!, event.data) as string;
    const stored: CloudEvent = { ...event, subject: key, partitionkey: key };
    this.tracing.traceHubEvent(stored, cause);
    return { system: HUB_SYSTEM, event: stored, outbox: this.outboxTargets(stored, HUB_SYSTEM) };
  }

  /** Tells delivery (and the loops) about events appended by another writer's transaction. */
  appended(events: readonly NewEvent[]): void {
    const woken = new Set<string>();
    const types = new Set<string>();
    for (const item of events) {
      types.add(item.event.type);
      if (this.telemetry && isBackorder(item.event)) this.telemetry.oversellsPrevented.inc({ via: 'order' });
      for (const target of item.outbox) {
        woken.add(target.subscription);
        this.telemetry?.queued(target.subscription);
      }
    }
    if (woken.size > 0) this.onAppended(woken);
    if (types.size > 0) this.onAccepted(types);
  }

  private async appendAndWake(
    prepared: NewEvent[],
    state?: { connector: string; values: Record<string, unknown>; fence?: LeaseFence | undefined },
  ): Promise<AppendOutcome[]> {
    const outcomes = state
      ? await this.store.connectorState.commit(
          state.connector,
          prepared,
          state.values,
          new Date().toISOString(),
          state.fence,
        )
      : await this.store.append(prepared);
    const woken = new Set<string>();
    const types = new Set<string>();
    outcomes.forEach((outcome, i) => {
      if (outcome.status !== 'accepted') return;
      const item = prepared[i] as NewEvent;
      types.add(item.event.type);
      for (const target of item.outbox) {
        woken.add(target.subscription);
        this.telemetry?.queued(target.subscription);
      }
    });
    if (woken.size > 0) this.onAppended(woken);
    if (types.size > 0) this.onAccepted(types);
    return outcomes;
  }

  private prepare(system: string, raw: unknown): NewEvent | ItemRejection {
    const problems = validateEvent(raw);
    if (problems.length > 0) return { kind: 'validation', problems };
    const event = raw as CloudEvent;
    if (event.source !== `/${system}`) {
      return {
        kind: 'source',
        problems: [
          { pointer: '/source', detail: `must be '/${system}' (the caller's system), got '${event.source}'` },
        ],
      };
    }
    // validateEvent guarantees the type is in the catalogue and data matches its schema.
    const entry = catalogueEntry(event.type)!;
    const decision = decideOwnership(this.ownershipContext, system, entry.ownership, event.data);
    if (!decision.allowed) {
      return {
        kind: 'ownership',
        owners: decision.owners,
        problems: [{ pointer: '/type', detail: decision.reason }],
      };
    }
    const units = [
      ...unitProblems(this.config.units ?? {}, event.type, event.data),
      ...shipmentProblems(event.type, event.data),
    ];
    if (units.length > 0) return { kind: 'validation', problems: units };
    // Delivery order is per key (docs/delivery.md): the key comes from the data, so a sender cannot reorder an
    // order's events by labelling them differently. `subject` and `partitionkey`, when sent, must agree.
    const key = partitionKeyOf(entry, event.data) as string;
    for (const attribute of ['subject', 'partitionkey'] as const) {
      if (event[attribute] !== undefined && event[attribute] !== key) {
        return {
          kind: 'validation',
          problems: [
            { pointer: `/${attribute}`, detail: `must be '${key}', the partition key derived from data` },
          ],
        };
      }
    }
    const stored: CloudEvent = { ...event, subject: key, partitionkey: key };
    return { system, event: stored, outbox: this.outboxTargets(stored, system) };
  }

  private outboxTargets(event: CloudEvent, sender: string): OutboxTarget[] {
    const cacheKey = `${sender} ${event.type}`;
    let routes = this.routes.get(cacheKey);
    if (!routes) {
      routes = this.config.subscriptions
        .filter((s) => s.target !== sender && s.matchesType(event.type))
        .map((s) => ({
          target: { subscription: s.name, target: s.target },
          filtered: s.filter !== undefined,
        }));
      this.routes.set(cacheKey, routes);
    }
    const targets: OutboxTarget[] = [];
    for (const route of routes) {
      if (!route.filtered || this.filters.get(route.target.subscription)?.(event)) targets.push(route.target);
    }
    return targets;
  }
}

/** An order line backordered instead of committed: stock the hub would otherwise have oversold. */
function isBackorder(event: CloudEvent): boolean {
  return (
    event.type === 'com.manifold.order.exception.v1' &&
    (event.data as { code?: unknown } | undefined)?.code === 'backordered'
  );
}

/**
 * Units of measure the unit table cannot convert (docs/orders.md#units-of-measure): an order line's
 * `uom` (and that of a line an order change adds) must be known for its SKU; a changed or execution
 * line's `uom` (its SKU is the order's, not known here) must be known for some SKU — the order processor
 * converts it for the line's SKU.
 */
function unitProblems(table: UnitTable, type: string, data: unknown): FieldProblem[] {
  const lines = (data as { lines?: unknown } | undefined)?.lines;
  if (!Array.isArray(lines)) return [];
  const problems: FieldProblem[] = [];
  lines.forEach((line: { lineId?: string; sku?: string; quantity?: number; uom?: string }, index) => {
    if (line.uom === undefined) return;
    const pointer = `/data/lines/${index}/uom`;
    // An order line, or a line an order change adds (its SKU is in the event): known for that SKU.
    const ordering =
      type === 'com.manifold.order.accepted.v1' ||
      (type === 'com.manifold.order.changed.v1' && line.sku !== undefined && line.quantity !== undefined);
    if (ordering) {
      const converted = toBase(table, String(line.sku), Number(line.quantity), line.uom);
      if (!converted.ok) problems.push({ pointer, detail: `line ${line.lineId}: ${converted.detail}` });
    } else if (!isKnownUnit(table, line.uom)) {
      problems.push({ pointer, detail: `line ${line.lineId}: unit '${line.uom}' is not in the unit table` });
    }
  });
  return problems;
}

/** A shipment's packages: valid SSCC-18s, holding at most what was shipped (docs/orders.md#packages). */
function shipmentProblems(type: string, data: unknown): FieldProblem[] {
  if (type !== 'com.manifold.order.shipped.v1') return [];
  const shipment = data as OrderShippedData;
  if (shipment.packages === undefined) return [];
  return packageProblems(shipment.lines, shipment.packages).map((p) => ({
    pointer: `/data${p.pointer}`,
    detail: p.detail,
  }));
}

/** The type of an event that may not be valid, for the metrics' `type` label. */
function typeOf(raw: unknown): string {
  const type = (raw as { type?: unknown } | null)?.type;
  return typeof type === 'string' && catalogueEntry(type) ? type : 'invalid';
}

function rejectionError(rejections: { index: number; rejection: ItemRejection }[], batch: boolean): Error {
  const errors: FieldProblem[] = rejections.flatMap(({ index, rejection }) =>
    rejection.problems.map((p) => ({
      ...p,
      ...(batch ? { index, pointer: `/${index}${p.pointer}` } : {}),
      code: codeOf(rejection.kind),
    })),
  );
  const where = batch ? ` (${rejections.length} of the batch's items; nothing was applied)` : '';
  const validation = rejections.find((r) => r.rejection.kind === 'validation');
  if (validation) {
    return new ValidationError(`the event does not match its contract${where}: ${summary(errors)}`, errors);
  }
  const ownership = rejections.find((r) => r.rejection.kind === 'ownership');
  if (ownership) {
    return new ForbiddenError('ownership-violation', `${summary(errors)}${where}`, errors, {
      owners: ownership.rejection.owners ?? [],
    });
  }
  return new ForbiddenError('source-mismatch', `${summary(errors)}${where}`, errors);
}

function codeOf(kind: ItemRejection['kind']): string {
  return kind === 'validation'
    ? 'validation-failed'
    : kind === 'source'
      ? 'source-mismatch'
      : 'ownership-violation';
}

function summary(errors: FieldProblem[]): string {
  const shown = errors.slice(0, 3).map((e) => `${e.pointer} ${e.detail}`);
  return errors.length > 3 ? `${shown.join('; ')}; and ${errors.length - 3} more` : shown.join('; ');
}
