/**
 * (Over 400 lines: one pure state machine whose transitions share the per-line quantity model; split, its
 * invariants, which the property tests check together, would be spread over several files.)
 *
 * The order lifecycle (docs/orders.md), pure: per-line quantities, the order's milestone derived
 * from them, out-of-order arrivals (inferred milestones, late events) and the inventory effects each
 * change calls for. No clock, no I/O: the order processor feeds it inputs and applies what it returns.
 *
 * Quantities are kept as **reported** totals per stage (the sum of the owners' events, each applied once
 * by the log); a later stage implies the earlier ones, so the **effective** quantity of a stage is the
 * largest reported quantity of it or of any later stage (`shipped 4` means 4 were picked and packed too).
 * Milestones and inventory effects follow the effective quantities, which makes the final state
 * independent of the order in which a valid set of events arrives.
 */
import type { Milestone } from '../event-catalogue.js';

/** The physical chain after acceptance; each stage implies the ones before it. */
export const CHAIN = ['committed', 'released', 'picked', 'packed', 'shipped', 'delivered'] as const;
export type Stage = (typeof CHAIN)[number];

/** Stages the owners report (the hub itself does `committed` and `released`). */
export const REPORTED_STAGES = ['picked', 'packed', 'shipped', 'delivered'] as const;
export type ReportedStage = (typeof REPORTED_STAGES)[number];

/** Milestone order: a milestone never moves back to a lower rank (only compensations add their own). */
export const RANK: Record<Milestone, number> = {
  accepted: 0,
  committed: 1,
  released: 2,
  picked: 3,
  packed: 4,
  shipped: 5,
  delivered: 6,
  invoiced: 7,
  returned: 8,
  credited: 9,
  cancelled: 10,
};

export interface LineState {
  lineId: string;
  sku: string;
  ordered: number;
  unitPrice?: number;
  /** Where the line's units are committed (the shipping location); absent while nothing is committed. */
  location?: string;
  committed: number;
  backordered: number;
  released: number;
  picked: number;
  packed: number;
  shipped: number;
  delivered: number;
  cancelled: number;
  returned: number;
  invoiced: number;
  /**
   * Units committed and not yet shipped, per location (a line may be split: a short pick's shortfall
   * committed elsewhere). `location` is the first one; inventory effects follow this map.
   */
  committedAt?: Record<string, number>;
  /** Units shipped and not yet delivered, per location they left from. */
  inTransitAt?: Record<string, number>;
}

/** Takes up to `quantity` out of a per-location map, in its order; returns what was taken where. */
function drain(map: Record<string, number>, quantity: number, first?: string): [string, number][] {
  const taken: [string, number][] = [];
  let left = quantity;
  const order =
    first !== undefined && first in map
      ? [first, ...Object.keys(map).filter((k) => k !== first)]
      : Object.keys(map);
  for (const location of order) {
    if (left <= 0) break;
    const take = Math.min(left, map[location] ?? 0);
    if (take <= 0) continue;
    map[location] = (map[location] ?? 0) - take;
    if (map[location] === 0) delete map[location];
    taken.push([location, take]);
    left -= take;
  }
  return taken;
}

/** The per-location commitments of a line (older states without the map: all at `location`). */
function commitments(l: LineState, shippedBefore: number): Record<string, number> {
  if (l.committedAt === undefined) {
    l.committedAt = {};
    const open = l.committed - shippedBefore;
    if (l.location !== undefined && open > 0) l.committedAt[l.location] = open;
  }
  return l.committedAt;
}

export interface OrderState {
  orderId: string;
  channel: string;
  milestone: Milestone;
  /** Every milestone the order has been at, in order, inferred ones included. */
  reached: Milestone[];
  lines: LineState[];
  /** Active holds (`holds.ts`): while any is set, nothing is released to a warehouse. */
  holds?: OrderHold[];
}

/** A hold on an order (docs/orders.md#holds): one per kind. */
export interface OrderHold {
  kind: 'payment' | 'fraud' | 'credit' | 'manual';
  reason: string;
  /** The system that placed it (`manifold` for the validation call-out). */
  by: string;
  since: string;
}

/** Per-line quantity of an event. */
export interface LineQuantity {
  lineId: string;
  quantity: number;
}

export type OrderInput =
  /** The hub committed stock (per line, at a location) and backordered the rest. */
  | {
      kind: 'committed';
      lines: { lineId: string; location: string; quantity: number }[];
      backordered: LineQuantity[];
    }
  /** The hub released committed lines to a location's WMS. */
  | { kind: 'released'; location: string; lines: LineQuantity[] }
  /** An owner reports work done (incremental quantities). `delivered` without lines: all shipped units. */
  | { kind: ReportedStage; location?: string; lines?: LineQuantity[] }
  | { kind: 'invoiced'; lines: LineQuantity[] }
  /**
   * A cancellation of some lines, or (without lines) of everything not yet shipped. Only units not yet
   * picked are cancelled, the least advanced first (backordered, committed, then released); a request for
   * picked units raises `cancel_after_pick`.
   */
  | { kind: 'cancelled'; lines?: LineQuantity[] }
  | { kind: 'returned'; location: string; lines: LineQuantity[] }
  /**
   * The hub takes back committed, not yet picked units (the location was found oversold): they become
   * backordered, their commitment is released, and released ones are withdrawn from the WMS.
   */
  | { kind: 'backorder'; location?: string; lines: LineQuantity[] };

/** What the processor must do besides storing the new state. */
export type OrderEffect =
  /** Units left the building: `on_hand −, committed −, in_transit +` at the location. */
  | { kind: 'ship'; lineId: string; sku: string; location: string; quantity: number; committed: number }
  /** The carrier delivered: `in_transit −`. */
  | { kind: 'deliver'; lineId: string; sku: string; location: string; quantity: number }
  /** Committed units given back to free stock (cancel before pick). */
  | { kind: 'releaseCommitment'; lineId: string; sku: string; location: string; quantity: number }
  /** Tell the location's WMS these released lines are cancelled. */
  | { kind: 'cancelRelease'; location: string; lines: { lineId: string; sku: string; quantity: number }[] }
  /** A return received: `on_hand +, returned +`. */
  | { kind: 'returnReceived'; lineId: string; sku: string; location: string; quantity: number }
  /** Picked fewer than released: the shortfall must be committed elsewhere or backordered. */
  | { kind: 'shortPick'; lineId: string; sku: string; location: string; shortfall: number }
  /**
   * Something an operator must look at: `cancel_after_pick`, `unknown_line`, `quantity_exceeded`,
   * `invalid_quantity`, `location_unknown` (units shipped or delivered with no location to move them at).
   */
  | { kind: 'exception'; code: string; detail: string };

export interface Transition {
  state: OrderState;
  /** The milestone before and after; equal when it did not move. */
  previous: Milestone;
  milestone: Milestone;
  /** `partially_shipped` etc. when not every active unit reached the milestone. */
  status: string;
  /** Milestones skipped on the way (arrived ahead of their predecessors), oldest first. */
  inferred: Milestone[];
  /** A report recorded but changing no effective quantity (a stale report), kept on the timeline only. */
  late: boolean;
  effects: OrderEffect[];
}

/** A fresh line: nothing committed or done. */
export function newLine(line: {
  lineId: string;
  sku: string;
  quantity: number;
  unitPrice?: number;
}): LineState {
  return {
    lineId: line.lineId,
    sku: line.sku,
    ordered: line.quantity,
    ...(line.unitPrice === undefined ? {} : { unitPrice: line.unitPrice }),
    committed: 0,
    backordered: 0,
    released: 0,
    picked: 0,
    packed: 0,
    shipped: 0,
    delivered: 0,
    cancelled: 0,
    returned: 0,
    invoiced: 0,
  };
}

/** A new order, at `accepted`. */
export function newOrder(
  orderId: string,
  channel: string,
  lines: { lineId: string; sku: string; quantity: number; unitPrice?: number }[],
): OrderState {
  return { orderId, channel, milestone: 'accepted', reached: ['accepted'], lines: lines.map(newLine) };
}

/** Units still to be fulfilled: ordered minus cancelled. */
export const active = (line: LineState): number => line.ordered - line.cancelled;

/** The effective quantity of a stage: its own reports or any later stage's, at most the active units. */
export function effective(line: LineState, stage: Stage): number {
  const from = CHAIN.indexOf(stage);
  let most = 0;
  for (let i = from; i < CHAIN.length; i += 1) most = Math.max(most, line[CHAIN[i] as Stage]);
  return Math.min(most, active(line));
}

/** The milestone and status the lines are at. */
export function derive(lines: readonly LineState[]): { milestone: Milestone; status: string } {
  const activeUnits = lines.reduce((n, l) => n + active(l), 0);
  if (activeUnits === 0 && lines.every((l) => l.shipped === 0))
    return { milestone: 'cancelled', status: 'cancelled' };
  const returned = lines.reduce((n, l) => n + l.returned, 0);
  if (returned > 0) {
    const shipped = lines.reduce((n, l) => n + effective(l, 'shipped'), 0);
    return { milestone: 'returned', status: returned >= shipped ? 'returned' : 'partially_returned' };
  }
  let physical: Stage | undefined;
  let reachedUnits = 0;
  for (const stage of CHAIN) {
    const units = lines.reduce((n, l) => n + effective(l, stage), 0);
    if (units > 0) {
      physical = stage;
      reachedUnits = units;
    }
  }
  const invoiced = lines.reduce((n, l) => n + l.invoiced, 0);
  if (invoiced > 0 && physical !== undefined && RANK[physical] >= RANK.shipped) {
    const shipped = lines.reduce((n, l) => n + effective(l, 'shipped'), 0);
    return {
      milestone: 'invoiced',
      status: invoiced >= Math.max(shipped, activeUnits) ? 'invoiced' : 'partially_invoiced',
    };
  }
  if (physical === undefined) return { milestone: 'accepted', status: 'accepted' };
  return { milestone: physical, status: reachedUnits >= activeUnits ? physical : `partially_${physical}` };
}

function clone(state: OrderState): OrderState {
  return { ...state, reached: [...state.reached], lines: state.lines.map((l) => ({ ...l })) };
}

/** Applies one input; never throws (unknown lines and over-reports become exception effects). */
export function apply(state: OrderState, input: OrderInput): Transition {
  const next = clone(state);
  const effects: OrderEffect[] = [];
  const before = state.lines.map((l) => ({
    shipped: effective(l, 'shipped'),
    delivered: effective(l, 'delivered'),
    picked: effective(l, 'picked'),
  }));
  const line = (lineId: string): LineState | undefined => {
    const found = next.lines.find((l) => l.lineId === lineId);
    if (!found) {
      effects.push({
        kind: 'exception',
        code: 'unknown_line',
        detail: `${input.kind} for order ${state.orderId} names line '${lineId}', which the order does not have`,
      });
    }
    return found;
  };
  /** A quantity must be a whole number ≥ 0; anything else is refused (it would move totals backwards). */
  const valid = (l: LineState, quantity: number): boolean => {
    if (Number.isSafeInteger(quantity) && quantity >= 0) return true;
    effects.push({
      kind: 'exception',
      code: 'invalid_quantity',
      detail: `${input.kind} on line ${l.lineId} of order ${state.orderId} has quantity ${quantity}, not a whole number ≥ 0; ignored`,
    });
    return false;
  };
  /** Adds up to `cap`, raising `quantity_exceeded` for the excess; returns the units actually added. */
  const add = (l: LineState, field: keyof LineState, quantity: number, cap: number): number => {
    if (!valid(l, quantity)) return 0;
    const current = l[field] as number;
    const value = Math.max(current, Math.min(current + quantity, cap));
    if (current + quantity > cap) {
      effects.push({
        kind: 'exception',
        code: 'quantity_exceeded',
        detail: `${input.kind} of ${quantity} on line ${l.lineId} of order ${state.orderId} exceeds the ${cap} units that can be ${field}; capped`,
      });
    }
    if (value !== current) (l as unknown as Record<string, number>)[field] = value;
    return value - current;
  };

  switch (input.kind) {
    case 'committed':
      for (const c of input.lines) {
        const l = line(c.lineId);
        if (!l) continue;
        const map = commitments(l, effective(l, 'shipped'));
        const before = l.committed;
        l.location ??= c.location;
        add(l, 'committed', c.quantity, active(l));
        const added = l.committed - before;
        if (added > 0) map[c.location] = (map[c.location] ?? 0) + added;
      }
      for (const b of input.backordered) {
        const l = line(b.lineId);
        if (l) add(l, 'backordered', b.quantity, active(l));
      }
      // Units committed out of a backorder (a fill when stock arrived) are no longer backordered.
      for (const c of input.lines) {
        const l = next.lines.find((x) => x.lineId === c.lineId);
        if (l) l.backordered = Math.min(l.backordered, Math.max(0, active(l) - l.committed));
      }
      break;
    case 'released':
      for (const r of input.lines) {
        const l = line(r.lineId);
        if (l) add(l, 'released', r.quantity, l.committed);
      }
      break;
    case 'picked':
    case 'packed':
    case 'shipped':
    case 'delivered': {
      const stage = input.kind;
      const quantities =
        input.lines ??
        // A delivery without lines: every shipped unit not yet delivered.
        next.lines.map((l) => ({
          lineId: l.lineId,
          quantity: Math.max(0, effective(l, 'shipped') - l.delivered),
        }));
      for (const q of quantities) {
        const l = line(q.lineId);
        if (!l || !valid(l, q.quantity) || q.quantity === 0) continue;
        if (stage === 'picked') {
          // The WMS reports each released quantity's pick once: fewer than outstanding is a short pick.
          // Units a later stage already accounts for (shipped before this pick report) are not outstanding.
          const outstanding = l.released - effective(l, 'picked');
          if (outstanding > 0 && q.quantity < outstanding && l.location !== undefined) {
            effects.push({
              kind: 'shortPick',
              lineId: l.lineId,
              sku: l.sku,
              location: input.location ?? l.location,
              shortfall: outstanding - q.quantity,
            });
          }
        }
        if (input.location !== undefined && l.location === undefined) l.location = input.location;
        add(l, stage, q.quantity, active(l));
      }
      break;
    }
    case 'invoiced':
      for (const q of input.lines) {
        const l = line(q.lineId);
        if (l) add(l, 'invoiced', q.quantity, active(l));
      }
      break;
    case 'cancelled': {
      const quantities =
        input.lines ??
        next.lines.map((l) => ({ lineId: l.lineId, quantity: active(l) - effective(l, 'shipped') }));
      const cancelRelease = new Map<string, { lineId: string; sku: string; quantity: number }[]>();
      for (const q of quantities) {
        const l = line(q.lineId);
        if (!l || !valid(l, q.quantity) || q.quantity === 0) continue;
        // Unit by unit: only units not yet picked can be cancelled; the rest go to an operator.
        const picked = effective(l, 'picked');
        const unpicked = active(l) - picked;
        const cancel = Math.min(q.quantity, unpicked);
        const afterPick = Math.min(q.quantity - cancel, picked);
        const beyond = q.quantity - cancel - afterPick;
        if (afterPick > 0) {
          effects.push({
            kind: 'exception',
            code: 'cancel_after_pick',
            detail: `cancellation of ${afterPick} on line ${l.lineId} (${l.sku}) of order ${state.orderId} arrived after ${picked} were picked at ${l.location ?? 'the warehouse'}; stop or return the shipment, then resolve`,
          });
        }
        if (beyond > 0) {
          effects.push({
            kind: 'exception',
            code: 'quantity_exceeded',
            detail: `cancellation of ${q.quantity} on line ${l.lineId} of order ${state.orderId} exceeds the ${active(l)} active units; capped`,
          });
        }
        if (cancel === 0) continue;
        // The least advanced units go first: uncommitted (backordered), then committed but not released,
        // then released to the WMS (picked units come out of the released, then the committed ones).
        const uncommitted = Math.max(0, active(l) - Math.max(l.committed, picked));
        const freed = Math.max(0, cancel - uncommitted);
        const unreleased = Math.max(0, l.committed - Math.max(l.released, picked));
        const released = Math.max(0, freed - unreleased);
        l.cancelled += cancel;
        if (freed > 0) {
          for (const [location, quantity] of drain(
            commitments(l, effective(l, 'shipped')),
            freed,
            l.location,
          )) {
            effects.push({ kind: 'releaseCommitment', lineId: l.lineId, sku: l.sku, location, quantity });
          }
          if (released > 0 && l.location !== undefined) {
            const list = cancelRelease.get(l.location) ?? [];
            list.push({ lineId: l.lineId, sku: l.sku, quantity: released });
            cancelRelease.set(l.location, list);
          }
          l.released -= released;
          l.committed -= freed;
        }
        l.backordered = Math.min(l.backordered, Math.max(0, active(l) - l.committed));
      }
      for (const [location, lines] of cancelRelease) effects.push({ kind: 'cancelRelease', location, lines });
      break;
    }
    case 'backorder': {
      const withdrawn = new Map<string, { lineId: string; sku: string; quantity: number }[]>();
      for (const q of input.lines) {
        const l = line(q.lineId);
        if (!l || !valid(l, q.quantity) || q.quantity === 0 || l.location === undefined) continue;
        const picked = effective(l, 'picked');
        const take = Math.min(q.quantity, Math.max(0, l.committed - picked));
        if (take === 0) continue;
        const unreleased = Math.max(0, l.committed - Math.max(l.released, picked));
        const released = Math.max(0, take - unreleased);
        l.committed -= take;
        l.released -= released;
        l.backordered += take;
        for (const [location, quantity] of drain(
          commitments(l, effective(l, 'shipped')),
          take,
          input.location ?? l.location,
        )) {
          effects.push({ kind: 'releaseCommitment', lineId: l.lineId, sku: l.sku, location, quantity });
        }
        if (released > 0) {
          const list = withdrawn.get(l.location) ?? [];
          list.push({ lineId: l.lineId, sku: l.sku, quantity: released });
          withdrawn.set(l.location, list);
        }
      }
      for (const [location, lines] of withdrawn) effects.push({ kind: 'cancelRelease', location, lines });
      break;
    }
    case 'returned':
      for (const q of input.lines) {
        const l = line(q.lineId);
        if (!l) continue;
        // At most the units shipped; the effect moves only what was accepted.
        const accepted = add(l, 'returned', q.quantity, effective(l, 'shipped'));
        if (accepted > 0) {
          effects.push({
            kind: 'returnReceived',
            lineId: l.lineId,
            sku: l.sku,
            location: input.location,
            quantity: accepted,
          });
        }
      }
      break;
  }

  // Inventory follows the effective quantities: what was shipped (reported or inferred) leaves stock once.
  next.lines.forEach((l, i) => {
    const was = before[i] as { shipped: number; delivered: number };
    const shipped = effective(l, 'shipped') - was.shipped;
    const delivered = effective(l, 'delivered') - was.delivered;
    if ((shipped > 0 || delivered > 0) && l.location === undefined) {
      effects.push({
        kind: 'exception',
        code: 'location_unknown',
        detail: `${input.kind} on line ${l.lineId} (${l.sku}) of order ${state.orderId}: ${shipped} shipped and ${delivered} delivered at no known location; inventory not moved`,
      });
    }
    if (shipped > 0 && l.location !== undefined) {
      const from = input.kind === 'shipped' && input.location ? input.location : l.location;
      // The committed part comes out of the commitment at the shipping location (a split line ships from
      // each of its locations); units shipped beyond it were never committed there.
      const map = commitments(l, was.shipped);
      const committed = Math.min(shipped, map[from] ?? 0);
      if (committed > 0) {
        map[from] = (map[from] ?? 0) - committed;
        if (map[from] === 0) delete map[from];
      }
      l.inTransitAt = { ...l.inTransitAt, [from]: (l.inTransitAt?.[from] ?? 0) + shipped };
      effects.push({
        kind: 'ship',
        lineId: l.lineId,
        sku: l.sku,
        location: from,
        quantity: shipped,
        committed,
      });
    }
    if (delivered > 0 && l.location !== undefined) {
      const transit = { ...(l.inTransitAt ?? { [l.location]: delivered }) };
      const taken = drain(transit, delivered);
      l.inTransitAt = transit;
      const covered = taken.reduce((n, [, q]) => n + q, 0);
      for (const [location, quantity] of taken) {
        effects.push({ kind: 'deliver', lineId: l.lineId, sku: l.sku, location, quantity });
      }
      if (covered < delivered) {
        effects.push({
          kind: 'deliver',
          lineId: l.lineId,
          sku: l.sku,
          location: l.location,
          quantity: delivered - covered,
        });
      }
    }
  });

  const effectiveChanged = next.lines.some((l, i) => {
    const was = state.lines[i] as LineState;
    return (
      CHAIN.some((s) => effective(l, s) !== effective(was, s)) ||
      l.invoiced !== was.invoiced ||
      l.cancelled !== was.cancelled ||
      l.returned !== was.returned ||
      l.backordered !== was.backordered
    );
  });
  // Something of the report was recorded (its own total moved), even if a later stage already implied it.
  const recorded = next.lines.some((l, i) => {
    const was = state.lines[i] as LineState;
    return REPORTED_STAGES.some((s) => l[s] !== was[s]) || l.invoiced !== was.invoiced;
  });
  const { milestone: derived, status } = derive(next.lines);
  const previous = state.milestone;
  // Never backwards, except by the compensations (cancel, return): they set the milestone the lines are at.
  const compensation = input.kind === 'cancelled' || input.kind === 'returned';
  const milestone =
    compensation || derived === 'cancelled' || derived === 'returned' || RANK[derived] > RANK[previous]
      ? derived
      : previous;
  // Skipped on the way: stages between the two milestones that some units have (effectively) reached.
  // `cancelled`, `returned` and `invoiced` rank above `delivered` but do not imply it.
  const inferred: Milestone[] = [];
  if (milestone !== previous) {
    const from = RANK[previous];
    const to = RANK[milestone];
    for (const stage of CHAIN) {
      const rank = RANK[stage];
      if (
        rank > from &&
        rank < to &&
        !next.reached.includes(stage) &&
        next.lines.some((l) => effective(l, stage) > 0)
      )
        inferred.push(stage);
    }
    next.reached.push(...inferred, milestone);
  }
  next.milestone = milestone;
  // Late: an owner's report that was recorded but moved nothing (a later stage already implied its units).
  // A report refused outright (unknown line, over-report) is not late: its exception says why.
  const reports = ['picked', 'packed', 'shipped', 'delivered', 'invoiced'].includes(input.kind);
  const late = reports && recorded && !effectiveChanged;
  return {
    state: next,
    previous,
    milestone,
    status: milestone === derived ? status : milestone,
    inferred,
    late,
    effects,
  };
}
