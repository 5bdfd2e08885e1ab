/**
 * A new order: the optional validation call-out (`orders.validate`) and what its answer does — enrich the
 * order, put it on credit hold — then the first milestone and the commitment of its stock.
 */
import type { CompiledConfig } from '../../config/compiled-config.js';
import type { ValidationOutcome } from '../../connectors/http/order-validator.js';
import { validateEvent } from '../../contracts/index.js';
import {
  LINE_COMMERCIAL_KEYS,
  type LineCommercial,
  ORDER_COMMERCIAL_KEYS,
  type OrderCommercial,
  pickFields,
} from '../../contracts/order-commercial-schemas.js';
import type { OrderAcceptedData } from '../../contracts/order-schemas.js';
import { HUB_SYSTEM } from '../../domain/event-catalogue.js';
import { ACCEPTED_TYPE } from '../../domain/orders/event-inputs.js';
import { newOrder } from '../../domain/orders/lifecycle.js';
import { BASE_UNIT, toBase, type UnitTable } from '../../domain/orders/units.js';
import type { InboundEventRow } from '../../store/log-port.js';
import type { OrderDocument, OrderRecord } from '../../store/order-port.js';
import type { Store } from '../../store/store-port.js';
import type { EventContext, StockView, Working } from './event-context.js';
import type { OrderEffects } from './order-effects.js';

/** Asks an outside system whether (and with what extra fields) to take an order. */
export type Validator = (order: OrderDocument) => Promise<ValidationOutcome>;

export class OrderAcceptance {
  /** Validation answers per accepted event, kept across recomputations of a batch. */
  private readonly validations = new Map<number, ValidationOutcome>();

  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
    private readonly effects: OrderEffects,
    private readonly validator: Validator | undefined,
  ) {}

  /** Drops the validation answer kept for an event once its batch is written. */
  forget(seq: number): void {
    this.validations.delete(seq);
  }

  /** Calls the validator for new orders of the batch, concurrently. */
  async validateNew(events: readonly InboundEventRow[]): Promise<void> {
    const validator = this.validator;
    if (!validator) return;
    const pending = events.filter((e) => e.type === ACCEPTED_TYPE && !this.validations.has(e.seq));
    await Promise.all(
      pending.map(async (e) => {
        const data = e.envelope.data as OrderAcceptedData;
        if (await this.store.orders.getOrder(data.orderId)) return;
        this.validations.set(e.seq, await validator(documentOf(e, data, this.config.units ?? {})));
      }),
    );
  }

  /** A new order: validation outcome, commitment, release. */
  async accept(
    ctx: EventContext,
    row: InboundEventRow,
    data: OrderAcceptedData,
    stock: StockView,
  ): Promise<Working> {
    const document = documentOf(row, data, this.config.units ?? {});
    const validation = this.validations.get(row.seq);
    let hold: string | undefined;
    if (validation?.decision === 'accept') {
      const before = document.customer;
      mergeEnrichment(document, validation.fields);
      // Enriched customer fields travel in hub events (releases); fields their contract refuses (an
      // email that is not one) stay in `enrichment` instead of stalling the order.
      const probe = validateEvent({
        specversion: '1.0',
        id: 'probe',
        source: `/${HUB_SYSTEM}`,
        type: 'com.manifold.order.released.v1',
        data: {
          orderId: data.orderId,
          location: 'probe',
          customer: document.customer,
          lines: [{ lineId: '1', sku: 'probe', quantity: 1 }],
          shipTo: document.shipTo,
        },
      });
      if (probe.length > 0) {
        document.enrichment = { ...document.enrichment, customer: validation.fields.customer };
        document.customer = before;
      }
    } else if (validation?.decision === 'refuse')
      hold = `refused by ${this.config.orders.validate?.system}: ${validation.reason}`;
    else if (validation?.decision === 'unavailable') {
      if (this.config.orders.validate?.onTimeout === 'hold')
        hold = `validation unavailable (${validation.reason}); held by policy onTimeout: hold`;
    }
    // The lifecycle counts eaches: each line enters it with its base quantity.
    const state = newOrder(
      data.orderId,
      data.channel,
      document.lines.map((l) => ({ ...l, quantity: l.baseQuantity ?? l.quantity })),
    );
    const record: OrderRecord = {
      orderId: data.orderId,
      channel: data.channel,
      system: row.system,
      milestone: 'accepted',
      status: 'accepted',
      holds: [],
      state,
      document,
      version: 0,
      createdAt: ctx.at,
      updatedAt: ctx.at,
    };
    const w: Working = { record, expectVersion: 0 };
    ctx.milestone(record, null, 'accepted', 'accepted', []);
    ctx.annotate(
      record,
      undefined,
      'accepted',
      [],
      false,
      validation?.decision === 'accept' && Object.keys(validation.fields).length > 0
        ? 'validated and enriched'
        : undefined,
    );
    if (hold !== undefined) {
      // A credit hold, released by `order.hold-released.v1` (hold credit) from its owner: the order is
      // then committed and released as it would have been now (docs/orders.md#holds).
      record.state.holds = [{ kind: 'credit', reason: hold.slice(0, 256), by: HUB_SYSTEM, since: ctx.at }];
      record.holds.push('credit_hold');
      ctx.exception(
        record,
        'credit_hold',
        `order ${data.orderId} on credit hold: ${hold}; no stock committed until the credit hold is released (order.hold-released.v1, hold credit)`,
      );
      return w;
    }
    await this.effects.commitStock(
      ctx,
      w,
      stock,
      document.lines.map((l) => ({ lineId: l.lineId, sku: l.sku, quantity: l.baseQuantity ?? l.quantity })),
    );
    return w;
  }
}

/**
 * The canonical order document of an acceptance: each line keeps the quantity and unit ordered and gets
 * its `baseQuantity` in eaches from the unit table (docs/orders.md#units-of-measure). Ingest refused
 * unknown units; one unknown here (the table changed since) throws, and the event is set aside as an
 * `order_processing_failed` exception to retry once the table knows the unit.
 */
export function documentOf(
  row: InboundEventRow,
  data: OrderAcceptedData,
  units: UnitTable = {},
): OrderDocument {
  return {
    orderId: data.orderId,
    channel: data.channel,
    customer: { ...(data.customer as Record<string, unknown>) },
    shipTo: { ...(data.shipTo as Record<string, unknown>) },
    lines: data.lines.map((l) => {
      const uom = l.uom ?? BASE_UNIT;
      const converted = toBase(units, l.sku, l.quantity, uom);
      if (!converted.ok) throw new Error(`order ${data.orderId} line ${l.lineId}: ${converted.detail}`);
      return {
        lineId: l.lineId,
        sku: l.sku,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        uom,
        ...(l.partnerUom !== undefined ? { partnerUom: l.partnerUom } : {}),
        baseQuantity: converted.base,
        ...(pickFields(l, LINE_COMMERCIAL_KEYS) as LineCommercial),
      };
    }),
    ...(pickFields(data, ORDER_COMMERCIAL_KEYS) as OrderCommercial),
    acceptedEvent: { source: String(row.envelope.source), id: String(row.envelope.id) },
    ...(typeof data.cancelAfter === 'string' ? { cancelAfter: data.cancelAfter } : {}),
  };
}

/** Merges a validator's fields: customer fields, unit prices per line, the rest as enrichment. */
export function mergeEnrichment(document: OrderDocument, fields: Record<string, unknown>): void {
  const { customer, lines, ...rest } = fields;
  if (typeof customer === 'object' && customer !== null)
    document.customer = { ...document.customer, ...customer };
  if (Array.isArray(lines)) {
    for (const l of lines as { lineId?: string; unitPrice?: number }[]) {
      const line = document.lines.find((x) => x.lineId === l.lineId);
      if (line && typeof l.unitPrice === 'number') line.unitPrice = l.unitPrice;
    }
  }
  if (Object.keys(rest).length > 0) document.enrichment = { ...document.enrichment, ...rest };
}
