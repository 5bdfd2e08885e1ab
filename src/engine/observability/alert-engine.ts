/**
 * Evaluates the configured alert rules every few seconds against the store (backlog, oldest pending,
 * exceptions opened, drift) and the delivery engine (circuits). A rule that starts or stops firing is
 * logged and emitted as `com.manifold.ops.alert.v1`, a hub event like any other: a subscription to it
 * delivers it to an on-call webhook with the delivery engine's retries, signing and exception queue.
 * The current state of every rule is kept in the store and served at `GET /v1/alerts`: a restart goes on
 * from it (what fired stays firing, and is not sent again), and of several hub processes sharing a store
 * the one holding the `alerts` lease evaluates while every one answers the same state.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { CompiledConfig } from '../../config/compiled-config.js';
import {
  type AlertInstance,
  type AlertObservation,
  type AlertRule,
  instanceKey,
  stepAlert,
} from '../../domain/alerts/alert-state.js';
import type { Breach, OrderFacts, ServiceLevelCondition } from '../../domain/alerts/service-levels.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import type { CircuitState } from '../../domain/delivery/circuit-breaker.js';
import { HUB_SYSTEM } from '../../domain/event-catalogue.js';
import type { BacklogStat } from '../../store/delivery-port.js';
import { LeaseLost } from '../../store/lease-fence.js';
import type { Store } from '../../store/store-port.js';
import type { IngestService } from '../ingest-service.js';
import {
  breachScope,
  describeServiceLevel,
  isServiceLevel,
  type ServiceLevelReport,
  ServiceLevels,
} from './service-levels.js';
import { pendingAgeSeconds } from './telemetry.js';

export const ALERT_EVENT_TYPE = 'com.manifold.ops.alert.v1';
/** How often the service levels read the orders' facts again (alerts; GET /v1/service-levels reads each call). */
export const SERVICE_LEVEL_READ_MS = 60_000;
/** The lease of the process that evaluates the rules. */
const LEASE = 'alerts';

export interface AlertEngineOptions {
  /** Time between evaluations (default 5 s). */
  intervalMs?: number;
  now?: () => Date;
  /** Circuit state per target system (the delivery engine's breakers). */
  circuits?: () => { system: string; state: CircuitState }[];
  /** Told each transition (the hub logs it). */
  onTransition?: (alert: AlertInstance, transition: 'fired' | 'resolved') => void;
  onError?: (loop: string, error: unknown) => void;
  /** Who holds this loop's lease: the hub process's incarnation (default: host, pid and a random part). */
  leaseOwner?: string;
}

/** What one evaluation reads, shared by every rule. */
interface Snapshot {
  backlog?: Map<string, BacklogStat>;
  drift?: Map<string, number>;
  orders?: Promise<OrderFacts[]>;
}

export class AlertEngine {
  private readonly instances = new Map<string, AlertInstance>();
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Subscriptions that deliver (have a connector): the scopes of unscoped backlog rules. */
  private readonly delivering: string[];
  private readonly ruleNames: Set<string>;
  private readonly intervalMs: number;
  private readonly serviceLevels: ServiceLevels;
  private ordersRead: { atMs: number; facts: Promise<OrderFacts[]> } | undefined;
  /** Who this process is, for the lease. */
  private readonly owner: string;
  /** Whether this process held the lease at its last evaluation (its `instances` are then current). */
  private leading = false;
  /** The lease's epoch while held: the evaluator's writes are fenced by it. */
  private epoch: number | undefined;

  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
    private readonly ingest: IngestService,
    private readonly options: AlertEngineOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.owner = options.leaseOwner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.delivering = config.subscriptions.filter((s) => s.connector !== undefined).map((s) => s.name);
    this.ruleNames = new Set(config.alerts.map((r) => r.name));
    this.intervalMs = options.intervalMs ?? 5000;
    this.serviceLevels = new ServiceLevels(config, store);
  }

  get rules(): readonly AlertRule[] {
    return this.config.alerts;
  }

  start(): void {
    if (this.timer || this.config.alerts.length === 0) return;
    this.timer = setInterval(() => void this.evaluate(), this.intervalMs);
    this.timer.unref();
    void this.evaluate();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.leading) await this.store.ops.releaseLease(LEASE, this.owner).catch(() => undefined);
    this.leading = false;
  }

  /** Every service-level rule with the orders breaching it now, counted by customer, partner and warehouse. */
  async serviceLevelReport(): Promise<ServiceLevelReport> {
    return this.serviceLevels.report(this.now().getTime());
  }

  /** Every instance of the configured rules, as stored: firing first, then pending, then by rule name. */
  async list(): Promise<{ evaluatedAt?: string; alerts: AlertInstance[] }> {
    const stored = (await this.store.ops.alertStates()).filter((s) => this.ruleNames.has(s.alert.rule));
    const order = { firing: 0, pending: 1, ok: 2 };
    const alerts = stored
      .map((s) => s.alert)
      .sort(
        (a, b) =>
          order[a.status] - order[b.status] ||
          a.rule.localeCompare(b.rule) ||
          (a.scope ?? '').localeCompare(b.scope ?? ''),
      );
    const evaluatedAt = stored.reduce<string | undefined>(
      (latest, s) => (latest === undefined || (s.updatedAt ?? '') > latest ? s.updatedAt : latest),
      undefined,
    );
    return { ...(evaluatedAt ? { evaluatedAt } : {}), alerts };
  }

  /**
   * One evaluation of every rule, by the process holding the lease (one at a time: a slow store does
   * not pile them up). Resolves without evaluating when another process holds it.
   */
  evaluate(): Promise<void> {
    this.running ??= this.evaluateOnce()
      .catch((error: unknown) => this.options.onError?.('alerts', error))
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private async evaluateOnce(): Promise<void> {
    const nowMs = this.now().getTime();
    const leaseMs = Math.max(15_000, this.intervalMs * 3);
    const epoch = await this.store.ops.takeLease(LEASE, this.owner, new Date(nowMs).toISOString(), leaseMs);
    if (epoch === undefined) {
      this.leading = false;
      return;
    }
    if (!this.leading || epoch !== this.epoch) {
      // Taking over (a start, or another process stopped): go on from the stored state.
      this.instances.clear();
      for (const { key, alert } of await this.store.ops.alertStates()) {
        if (this.ruleNames.has(alert.rule)) this.instances.set(key, alert);
      }
      this.leading = true;
      this.epoch = epoch;
    }
    const snapshot: Snapshot = {};
    const events: CloudEvent[] = [];
    const transitions: [AlertInstance, 'fired' | 'resolved'][] = [];
    for (const rule of this.config.alerts) {
      const step = (key: string, observation: AlertObservation) => {
        const { next, transition } = stepAlert(rule, this.instances.get(key), observation, nowMs);
        this.instances.set(key, next);
        if (!transition) return;
        transitions.push([next, transition]);
        events.push(this.event(next, transition, nowMs));
      };
      const seen = new Set<string>();
      for (const observation of await this.observe(rule, snapshot, nowMs)) {
        const key = instanceKey(rule.name, observation.scope);
        seen.add(key);
        step(key, observation);
      }
      // A scope that is gone (a drained subscription's backlog row, a system without a report) reads as 0.
      for (const [key, instance] of this.instances) {
        if (instance.rule !== rule.name || seen.has(key)) continue;
        const summary = `${instance.scope ?? rule.name}: back to 0`;
        step(key, { ...instance, value: 0, breached: false, summary });
      }
    }
    // The alert events first: a crash before the state is saved sends a transition twice, never not at all.
    if (events.length > 0) await this.ingest.emit(events);
    // Fenced: had another process taken the lease meanwhile (this one paused), it writes nothing.
    try {
      await this.store.ops.saveAlertStates(
        [...this.instances].map(([key, alert]) => ({ key, alert })),
        new Date(nowMs).toISOString(),
        { name: LEASE, holder: this.owner, epoch },
      );
    } catch (error) {
      if (error instanceof LeaseLost) this.leading = false;
      throw error;
    }
    for (const [alert, transition] of transitions) this.options.onTransition?.(alert, transition);
  }

  private event(alert: AlertInstance, transition: 'fired' | 'resolved', nowMs: number): CloudEvent {
    const at = new Date(nowMs).toISOString();
    return {
      specversion: '1.0',
      id: `alert:${instanceKey(alert.rule, alert.scope)}:${transition}:${randomUUID()}`,
      source: `/${HUB_SYSTEM}`,
      type: ALERT_EVENT_TYPE,
      time: at,
      datacontenttype: 'application/json',
      data: {
        rule: alert.rule,
        ...(alert.scope === undefined ? {} : { scope: alert.scope }),
        state: transition === 'fired' ? 'firing' : 'resolved',
        severity: alert.severity,
        kind: alert.kind,
        value: alert.value,
        threshold: alert.threshold,
        summary: alert.summary,
        since: transition === 'fired' ? (alert.since ?? at) : at,
      },
    };
  }

  private async observe(rule: AlertRule, snapshot: Snapshot, nowMs: number): Promise<AlertObservation[]> {
    if (isServiceLevel(rule)) {
      snapshot.orders ??= this.orderFacts(nowMs);
      return serviceLevelObservations(
        rule.condition,
        await this.serviceLevels.breaches(rule.condition, await snapshot.orders, nowMs),
      );
    }
    const c = rule.condition;
    switch (c.kind) {
      case 'backlog': {
        const backlog = await this.backlog(snapshot);
        return (c.subscription ? [c.subscription] : this.delivering).map((scope) => {
          const value = backlog.get(scope)?.pending ?? 0;
          return {
            scope,
            value,
            threshold: c.above,
            breached: value > c.above,
            summary: `${scope}: ${value} events waiting to be delivered (alert above ${c.above}${forText(c.forMs)})`,
          };
        });
      }
      case 'oldestPending': {
        const backlog = await this.backlog(snapshot);
        const threshold = c.olderThanMs / 1000;
        return (c.subscription ? [c.subscription] : this.delivering).map((scope) => {
          const value = Math.round(pendingAgeSeconds(backlog.get(scope), nowMs));
          return {
            scope,
            value,
            threshold,
            breached: value > threshold,
            summary: `${scope}: oldest undelivered event is ${seconds(value)} old (alert above ${seconds(threshold)}${forText(c.forMs)})`,
          };
        });
      }
      case 'exceptionRate': {
        const since = new Date(nowMs - c.perMs).toISOString();
        const opened = await this.store.delivery.listExceptions({
          since,
          limit: c.above + 1,
          ...(c.code ? { code: c.code } : {}),
        });
        const value = opened.length;
        const what = c.code ? `${c.code} exceptions` : 'exceptions';
        return [
          {
            ...(c.code ? { scope: c.code } : {}),
            value,
            threshold: c.above,
            breached: value > c.above,
            summary: `${value > c.above ? `more than ${c.above}` : value} ${what} opened in the last ${seconds(c.perMs / 1000)}`,
          },
        ];
      }
      case 'circuitOpen': {
        const circuits = this.options.circuits?.() ?? [];
        return circuits
          .filter((t) => !c.target || t.system === c.target)
          .map((t) => ({
            scope: t.system,
            value: t.state === 'open' ? 1 : 0,
            threshold: 0,
            breached: t.state === 'open',
            summary: `circuit to ${t.system} is ${t.state.replace('_', '-')}${forText(c.forMs)}`,
          }));
      }
      case 'drift': {
        snapshot.drift ??= new Map(
          (await this.store.inventory.latestDrift()).map((r) => [r.system, r.units] as const),
        );
        const drift = snapshot.drift;
        const systems = c.system ? [c.system] : [...drift.keys()];
        return systems.map((scope) => {
          const value = drift.get(scope) ?? 0;
          return {
            scope,
            value,
            threshold: c.above,
            breached: value > c.above,
            summary: `${scope}: last inventory snapshot drifts by ${value} units (alert above ${c.above})`,
          };
        });
      }
      default:
        return [];
    }
  }

  /**
   * The orders' facts for the service levels, read again at most every `SERVICE_LEVEL_READ_MS` (each read
   * is one query per order in the lifecycle; the other rules keep their 5 s evaluation).
   */
  private orderFacts(nowMs: number): Promise<OrderFacts[]> {
    const cached = this.ordersRead;
    if (cached && nowMs >= cached.atMs && nowMs - cached.atMs < SERVICE_LEVEL_READ_MS) return cached.facts;
    const facts = this.serviceLevels.facts(nowMs);
    this.ordersRead = { atMs: nowMs, facts };
    facts.catch(() => {
      if (this.ordersRead?.facts === facts) this.ordersRead = undefined;
    });
    return facts;
  }

  private async backlog(snapshot: Snapshot): Promise<Map<string, BacklogStat>> {
    snapshot.backlog ??= new Map(
      (await this.store.delivery.deliveryBacklog()).map((s) => [s.subscription, s] as const),
    );
    return snapshot.backlog;
  }
}

/** One observation per partner or warehouse with breaches (or the one the rule names). */
function serviceLevelObservations(
  condition: ServiceLevelCondition & { above: number },
  breaches: Breach[],
): AlertObservation[] {
  const named =
    'partner' in condition ? condition.partner : 'location' in condition ? condition.location : undefined;
  const counts = new Map<string | undefined, number>(named === undefined ? [] : [[named, 0]]);
  for (const breach of breaches) {
    const scope = named ?? breachScope(condition, breach);
    counts.set(scope, (counts.get(scope) ?? 0) + 1);
  }
  const what = describeServiceLevel(condition);
  return [...counts].map(([scope, value]) => ({
    ...(scope === undefined ? {} : { scope }),
    value,
    threshold: condition.above,
    breached: value > condition.above,
    summary: `${scope === undefined ? '' : `${scope}: `}${value} ${condition.kind === 'unacknowledged' ? 'interchanges' : 'orders'} ${what}${forText(condition.forMs)}`,
  }));
}

function forText(ms: number): string {
  return ms > 0 ? ` for ${seconds(ms / 1000)}` : '';
}

function seconds(s: number): string {
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600}h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60}m`;
  return `${Math.round(s)}s`;
}
