/**
 * What the order processor builds while it computes a batch: the unit of writes one inbound event adds to
 * (movements, hub events, exceptions, timeline annotations), and the free stock it has committed so far.
 */
import type { CloudEvent } from '../../domain/cloud-event.js';
import { HUB_SYSTEM, type Milestone } from '../../domain/event-catalogue.js';
import { effective, type OrderState } from '../../domain/orders/lifecycle.js';
import type { InventoryException, Movement } from '../../store/inventory-port.js';
import type { InboundEventRow } from '../../store/log-port.js';
import type { OrderAnnotation, OrderRecord, OrderUnit } from '../../store/order-port.js';
import type { NewEvent, Store } from '../../store/store-port.js';

/** An order being changed by a batch, with the version it was read at. */
export interface Working {
  record: OrderRecord;
  expectVersion: number;
}

/** Makes the hub event to append for `event`; `cause` is the inbound event whose trace it joins. */
export type HubEventFactory = (event: CloudEvent, cause?: CloudEvent) => NewEvent;

/** Identifies a movement across attempts at a batch (the store refused it: leave it out next time). */
export const movementKey = (m: Movement) =>
  `${m.sku}|${m.location}|${m.reason}|${m.eventId ?? ''}|${JSON.stringify(m.deltas)}`;

/** Per-line progress as `order.milestone.v1` carries it. */
function progress(state: OrderState) {
  return state.lines.map((l) => ({
    lineId: l.lineId,
    sku: l.sku,
    ordered: l.ordered,
    committed: l.committed,
    backordered: l.backordered,
    picked: effective(l, 'picked'),
    packed: effective(l, 'packed'),
    shipped: effective(l, 'shipped'),
    delivered: effective(l, 'delivered'),
    cancelled: l.cancelled,
    returned: l.returned,
    invoiced: l.invoiced,
  }));
}

/** Free stock per SKU × location as read at the start of a computation, minus what it committed. */
export class StockView {
  private readonly free_ = new Map<string, number>();
  private readonly loaded = new Set<string>();
  constructor(private readonly store: Store) {}
  async load(sku: string): Promise<void> {
    if (this.loaded.has(sku)) return;
    this.loaded.add(sku);
    for (const p of await this.store.inventory.positions(sku))
      this.free_.set(`${sku}@${p.location}`, p.available);
  }
  free(sku: string, location: string): number {
    return this.free_.get(`${sku}@${location}`) ?? 0;
  }
  take(sku: string, location: string, quantity: number): void {
    this.free_.set(`${sku}@${location}`, this.free(sku, location) - quantity);
  }
}

/** What one inbound event adds to the batch's unit. */
export class EventContext {
  private emitted = 0;
  readonly trace: { eventId: string; correlationId?: string };

  constructor(
    private readonly hubEvent: HubEventFactory,
    readonly row: InboundEventRow,
    readonly envelope: CloudEvent,
    private readonly unit: OrderUnit,
    private readonly refused: Set<string>,
    readonly at: string,
    /** What emitted event ids are derived from: the inbound event's log position by default. */
    private readonly idBase: string = String(row.seq),
  ) {
    this.trace = {
      eventId: envelope.id,
      ...(typeof envelope.correlationid === 'string' ? { correlationId: envelope.correlationid } : {}),
    };
  }

  /** Queues a movement; false (and an exception) when the store refused it on an earlier attempt. */
  move(movement: Movement): boolean {
    const m = { ...movement, eventId: this.envelope.id };
    if (this.refused.has(movementKey(m))) {
      this.unit.exceptions.push({
        code: 'inventory_mismatch',
        detail: `${m.reason} of ${JSON.stringify(m.deltas)} for ${m.sku}@${m.location} (order ${m.documentRef}) was refused by the stock: the position does not hold those units; inventory left unchanged`,
        system: this.row.system,
        subject: `${m.sku}@${m.location}`,
        eventSeq: this.row.seq,
        eventId: this.envelope.id,
      });
      return false;
    }
    this.unit.movements.push(m);
    return true;
  }

  emit(type: string, data: Record<string, unknown>): void {
    this.emitted += 1;
    const kind = type.split('.')[3];
    this.unit.events.push(
      this.hubEvent(
        {
          specversion: '1.0',
          id: `${kind}:${(data as { orderId: string }).orderId}:${this.idBase}:${this.emitted}`,
          source: `/${HUB_SYSTEM}`,
          type,
          time: this.at,
          datacontenttype: 'application/json',
          causationid: this.envelope.id,
          ...(typeof this.envelope.correlationid === 'string'
            ? { correlationid: this.envelope.correlationid }
            : {}),
          data,
        },
        this.envelope,
      ),
    );
  }

  milestone(
    record: OrderRecord,
    previous: Milestone | null,
    milestone: Milestone,
    status: string,
    inferred: Milestone[],
  ): void {
    this.emit('com.manifold.order.milestone.v1', {
      orderId: record.orderId,
      milestone,
      previous,
      inferred,
      status,
      lines: progress(record.state),
    });
  }

  exception(record: OrderRecord, code: string, detail: string): void {
    this.unit.exceptions.push({
      code,
      detail,
      system: this.row.system,
      subject: record.orderId,
      eventSeq: this.row.seq,
      eventId: this.envelope.id,
      ...(code === 'unknown_status' || code === 'duplicate_order' || code === 'unknown_unit'
        ? { payload: JSON.stringify(this.envelope) }
        : {}),
    } satisfies InventoryException);
    this.emit('com.manifold.order.exception.v1', {
      orderId: record.orderId,
      code,
      detail: detail.slice(0, 4096),
    });
  }

  annotate(
    record: OrderRecord,
    before: string | undefined,
    after: string,
    inferred: string[],
    late: boolean,
    note?: string,
  ): void {
    const annotation: OrderAnnotation = {
      orderId: record.orderId,
      eventSeq: this.row.seq,
      ...(before === undefined ? {} : { before }),
      after,
      status: record.status,
      inferred,
      late,
      ...(note === undefined ? {} : { note }),
      at: this.at,
    };
    this.unit.annotations.push(annotation);
  }
}
