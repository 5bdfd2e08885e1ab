/**
 * The delivery engine: one runner per subscription with a connector block, and per target system a
 * circuit breaker, an adaptive concurrency limit and an optional rate limit shared by the runners to it,
 * all sharing one HTTP connector (a pool per origin). Ingest wakes the runners of the subscriptions it
 * wrote outbox rows for; otherwise they poll for retries coming due.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DEFAULT_CONCURRENCY } from '../../config/compile-subscriptions.js';
import type { CompiledConfig, CompiledSubscription } from '../../config/compiled-config.js';
import {
  connectionsByOrigin,
  type DeliveryResponse,
  HttpConnector,
  type TraceHeaders,
} from '../../connectors/http/outbound.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import type { AdaptiveConcurrencySnapshot } from '../../domain/delivery/adaptive-concurrency.js';
import { CircuitBreaker, type CircuitSnapshot } from '../../domain/delivery/circuit-breaker.js';
import { TokenBucket } from '../../domain/delivery/token-bucket.js';
import type { DeliveryClaim } from '../../store/delivery-port.js';
import type { Store } from '../../store/store-port.js';
import { EdiOutbound } from '../edi/edi-outbound.js';
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
  private readonly connector: HttpConnector;
  private readonly now: () => Date;

  /** The configured systems (each target's circuit breaker policy). */
  private readonly systems: CompiledConfig['systems'];

  constructor(config: CompiledConfig, store: Store, options: DeliveryEngineOptions = {}) {
    this.systems = config.systems;
    this.now = options.now ?? (() => new Date());
    this.connector = new HttpConnector({ connections: connectionsByOrigin(config.subscriptions) });
    // Unique per engine: two engines in one process must not pass for each other's leases.
    const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const startMs = this.now().getTime();
    const targetBuckets = new Map<string, TokenBucket>();
    for (const system of config.systems.values()) {
      const bucket = system.rateLimit?.bucket;
      if (bucket) targetBuckets.set(system.name, new TokenBucket(bucket, startMs));
    }
    // Outbound X12 (subscriptions with `edi: {sets}`): rendered once per event, sent by HTTP or `dir:`.
    const { telemetry } = options;
    const edi = new EdiOutbound(
      config,
      store,
      this.now,
      telemetry &&
        ((partner, set, outcome) => telemetry.edi.inc({ partner, set, direction: 'out', outcome })),
    );
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
      if (!subscription.http && !subscription.dir) continue;
      const target = this.targetFor(subscription.target, config.subscriptions);
      const buckets: TokenBucket[] = [];
      if (subscription.rateLimit) buckets.push(new TokenBucket(subscription.rateLimit, startMs));
      const targetBucket = targetBuckets.get(subscription.target);
      if (targetBucket) buckets.push(targetBucket);
      const http = subscription.http;
      const send: (
        subscription: CompiledSubscription,
        events: CloudEvent[],
        trace: TraceHeaders,
      ) => Promise<DeliveryResponse> = subscription.edi
        ? async (sub, events, trace) => {
            const [event] = events;
            if (!event || events.length !== 1)
              throw new Error('an edi: subscription sends one event at a time');
            return edi.send(sub, event, this.connector, trace);
          }
        : async (_subscription, events, trace) =>
            http
              ? this.connector.send(http, events, this.now(), trace)
              : { outcome: 'permanent', latencyMs: 0, error: 'no connector' };
      this.runners.set(
        subscription.name,
        new SubscriptionRunner(subscription, {
          store: store.delivery,
          send: (sub, events, attempt) =>
            tracing.deliver(sub, events, attempt, (trace) => send(sub, events, trace)),
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
        .filter((s) => s.target === system && (s.http || s.dir))
        .reduce((sum, s) => sum + (s.rateLimit?.concurrency ?? DEFAULT_CONCURRENCY), 0);
      target = new DeliveryTarget(
        system,
        new CircuitBreaker(settings?.circuitBreaker),
        settings?.rateLimit?.concurrency ?? Math.max(1, summed),
      );
      this.targetsByName.set(system, target);
    }
    return target;
  }

  start(): void {
    for (const runner of this.runners.values()) runner.start();
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

  /** Stops claiming and waits (at most `graceMs`) for requests in flight, then closes the connector. */
  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all([...this.runners.values()].map((runner) => runner.stop(graceMs)));
    await this.connector.close();
  }
}
