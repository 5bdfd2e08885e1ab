/**
 * The order half of the store port (docs/orders.md): canonical orders with their lifecycle state and a version
 * for compare-and-set, the processor's annotations of each order event (for the timeline), and one
 * atomic write of everything a batch of order events causes: hub events with their outbox rows,
 * inventory movements, order rows, annotations, exceptions and the processor's cursor.
 */
import type { LineCommercial, OrderCommercial } from '../contracts/order-commercial-schemas.js';
import type { OrderState } from '../domain/orders/lifecycle.js';
import type { InventoryException, Movement } from './inventory-port.js';
import type { LeaseFence } from './lease-fence.js';
import type { NewEvent } from './store-port.js';

/**
 * The order as taken (and enriched), kept beside its lifecycle state; the commercial fields the order
 * gave (PO, currency, dates, parties, charges, …, docs/orders.md#commercial-fields) are kept as given.
 */
export interface OrderDocument extends OrderCommercial {
  orderId: string;
  channel: string;
  customer: Record<string, unknown>;
  shipTo: Record<string, unknown>;
  /**
   * The ordered lines: `quantity` in the unit ordered (`uom`, EA when absent) and `baseQuantity`, the
   * eaches it is (set at acceptance; the lifecycle counts these). Orders stored before units of measure
   * have neither: their quantity is in eaches.
   */
  lines: ({
    lineId: string;
    sku: string;
    quantity: number;
    unitPrice?: number;
    uom?: string;
    /** The unit as the sender wrote it when its code map turned it into `uom` (an X12 partner's `CS`). */
    partnerUom?: string;
    baseQuantity?: number;
  } & LineCommercial)[];
  /** Fields the ERP's validation added (terms, prices, customer number…). */
  enrichment?: Record<string, unknown>;
  /** The accepted event's id and source. */
  acceptedEvent: { source: string; id: string };
  /** Cancel what is not yet picked once this has passed (a date or a date-time, as the channel sent it). */
  cancelAfter?: string;
}

export interface OrderRecord {
  orderId: string;
  channel: string;
  /** The system that sent the order. */
  system: string;
  milestone: string;
  status: string;
  /** Open holds on the order (`credit_hold`, `backordered`, …). */
  holds: string[];
  state: OrderState;
  document: OrderDocument;
  /** Bumped by every write; 0 for an order not yet stored. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What the processor noted about one inbound event of an order. */
export interface OrderAnnotation {
  orderId: string;
  eventSeq: number;
  before?: string;
  after?: string;
  status?: string;
  inferred: string[];
  late: boolean;
  note?: string;
  at: string;
}

export interface OrderQuery {
  channel?: string;
  /** Only orders sent by `system` or taken on one of `channels` (a system's read scope). */
  readableBy?: { system: string; channels: readonly string[] };
  milestone?: string;
  /** Created at or after (ISO 8601). */
  since?: string;
  /** Cursor: orders listed after this `createdAt|orderId` in the chosen order. */
  after?: { createdAt: string; orderId: string };
  /** By creation time then id: oldest first (`asc`, the default) or newest first (`desc`). */
  order?: ListOrder;
  limit: number;
}

/** The direction of a list: oldest first (`asc`) or newest first (`desc`). */
export type ListOrder = 'asc' | 'desc';

/** Everything one batch of order events writes, all or nothing. */
export interface OrderUnit {
  /** Hub events (milestones, releases, exceptions) with their outbox rows, appended to the log. */
  events: NewEvent[];
  movements: Movement[];
  /** Orders to write: inserted when `expectVersion` is 0, else updated only at that version. */
  orders: { record: OrderRecord; expectVersion: number }[];
  annotations: OrderAnnotation[];
  exceptions: InventoryException[];
  cursor?: { name: string; from: number; to: number };
  at: string;
}

export interface OrderStore {
  getOrder(orderId: string): Promise<OrderRecord | undefined>;
  listOrders(query: OrderQuery): Promise<OrderRecord[]>;
  annotations(orderId: string): Promise<OrderAnnotation[]>;
  /** Orders that may still hold commitments (not shipped, delivered, invoiced, returned or cancelled), newest first. */
  openOrders(limit: number): Promise<OrderRecord[]>;
  /**
   * Orders with backordered units of `sku`, oldest accepted first (then by order id): the ones a fill of
   * that SKU serves first. Kept by `commit` in the same transaction as each order.
   */
  backorderedFor(sku: string, limit: number): Promise<OrderRecord[]>;
  /** Which of `skus` have orders backordered (one read for a batch of facts; most SKUs have none). */
  skusWithBackorders(skus: readonly string[]): Promise<Set<string>>;
  /**
   * Orders whose `cancelAfter` has passed at `now` (ISO 8601 UTC) and that still have units not yet
   * picked, earliest deadline first.
   */
  pastCancelAfter(now: string, limit: number): Promise<OrderRecord[]>;
  /**
   * Writes a unit. `ConditionNotMet(i)` with `i` the index of a refused movement, or −1 when an order's
   * version, an event id or the cursor had moved (another writer): read again and recompute. `fence`: the
   * lease the writer holds (the cancelAfter check), checked first in the same transaction — `LeaseLost`,
   * and nothing written, when it has moved.
   */
  commit(unit: OrderUnit, fence?: LeaseFence): Promise<void>;
}
