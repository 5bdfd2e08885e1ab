/**
 * Business service levels (docs/operations.md#service-levels), pure: what trading partners judge a
 * distributor by, read from an order's facts (when it was taken, released, shipped, acknowledged) and
 * the clock. Each rule kind says which orders breach it; the alert engine counts them per scope and the
 * overview counts them per customer, partner and warehouse.
 */

export const SERVICE_LEVEL_KINDS = [
  'ackLate',
  'asnLate',
  'unacknowledged',
  'notShipped',
  'backorderedPast',
] as const;
export type ServiceLevelKind = (typeof SERVICE_LEVEL_KINDS)[number];

export type ServiceLevelCondition =
  /** An order from an EDI partner with no 855 sent `withinMs` after it was taken. */
  | { kind: 'ackLate'; partner?: string; withinMs: number; forMs: number }
  /** A shipped order of an EDI partner with no 856 sent `withinMs` after it shipped. */
  | { kind: 'asnLate'; partner?: string; withinMs: number; forMs: number }
  /** An X12 interchange sent to a partner with no 997/999 `afterMs` after it was sent. */
  | { kind: 'unacknowledged'; partner?: string; afterMs: number; forMs: number }
  /** Units released to a warehouse and not all shipped `afterMs` after the release. */
  | { kind: 'notShipped'; location?: string; afterMs: number; forMs: number }
  /**
   * Units backordered past the order's requested ship date (end of that UTC day), or past its
   * acceptance when it gave none, plus `afterMs`.
   */
  | { kind: 'backorderedPast'; location?: string; afterMs: number; forMs: number };

/** What the service levels read of one order. Times are epoch milliseconds. */
export interface OrderFacts {
  orderId: string;
  customer?: string;
  /** The system that sent the order. */
  system: string;
  /** Whether `system` is an EDI partner to which 855/856 are sent (it has such a subscription). */
  sends855: boolean;
  sends856: boolean;
  /** The warehouses its lines are committed at or shipped from. */
  locations: string[];
  acceptedAtMs: number;
  releasedAtMs?: number;
  /** Units released and not yet shipped (nor cancelled). */
  releasedNotShipped: number;
  shippedAtMs?: number;
  backordered: number;
  /** The order's requested ship date, `YYYY-MM-DD`. */
  requestedShipDate?: string;
  /** When the first 855 / 856 about it was sent. */
  sent855AtMs?: number;
  sent856AtMs?: number;
}

/** One order (or interchange) breaching a service level. */
export interface Breach {
  /** The order id, or `x12:<partner>:<ISA13>` for an interchange. */
  subject: string;
  customer?: string;
  partner?: string;
  location?: string;
  /** When it started breaching (ISO 8601). */
  since: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const DAY_MS = 86_400_000;

/** When an order breaches the condition (epoch ms), or undefined when it does not (yet) at `nowMs`. */
export function breachTime(
  condition: ServiceLevelCondition,
  order: OrderFacts,
  nowMs: number,
): number | undefined {
  let due: number | undefined;
  switch (condition.kind) {
    case 'ackLate':
      if (!order.sends855 || (condition.partner && condition.partner !== order.system)) return undefined;
      due = order.acceptedAtMs + condition.withinMs;
      if (order.sent855AtMs !== undefined) return undefined;
      break;
    case 'asnLate':
      if (!order.sends856 || order.shippedAtMs === undefined) return undefined;
      if (condition.partner && condition.partner !== order.system) return undefined;
      due = order.shippedAtMs + condition.withinMs;
      if (order.sent856AtMs !== undefined) return undefined;
      break;
    case 'notShipped':
      if (order.releasedAtMs === undefined || order.releasedNotShipped <= 0) return undefined;
      if (condition.location && !order.locations.includes(condition.location)) return undefined;
      due = order.releasedAtMs + condition.afterMs;
      break;
    case 'backorderedPast': {
      if (order.backordered <= 0) return undefined;
      if (condition.location && !order.locations.includes(condition.location)) return undefined;
      const day = order.requestedShipDate ? Date.parse(`${order.requestedShipDate}T00:00:00Z`) : Number.NaN;
      due = (Number.isFinite(day) ? day + DAY_MS : order.acceptedAtMs) + condition.afterMs;
      break;
    }
    case 'unacknowledged':
      return undefined;
  }
  return due !== undefined && nowMs >= due ? due : undefined;
}

/** The breach an order makes of the condition at `nowMs`, one per location it concerns. */
export function orderBreaches(condition: ServiceLevelCondition, order: OrderFacts, nowMs: number): Breach[] {
  const at = breachTime(condition, order, nowMs);
  if (at === undefined) return [];
  const base = {
    subject: order.orderId,
    ...(order.customer === undefined ? {} : { customer: order.customer }),
    ...(order.sends855 || order.sends856 ? { partner: order.system } : {}),
    since: iso(at),
  };
  const scoped = 'location' in condition && condition.location ? [condition.location] : order.locations;
  if (scoped.length === 0) return [base];
  return [{ ...base, location: scoped[0] as string }];
}

/** What a service level says in words (`855 not sent 4h after the order`). */
export function describeServiceLevel(condition: ServiceLevelCondition): string {
  const d = (ms: number) => durationText(ms);
  switch (condition.kind) {
    case 'ackLate':
      return `855 not sent ${d(condition.withinMs)} after the order`;
    case 'asnLate':
      return condition.withinMs > 0
        ? `856 not sent ${d(condition.withinMs)} after shipping`
        : '856 not sent by ship time';
    case 'unacknowledged':
      return `no 997/999 ${d(condition.afterMs)} after sending`;
    case 'notShipped':
      return `released, not shipped after ${d(condition.afterMs)}`;
    case 'backorderedPast':
      return condition.afterMs > 0
        ? `backordered ${d(condition.afterMs)} past the requested ship date`
        : 'backordered past the requested ship date';
  }
}

/** `90s`, `15m`, `4h`, `2d`. */
export function durationText(ms: number): string {
  const s = ms / 1000;
  if (s >= 86_400 && s % 86_400 === 0) return `${s / 86_400}d`;
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600}h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60}m`;
  return `${Math.round(s)}s`;
}
