/**
 * Which logged events the order processor consumes, and how an owner's event becomes a lifecycle input
 * (`lifecycle.ts`). Pure: the caller looks the order up and passes its state, and the system's status map.
 *
 * The consumed types come from the event catalogue (every order type an outside system may assert), and
 * every one of them must have a mapping here: a type added to the catalogue without one fails the tests
 * (`event-inputs.test.ts`) and, should it reach the processor anyway, is set aside as an exception rather
 * than ignored.
 */
import { CATALOGUE, type Milestone } from '../event-catalogue.js';
import { effective, type LineQuantity, type OrderInput, type OrderState } from './lifecycle.js';
import { toBase, type UnitTable } from './units.js';

/** The order types an outside system may assert, in catalogue order: what the order processor consumes. */
export const ORDER_TYPES: readonly string[] = CATALOGUE.filter(
  (entry) => entry.subjectFrom === 'orderId' && entry.ownership.kind !== 'hub',
).map((entry) => entry.type);

/** The acceptance, which creates an order rather than moving one (`newOrder`). */
export const ACCEPTED_TYPE = 'com.manifold.order.accepted.v1';

/** What an owner's event means for its order. */
export type InputOutcome =
  | { kind: 'input'; input: OrderInput }
  /** A status code the reporting system's statusMaps does not know. */
  | { kind: 'unknown-status'; code: string }
  /** A status code mapped to a milestone a status report does not move (`accepted`, `returned` …). */
  | { kind: 'not-moving'; code: string; milestone: Milestone }
  /** A line quantity in a unit the unit table does not know for the line's SKU. */
  | { kind: 'unknown-unit'; detail: string };

/** The event's data as the mappings read it (the contract validated it at ingest). */
type EventData = Record<string, unknown>;

type Mapping = (
  data: EventData,
  state: OrderState,
  status: (code: string) => Milestone | undefined,
) => InputOutcome;

const input = (i: OrderInput): InputOutcome => ({ kind: 'input', input: i });
const linesOf = (data: EventData) => data.lines as LineQuantity[] | undefined;
const locationOf = (data: EventData) => (typeof data.location === 'string' ? data.location : undefined);

const stage =
  (kind: 'picked' | 'packed' | 'shipped' | 'delivered'): Mapping =>
  (data) => {
    const location = locationOf(data);
    const lines = linesOf(data);
    return input({ kind, ...(location ? { location } : {}), ...(lines ? { lines } : {}) });
  };

/**
 * A status carries no quantities: it speaks for every unit still open at that stage — for a delivery,
 * every unit shipped and not yet delivered (a carrier cannot deliver what never left).
 */
function openAt(
  state: OrderState,
  at: 'picked' | 'packed' | 'shipped' | 'delivered' | 'invoiced',
): LineQuantity[] {
  return state.lines
    .map((l) => {
      const open = l.ordered - l.cancelled;
      const quantity =
        at === 'invoiced'
          ? open - l.invoiced
          : at === 'delivered'
            ? effective(l, 'shipped') - effective(l, 'delivered')
            : open - effective(l, at);
      return { lineId: l.lineId, quantity: Math.max(0, quantity) };
    })
    .filter((q) => q.quantity > 0);
}

const statusReported: Mapping = (data, state, status) => {
  const code = String(data.status);
  const milestone = status(code);
  if (milestone === undefined) return { kind: 'unknown-status', code };
  switch (milestone) {
    case 'picked':
    case 'packed':
    case 'shipped':
    case 'delivered':
      return input({ kind: milestone, lines: openAt(state, milestone) });
    case 'invoiced':
      return input({ kind: 'invoiced', lines: openAt(state, 'invoiced') });
    case 'cancelled':
      return input({ kind: 'cancelled' });
    default:
      return { kind: 'not-moving', code, milestone };
  }
};

/** The mapping of every consumed type but the acceptance. */
const MAPPINGS: Readonly<Record<string, Mapping>> = {
  'com.manifold.order.picked.v1': stage('picked'),
  'com.manifold.order.packed.v1': stage('packed'),
  'com.manifold.order.shipped.v1': stage('shipped'),
  'com.manifold.order.delivered.v1': stage('delivered'),
  'com.manifold.order.invoiced.v1': (data) => input({ kind: 'invoiced', lines: linesOf(data) ?? [] }),
  'com.manifold.order.cancelled.v1': (data) => {
    const lines = linesOf(data);
    return input({ kind: 'cancelled', ...(lines ? { lines } : {}) });
  },
  'com.manifold.order.returned.v1': (data) =>
    input({ kind: 'returned', location: locationOf(data) ?? '', lines: linesOf(data) ?? [] }),
  'com.manifold.order.status-reported.v1': statusReported,
};

/**
 * Owner's events that are no lifecycle input of their own but decided as a whole before any quantity moves:
 * a change (`changes.ts`) and the holds (`holds.ts`).
 */
export const CHANGED_TYPE = 'com.manifold.order.changed.v1';
export const HELD_TYPE = 'com.manifold.order.held.v1';
export const HOLD_RELEASED_TYPE = 'com.manifold.order.hold-released.v1';

/** The types this module knows what to do with: the acceptance, every mapped type, changes and holds. */
export const HANDLED_TYPES: readonly string[] = [
  ACCEPTED_TYPE,
  ...Object.keys(MAPPINGS),
  CHANGED_TYPE,
  HELD_TYPE,
  HOLD_RELEASED_TYPE,
];

/**
 * What an owner's event of `type` means for the order in `state`. `status` maps the reporting system's
 * status codes to milestones (its statusMaps). Throws for a type without a mapping.
 */
export function inputOf(
  type: string,
  data: EventData,
  state: OrderState,
  status: (code: string) => Milestone | undefined,
  units: UnitTable = {},
): InputOutcome {
  const mapping = MAPPINGS[type];
  if (!mapping) throw new Error(`order events of type ${type} have no lifecycle input`);
  const inBase = linesInBase(data, state, units);
  if (!inBase.ok) return { kind: 'unknown-unit', detail: inBase.detail };
  return mapping(inBase.data, state, status);
}

/**
 * The event's line quantities in eaches: a line entry with a `uom` is converted for the order line's SKU
 * (docs/orders.md#units-of-measure); one without is in eaches already. A line the order does not have is
 * left as is (the lifecycle reports it).
 */
function linesInBase(
  data: EventData,
  state: OrderState,
  units: UnitTable,
): { ok: true; data: EventData } | { ok: false; detail: string } {
  const lines = data.lines as (LineQuantity & { uom?: string })[] | undefined;
  if (!Array.isArray(lines) || !lines.some((l) => l.uom !== undefined)) return { ok: true, data };
  const converted: LineQuantity[] = [];
  for (const line of lines) {
    const { uom, ...rest } = line;
    const sku = state.lines.find((l) => l.lineId === line.lineId)?.sku;
    if (uom === undefined || sku === undefined) {
      converted.push(rest);
      continue;
    }
    const base = toBase(units, sku, line.quantity, uom);
    if (!base.ok) return { ok: false, detail: `line ${line.lineId}: ${base.detail}` };
    converted.push({ ...rest, quantity: base.base });
  }
  return { ok: true, data: { ...data, lines: converted } };
}
