/**
 * The delivery engine: one runner per subscription with a connector block, and per target system a
 * circuit breaker, an adaptive concurrency limit and an optional rate limit shared by the runners to it,
 * each subscription sending through the outbound role of its connector kind (src/connectors/registry.ts). Ingest wakes the runners of the subscriptions it
 * wrote outbox rows for; otherwise they poll for retries coming due.
 */

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { CompiledConfig, CompiledSubscription } from '../../config/compiled-config.js';
import type {
  ConnectorContext,
  OutboundResult as DeliveryResponse,
  OutboundConnector,
  SharedResource,
} from '../../connectors/connector-port.js';
import { connectorKind } from '../../connectors/registry.js';
import type { AdaptiveConcurrencySnapshot } from '../../domain/delivery/adaptive-concurrency.js';
import { DEFAULT_CONCURRENCY } from '../../domain/delivery/adaptive-concurrency.js';
import { CircuitBreaker, type CircuitSnapshot } from '../../domain/delivery/circuit-breaker.js';
import {
  ALONE,
  type ProcessShare,
  shareOfConcurrency,
  shareOfRate,
} from '../../domain/delivery/process-share.js';
import type { TargetSignal } from '../../domain/delivery/target-signal.js';
import { TokenBucket, type TokenBucketPolicy } from '../../domain/delivery/token-bucket.js';
import type { DeliveryClaim } from '../../store/delivery-port.js';
import type { Store } from '../../store/store-port.js';
import { connectorContext } from '../connector-context.js';
import type { Telemetry } from '../observability/telemetry.js';
import { type Tracing, tracingFor } from '../observability/tracing.js';
import { DeliveryTarget } from './delivery-target.js';
import { SubscriptionRunner } from './subscription-runner.js';

export interface DeliveryEngineOptions {
  /** Idle poll interval (default 250 ms). */
  pollMs?: number;
  now?: () => Date;
  random?: () => number;
  onAttempt?: (
    subscription: CompiledSubscription,
    claims: DeliveryClaim[],
    response: DeliveryResponse,
  ) => void;
  onError?: (subscription: CompiledSubscription, error: unknown) => void;
  /** Counts every attempt (metrics, the console's throughput and error rate). */
  telemetry?: Telemetry;
  /** Trace headers and `deliver` spans of every attempt; the config's (`tracingFor`) by default. */
  tracing?: Tracing;
  /**
   * The hub processes sharing the store (the process registry). When given, targets' rates and
   * concurrency are split among the live processes, and breaker transitions are shared through the store.
   */
  processes?: LiveProcesses;
  /** How often the shares and other processes' breaker transitions are read (default 1 s). */
  syncMs?: number;
  onSyncError?: (error: unknown) => void;
  /** Told when a target's breaker opens or closes, or its adaptive concurrency limit moves (logged). */
  onTargetChange?: (change: TargetChange) => void;
}

/**
 * A change of a target worth a log line: its breaker opened or closed (`by`: an answer here, or another
 * hub process sharing the store), or its adaptive concurrency limit moved (`reason`: the answer's signal,
 * or `share` when the live process count changed this process's share of the maximum).
 */
export type TargetChange =
  | {
      target: string;
      state: 'open' | 'closed';
      /** When the next probe may go (ISO 8601), while open. */
      retryAt?: string;
      consecutiveFailures: number;
      openPeriodMs: number;
      by: 'answer' | 'other-process';
    }
  | { target: string; limit: number; previous: number; maxLimit: number; reason: TargetSignal | 'share' };

/** What delivery needs of the process registry: this incarnation, and the live ones, oldest first. */
export interface LiveProcesses {
  readonly incarnation: string;
  live(): Promise<{ incarnation: string }[]>;
}

export interface TargetHealth {
  system: string;
  circuit: CircuitSnapshot;
  /** The target's adaptive concurrency: limit now, maximum, requests in flight, `Retry-After` pause. */
  concurrency: AdaptiveConcurrencySnapshot;
}

export class DeliveryEngine {
  private readonly runners = new Map<string, SubscriptionRunner>();
  private readonly targetsByName = new Map<string, DeliveryTarget>();
  /** Resources the connector kinds share (one HTTP client), closed when the engine stops. */
  private readonly shared = new Map<string, SharedResource>();
  private readonly now: () => Date;

  /** The configured systems (each target's circuit breaker policy). */
  private readonly systems: CompiledConfig['systems'];
  /** Each rate limit with its configured policy, so that a process takes its share of it. */
  private readonly rateLimits: { bucket: TokenBucket; policy: TokenBucketPolicy }[] = [];
  private readonly owner: string;
  private readonly store: Store;
  private readonly options: DeliveryEngineOptions;
  private share: ProcessShare = { ...ALONE };
  /** Versions of the stored breaker transitions already applied here, per target. */
  private readonly seenCircuits = new Map<string, number>();
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;

  constructor(config: CompiledConfig, store: Store, options: DeliveryEngineOptions = {}) {
    this.systems = config.systems;
    this.now = options.now ?? (() => new Date());
    // Unique per engine: two engines in one process must not pass for each other's leases.
    const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.owner = owner;
    this.store = store;
    this.options = options;
    const startMs = this.now().getTime();
    const targetBuckets = new Map<string, TokenBucket>();
    for (const system of config.systems.values()) {
      const bucket = system.rateLimit?.bucket;
      if (bucket) targetBuckets.set(system.name, this.rateLimit(bucket, startMs));
    }
    const { telemetry } = options;
    const context: ConnectorContext = connectorContext(config, store, this.now, this.shared, telemetry);
    // Each kind's outbound role is opened once, on its first subscription.
    const outbound = new Map<
      string,
      (subscription: CompiledSubscription, section: unknown) => OutboundConnector
    >();
    const tracing = options.tracing ?? tracingFor(config);
    const onAttempt: DeliveryEngineOptions['onAttempt'] = telemetry
      ? (subscription, claims, response) => {
          const nowMs = this.now().getTime();
          telemetry.attempt(
            subscription.name,
            response.outcome,
            claims.length,
            claims.map((c) => nowMs - Date.parse(c.ingestedAt)),
          );
          options.onAttempt?.(subscription, claims, response);
        }
      : options.onAttempt;
    for (const subscription of config.subscriptions) {
      const binding = subscription.connector;
      const kind = binding && connectorKind(binding.kind);
      if (!binding || !kind?.openOutbound) continue;
      let open = outbound.get(binding.kind);
      if (!open) {
        open = kind.openOutbound(context);
        outbound.set(binding.kind, open);
      }
      const connector = open(subscription, binding.section);
      const target = this.targetFor(subscription.target, config.subscriptions);
      const buckets: TokenBucket[] = [];
      if (subscription.rateLimit) buckets.push(this.rateLimit(subscription.rateLimit, startMs));
      const targetBucket = targetBuckets.get(subscription.target);
      if (targetBucket) buckets.push(targetBucket);
      this.runners.set(
        subscription.name,
        new SubscriptionRunner(subscription, {
          store: store.delivery,
          send: (sub, events, attempt) =>
            tracing.deliver(sub, events, attempt, (trace) => connector.send(events, { trace, attempt })),
          target,
          buckets,
          now: this.now,
          random: options.random ?? Math.random,
          owner,
          pollMs: options.pollMs ?? 250,
          ...(onAttempt ? { onAttempt } : {}),
          ...(options.onError ? { onError: options.onError } : {}),
        }),
      );
    }
  }

  /**
   * The shared state of a target system. Its concurrency is capped by `systems.<name>.rateLimit.concurrency`
   * or, without one, by the sum of its subscriptions' concurrency (no cap beyond theirs).
   */
  private targetFor(system: string, subscriptions: readonly CompiledSubscription[]): DeliveryTarget {
    let target = this.targetsByName.get(system);
    if (!target) {
      const settings = this.systems.get(system);
      const summed = subscriptions
        .filter((s) => s.target === system && s.connector !== undefined)
        .reduce((sum, s) => sum + (s.rateLimit?.concurrency ?? DEFAULT_CONCURRENCY), 0);
      target = new DeliveryTarget(
        system,
        new CircuitBreaker(settings?.circuitBreaker),
        settings?.rateLimit?.concurrency ?? Math.max(1, summed),
        (changed, circuit) => {
          this.reportCircuit(system, circuit, 'answer');
          this.recordCircuit(changed, circuit);
        },
        (changed, _limit, previous, signal) => this.reportLimit(changed, previous, signal),
      );
      this.targetsByName.set(system, target);
    }
    return target;
  }

  private rateLimit(policy: TokenBucketPolicy, nowMs: number): TokenBucket {
    const bucket = new TokenBucket(policy, nowMs);
    this.rateLimits.push({ bucket, policy: { perSecond: policy.perSecond, burst: policy.burst } });
    return bucket;
  }

  /**
   * Starts the subscriptions. With other processes on the store, the first sync runs before anything is
   * sent: a process that joins takes its share of the limits and adopts a breaker another process opened,
   * instead of sending to a target already known to be down.
   */
  start(): void {
    if (!this.options.processes) {
      for (const runner of this.runners.values()) runner.start();
      return;
    }
    if (this.syncTimer) return;
    this.syncTimer = setInterval(() => void this.sync(), this.options.syncMs ?? 1000);
    this.syncTimer.unref();
    void this.sync().then(() => {
      // Stopped before the first sync ended: stay stopped.
      if (this.syncTimer) for (const runner of this.runners.values()) runner.start();
    });
  }

  /**
   * Reads the live processes and the breaker transitions other processes recorded: this process takes its
   * share of every rate and of each `systems.<name>.rateLimit.concurrency`, and adopts their openings and
   * closings. One pass at a time; a failure is reported and the next pass tries again.
   */
  private sync(): Promise<void> {
    const processes = this.options.processes;
    if (!processes) return Promise.resolve();
    this.syncing ??= (async () => {
      const live = await processes.live();
      const rank = live.findIndex((p) => p.incarnation === processes.incarnation);
      // Not (or no longer) registered: this process still sends, so it counts itself, last.
      const share = rank < 0 ? { count: live.length + 1, rank: live.length } : { count: live.length, rank };
      if (share.count !== this.share.count || share.rank !== this.share.rank) this.applyShare(share);
      const nowMs = this.now().getTime();
      for (const circuit of await this.store.ops.circuits()) {
        const version = circuit.version ?? 0;
        if (version <= (this.seenCircuits.get(circuit.system) ?? 0)) continue;
        this.seenCircuits.set(circuit.system, version);
        const target = this.targetsByName.get(circuit.system);
        if (!target || circuit.updatedBy === this.owner) continue;
        const before = target.breaker.snapshot(nowMs).state;
        if (circuit.state === 'closed') target.breaker.adoptClosing();
        else if (circuit.openedAt !== undefined && circuit.retryAt !== undefined)
          target.breaker.adoptOpening(
            { openedAt: circuit.openedAt, retryAt: circuit.retryAt, openPeriodMs: circuit.openPeriodMs },
            nowMs,
          );
        const after = target.breaker.snapshot(nowMs);
        if ((after.state === 'closed') !== (before === 'closed'))
          this.reportCircuit(circuit.system, after, 'other-process');
      }
    })()
      .catch((error: unknown) => this.options.onSyncError?.(error))
      .finally(() => {
        this.syncing = undefined;
      });
    return this.syncing;
  }

  private applyShare(share: ProcessShare): void {
    this.share = share;
    const nowMs = this.now().getTime();
    for (const { bucket, policy } of this.rateLimits) bucket.setRate(shareOfRate(policy, share), nowMs);
    for (const [system, target] of this.targetsByName) {
      const configured = this.systems.get(system)?.rateLimit?.concurrency;
      if (configured === undefined) continue;
      const previous = target.concurrency.limit;
      target.concurrency.setMaxLimit(shareOfConcurrency(configured, share));
      if (target.concurrency.limit !== previous) this.reportLimit(target, previous, 'share');
    }
  }

  private reportCircuit(system: string, circuit: CircuitSnapshot, by: 'answer' | 'other-process'): void {
    this.options.onTargetChange?.({
      target: system,
      state: circuit.state === 'closed' ? 'closed' : 'open',
      ...(circuit.state !== 'closed' && circuit.retryAt !== undefined
        ? { retryAt: new Date(circuit.retryAt).toISOString() }
        : {}),
      consecutiveFailures: circuit.consecutiveFailures,
      openPeriodMs: circuit.openPeriodMs,
      by,
    });
  }

  private reportLimit(target: DeliveryTarget, previous: number, reason: TargetSignal | 'share'): void {
    const { limit, maxLimit } = target.snapshot(this.now().getTime());
    this.options.onTargetChange?.({ target: target.system, limit, previous, maxLimit, reason });
  }

  /** Shares a transition of a target's breaker with the other processes (when there are any to tell). */
  private recordCircuit(target: DeliveryTarget, circuit: CircuitSnapshot): void {
    if (!this.options.processes) return;
    this.store.ops
      .saveCircuit({
        system: target.system,
        state: circuit.state === 'open' ? 'open' : 'closed',
        ...(circuit.openedAt !== undefined ? { openedAt: circuit.openedAt } : {}),
        ...(circuit.retryAt !== undefined ? { retryAt: circuit.retryAt } : {}),
        openPeriodMs: circuit.openPeriodMs,
        updatedBy: this.owner,
        updatedAt: this.now().toISOString(),
      })
      .then((version) => {
        // Our own write: not to be applied again by the next sync.
        this.seenCircuits.set(target.system, Math.max(version, this.seenCircuits.get(target.system) ?? 0));
      })
      .catch((error: unknown) => this.options.onSyncError?.(error));
  }

  /** This process's share of the targets' limits: how many processes are live and which one it is. */
  processShare(): ProcessShare {
    return { ...this.share };
  }

  /** Claims now for these subscriptions (all when omitted): ingest just wrote rows for them. */
  wake(subscriptions?: Iterable<string>): void {
    if (!subscriptions) {
      for (const runner of this.runners.values()) runner.wake();
      return;
    }
    for (const name of subscriptions) this.runners.get(name)?.wake();
  }

  /** Circuit state and adaptive concurrency per target system. */
  targets(): TargetHealth[] {
    const nowMs = this.now().getTime();
    return [...this.targetsByName].map(([system, target]) => ({
      system,
      circuit: target.breaker.snapshot(nowMs),
      concurrency: target.snapshot(nowMs),
    }));
  }

  /** Requests in flight per subscription. */
  inFlight(): Record<string, number> {
    return Object.fromEntries([...this.runners].map(([name, runner]) => [name, runner.inFlightCount]));
  }

  /** Stops claiming and waits (at most `graceMs`) for requests in flight, then closes the connectors. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.syncTimer = undefined;
    await this.syncing;
    await Promise.all([...this.runners.values()].map((runner) => runner.stop(graceMs)));
    await Promise.all([...this.shared.values()].map((resource) => resource.close()));
  }
}
