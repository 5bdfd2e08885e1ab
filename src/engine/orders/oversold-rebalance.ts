/**
 * Takes back commitments at a location an owner's count left oversold: the newest orders give back
 * committed units not yet picked, which become backordered (and are withdrawn from the WMS when released).
 */
import type { CloudEvent } from '../../domain/cloud-event.js';
import { HUB_SYSTEM } from '../../domain/event-catalogue.js';
import { apply, effective } from '../../domain/orders/lifecycle.js';
import { ConditionNotMet } from '../../store/condition-not-met.js';
import type { InboundEventRow } from '../../store/log-port.js';
import type { OrderUnit } from '../../store/order-port.js';
import type { Store } from '../../store/store-port.js';
import { EventContext, type HubEventFactory, StockView, type Working } from './event-context.js';
import type { OrderEffects } from './order-effects.js';

export class OversoldRebalance {
  constructor(
    private readonly store: Store,
    private readonly effects: OrderEffects,
    private readonly hubEvent: HubEventFactory,
    private readonly now: () => Date,
    /** Told after a unit was written (append its events, wake the availability publisher). */
    private readonly written: (unit: OrderUnit) => void,
  ) {}

  /**
   * Backorders the newest commitments at locations an owner's count left oversold (docs/inventory.md):
   * for each open `oversold` exception whose position still has negative `available`, committed units not yet
   * picked are taken back from the newest orders first until the shortfall is covered; released ones are
   * withdrawn from the WMS. The oversold exception then resolves itself when the publisher sees the
   * position recovered. Returns how many orders it changed.
   */
  async rebalance(): Promise<number> {
    const open = await this.store.delivery.listExceptions({ code: 'oversold', status: 'open', limit: 100 });
    let changed = 0;
    for (const exception of open) {
      const subject = exception.subject ?? '';
      const at = subject.lastIndexOf('@');
      if (at <= 0) continue;
      const sku = subject.slice(0, at);
      const location = subject.slice(at + 1);
      for (let attempt = 0; attempt < 10; attempt += 1) {
        const position = (await this.store.inventory.positions(sku)).find((p) => p.location === location);
        if (!position || position.available >= 0) break;
        let shortfall = -position.available;
        const now = this.now().toISOString();
        const unit: OrderUnit = {
          events: [],
          movements: [],
          orders: [],
          annotations: [],
          exceptions: [],
          at: now,
        };
        const stock = new StockView(this.store, unit);
        for (const record of await this.store.orders.openOrders(1000)) {
          if (shortfall <= 0) break;
          const lines = record.state.lines
            .filter((l) => l.sku === sku)
            .map((l) => {
              const here = l.committedAt?.[location] ?? (l.location === location ? l.committed : 0);
              return {
                lineId: l.lineId,
                quantity: Math.max(0, Math.min(here, l.committed - effective(l, 'picked'))),
              };
            })
            .filter((l) => l.quantity > 0);
          if (lines.length === 0) continue;
          const take: { lineId: string; quantity: number }[] = [];
          for (const l of lines) {
            const q = Math.min(l.quantity, shortfall);
            if (q <= 0) break;
            take.push({ lineId: l.lineId, quantity: q });
            shortfall -= q;
          }
          const row: InboundEventRow = {
            seq: 0,
            system: HUB_SYSTEM,
            type: 'oversold',
            envelope: { id: `oversold-${exception.id}` },
          };
          const ctx = new EventContext(
            this.hubEvent,
            row,
            row.envelope as unknown as CloudEvent,
            unit,
            new Set(),
            now,
            `oversold-${exception.id}-v${record.version}`,
          );
          const w: Working = { record: { ...record }, expectVersion: record.version };
          const t = apply(w.record.state, { kind: 'backorder', location, lines: take });
          this.effects.record(ctx, w, t);
          for (const effect of t.effects) await this.effects.effect(ctx, w, effect, stock);
          if (!w.record.holds.includes('backordered')) w.record.holds.push('backordered');
          const what = take.map((l) => `line ${l.lineId}: ${l.quantity}`).join(', ');
          ctx.exception(
            w.record,
            'backordered',
            `order ${record.orderId}: ${sku}@${location} was found oversold (exception ${exception.id}); backordered ${what}, newest orders first`,
          );
          unit.orders.push({ record: w.record, expectVersion: w.expectVersion });
        }
        if (unit.orders.length === 0) break;
        try {
          await this.store.orders.commit(unit);
          this.written(unit);
          changed += unit.orders.length;
          break;
        } catch (error) {
          if (!(error instanceof ConditionNotMet)) throw error; // an order or the stock moved: again
        }
      }
    }
    return changed;
  }
}
