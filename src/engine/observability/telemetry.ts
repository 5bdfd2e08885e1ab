/**
 * The hub's metrics (prom-client, served at `GET /metrics`) and the rolling delivery figures the console
 * and the alert rules read. Counters are bumped where things happen; gauges that describe the store
 * (backlog, oldest pending, open exceptions) are read from it when scraped, so that they are true for
 * every hub process sharing a PostgreSQL store, not only for the one that did the work. Those store-wide
 * gauges are emitted by one process only (the oldest live one, `TelemetrySources.role`), so that a sum over
 * the processes counts them once (docs/operations.md, "Several hub processes").
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CircuitState } from '../../domain/delivery/circuit-breaker.js';
import type { BacklogStat, OpenExceptionCount } from '../../store/delivery-port.js';
import { BacklogTrend } from './backlog-trend.js';
import { FlowWindow } from './flow-window.js';
import type { MinuteRollups } from './minute-rollups.js';

/** The circuit of one target, as the gauge encodes it: closed 0, half-open 1, open 2. */
export const CIRCUIT_GAUGE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

export type IngestOutcome = 'accepted' | 'duplicate' | 'rejected';
export type DeliveryAttemptOutcome = 'delivered' | 'retryable' | 'permanent';

/** What the scrape-time gauges read. Set once the hub's parts exist (`Telemetry.attach`). */
export interface TelemetrySources {
  backlog(): Promise<BacklogStat[]>;
  openExceptions(): Promise<OpenExceptionCount[]>;
  /** Circuit state per target system (this process's breakers). */
  circuits(): { system: string; state: CircuitState }[];
  /** Adaptive concurrency per target system (this process's): the limit now, and whether it is paused. */
  targetLimits?(): { system: string; limit: number; paused: boolean }[];
  /** Units of drift of each system's newest inventory snapshot. */
  drift(): Promise<{ system: string; units: number }[]>;
  /** Each configured alert rule and whether one of its instances fires (the stored state). */
  alerts(): Promise<{ rule: string; firing: boolean }[]>;
  /**
   * Whether this process emits the store-wide gauges, and how many hub processes are alive on the store
   * (absent: it emits them, and the process count is left out).
   */
  role?(): Promise<{ reportsStore: boolean; alive: number; dead: number }>;
}

/** Age in seconds at `nowMs` of a subscription's oldest pending row (0 when none). */
export function pendingAgeSeconds(stat: BacklogStat | undefined, nowMs: number): number {
  if (!stat?.oldestPendingAt) return 0;
  return Math.max(0, (nowMs - Date.parse(stat.oldestPendingAt)) / 1000);
}

export class Telemetry {
  readonly registry = new Registry();
  /** Delivered events and failed attempts per subscription over the last minute. */
  readonly flows: FlowWindow;
  /** How each subscription's backlog moved over the same window (noted at each overview read). */
  readonly backlogTrend: BacklogTrend;
  private sources: TelemetrySources | undefined;
  /** The one-minute rollups kept in the store for the console's charts, when attached. */
  private rollups: MinuteRollups | undefined;
  private readonly nowMs: () => number;

  readonly ingested: Counter<'source' | 'type' | 'outcome'>;
  readonly duplicates: Counter<'source'>;
  readonly attempts: Counter<'subscription' | 'outcome'>;
  readonly latency: Histogram<'subscription'>;
  readonly reservations: Counter<'channel' | 'outcome'>;
  readonly oversellsPrevented: Counter<'via'>;
  readonly edi: Counter<'partner' | 'set' | 'direction' | 'outcome'>;
  /** Runs of pollers (`systems.<n>.poll`) by outcome: ok, failed, refused. */
  readonly pollRuns: Counter<'system' | 'poll' | 'outcome'>;
  /** Items a poller ingested (accepted, not duplicates). */
  readonly pollItems: Counter<'system' | 'poll'>;
  /** Rows removed (or event payloads dropped) by the retention loop, by kind. */
  readonly pruned: Counter<'kind'>;
  /** When each poller last ran through without a failure (this process's runs). */
  readonly pollLastSuccess: Gauge<'system' | 'poll'>;
  /** Runs in a row that failed, per poller (0 once one succeeds). */
  readonly pollFailures: Gauge<'system' | 'poll'>;

  constructor(options: { nowMs?: () => number; windowSeconds?: number } = {}) {
    this.nowMs = options.nowMs ?? Date.now;
    this.flows = new FlowWindow(options.windowSeconds ?? 60, this.nowMs);
    this.backlogTrend = new BacklogTrend(options.windowSeconds ?? 60, this.nowMs);
    const registers = [this.registry];
    this.ingested = new Counter({
      name: 'manifold_ingest_events_total',
      help: 'Events offered to ingest, by sending system, event type and outcome (accepted, duplicate, rejected)',
      labelNames: ['source', 'type', 'outcome'],
      registers,
    });
    this.duplicates = new Counter({
      name: 'manifold_ingest_duplicates_total',
      help: 'Events suppressed as duplicates (same source and id as one already in the log)',
      labelNames: ['source'],
      registers,
    });
    this.attempts = new Counter({
      name: 'manifold_delivery_attempts_total',
      help: 'Delivery attempts by subscription and outcome (delivered, retryable, permanent)',
      labelNames: ['subscription', 'outcome'],
      registers,
    });
    this.latency = new Histogram({
      name: 'manifold_delivery_latency_seconds',
      help: "From the hub's ingest of an event to the target's 2xx, per subscription",
      labelNames: ['subscription'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers,
    });
    this.reservations = new Counter({
      name: 'manifold_reservations_total',
      help: 'Reservation requests by channel and outcome (won, refused)',
      labelNames: ['channel', 'outcome'],
      registers,
    });
    this.oversellsPrevented = new Counter({
      name: 'manifold_oversells_prevented_total',
      help: 'Holds refused because the stock was not there: reservations refused, order lines backordered instead of committed',
      labelNames: ['via'],
      registers,
    });
    // Whether this process emits the store-wide gauges: one store read per scrape, shared by the gauges.
    let roleRead: Promise<{ reportsStore: boolean; alive?: number; dead?: number }> | undefined;
    const readRole = () => {
      roleRead ??= (this.sources?.role?.() ?? Promise.resolve({ reportsStore: true })).finally(() => {
        setImmediate(() => {
          roleRead = undefined;
        });
      });
      return roleRead;
    };
    const reportsStore = async () => (await readRole()).reportsStore;
    const reporterGauge: Gauge = new Gauge({
      name: 'manifold_store_metrics_reporter',
      help: 'Whether this process emits the store-wide gauges (backlog, exceptions, drift, alerts, processes): 1 on one of the processes sharing the store',
      registers,
      collect: async () => {
        reporterGauge.set((await reportsStore()) ? 1 : 0);
      },
    });
    const processesGauge: Gauge<'state'> = new Gauge({
      name: 'manifold_processes',
      help: 'Hub processes registered on the store by state: alive (heartbeat within the TTL) or dead',
      labelNames: ['state'],
      registers,
      collect: async () => {
        const role = await readRole();
        processesGauge.reset();
        if (!role.reportsStore || role.alive === undefined) return;
        processesGauge.set({ state: 'alive' }, role.alive);
        processesGauge.set({ state: 'dead' }, role.dead ?? 0);
      },
    });
    const driftGauge: Gauge<'system'> = new Gauge({
      name: 'manifold_inventory_drift_units',
      help: "Units by which each system's newest inventory snapshot differed from Manifold's positions",
      labelNames: ['system'],
      registers,
      collect: async () => {
        driftGauge.reset();
        if (!(await reportsStore())) return;
        const reports = (await this.sources?.drift()) ?? [];
        for (const r of reports) driftGauge.set({ system: r.system }, r.units);
      },
    });
    this.edi = new Counter({
      name: 'manifold_edi_documents_total',
      help: 'X12 transaction sets by partner, set, direction (in, out) and outcome (accepted, rejected, sent, failed)',
      labelNames: ['partner', 'set', 'direction', 'outcome'],
      registers,
    });
    this.pollRuns = new Counter({
      name: 'manifold_poll_runs_total',
      help: 'Runs of pollers (systems.<name>.poll) by system, poller and outcome (ok, failed, refused)',
      labelNames: ['system', 'poll', 'outcome'],
      registers,
    });
    this.pollItems = new Counter({
      name: 'manifold_poll_items_total',
      help: 'Items pollers ingested as new events (duplicates not counted), by system and poller',
      labelNames: ['system', 'poll'],
      registers,
    });
    this.pruned = new Counter({
      name: 'manifold_retention_pruned_total',
      help: 'Rows pruned by retention, by kind (events: payloads dropped; attempts; deliveries; ledger: rows folded into checkpoints)',
      labelNames: ['kind'],
      registers,
    });
    this.pollLastSuccess = new Gauge({
      name: 'manifold_poll_last_success_timestamp_seconds',
      help: 'When a poller last completed a run without failure (Unix seconds), by system and poller',
      labelNames: ['system', 'poll'],
      registers,
    });
    this.pollFailures = new Gauge({
      name: 'manifold_poll_consecutive_failures',
      help: 'Runs in a row that failed, by system and poller (0 after a successful run)',
      labelNames: ['system', 'poll'],
      registers,
    });
    const alertsGauge: Gauge<'rule'> = new Gauge({
      name: 'manifold_alerts_firing',
      help: 'Alert rules currently firing (1) or not (0)',
      labelNames: ['rule'],
      registers,
      collect: async () => {
        alertsGauge.reset();
        if (!(await reportsStore())) return;
        const rules = (await this.sources?.alerts()) ?? [];
        for (const r of rules) alertsGauge.set({ rule: r.rule }, r.firing ? 1 : 0);
      },
    });

    // One store read per scrape fills the three backlog gauges: prom-client collects them in turn, the
    // first read is shared by the others of the same scrape.
    let backlogRead: Promise<BacklogStat[]> | undefined;
    const readBacklog = () => {
      backlogRead ??= (this.sources?.backlog() ?? Promise.resolve([])).finally(() => {
        setImmediate(() => {
          backlogRead = undefined;
        });
      });
      return backlogRead;
    };
    // Subscriptions and codes seen once stay on the page at 0, so that a drained backlog reads 0, not gone.
    const subscriptions = new Set<string>();
    const perSubscription = (
      name: string,
      help: string,
      value: (stat: BacklogStat) => number,
    ): Gauge<'subscription'> => {
      const gauge: Gauge<'subscription'> = new Gauge({
        name,
        help,
        labelNames: ['subscription'],
        registers,
        collect: async () => {
          gauge.reset();
          if (!(await reportsStore())) return;
          const stats = await readBacklog();
          for (const s of stats) subscriptions.add(s.subscription);
          for (const subscription of subscriptions) gauge.set({ subscription }, 0);
          for (const s of stats) gauge.set({ subscription: s.subscription }, value(s));
        },
      });
      return gauge;
    };
    perSubscription(
      'manifold_delivery_backlog',
      'Outbox rows waiting to be delivered, per subscription',
      (s) => s.pending,
    );
    perSubscription(
      'manifold_delivery_parked',
      'Outbox rows parked in the exception queue, per subscription',
      (s) => s.parked,
    );
    perSubscription(
      'manifold_delivery_oldest_pending_seconds',
      'Age of the oldest row waiting to be delivered, per subscription (0 when none)',
      (s) => this.ageSeconds(s),
    );
    const codes = new Set<string>();
    const exceptionsGauge: Gauge<'code'> = new Gauge({
      name: 'manifold_exceptions_open',
      help: 'Open exceptions by code',
      labelNames: ['code'],
      registers,
      collect: async () => {
        exceptionsGauge.reset();
        if (!(await reportsStore())) return;
        const counts = (await this.sources?.openExceptions()) ?? [];
        const byCode = new Map<string, number>([...codes].map((c) => [c, 0]));
        for (const c of counts) byCode.set(c.code, (byCode.get(c.code) ?? 0) + c.count);
        for (const [code, n] of byCode) {
          codes.add(code);
          exceptionsGauge.set({ code }, n);
        }
      },
    });
    const limitGauge: Gauge<'target'> = new Gauge({
      name: 'manifold_target_concurrency_limit',
      help: 'Requests this process may have in flight to a delivery target now (adaptive: halved on 429/503)',
      labelNames: ['target'],
      registers,
      collect: () => {
        limitGauge.reset();
        for (const t of this.sources?.targetLimits?.() ?? []) limitGauge.set({ target: t.system }, t.limit);
      },
    });
    const pausedGauge: Gauge<'target'> = new Gauge({
      name: 'manifold_target_paused',
      help: 'Whether a delivery target is paused by its Retry-After: 1 paused, 0 not',
      labelNames: ['target'],
      registers,
      collect: () => {
        pausedGauge.reset();
        for (const t of this.sources?.targetLimits?.() ?? [])
          pausedGauge.set({ target: t.system }, t.paused ? 1 : 0);
      },
    });
    const circuitGauge: Gauge<'target'> = new Gauge({
      name: 'manifold_circuit_state',
      help: 'Circuit breaker per delivery target: 0 closed, 1 half-open, 2 open',
      labelNames: ['target'],
      registers,
      collect: () => {
        circuitGauge.reset();
        for (const c of this.sources?.circuits() ?? []) {
          circuitGauge.set({ target: c.system }, CIRCUIT_GAUGE[c.state]);
        }
      },
    });
  }

  /** Connects the scrape-time gauges to the store and the delivery engine. */
  attach(sources: TelemetrySources): void {
    this.sources = sources;
  }

  /** Counts ingest and delivery into the one-minute rollups as well. */
  attachRollups(rollups: MinuteRollups): void {
    this.rollups = rollups;
  }

  /** Age in seconds of a subscription's oldest pending row now (0 when none). */
  ageSeconds(stat: BacklogStat | undefined): number {
    return pendingAgeSeconds(stat, this.nowMs());
  }

  /** One delivery attempt of `events` events; `latencyMs` is from ingest to the end of the attempt. */
  attempt(
    subscription: string,
    outcome: DeliveryAttemptOutcome,
    events: number,
    latenciesMs: number[],
  ): void {
    this.attempts.inc({ subscription, outcome });
    this.flows.record(subscription, outcome === 'delivered', events);
    this.rollups?.attempt(subscription, outcome === 'delivered', events, latenciesMs);
    if (outcome !== 'delivered') return;
    for (const ms of latenciesMs) this.latency.observe({ subscription }, ms / 1000);
  }

  /** Ingest of one event by `source` (the sending system). */
  ingest(source: string, type: string, outcome: IngestOutcome): void {
    this.ingested.inc({ source, type, outcome });
    this.rollups?.ingest(outcome);
    if (outcome === 'duplicate') this.duplicates.inc({ source });
  }

  /** Outbox rows made for a subscription (events queued for it), for the rollups. */
  queued(subscription: string): void {
    this.rollups?.queued(subscription);
  }

  /** The Prometheus text exposition. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
