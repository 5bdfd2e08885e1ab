/**
 * The process registry half of the store port: one row per running hub process incarnation, refreshed
 * by its heartbeat. What several hub processes on one store use to tell which of them are alive — so that
 * work a dead incarnation left half done (an Idempotency-Key in flight) is taken over at once, and a limit
 * shared by the processes (a target's requests per second) is split among the live ones. The rules are
 * in docs/durability.md ("Process registry").
 *
 * Times are the callers' clocks (ISO 8601), as for leases: keep the processes' clocks in step.
 */

/** What a process says about itself when it registers. */
export interface ProcessInfo {
  /** `os.hostname()`. */
  host: string;
  pid: number;
  /** Manifold's version. */
  version: string;
}

/** A registered process incarnation. */
export interface ProcessRecord extends ProcessInfo {
  /** A random id made at process start: a restarted process is a new incarnation. */
  incarnation: string;
  /** The address it listens on (`host:port` as configured), once listening. */
  address?: string;
  startedAt: string;
  heartbeatAt: string;
}

export interface ProcessStore {
  /** Registers (or re-registers) an incarnation, with its first heartbeat at `at`. */
  register(incarnation: string, info: ProcessInfo, at: string): Promise<void>;
  /**
   * Records that the incarnation listens on `address`. Other incarnations registered on the same host
   * with the same address are dead — two processes cannot listen on one address — and are removed: a
   * process restarted in place declares its earlier incarnation dead without waiting for its heartbeat
   * to expire. Returns the incarnations removed.
   */
  claimAddress(incarnation: string, host: string, address: string): Promise<string[]>;
  /** Refreshes the heartbeat; false when the incarnation is not registered (removed as dead: register again). */
  heartbeat(incarnation: string, at: string): Promise<boolean>;
  /** The incarnations whose heartbeat is within `ttlMs` of `now`, oldest start first. */
  live(now: string, ttlMs: number): Promise<ProcessRecord[]>;
  /**
   * Every registered incarnation, alive or not (dead ones stay until pruned or their address is claimed),
   * oldest start first.
   */
  all(): Promise<ProcessRecord[]>;
  /** Whether the incarnation is registered with a heartbeat within `ttlMs` of `now`. */
  isAlive(incarnation: string, now: string, ttlMs: number): Promise<boolean>;
  /** Removes the incarnation (a graceful stop): at once no longer alive. */
  deregister(incarnation: string): Promise<void>;
  /** Forgets incarnations whose last heartbeat is before `before`; returns how many. */
  prune(before: string): Promise<number>;
}
