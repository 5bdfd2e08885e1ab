/**
 * Changes and holds of an order (docs/orders.md#changing-an-order, #holds): the order processor hands
 * `order.changed`, `order.held` and `order.hold-released` here. What may change, and what a hold does, is
 * decided by the pure domain (`domain/orders/changes.ts`, `holds.ts`); this carries it out through the
 * effects executor — stock committed or given back, the WMS told (release-cancelled for withdrawn units,
 * a release for new ones), the change acknowledged (`order.change-acknowledged.v1`, an 865 for an EDI
 * partner) or refused into an `order_change_refused` exception.
 */
import type {
  OrderChangedData,
  OrderHeldData,
  OrderHoldReleasedData,
} from '../../contracts/order-schemas.js';
import { type ChangeOutcome, planChange } from '../../domain/orders/changes.js';
import { CHANGED_TYPE, HELD_TYPE } from '../../domain/orders/event-inputs.js';
import { placeHold, releaseHold, unallocated } from '../../domain/orders/holds.js';
import type { OrderInput, OrderState } from '../../domain/orders/lifecycle.js';
import { BASE_UNIT, toBase, type UnitTable } from '../../domain/orders/units.js';
import type { OrderDocument } from '../../store/order-port.js';
import type { EventContext, StockView, Working } from './event-context.js';
import type { OrderEffects } from './order-effects.js';

/** The input that moves nothing: recomputes milestone and status over the lines as they are. */
const settle = (): OrderInput => ({ kind: 'committed', lines: [], backordered: [] });

type ChangedLine = NonNullable<OrderChangedData['lines']>[number];

/** A changed line said in eaches, with how it was said (`uom`, the quantity and price in it). */
interface ChangeInEaches {
  /** The line for the lifecycle: quantity in eaches, price per each, no unit. */
  line: ChangedLine;
  /** The unit it was said in, when not eaches: the document line takes it. */
  said?: { uom: string; partnerUom?: string; quantity?: number; unitPrice?: number; base?: number };
}

export class OrderChanges {
  constructor(
    private readonly effects: OrderEffects,
    /** The unit table (`units:`), read at each change (the config may be reloaded). */
    private readonly units: () => UnitTable = () => ({}),
  ) {}

  /** Applies one of the change/hold types to the working order. */
  async handle(ctx: EventContext, w: Working, type: string, stock: StockView): Promise<void> {
    const before = w.record.milestone;
    let note: string;
    if (type === CHANGED_TYPE) note = await this.change(ctx, w, ctx.envelope.data as OrderChangedData, stock);
    else if (type === HELD_TYPE) note = this.hold(ctx, w, ctx.envelope.data as OrderHeldData);
    else note = await this.releaseHold(ctx, w, ctx.envelope.data as OrderHoldReleasedData, stock);
    ctx.annotate(w.record, before, w.record.milestone, [], false, note);
  }

  private async change(
    ctx: EventContext,
    w: Working,
    data: OrderChangedData,
    stock: StockView,
  ): Promise<string> {
    const record = w.record;
    // A ship-to equal to the order's is no change (an owner that sends its whole order on every update):
    // nothing is released again, and it is not refused while units are picked.
    const newShipTo = data.shipTo !== undefined && !sameJson(data.shipTo, record.document.shipTo);
    // Lines said in a unit: converted to eaches for the line's SKU, as an accepted line is. A unit the
    // table does not know for it refuses the change as a whole, naming the line and the unit.
    const converted = inEaches(data.lines ?? [], record.document, this.units());
    const outcome: ChangeOutcome = converted.ok
      ? planChange(record.state, {
          ...(data.lines ? { lines: converted.lines.map((c) => c.line) } : {}),
          shipTo: newShipTo,
        })
      : {
          kind: 'refused' as const,
          reason: converted.reason,
          lines: (data.lines ?? []).map((l) => ({
            lineId: l.lineId,
            action: l.action,
            accepted: false,
            ...(l.sku === undefined ? {} : { sku: l.sku }),
            reason: converted.reason,
          })),
        };
    const acknowledge = (status: 'applied' | 'refused', reason?: string) =>
      ctx.emit('com.manifold.order.change-acknowledged.v1', {
        orderId: record.orderId,
        ...(data.changeId === undefined ? {} : { changeId: data.changeId }),
        status,
        ...(reason === undefined ? {} : { reason: reason.slice(0, 4096) }),
        lines: outcome.lines.map((l) => ({
          lineId: l.lineId,
          action: l.action,
          status: l.accepted ? 'accepted' : 'rejected',
          ...(l.sku === undefined ? {} : { sku: l.sku }),
          ...(l.quantity === undefined ? {} : { quantity: l.quantity }),
          ...(l.reason === undefined ? {} : { reason: l.reason.slice(0, 512) }),
        })),
      });
    if (outcome.kind === 'refused') {
      ctx.exception(
        record,
        'order_change_refused',
        `change ${data.changeId ?? ctx.envelope.id} of order ${record.orderId} from ${ctx.row.system} refused as a whole, nothing applied: ${outcome.reason}`,
      );
      acknowledge('refused', outcome.reason);
      return `change refused: ${outcome.reason}`;
    }
    // The document follows: new lines, new quantities and prices, ship-to and dates.
    const doc = record.document;
    for (const { line: c, said } of converted.ok ? converted.lines : []) {
      const line = doc.lines.find((l) => l.lineId === c.lineId);
      const quantity = c.action === 'remove' ? 0 : c.quantity;
      if (!line) {
        doc.lines.push({
          lineId: c.lineId,
          sku: c.sku as string,
          quantity: said?.quantity ?? (quantity as number),
          ...(said === undefined
            ? {}
            : {
                uom: said.uom,
                ...(said.partnerUom === undefined ? {} : { partnerUom: said.partnerUom }),
                baseQuantity: quantity as number,
              }),
          ...(c.unitPrice === undefined ? {} : { unitPrice: said?.unitPrice ?? c.unitPrice }),
        });
        continue;
      }
      if (said !== undefined && quantity !== undefined && c.action !== 'remove') {
        // The line is said in the change's unit from now on (the quantity and price as the change gave them).
        restateDocumentLine(line, said, quantity, c.unitPrice);
        continue;
      }
      changeDocumentLine(line, quantity, c.unitPrice);
    }
    if (data.shipTo && newShipTo) doc.shipTo = { ...data.shipTo };
    for (const key of ['requestedShipDate', 'requestedDeliveryDate', 'cancelAfter'] as const) {
      if (data[key] !== undefined) doc[key] = data[key];
    }
    // Lower quantities: commitments given back, released units withdrawn (the transition's effects).
    const t = outcome.transition;
    this.effects.record(ctx, w, t);
    for (const effect of t.effects) await this.effects.effect(ctx, w, effect, stock);
    // A new ship-to: the WMS gets the released, unpicked units withdrawn and released again with it.
    for (const { location, lines } of outcome.rerelease) {
      ctx.emit('com.manifold.order.release-cancelled.v1', {
        orderId: record.orderId,
        location,
        lines,
        reason: 'ship-to changed; released again with the new address',
      });
      withdraw(w.record.state, lines);
      if (w.record.state.holds?.length) continue;
      this.effects.release(
        ctx,
        w,
        location,
        lines.map((l) => ({ lineId: l.lineId, quantity: l.quantity })),
      );
    }
    // Higher quantities and new lines: committed where the allocation policy puts them, or backordered,
    // and released unless the order is held.
    if (outcome.commit.length > 0) await this.effects.commitStock(ctx, w, stock, outcome.commit);
    acknowledge('applied');
    return `change ${data.changeId ?? ctx.envelope.id} applied`;
  }

  private hold(ctx: EventContext, w: Working, data: OrderHeldData): string {
    const record = w.record;
    const { state, placed, effects } = placeHold(record.state, {
      kind: data.hold,
      reason: data.reason,
      by: ctx.row.system,
      since: ctx.at,
    });
    record.state = state;
    for (const effect of effects) {
      if (effect.kind !== 'cancelRelease') continue;
      ctx.emit('com.manifold.order.release-cancelled.v1', {
        orderId: record.orderId,
        location: effect.location,
        lines: effect.lines,
        reason: `held (${data.hold}): ${data.reason}`.slice(0, 256),
      });
    }
    this.effects.transitionSync(ctx, w, settle());
    return placed ? `${data.hold} hold placed` : `${data.hold} hold already active; reason updated`;
  }

  private async releaseHold(
    ctx: EventContext,
    w: Working,
    data: OrderHoldReleasedData,
    stock: StockView,
  ): Promise<string> {
    const record = w.record;
    const { state, released, resume } = releaseHold(record.state, data.hold);
    if (!released) return `no ${data.hold} hold on the order; nothing released`;
    record.state = state;
    this.effects.transitionSync(ctx, w, settle());
    if (!resume)
      return `${data.hold} hold released; ${state.holds?.map((h) => h.kind).join(', ')} still held`;
    if (record.milestone === 'cancelled') return `${data.hold} hold released; the order is cancelled`;
    // Resumed: what is committed goes to the WMS, and what was never allocated (held at acceptance) is
    // committed now (and released with it).
    this.effects.releaseOpen(ctx, w);
    const open = record.state.lines
      .map((l) => ({ lineId: l.lineId, sku: l.sku, quantity: unallocated(l) }))
      .filter((l) => l.quantity > 0);
    if (open.length > 0) await this.effects.commitStock(ctx, w, stock, open);
    return `${data.hold} hold released; the order resumed`;
  }
}

/**
 * The changed lines in eaches: a line with a `uom` other than EA has its quantity times the unit's eaches
 * for the line's SKU (the added line's own, else the order line's) and its price divided by them; a unit
 * the table does not know for that SKU is a refusal naming the line and the unit. A line the order does
 * not have and that names no SKU is left as is (the change plan refuses it).
 */
function inEaches(
  lines: readonly ChangedLine[],
  doc: OrderDocument,
  table: UnitTable,
): { ok: true; lines: ChangeInEaches[] } | { ok: false; reason: string } {
  const out: ChangeInEaches[] = [];
  for (const c of lines) {
    const { uom, partnerUom, ...rest } = c;
    const sku = c.sku ?? doc.lines.find((l) => l.lineId === c.lineId)?.sku;
    if (uom === undefined || uom === BASE_UNIT || c.action === 'remove' || sku === undefined) {
      out.push({ line: rest });
      continue;
    }
    const base = toBase(table, sku, c.quantity ?? 1, uom);
    if (!base.ok) {
      const code = partnerUom !== undefined && partnerUom !== uom ? `'${partnerUom}' (${uom})` : `'${uom}'`;
      return { ok: false, reason: `line ${c.lineId}: unit ${code} is not known: ${base.detail}` };
    }
    out.push({
      line: {
        ...rest,
        ...(c.quantity === undefined ? {} : { quantity: base.base }),
        ...(c.unitPrice === undefined ? {} : { unitPrice: c.unitPrice / base.factor }),
      },
      said: {
        uom,
        ...(partnerUom === undefined ? {} : { partnerUom }),
        ...(c.quantity === undefined ? {} : { quantity: c.quantity, base: base.base }),
        ...(c.unitPrice === undefined ? {} : { unitPrice: c.unitPrice }),
      },
    });
  }
  return { ok: true, lines: out };
}

/**
 * A document line restated in the unit a change said it in: `quantity` of `uom` (`baseQuantity` the
 * eaches), the price per that unit (the change's, else the line's converted), the partner's code kept.
 */
function restateDocumentLine(
  line: OrderDocument['lines'][number],
  said: NonNullable<ChangeInEaches['said']>,
  eaches: number,
  pricePerEach: number | undefined,
): void {
  const factor = said.quantity !== undefined && said.quantity > 0 ? eaches / said.quantity : undefined;
  if (said.quantity === undefined || factor === undefined || !Number.isSafeInteger(factor)) {
    // A quantity of 0 (the line emptied) or a price only: the unit of the line is unchanged.
    changeDocumentLine(line, eaches, pricePerEach);
    return;
  }
  const oldFactor =
    line.uom !== undefined && line.uom !== BASE_UNIT && line.baseQuantity !== undefined && line.quantity > 0
      ? line.baseQuantity / line.quantity
      : 1;
  if (said.unitPrice !== undefined) line.unitPrice = said.unitPrice;
  else if (line.unitPrice !== undefined) line.unitPrice = (line.unitPrice / oldFactor) * factor;
  line.uom = said.uom;
  if (said.partnerUom === undefined) delete line.partnerUom;
  else line.partnerUom = said.partnerUom;
  line.quantity = said.quantity;
  line.baseQuantity = eaches;
}

/** Lowers `released` by units withdrawn from a WMS (they stay committed). */
function withdraw(state: OrderState, lines: readonly { lineId: string; quantity: number }[]): void {
  for (const w of lines) {
    const line = state.lines.find((l) => l.lineId === w.lineId);
    if (line) line.released -= w.quantity;
  }
}

/**
 * A changed line of the order document. A change speaks in eaches (quantity and unit price), as the
 * lifecycle counts (docs/orders.md#changing-an-order); a line ordered in another unit keeps that unit when
 * the new eaches are whole units of it, else it is written in eaches from then on. `baseQuantity` always
 * follows, so the answers in the ordered unit (855, 856, 810) read the unit the line has now.
 */
function changeDocumentLine(
  line: OrderDocument['lines'][number],
  quantity: number | undefined,
  unitPrice: number | undefined,
): void {
  const factor =
    line.uom !== undefined && line.uom !== BASE_UNIT && line.baseQuantity !== undefined && line.quantity > 0
      ? line.baseQuantity / line.quantity
      : 1;
  if (quantity !== undefined && factor > 1 && quantity % factor !== 0) {
    // Not whole units of the ordered unit: the line is in eaches now, its price per each.
    if (unitPrice === undefined && line.unitPrice !== undefined) line.unitPrice = line.unitPrice / factor;
    line.uom = BASE_UNIT;
    delete line.partnerUom;
    line.quantity = quantity;
    line.baseQuantity = quantity;
    if (unitPrice !== undefined) line.unitPrice = unitPrice;
    return;
  }
  if (quantity !== undefined) {
    line.quantity = quantity / factor;
    if (line.baseQuantity !== undefined) line.baseQuantity = quantity;
  }
  if (unitPrice !== undefined) line.unitPrice = unitPrice * factor;
}

/** Equal as JSON values, whatever the order of object keys. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
