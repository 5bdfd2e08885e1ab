/**
 * The operations half of the store port (docs/operations.md): the alert rules' state, kept so that a restart does
 * not fire again what already fired and every hub process answers `GET /v1/alerts` alike; and leases, so
 * that of several hub processes sharing a store one runs a singleton loop (the alert evaluator).
 */
import type { AlertInstance } from '../domain/alerts/alert-state.js';
import type { LeaseFence } from './lease-fence.js';

export interface StoredAlert {
  /** `instanceKey(rule, scope)`. */
  key: string;
  alert: AlertInstance;
  /** When it was last evaluated (read only). */
  updatedAt?: string;
}

/** A delivery target's circuit breaker as last opened or closed by one of the hub processes. */
export interface StoredCircuit {
  system: string;
  state: 'open' | 'closed';
  /** Epoch ms, when open. */
  openedAt?: number;
  /** Epoch ms: when probes may go, when open. */
  retryAt?: number;
  openPeriodMs: number;
  /** Raised by every write (read only). */
  version?: number;
  /** Which delivery engine wrote it. */
  updatedBy: string;
  updatedAt: string;
}

/** A singleton loop's lease as stored: who holds it, until when. */
export interface StoredLease {
  /** The loop's lease name (`alerts`, `order-cancel-after`, `source:<name>`). */
  name: string;
  /** Who took it: a hub process's incarnation (`ProcessRecord.incarnation`) for the hub's own loops. */
  owner: string;
  /** When it lapses unless renewed (ISO 8601, the holder's clock); past it, another process may take it. */
  expiresAt: string;
  /** Its tenure: raised each time it passes to another holder (docs/durability.md#fencing). */
  epoch: number;
}

export interface OpsStore {
  /**
   * Takes the lease `name` for `owner` until `now + ttlMs`, or renews it; false while another owner holds
   * it unexpired. `now` is the caller's clock (ISO 8601): keep the processes' clocks in step.
   */
  tryLease(name: string, owner: string, now: string, ttlMs: number): Promise<boolean>;
  /**
   * As `tryLease`, answering the lease's epoch when held (undefined otherwise): the same for every renewal
   * of one tenure, raised when another holder takes it (or after a release). A singleton's writes carry it
   * as a `LeaseFence`.
   */
  takeLease(name: string, owner: string, now: string, ttlMs: number): Promise<number | undefined>;
  /** Gives the lease up (a stopping process), so another takes it at once; its row (and epoch) stays. */
  releaseLease(name: string, owner: string): Promise<void>;
  /** Every lease held (expired ones too, until taken over; not the released ones), by name. */
  leases(): Promise<StoredLease[]>;
  /** Every stored alert instance. */
  alertStates(): Promise<StoredAlert[]>;
  /** Upserts these instances (one transaction); `LeaseLost`, writing nothing, when `fence` no longer holds. */
  saveAlertStates(alerts: StoredAlert[], at: string, fence?: LeaseFence): Promise<void>;
  /** Records a target's breaker transition (raising its version); returns the version written. */
  saveCircuit(circuit: StoredCircuit): Promise<number>;
  /** Every target's last recorded breaker transition. */
  circuits(): Promise<StoredCircuit[]>;
}
