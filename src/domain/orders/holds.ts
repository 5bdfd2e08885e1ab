/**
 * Holds on an order (docs/orders.md#holds), pure: a payment, fraud, credit or manual hold stops the order
 * from going to a warehouse until every hold is released. Placing the first hold withdraws the units
 * released and not yet picked (the WMS gets a release-cancelled for them); their stock stays committed.
 * Releasing the last hold resumes the order: what is committed and not released goes out again, and units
 * never allocated (an order held by the validation call-out at acceptance) are committed first.
 */
import {
  active,
  effective,
  type LineState,
  type OrderEffect,
  type OrderHold,
  type OrderState,
} from './lifecycle.js';

export type HoldKind = OrderHold['kind'];

/** Whether any hold is active: nothing may be released to a warehouse. */
export const isHeld = (state: OrderState): boolean => (state.holds?.length ?? 0) > 0;

/**
 * Places a hold of a kind (a second hold of the same kind replaces its reason). The first hold withdraws
 * released, unpicked units from the WMS: `cancelRelease` effects, `released` lowered to what is picked.
 */
export function placeHold(
  state: OrderState,
  hold: OrderHold,
): { state: OrderState; placed: boolean; effects: OrderEffect[] } {
  const holds = state.holds ?? [];
  const placed = !holds.some((h) => h.kind === hold.kind);
  const next: OrderState = {
    ...state,
    holds: [...holds.filter((h) => h.kind !== hold.kind), hold],
    lines: state.lines.map((l) => ({ ...l })),
  };
  const effects: OrderEffect[] = [];
  if (holds.length === 0) {
    const withdrawn = new Map<string, { lineId: string; sku: string; quantity: number }[]>();
    for (const l of next.lines) {
      const unpicked = l.released - effective(l, 'picked');
      if (unpicked <= 0 || l.location === undefined) continue;
      l.released -= unpicked;
      withdrawn.set(l.location, [
        ...(withdrawn.get(l.location) ?? []),
        { lineId: l.lineId, sku: l.sku, quantity: unpicked },
      ]);
    }
    for (const [location, lines] of withdrawn) effects.push({ kind: 'cancelRelease', location, lines });
  }
  return { state: next, placed, effects };
}

/** Releases the hold of a kind; `resume` when it was the last one. */
export function releaseHold(
  state: OrderState,
  kind: HoldKind,
): { state: OrderState; released: boolean; resume: boolean } {
  const holds = state.holds ?? [];
  if (!holds.some((h) => h.kind === kind)) return { state, released: false, resume: false };
  const left = holds.filter((h) => h.kind !== kind);
  return { state: { ...state, holds: left }, released: true, resume: left.length === 0 };
}

/** Units of a line neither committed nor backordered (never allocated: held at acceptance). */
export function unallocated(l: LineState): number {
  return Math.max(0, active(l) - Math.max(l.committed, effective(l, 'picked')) - l.backordered);
}

/**
 * What is committed and not released, per location, to send to the WMS when the order resumes. A line
 * split over locations is attributed to its commitments in their order.
 */
export function unreleased(
  state: OrderState,
): { location: string; lines: { lineId: string; sku: string; quantity: number }[] }[] {
  const byLocation = new Map<string, { lineId: string; sku: string; quantity: number }[]>();
  for (const l of state.lines) {
    let open = Math.min(l.committed, active(l)) - Math.max(l.released, effective(l, 'picked'));
    if (open <= 0) continue;
    const at =
      l.committedAt ??
      (l.location === undefined ? {} : { [l.location]: l.committed - effective(l, 'shipped') });
    for (const [location, committed] of Object.entries(at)) {
      const quantity = Math.min(open, committed);
      if (quantity <= 0) continue;
      byLocation.set(location, [
        ...(byLocation.get(location) ?? []),
        { lineId: l.lineId, sku: l.sku, quantity },
      ]);
      open -= quantity;
      if (open === 0) break;
    }
  }
  return [...byLocation].map(([location, lines]) => ({ location, lines }));
}
