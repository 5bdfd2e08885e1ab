/**
 * The hub processes sharing this store, as one of them sees them: every registered incarnation, alive or
 * dead by the registry's TTL, and the singleton loops' leases each holds (`GET /v1/cluster`, the console's
 * Cluster page). Also which process reports the store-wide metrics, so that a Prometheus summing over the
 * processes counts them once. See docs/operations.md ("Several hub processes").
 */
import type { StoredLease } from '../store/ops-port.js';
import type { ProcessRecord } from '../store/process-port.js';
import type { Store } from '../store/store-port.js';
import type { ProcessRegistry } from './process-registry.js';

/** A lease as the cluster view shows it. */
export interface ClusterLease {
  name: string;
  expiresAt: string;
  /** Past its expiry by the answering process's clock: the next process asking takes it over. */
  expired: boolean;
}

export interface ClusterProcess extends ProcessRecord {
  /** alive: its heartbeat is within the TTL; dead: older (a crashed or hung process, kept a day). */
  status: 'alive' | 'dead';
  /** The process that answered. */
  self: boolean;
  /** Whether it is the one process emitting the store-wide metrics. */
  reportsStoreMetrics: boolean;
  /** The leases it holds, by name. */
  leases: ClusterLease[];
}

export interface ClusterView {
  /** When the answering process looked (its clock). */
  at: string;
  /** Heartbeat age past which a process is dead, ms. */
  ttlMs: number;
  /** The answering process's incarnation. */
  self: string;
  alive: number;
  /** Oldest start first. */
  processes: ClusterProcess[];
  /** Leases whose holder is no registered process (it was forgotten, or is no hub process). */
  unattributed: (ClusterLease & { owner: string })[];
}

/**
 * Which of the live processes reports the store-wide metrics: the oldest live one. None other, so that a
 * sum over the processes counts them once; when it stops, the next oldest takes over (at once on a
 * graceful stop, within the TTL after a crash). A process not registered (yet) reports only when no
 * registered process is alive.
 */
export function storeReporter(live: readonly ProcessRecord[]): string | undefined {
  return live[0]?.incarnation;
}

export class Cluster {
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    private readonly registry: Pick<ProcessRegistry, 'incarnation' | 'ttlMs'>,
    now?: () => Date,
  ) {
    this.now = now ?? (() => new Date());
  }

  /** Every registered process and the leases each holds. */
  async view(): Promise<ClusterView> {
    const now = this.now();
    const [records, leases] = await Promise.all([this.store.processes.all(), this.store.ops.leases()]);
    const aliveSince = now.getTime() - this.registry.ttlMs;
    const isAlive = (p: ProcessRecord) => Date.parse(p.heartbeatAt) >= aliveSince;
    const reporter = storeReporter(records.filter(isAlive));
    const lease = (l: StoredLease): ClusterLease => ({
      name: l.name,
      expiresAt: l.expiresAt,
      expired: Date.parse(l.expiresAt) < now.getTime(),
    });
    const known = new Set(records.map((p) => p.incarnation));
    const processes = records.map(
      (p): ClusterProcess => ({
        ...p,
        status: isAlive(p) ? 'alive' : 'dead',
        self: p.incarnation === this.registry.incarnation,
        reportsStoreMetrics: p.incarnation === reporter,
        leases: leases.filter((l) => l.owner === p.incarnation).map(lease),
      }),
    );
    return {
      at: now.toISOString(),
      ttlMs: this.registry.ttlMs,
      self: this.registry.incarnation,
      alive: processes.filter((p) => p.status === 'alive').length,
      processes,
      unattributed: leases.filter((l) => !known.has(l.owner)).map((l) => ({ ...lease(l), owner: l.owner })),
    };
  }

  /**
   * Whether this process emits the store-wide metrics now (see {@link storeReporter}), and how many
   * registered processes are alive and dead: one store read per scrape.
   */
  async metricsRole(): Promise<{ reportsStore: boolean; alive: number; dead: number }> {
    const aliveSince = this.now().getTime() - this.registry.ttlMs;
    const all = await this.store.processes.all();
    const live = all.filter((p) => Date.parse(p.heartbeatAt) >= aliveSince);
    const reporter = storeReporter(live);
    return {
      reportsStore: reporter === undefined || reporter === this.registry.incarnation,
      alive: live.length,
      dead: all.length - live.length,
    };
  }
}
