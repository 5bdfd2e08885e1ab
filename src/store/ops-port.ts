/**
 * The operations half of the store port (docs/operations.md): the alert rules' state, kept so that a restart does
 * not fire again what already fired and every hub process answers `GET /v1/alerts` alike; and leases, so
 * that of several hub processes sharing a store one runs a singleton loop (the alert evaluator).
 */
import type { AlertInstance } from '../domain/alerts/alert-state.js';

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
}

export interface OpsStore {
  /**
   * Takes the lease `name` for `owner` until `now + ttlMs`, or renews it; false while another owner holds
   * it unexpired. `now` is the caller's clock (ISO 8601): keep the processes' clocks in step.
   */
  tryLease(name: string, owner: string, now: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (a stopping process), so another takes it at once. */
  releaseLease(name: string, owner: string): Promise<void>;
  /** Every lease as stored (expired ones too, until taken over or released), by name. */
  leases(): Promise<StoredLease[]>;
  /** Every stored alert instance. */
  alertStates(): Promise<StoredAlert[]>;
  /** Upserts these instances (one transaction). */
  saveAlertStates(alerts: StoredAlert[], at: string): Promise<void>;
  /** Records a target's breaker transition (raising its version); returns the version written. */
  saveCircuit(circuit: StoredCircuit): Promise<number>;
  /** Every target's last recorded breaker transition. */
  circuits(): Promise<StoredCircuit[]>;
}
