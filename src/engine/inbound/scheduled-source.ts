/**
 * A source on a schedule of its own (a poller, `SourceConnector.everyMs`): pulled every `everyMs` by the
 * one process holding its lease (`source:<name>`, renewed while held, so a standby takes over within
 * `leaseTtlMs` of the holder's death); a failed pull backs off exponentially, capped, and is counted and
 * shown. Its status is kept in the source's connector state (`status` key), so that every process — the
 * console, `/readyz` — shows the same, whichever holds the lease. A run's commits and its status carry the
 * lease's epoch (a fence, docs/durability.md#fencing): once another process has taken the lease, they write
 * nothing. See docs/connectors.md#polling.
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { SourceConnector, SourceHub } from '../../connectors/connector-port.js';
import { type LeaseFence, LeaseLost } from '../../store/lease-fence.js';
import type { Store } from '../../store/store-port.js';
import type { Telemetry } from '../observability/telemetry.js';

/** What the console and `/readyz` show of a scheduled source. */
export interface SourceStatus {
  name: string;
  system: string;
  poll: string;
  /** `ok`: its last run succeeded; `failing`: it failed and backs off; `pending`: not run yet. */
  state: 'ok' | 'failing' | 'pending';
  everyMs: number;
  lastRunAt?: string;
  lastSuccessAt?: string;
  /** Why the last run failed (`failing` only). */
  lastError?: string;
  /** Runs in a row that failed. */
  failures: number;
  /** When the holder runs it next. */
  nextRunAt?: string;
}

export interface ScheduledSourceOptions {
  store: Store;
  /** The hub a pull is given; a function is given the lease the pull runs under, to fence its commits. */
  hub: SourceHub | ((fence: LeaseFence | undefined) => SourceHub);
  now: () => Date;
  telemetry?: Telemetry;
  onError: (loop: string, error: unknown) => void;
  /** How long a lease lasts unless renewed (default three renewals, at most 30 s). */
  leaseTtlMs?: number;
  /** How often the lease is renewed by its holder and tried by the others (default half of `everyMs`, 1 s to 10 s). */
  leaseRenewMs?: number;
  /** The longest back-off after failures (default the larger of `everyMs` and 15 minutes). */
  maxBackoffMs?: number;
}

/** The status key of a scheduled source's connector state. */
export const STATUS_KEY = 'status';
const DEFAULT_LEASE_TTL_MS = 30_000;
const DEFAULT_LEASE_RENEW_MS = 10_000;
const DEFAULT_MAX_BACKOFF_MS = 15 * 60_000;
/** How long `stop` waits for a run in flight. */
const STOP_GRACE_MS = 5_000;

/** This process among others for leases: host, pid and a random part (two engines in one process differ). */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export class ScheduledSource {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** Set by `stop`: no run starts after it (a test's `tick` may run a source never started). */
  private closed = false;
  private leading = false;
  /** The lease's epoch while held (singletons): every write of a run carries it. */
  private epoch: number | undefined;
  private nextRunMs = 0;
  private failures = 0;
  private readonly ttlMs: number;
  private readonly renewMs: number;
  private readonly maxBackoffMs: number;
  private readonly lease: string;
  private readonly labels: { system: string; poll: string };

  constructor(
    readonly source: SourceConnector & { everyMs: number },
    private readonly owner: string,
    private readonly options: ScheduledSourceOptions,
  ) {
    // A frequent poller fails over fast: renewed every half period (1 s to 10 s), lost after three renewals.
    const renewMs =
      options.leaseRenewMs ?? Math.min(DEFAULT_LEASE_RENEW_MS, Math.max(1000, source.everyMs / 2));
    this.ttlMs = options.leaseTtlMs ?? Math.min(DEFAULT_LEASE_TTL_MS, renewMs * 3);
    this.renewMs = Math.min(renewMs, this.ttlMs / 2);
    this.maxBackoffMs = options.maxBackoffMs ?? Math.max(source.everyMs, DEFAULT_MAX_BACKOFF_MS);
    this.lease = `source:${source.name}`;
    this.labels = source.labels ?? { system: source.system, poll: source.name };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.closed = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    // A run in flight is waited for a little, not to its end (a slow API, many pages): what it has not
    // committed is asked for again by the next holder, as after a crash.
    if (this.running) {
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        this.running,
        new Promise<void>((resolve) => {
          grace = setTimeout(resolve, STOP_GRACE_MS);
        }),
      ]);
      clearTimeout(grace);
    }
    if (this.leading)
      await this.options.store.ops.releaseLease(this.lease, this.owner).catch(() => undefined);
    this.leading = false;
  }

  /** One tick now (tests): renews or takes the lease, and pulls when held and due. */
  tick(): Promise<void> {
    this.running ??= this.tickOnce()
      .catch((error: unknown) => {
        if (error instanceof LeaseLost) {
          // Another process pulls it now: nothing of this run was written, nor its status.
          this.leading = false;
          this.epoch = undefined;
        }
        this.options.onError(`source ${this.source.name}`, error);
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  /** The status as stored by the holder of the lease (whichever process). */
  async status(): Promise<SourceStatus> {
    const stored = (await this.options.store.connectorState.get(this.source.name, STATUS_KEY)) as
      | Partial<SourceStatus>
      | undefined;
    return {
      name: this.source.name,
      system: this.labels.system,
      poll: this.labels.poll,
      state: stored?.state ?? 'pending',
      everyMs: this.source.everyMs,
      failures: stored?.failures ?? 0,
      ...(stored?.lastRunAt ? { lastRunAt: stored.lastRunAt } : {}),
      ...(stored?.lastSuccessAt ? { lastSuccessAt: stored.lastSuccessAt } : {}),
      ...(stored?.lastError ? { lastError: stored.lastError } : {}),
      ...(stored?.nextRunAt ? { nextRunAt: stored.nextRunAt } : {}),
    };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick().then(() => this.afterTick()), Math.max(0, delayMs));
    this.timer.unref();
  }

  private afterTick(): void {
    const untilRun = this.nextRunMs - this.options.now().getTime();
    this.schedule(this.leading ? Math.min(Math.max(0, untilRun), this.renewMs) : this.renewMs);
  }

  private async takeLease(): Promise<boolean> {
    const now = this.options.now().toISOString();
    const epoch = await this.options.store.ops.takeLease(this.lease, this.owner, now, this.ttlMs);
    const held = epoch !== undefined;
    if (held && (!this.leading || epoch !== this.epoch)) {
      // Taking over (a start, or the holder stopped or died): resume from the stored state, on the
      // schedule the last holder left (a failover or a restart is no extra poll; a run cut short left its
      // nextRunAt in the past, so it goes on at once).
      const stored = await this.status();
      this.failures = stored.failures;
      this.nextRunMs = stored.nextRunAt ? Date.parse(stored.nextRunAt) : 0;
    }
    this.leading = held;
    this.epoch = epoch;
    return held;
  }

  /** The lease this process's writes are made under (none for a source every process pulls). */
  private fence(): LeaseFence | undefined {
    if (this.source.singleton === false || this.epoch === undefined) return undefined;
    return { name: this.lease, holder: this.owner, epoch: this.epoch };
  }

  private async tickOnce(): Promise<void> {
    if (this.source.singleton !== false && !(await this.takeLease())) return;
    if (this.source.singleton === false) this.leading = true;
    if (this.options.now().getTime() < this.nextRunMs || this.closed) return;
    await this.run();
  }

  /** One pull, the lease renewed while it runs. */
  private async run(): Promise<void> {
    const { telemetry, now } = this.options;
    const renew =
      this.source.singleton === false
        ? undefined
        : setInterval(() => void this.takeLease().catch(() => undefined), this.renewMs);
    renew?.unref();
    const startedAt = now();
    // The run's writes are fenced by the epoch it started under: if the lease moves meanwhile (this process
    // paused past its lease), its commits write nothing, even should it take the lease again later.
    const fence = this.fence();
    const { hub } = this.options;
    let taken = 0;
    let error: unknown;
    try {
      taken = await this.source.pull(typeof hub === 'function' ? hub(fence) : hub);
    } catch (caught) {
      error = caught;
    } finally {
      if (renew) clearInterval(renew);
    }
    if (error instanceof LeaseLost) throw error; // nothing of this run was written: no status either
    const finished = now();
    const base: Partial<SourceStatus> = { lastRunAt: startedAt.toISOString() };
    const previous = await this.status();
    let status: Partial<SourceStatus>;
    if (error === undefined) {
      this.failures = 0;
      this.nextRunMs = finished.getTime() + this.source.everyMs;
      telemetry?.pollRuns.inc({ ...this.labels, outcome: 'ok' });
      if (taken > 0) telemetry?.pollItems.inc(this.labels, taken);
      telemetry?.pollLastSuccess.set(this.labels, finished.getTime() / 1000);
      status = { ...base, state: 'ok', failures: 0, lastSuccessAt: finished.toISOString() };
    } else {
      this.failures += 1;
      const backoff = Math.min(this.maxBackoffMs, this.source.everyMs * 2 ** (this.failures - 1));
      this.nextRunMs = finished.getTime() + backoff;
      const outcome = (error as { outcome?: unknown }).outcome === 'refused' ? 'refused' : 'failed';
      telemetry?.pollRuns.inc({ ...this.labels, outcome });
      status = {
        ...base,
        state: 'failing',
        failures: this.failures,
        lastError: error instanceof Error ? error.message : String(error),
        ...(previous.lastSuccessAt ? { lastSuccessAt: previous.lastSuccessAt } : {}),
      };
      this.options.onError(this.source.name, error);
    }
    telemetry?.pollFailures.set(this.labels, this.failures);
    status.nextRunAt = new Date(this.nextRunMs).toISOString();
    await this.options.store.connectorState.put(
      this.source.name,
      STATUS_KEY,
      status,
      finished.toISOString(),
      fence,
    );
  }
}
