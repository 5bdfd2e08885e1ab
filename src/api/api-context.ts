/** What the HTTP routes are built from. */
import type { CompiledConfig } from '../config/compiled-config.js';
import type { EdiEngine } from '../engine/edi/edi-engine.js';
import type { EdiInbound } from '../engine/edi/edi-inbound.js';
import type { IngestService } from '../engine/ingest-service.js';
import type { InventoryEngine } from '../engine/inventory/inventory-engine.js';
import type { AlertEngine } from '../engine/observability/alert-engine.js';
import type { Telemetry } from '../engine/observability/telemetry.js';
import type { OrderEngine } from '../engine/orders/order-engine.js';
import type { ProcessRegistry } from '../engine/process-registry.js';
import type { Store } from '../store/store-port.js';
import type { DeliveryControl } from './app.js';
import type { Authenticator } from './auth.js';

export interface ApiContext {
  config: CompiledConfig;
  store: Store;
  auth: Authenticator;
  ingest: IngestService;
  /** Reservations, reconciliation and the inventory loops. */
  inventory: InventoryEngine;
  /** The order processor and the order service. */
  orders: OrderEngine;
  /** Inbound X12 from trading partners. */
  edi: EdiInbound;
  /** The EDI loops: unacknowledged interchanges and watched inboxes (started with the hub). */
  ediEngine: EdiEngine;
  /** The alert rules' evaluation and state. */
  alerts: AlertEngine;
  /** Metrics and the rolling per-subscription delivery figures. */
  telemetry: Telemetry;
  /** This process in the store's process registry (its incarnation, the live processes). */
  processes: ProcessRegistry;
  /** The delivery engine's controls (absent when the API runs without delivery, as in some tests). */
  delivery?: DeliveryControl;
  /** Tells the delivery engine a subscription has new work (all when the name is undefined). */
  wakeDelivery: (subscription: string | undefined) => void;
}
