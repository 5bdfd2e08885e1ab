/**
 * What the HTTP routes are given. The services are built by the composition root (src/main/compose.ts)
 * and handed to `buildApp`; the API builds none of them, only its own authenticator.
 */
import type { CompiledConfig } from '../config/compiled-config.js';
import type { Cluster } from '../engine/cluster.js';
import type { TargetHealth } from '../engine/delivery/delivery-engine.js';
import type { InboundService } from '../engine/inbound/inbound-service.js';
import type { SourceStatus } from '../engine/inbound/scheduled-source.js';
import type { IngestService } from '../engine/ingest-service.js';
import type { InventoryEngine } from '../engine/inventory/inventory-engine.js';
import type { AlertEngine } from '../engine/observability/alert-engine.js';
import type { Telemetry } from '../engine/observability/telemetry.js';
import type { OrderEngine } from '../engine/orders/order-engine.js';
import type { Store } from '../store/store-port.js';
import type { Authenticator } from './auth.js';

/** What the API needs of the delivery engine (absent: the hub runs without delivery, as in some tests). */
export interface DeliveryControl {
  wake(subscriptions?: Iterable<string>): void;
  targets(): TargetHealth[];
}

/** The services and ports the routes use, as the composition root built them. */
export interface ApiServices {
  config: CompiledConfig;
  store: Store;
  ingest: IngestService;
  /** Reservations, reconciliation and the inventory loops. */
  inventory: InventoryEngine;
  /** The order processor and the order service. */
  orders: OrderEngine;
  /** The connectors' inbound roles (X12 from trading partners): `receive(kind, system, request)`. */
  inbound: InboundService;
  /** The alert rules' evaluation and state. */
  alerts: AlertEngine;
  /** The hub processes sharing the store and their leases (`GET /v1/cluster`). */
  cluster: Cluster;
  /** Metrics and the rolling per-subscription delivery figures. */
  telemetry: Telemetry;
  /** The delivery engine's controls (absent when the hub runs without delivery, as in some tests). */
  delivery?: DeliveryControl;
  /** Tells the delivery engine a subscription has new work (all when the name is undefined). */
  wakeDelivery: (subscription: string | undefined) => void;
  /** The connectors' sources: the pollers' status (`/readyz`, the console). */
  sources?: { status(): Promise<SourceStatus[]> };
}

/** What each group of routes is registered with: the services, and the API's bearer authenticator. */
export interface ApiContext extends ApiServices {
  auth: Authenticator;
}
