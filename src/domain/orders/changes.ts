/**
 * Order changes (docs/orders.md#changing-an-order), pure: the owner's `order.changed` raises or lowers line
 * quantities, adds lines, removes lines, and changes the ship-to. A change is checked as a whole first and
 * applied as a whole, or refused as a whole with a reason per line — never halfway.
 *
 * An update without a quantity changes only the unit price.
 *
 * The binding rule: **picked units cannot be changed away.** A line's new quantity may not be below its
 * picked units (effective: packed or shipped units count as picked), and a line with picked units cannot
 * be removed. Released units not yet picked can: they are withdrawn from the WMS (release-cancelled), as
 * a cancellation does. A new ship-to is refused while picked units have not shipped (their parcel may
 * already carry the old label); released, unpicked units are released again with the new address.
 *
 * A lower quantity or a removed line is a partial cancellation of the line (its `cancelled` grows, the
 * least advanced units first: backordered, committed, released); a higher quantity raises `ordered`, and
 * the caller commits (or backorders) the extra units, like a new line's.
 */
import { active, apply, effective, newLine, type OrderState, type Transition } from './lifecycle.js';

export interface LineChange {
  lineId: string;
  action: 'add' | 'update' | 'remove';
  sku?: string;
  /** The line's new quantity (add: ≥ 1; update: ≥ 0, 0 removes). */
  quantity?: number;
  unitPrice?: number;
}

export interface OrderChange {
  lines?: readonly LineChange[];
  /** Whether the change brings a new ship-to. */
  shipTo?: boolean;
}

/** The answer to one line of a change. */
export interface LineVerdict {
  lineId: string;
  action: LineChange['action'];
  sku?: string;
  quantity?: number;
  accepted: boolean;
  reason?: string;
}

export type ChangeOutcome =
  | { kind: 'refused'; reason: string; lines: LineVerdict[] }
  | {
      kind: 'applied';
      /** The new state (lower quantities applied; higher ones raised in `ordered`, not yet committed). */
      transition: Transition;
      /** Units to commit (or backorder): raised quantities and new lines. */
      commit: { lineId: string; sku: string; quantity: number }[];
      /** Released, unpicked units to send again with the new ship-to (withdrawn first), per location. */
      rerelease: { location: string; lines: { lineId: string; sku: string; quantity: number }[] }[];
      lines: LineVerdict[];
    };

/** Why a line change cannot be applied, or undefined when it can. */
function check(state: OrderState, c: LineChange, seen: Set<string>): string | undefined {
  if (seen.has(c.lineId)) return `line ${c.lineId} is named twice in the change`;
  seen.add(c.lineId);
  const line = state.lines.find((l) => l.lineId === c.lineId);
  const valid = (q: number | undefined, min: number) =>
    q !== undefined && Number.isSafeInteger(q) && q >= min;
  switch (c.action) {
    case 'add':
      if (line) return `line ${c.lineId} already exists; update it instead`;
      if (c.sku === undefined) return `adding line ${c.lineId} needs a sku`;
      if (!valid(c.quantity, 1)) return `adding line ${c.lineId} needs a quantity of at least 1`;
      return undefined;
    case 'update':
    case 'remove': {
      if (!line) return `the order has no line ${c.lineId}`;
      if (c.action === 'update' && c.quantity === undefined && c.unitPrice === undefined)
        return `updating line ${c.lineId} needs its new quantity or unit price`;
      if (c.action === 'update' && c.quantity !== undefined && !valid(c.quantity, 0))
        return `updating line ${c.lineId} needs its new quantity as a whole number ≥ 0`;
      if (c.action === 'update' && c.sku !== undefined && c.sku !== line.sku)
        return `line ${c.lineId} is ${line.sku}; a change cannot replace its sku (remove it and add a line)`;
      const picked = effective(line, 'picked');
      const to = c.action === 'remove' ? 0 : (c.quantity ?? active(line));
      if (to < picked)
        return `line ${c.lineId} (${line.sku}) has ${picked} picked at ${line.location ?? 'the warehouse'}; it cannot go below that (asked ${to})`;
      return undefined;
    }
  }
}

/** Checks a change against the order and, when every part of it can be applied, applies it. */
export function planChange(state: OrderState, change: OrderChange): ChangeOutcome {
  const lines = change.lines ?? [];
  const seen = new Set<string>();
  const verdicts: LineVerdict[] = lines.map((c) => {
    const reason = check(state, c, seen);
    return {
      lineId: c.lineId,
      action: c.action,
      ...(c.sku === undefined
        ? (() => {
            const sku = state.lines.find((l) => l.lineId === c.lineId)?.sku;
            return sku === undefined ? {} : { sku };
          })()
        : { sku: c.sku }),
      ...(c.quantity === undefined ? {} : { quantity: c.quantity }),
      accepted: reason === undefined,
      ...(reason === undefined ? {} : { reason }),
    };
  });
  const refusals: string[] = [];
  if (state.milestone === 'cancelled' || state.milestone === 'returned')
    refusals.push(`order ${state.orderId} is ${state.milestone}; it cannot change`);
  if (change.shipTo) {
    const unshipped = state.lines.filter((l) => effective(l, 'picked') > effective(l, 'shipped'));
    if (unshipped.length > 0)
      refusals.push(
        `a new ship-to while picked units are not shipped (line ${unshipped.map((l) => l.lineId).join(', ')}); their parcels may carry the old address`,
      );
  }
  for (const v of verdicts) if (!v.accepted) refusals.push(v.reason as string);
  if (refusals.length > 0) {
    // Refused as a whole: every line is answered rejected, the ones that were fine with the order's reason.
    const whole = refusals.join('; ');
    return {
      kind: 'refused',
      reason: whole,
      lines: verdicts.map((v) => ({
        ...v,
        accepted: false,
        reason: v.reason ?? `the change was refused: ${whole}`,
      })),
    };
  }

  // Lower quantities and removed lines: a partial cancellation, the least advanced units first.
  const cancel = lines.flatMap((c) => {
    const line = state.lines.find((l) => l.lineId === c.lineId);
    if (!line || c.action === 'add') return [];
    const to = c.action === 'remove' ? 0 : (c.quantity ?? active(line));
    const quantity = active(line) - to;
    return quantity > 0 ? [{ lineId: c.lineId, quantity }] : [];
  });
  const lowered = cancel.length > 0 ? apply(state, { kind: 'cancelled', lines: cancel }) : undefined;
  const next: OrderState = lowered ? lowered.state : { ...state, lines: state.lines.map((l) => ({ ...l })) };

  // Higher quantities and new lines: raised in `ordered`, committed by the caller.
  const commit: { lineId: string; sku: string; quantity: number }[] = [];
  for (const c of lines) {
    if (c.action === 'add') {
      const added = newLine({
        lineId: c.lineId,
        sku: c.sku as string,
        quantity: c.quantity as number,
        ...(c.unitPrice === undefined ? {} : { unitPrice: c.unitPrice }),
      });
      next.lines.push(added);
      commit.push({ lineId: c.lineId, sku: added.sku, quantity: added.ordered });
      continue;
    }
    const line = next.lines.find((l) => l.lineId === c.lineId);
    if (!line) continue;
    if (c.unitPrice !== undefined) line.unitPrice = c.unitPrice;
    if (c.action === 'update' && c.quantity !== undefined && c.quantity > active(line)) {
      const more = c.quantity - active(line);
      line.ordered += more;
      commit.push({ lineId: line.lineId, sku: line.sku, quantity: more });
    }
  }

  // A neutral input recomputes milestone and status over the new lines (never backwards).
  const settled = apply(next, { kind: 'committed', lines: [], backordered: [] });
  const transition: Transition = {
    state: settled.state,
    previous: state.milestone,
    milestone: settled.milestone,
    status: settled.status,
    inferred: lowered?.inferred ?? [],
    late: false,
    effects: lowered?.effects ?? [],
  };

  // A new ship-to: released, unpicked units go to the WMS again with it (withdrawn first).
  const rerelease: { location: string; lines: { lineId: string; sku: string; quantity: number }[] }[] = [];
  if (change.shipTo) {
    const byLocation = new Map<string, { lineId: string; sku: string; quantity: number }[]>();
    for (const l of transition.state.lines) {
      const open = l.released - effective(l, 'picked');
      if (open <= 0 || l.location === undefined) continue;
      byLocation.set(l.location, [
        ...(byLocation.get(l.location) ?? []),
        { lineId: l.lineId, sku: l.sku, quantity: open },
      ]);
    }
    for (const [location, ls] of byLocation) rerelease.push({ location, lines: ls });
  }
  return { kind: 'applied', transition, commit, rerelease, lines: verdicts };
}
