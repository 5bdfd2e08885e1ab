/**
 * What is still open on an order, for the work the hub does on its own (docs/orders.md): backordered
 * units waiting for stock (filled when stock arrives) and, with `cancelAfter`, units not yet picked that
 * are cancelled once the date has passed. Pure.
 */
import { active, effective, type LineState, type OrderState } from './lifecycle.js';

/** Units of a line backordered and not yet committed (never more than the active, uncommitted units). */
export function backorderedOf(line: LineState): number {
  const uncommitted = Math.max(0, active(line) - Math.max(line.committed, effective(line, 'picked')));
  return Math.min(line.backordered, uncommitted);
}

/** The backordered lines of an order, with the units to commit. */
export function backorderedLines(state: OrderState): { lineId: string; sku: string; quantity: number }[] {
  return state.lines
    .map((l) => ({ lineId: l.lineId, sku: l.sku, quantity: backorderedOf(l) }))
    .filter((l) => l.quantity > 0);
}

/** The SKUs an order waits for (sorted, each once). */
export function backorderedSkus(state: OrderState): string[] {
  return [...new Set(backorderedLines(state).map((l) => l.sku))].sort();
}

/** Units of a line that a `cancelAfter` cancels: active and not yet picked. */
export function unpickedOf(line: LineState): number {
  return Math.max(0, active(line) - effective(line, 'picked'));
}

/** The lines with units a passed `cancelAfter` cancels. */
export function unpickedLines(state: OrderState): { lineId: string; sku: string; quantity: number }[] {
  return state.lines
    .map((l) => ({ lineId: l.lineId, sku: l.sku, quantity: unpickedOf(l) }))
    .filter((l) => l.quantity > 0);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The instant (UTC, ISO 8601 with milliseconds) from which a `cancelAfter` has passed: for a date
 * (`YYYY-MM-DD`) the start of the next day in UTC (the whole date is still allowed), for a date-time the
 * instant itself. Undefined when the value is neither.
 */
export function cancelDeadline(cancelAfter: string): string | undefined {
  const date = DATE.exec(cancelAfter);
  if (date) {
    const [, y, m, d] = date;
    const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    if (day.getUTCDate() !== Number(d)) return undefined;
    return new Date(day.getTime() + 86_400_000).toISOString();
  }
  // RFC 3339 allows a lower-case `t` and `z`.
  const upper = cancelAfter.toUpperCase();
  const ms = Date.parse(upper);
  return /^\d{4}-\d{2}-\d{2}T/.test(upper) && Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
