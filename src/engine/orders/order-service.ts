/**
 * Orders through the API (docs/orders.md): `POST /v1/orders` with the Idempotency-Key rules of the IETF
 * draft (missing → 400; same key and body → the stored answer; another body → 422; the first still
 * running → 409, at once again when its process died; keys kept `orders.idempotencyHours`), the reads,
 * and the timeline.
 *
 * A POSTed order takes the same path as an `order.accepted` event: it is ingested as one (source = the
 * caller, id derived from the key, so a retry after a crash is a duplicate, not a second order) and the
 * answer waits for the order processor to have applied it.
 */
import { createHash } from 'node:crypto';
import {
  LINE_COMMERCIAL_KEYS,
  type LineCommercial,
  ORDER_COMMERCIAL_KEYS,
  type OrderCommercial,
  pickFields,
} from '../../contracts/order-commercial-schemas.js';
import type { OrderShippedData } from '../../contracts/order-schemas.js';
import type {
  OrderView,
  Timeline,
  TimelineDelivery,
  TimelineEntry,
  X12DocumentView,
} from '../../contracts/views/order-views.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { ConflictError, ManifoldError, problemOf, ValidationError } from '../../errors.js';
import type { OrderRecord } from '../../store/order-port.js';
import type { Store } from '../../store/store-port.js';
import { type IdempotencyKeys, keyInFlight } from '../idempotency-keys.js';
import type { IngestService } from '../ingest-service.js';
import type { TraceContext } from '../observability/trace-context.js';
import type { OrderProcessor } from './order-processor.js';

/** How long a POST waits for the processor before answering 202. */
const PROCESS_WAIT_MS = 15_000;

export interface OrderAnswer {
  status: number;
  body: unknown;
  replayed: boolean;
}

/**
 * How much of an order's deliveries a reader sees: with `deliveriesTo`, only those to that system (its own
 * exchanges with the hub), never another target's attempts, response excerpts or documents.
 */
export interface OrderReadOptions {
  deliveriesTo?: string;
}

export class OrderService {
  constructor(
    private readonly store: Store,
    private readonly ingest: IngestService,
    private readonly processor: OrderProcessor,
    private readonly keys: IdempotencyKeys,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates an order from `body`; `trace` is the request's trace context (the order's trace parent). */
  async create(
    system: string,
    body: unknown,
    idempotencyKey: string | undefined,
    trace?: TraceContext,
  ): Promise<OrderAnswer> {
    if (idempotencyKey === undefined || idempotencyKey.trim() === '') {
      throw new ValidationError(
        'an Idempotency-Key header is required to create an order',
        [{ pointer: '/', detail: 'send Idempotency-Key: <unique value per order attempt>' }],
        'idempotency-key-missing',
      );
    }
    const scope = `orders:${system}`;
    const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    // A key whose first attempt died with its process is claimed here at once: `run()` then finds the
    // order that attempt made (its event id is the key's), or makes it.
    const claim = await this.keys.claim(scope, idempotencyKey, requestHash, keyInFlight);
    if (claim.kind === 'stored') return { ...claim.answer, replayed: true };
    try {
      const answer = await this.run(system, body, scope, idempotencyKey, trace);
      if (answer.status === 202) await this.keys.abandon(scope, idempotencyKey);
      else await this.keys.finish(scope, idempotencyKey, answer.status, answer.body);
      return answer;
    } catch (error) {
      // A refusal is an answer too (same key, same body → same refusal); a crash of ours is not stored,
      // nor is a body refused by validation (400): the key stays free for the corrected request.
      if (error instanceof ManifoldError && error.status < 500 && error.status !== 400) {
        await this.keys.finish(scope, idempotencyKey, error.status, problemOf(error, '/v1/orders'));
      } else {
        await this.keys.abandon(scope, idempotencyKey);
      }
      throw error;
    }
  }

  private async run(
    system: string,
    body: unknown,
    scope: string,
    key: string,
    trace: TraceContext | undefined,
  ): Promise<OrderAnswer> {
    const data = body as { orderId?: unknown };
    if (typeof data.orderId === 'string') {
      const existing = await this.store.orders.getOrder(data.orderId);
      // Our own earlier attempt (answered 202 while it was processed) is this order: answer it.
      if (existing && existing.document.acceptedEvent.id === eventIdOf(scope, key)) {
        return { status: 201, body: await this.view(existing), replayed: false };
      }
      if (existing) {
        throw new ConflictError(
          'order-exists',
          'Order exists',
          // Who took it is said only to that system: another caller learns no more than that the id is taken.
          `order '${data.orderId}' was already accepted${existing.system === system ? ' (by you, with another Idempotency-Key)' : ''}; send changes as events`,
        );
      }
    }
    const event: CloudEvent = {
      specversion: '1.0',
      id: eventIdOf(scope, key),
      source: `/${system}`,
      type: 'com.manifold.order.accepted.v1',
      time: this.now().toISOString(),
      datacontenttype: 'application/json',
      correlationid: typeof data.orderId === 'string' ? data.orderId : undefined,
      data: body,
    };
    if (event.correlationid === undefined) delete event.correlationid;
    let result: Awaited<ReturnType<IngestService['ingest']>>;
    try {
      result = await this.ingest.ingest(system, [event], false, trace);
    } catch (error) {
      throw asBodyProblem(error);
    }
    const [accepted] = result;
    const orderId = String(data.orderId);
    if (!(await this.processor.waitFor(accepted?.seq ?? 0, PROCESS_WAIT_MS))) {
      return { status: 202, body: { orderId, status: 'processing' }, replayed: false };
    }
    const order = await this.store.orders.getOrder(orderId);
    if (!order) {
      throw new ManifoldError(
        'order-set-aside',
        422,
        'Order could not be processed',
        `order '${orderId}' was logged but could not be processed; it is kept as an order_processing_failed exception for an operator`,
      );
    }
    return { status: 201, body: await this.view(order), replayed: false };
  }

  /** The canonical order: document, per-line quantities, milestone and status, open exceptions. */
  async view(order: OrderRecord, options: OrderReadOptions = {}): Promise<OrderView> {
    const { deliveriesTo } = options;
    const exceptions = (
      await this.store.delivery.listExceptions({ status: 'open', limit: 1000, subject: order.orderId })
    )
      .filter((e) => e.subject === order.orderId)
      // A parked delivery to another system carries that system's answer: not the reader's to see.
      .filter((e) => deliveriesTo === undefined || e.subscription === undefined || e.system === deliveriesTo)
      .map((e) => ({ id: e.id, code: e.code, detail: e.detail, createdAt: e.createdAt }));
    const doc = order.document;
    return {
      orderId: order.orderId,
      channel: order.channel,
      system: order.system,
      milestone: order.milestone,
      status: order.status,
      reached: order.state.reached,
      customer: doc.customer,
      shipTo: doc.shipTo,
      ...(doc.enrichment ? { enrichment: doc.enrichment } : {}),
      ...(pickFields(doc, ORDER_COMMERCIAL_KEYS) as OrderCommercial),
      lines: order.state.lines.map((l) => {
        const ordered = doc.lines.find((d) => d.lineId === l.lineId);
        return {
          ...l,
          unitPrice: ordered?.unitPrice ?? l.unitPrice,
          ...(ordered ? (pickFields(ordered, LINE_COMMERCIAL_KEYS) as LineCommercial) : {}),
          ...(ordered?.uom === undefined
            ? {}
            : {
                uom: ordered.uom,
                quantity: ordered.quantity,
                baseQuantity: ordered.baseQuantity ?? l.ordered,
              }),
        };
      }),
      holds: [...new Set(exceptions.map((e) => e.code))],
      activeHolds: (order.state.holds ?? []).map((h) => ({ ...h })),
      ...(doc.requestedShipDate ? { requestedShipDate: doc.requestedShipDate } : {}),
      ...(doc.requestedDeliveryDate ? { requestedDeliveryDate: doc.requestedDeliveryDate } : {}),
      ...(doc.cancelAfter ? { cancelAfter: doc.cancelAfter } : {}),
      exceptions,
      createdAt: order.createdAt,
      updatedAt: order.updatedAt,
      version: order.version,
    };
  }

  /**
   * Every event in and out of the order in log order — with what the processor made of the inbound ones
   * (milestone before/after, inferred, late) — and every delivery of each to each subscriber (or only to
   * `options.deliveriesTo`).
   */
  async timeline(order: OrderRecord, options: OrderReadOptions = {}): Promise<Timeline> {
    const { orderId } = order;
    const annotations = await this.store.orders.annotations(orderId);
    const entries: TimelineEntry[] = [];
    let afterSeq: number | undefined;
    for (;;) {
      const page = await this.store.listEvents({
        subject: orderId,
        limit: 1000,
        ...(afterSeq === undefined ? {} : { afterSeq }),
      });
      for (const logged of page.items) {
        const e = logged.event;
        const note = annotations.find((a) => a.eventSeq === logged.seq);
        const data = e.data as Record<string, unknown> | undefined;
        const hub = logged.system === 'manifold';
        const deliveries = await this.deliveries(logged.seq, logged.ingestedAt, e, options.deliveriesTo);
        entries.push({
          seq: logged.seq,
          at: logged.ingestedAt,
          direction: hub ? 'out' : 'in',
          system: logged.system,
          type: e.type,
          id: e.id,
          ...(e.correlationid ? { correlationid: e.correlationid } : {}),
          ...(e.causationid ? { causationid: e.causationid } : {}),
          ...(note
            ? {
                milestoneBefore: note.before ?? null,
                milestoneAfter: note.after ?? null,
                status: note.status,
                inferred: note.inferred,
                late: note.late,
                ...(note.note ? { note: note.note } : {}),
              }
            : {}),
          ...(e.type === 'com.manifold.order.milestone.v1' && data
            ? {
                // The data of a milestone event the hub emitted: its schema says what these fields hold.
                milestoneBefore: (data.previous as string | null | undefined) ?? null,
                milestoneAfter: data.milestone as string,
                inferred: (data.inferred as string[] | undefined) ?? [],
                status: data.status as string | undefined,
              }
            : {}),
          ...(data && typeof data.tracking === 'string' ? { tracking: data.tracking } : {}),
          ...(data && typeof data.location === 'string' ? { location: data.location } : {}),
          ...(data && e.type === 'com.manifold.order.shipped.v1' ? shipment(data as OrderShippedData) : {}),
          deliveries,
        });
      }
      if (page.nextAfterSeq === undefined) break;
      afterSeq = page.nextAfterSeq;
    }
    // The native webhook request each inbound event came from (its raw body and headers).
    const inbound = entries
      .filter((e) => e.direction === 'in' && e.seq !== undefined)
      .map((e) => e.seq as number);
    const requests = new Map(
      (await this.store.inboundRequests.forEvents(inbound)).map((r) => [r.seq, r.requestId] as const),
    );
    for (const entry of entries) {
      const request = entry.seq === undefined ? undefined : requests.get(entry.seq);
      if (request !== undefined) entry.request = request;
    }
    // Notes without an event of their own (a carrier's in-transit statuses from EDI), in time order.
    for (const note of annotations.filter((a) => a.eventSeq === 0)) {
      entries.push({ at: note.at, direction: 'in', type: 'note', note: note.note ?? '', deliveries: [] });
    }
    entries.sort((a, b) => String(a.at).localeCompare(String(b.at)));
    return { orderId, milestone: order.milestone, status: order.status, entries };
  }

  private async deliveries(
    eventSeq: number,
    ingestedAt: string,
    event: CloudEvent,
    deliveriesTo: string | undefined,
  ): Promise<TimelineDelivery[]> {
    const rows = (await this.store.listOutbox({ eventSeq, limit: 100 })).filter(
      (row) => deliveriesTo === undefined || row.target === deliveriesTo,
    );
    if (rows.length === 0) return [];
    const attempts = await this.store.delivery.listAttempts({ eventSeq });
    // The X12 document an EDI subscription sent for the event, and the partner's 997/999 verdict on it.
    const documents = new Map<string, X12DocumentView>();
    for (const row of rows) {
      const sent = await this.store.edi.getOutbound(row.subscription, event.source, event.id);
      if (sent) {
        documents.set(row.subscription, {
          set: sent.setId,
          interchange: sent.isa13,
          group: sent.gsControl,
          transactionSet: sent.stControl,
          acknowledgement: sent.ackStatus ?? 'pending',
          ...(sent.ackAt ? { acknowledgedAt: sent.ackAt } : {}),
          ...(sent.ackCodes?.length ? { codes: sent.ackCodes } : {}),
        });
      }
    }
    return rows.map((row) => {
      const mine = attempts.filter((a) => a.outboxId === row.id);
      const delivered = mine.find((a) => a.outcome === 'delivered');
      return {
        subscription: row.subscription,
        target: row.target,
        status: row.status,
        attempts: mine.map((a) => ({
          attempt: a.attempt,
          at: a.startedAt,
          outcome: a.outcome,
          ...(a.status === undefined ? {} : { httpStatus: a.status }),
          ...(a.error === undefined ? {} : { error: a.error }),
          latencyMs: a.latencyMs,
        })),
        ...(delivered
          ? { latencyFromIngestMs: Date.parse(delivered.finishedAt) - Date.parse(ingestedAt) }
          : {}),
        ...(row.supersededBy === undefined ? {} : { supersededBy: row.supersededBy }),
        ...(documents.has(row.subscription) ? { x12: documents.get(row.subscription) } : {}),
      };
    });
  }
}

/** A shipment's carrier, service and packages, as the timeline shows them (the event's contract checked them). */
function shipment(data: OrderShippedData): Partial<TimelineEntry> {
  return {
    ...(data.carrier ? { carrier: data.carrier } : {}),
    ...(data.service ? { service: data.service } : {}),
    ...(data.packages ? { packages: data.packages } : {}),
  };
}

/** The id of the `order.accepted` event a POST with this key becomes: a retry is a duplicate, not a new order. */
export function eventIdOf(scope: string, key: string): string {
  return `order-${createHash('sha256').update(`${scope}\u0000${key}`).digest('hex').slice(0, 32)}`;
}

/** Ingest problems point into the CloudEvent (`/data/lines/0`); for POST /v1/orders they point into the body. */
function asBodyProblem(error: unknown): unknown {
  if (!(error instanceof ManifoldError)) return error;
  const errors = error.errors
    .filter((e) => e.pointer.startsWith('/data') || e.pointer === '/type')
    .map((e) => ({
      ...e,
      pointer: e.pointer.startsWith('/data') ? e.pointer.slice('/data'.length) || '/' : '/channel',
    }));
  return new ManifoldError(
    error.code,
    error.status,
    error.title,
    error.message.replaceAll('/data/', '/'),
    errors.length > 0 ? errors : error.errors,
    error.extensions,
  );
}
