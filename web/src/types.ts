/** The shapes of the hub's answers the console reads (see `GET /openapi.json`). */
import type { LineState } from '../../src/domain/orders/lifecycle.js';

export type Health = 'ok' | 'degraded' | 'failing';
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface Overview {
  generatedAt: string;
  hub: { store: string; uptimeSeconds: number; pid: number };
  systems: { name: string; kind: string; channel?: string; locations: string[] }[];
  subscriptions: SubscriptionStatus[];
  targets: { system: string; circuit: CircuitState }[];
  exceptions: {
    open: number;
    byCode: { code: string; count: number }[];
    byCustomer: { customer: string; count: number }[];
    byLocation: { location: string; count: number }[];
    sampled: boolean;
  };
  alerts: FiringAlert[];
}

export interface FiringAlert {
  rule: string;
  scope?: string;
  severity: 'warning' | 'critical' | string;
  summary: string;
  since?: string;
}

export interface SubscriptionStatus {
  name: string;
  target: string;
  types: string[];
  backlog: number;
  parked: number;
  oldestPendingSeconds: number;
  throughputPerSecond: number;
  errorRate: number;
  delivered: number;
  failed: number;
  windowSeconds: number;
  circuit: CircuitState;
  health: Health;
  reasons: string[];
}

/** A line of `GET /v1/orders/{id}`: the lifecycle's per-line quantities (src/domain/orders/lifecycle.ts). */
export type OrderLine = Pick<
  LineState,
  | 'lineId'
  | 'sku'
  | 'ordered'
  | 'unitPrice'
  | 'location'
  | 'committed'
  | 'backordered'
  | 'picked'
  | 'packed'
  | 'shipped'
  | 'delivered'
  | 'cancelled'
  | 'returned'
  | 'invoiced'
>;

export interface Order {
  orderId: string;
  channel: string;
  system: string;
  milestone: string;
  status: string;
  reached: string[];
  customer: Record<string, unknown>;
  shipTo: Record<string, unknown>;
  lines: OrderLine[];
  holds: string[];
  exceptions: { id: number; code: string; detail: string; createdAt: string }[];
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  outcome: string;
  httpStatus?: number;
  error?: string;
  latencyMs?: number;
}

export interface TimelineDelivery {
  subscription: string;
  target: string;
  status: string;
  attempts: DeliveryAttempt[];
  latencyFromIngestMs?: number;
  supersededBy?: number;
  x12?: {
    set: string;
    interchange: string;
    group?: string;
    transactionSet?: string;
    acknowledgement: string;
    acknowledgedAt?: string;
    codes?: string[];
  };
}

export interface TimelineEntry {
  seq?: number;
  at: string;
  direction: 'in' | 'out';
  system?: string;
  type: string;
  id?: string;
  correlationid?: string;
  milestoneBefore?: string | null;
  milestoneAfter?: string | null;
  status?: string;
  inferred?: string[];
  late?: boolean;
  note?: string;
  tracking?: string;
  location?: string;
  deliveries: TimelineDelivery[];
}

export interface Timeline {
  orderId: string;
  milestone: string;
  status: string;
  entries: TimelineEntry[];
}

export interface Inventory {
  sku: string;
  positions: {
    location: string;
    buckets: Record<string, number>;
    available: number;
    version: number;
    updatedAt?: string;
  }[];
  channels: { channel: string; available: number; safetyStock: number; locations: string[] }[];
}

export interface LedgerPage {
  sku: string;
  items: {
    id: number;
    location: string;
    deltas: Record<string, number>;
    reason: string;
    system: string;
    eventId?: string;
    correlationId?: string;
    documentRef?: string;
    at: string;
  }[];
  nextBefore?: number;
}

export interface ExceptionRecord {
  id: number;
  code: string;
  status: 'open' | 'resolved';
  detail: string;
  subscription?: string;
  system?: string;
  eventId?: string;
  subject?: string;
  lastStatus?: number;
  lastError?: string;
  attempts?: number;
  createdAt: string;
  resolvedAt?: string;
  resolvedBy?: string;
  resolution?: string;
  note?: string;
}

export interface Replay {
  id: number;
  selection: Record<string, unknown>;
  createdAt: string;
  createdBy: string;
  total: number;
  delivered: number;
  pending: number;
  parked: number;
  status: string;
}
