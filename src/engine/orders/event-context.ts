/**
 * What the order processor builds while it computes a batch: the unit of writes one inbound event adds to
 * (movements, hub events, exceptions, timeline annotations), and the free stock it has committed so far.
 */
import type { CloudEvent } from '../../domain/cloud-event.js';
import { HUB_SYSTEM, type Milestone } from '../../domain/event-catalogue.js';
import { availableDelta } from '../../domain/inventory/position.js';
import { effective, type OrderState } from '../../domain/orders/lifecycle.js';
import type { InventoryException, Movement } from '../../store/inventory-port.js';
import type { InboundEventRow } from '../../store/log-port.js';
import type { OrderAnnotation, OrderRecord, OrderUnit } from '../../store/order-port.js';
import type { NewEvent, Store } from '../../store/store-port.js';
import type { Attempt } from '../log-consumer.js';

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

/**
 * How many times a commitment may be refused before it counts as a mismatch. A commitment is decided on
 * positions read before the write; when another writer (a reservation, another order's commitment in
 * another process) took the units in between, the store refuses it, and the right answer is to decide
 * again on a fresh read — the order then commits what is left and backorders the rest. Only a commitment
 * refused again and again on fresh reads says the positions and the guard disagree.
 */
export const STALE_READS = 5;

/**
 * Takes note of a movement the store refused: a commitment is decided again on fresh stock (up to
 * `STALE_READS` times); anything else, or a commitment refused that often, is left out on the next
 * attempt (and reported by `EventContext.move`).
 */
export function noteRefused(movement: Movement, attempt: Attempt): void {
  const key = movementKey(movement);
  const times = (attempt.refusals.get(key) ?? 0) + 1;
  attempt.refusals.set(key, times);
  if (movement.reason === 'order_committed' && times < STALE_READS) return;
  attempt.refused.add(key);
}

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

/**
 * Free stock per SKU × location for one unit: as read at the start of the computation, plus what the
 * unit's queued movements change (its commitments take, its releases give back). The store applies a
 * unit's movements in order in one transaction, so this is what each next movement will find — only
 * another writer between the read and the write can make the store refuse one.
 */
export class StockView {
  private readonly free_ = new Map<string, number>();
  private readonly loaded = new Set<string>();
  constructor(
    private readonly store: Store,
    private readonly unit: { readonly movements: readonly Movement[] },
  ) {}
  async load(sku: string): Promise<void> {
    if (this.loaded.has(sku)) return;
    this.loaded.add(sku);
    for (const p of await this.store.inventory.positions(sku))
      this.free_.set(`${sku}@${p.location}`, p.available);
  }
  free(sku: string, location: string): number {
    let free = this.free_.get(`${sku}@${location}`) ?? 0;
    for (const m of this.unit.movements)
      if (m.sku === sku && m.location === location) free += availableDelta(m.deltas);
    return free;
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
