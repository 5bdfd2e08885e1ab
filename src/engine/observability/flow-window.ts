/**
 * Rolling per-subscription delivery figures for the console and alerts: events delivered, attempts that
 * failed, over the last `windowSeconds`, in one-second slots (a fixed-size ring, no allocation per event).
 */

export interface SubscriptionFlow {
  subscription: string;
  windowSeconds: number;
  /** Events delivered (2xx) in the window. */
  delivered: number;
  /** Attempts that failed (retryable or permanent) in the window. */
  failed: number;
  /** Delivered events per second over the window. */
  throughputPerSecond: number;
  /** Failed attempts ÷ all attempts in the window (0 when none). */
  errorRate: number;
}

class Ring {
  readonly delivered: Float64Array;
  readonly ok: Float64Array;
  readonly failed: Float64Array;
  /** The second (epoch) each slot holds. */
  readonly second: Float64Array;

  constructor(size: number) {
    this.delivered = new Float64Array(size);
    this.ok = new Float64Array(size);
    this.failed = new Float64Array(size);
    this.second = new Float64Array(size).fill(-1);
  }
}

export class FlowWindow {
  private readonly rings = new Map<string, Ring>();

  constructor(
    readonly windowSeconds = 60,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Records one attempt covering `events` events. */
  record(subscription: string, delivered: boolean, events = 1): void {
    let ring = this.rings.get(subscription);
    if (!ring) {
      ring = new Ring(this.windowSeconds);
      this.rings.set(subscription, ring);
    }
    const second = Math.floor(this.nowMs() / 1000);
    const slot = second % this.windowSeconds;
    if (ring.second[slot] !== second) {
      ring.second[slot] = second;
      ring.delivered[slot] = 0;
      ring.ok[slot] = 0;
      ring.failed[slot] = 0;
    }
    if (delivered) {
      ring.delivered[slot] = (ring.delivered[slot] ?? 0) + events;
      ring.ok[slot] = (ring.ok[slot] ?? 0) + 1;
    } else ring.failed[slot] = (ring.failed[slot] ?? 0) + 1;
  }

  /** The window's figures for one subscription (zeros when it has none). */
  flow(subscription: string): SubscriptionFlow {
    const ring = this.rings.get(subscription);
    let delivered = 0;
    let failed = 0;
    let ok = 0;
    if (ring) {
      const oldest = Math.floor(this.nowMs() / 1000) - this.windowSeconds;
      for (let i = 0; i < this.windowSeconds; i++) {
        if ((ring.second[i] ?? -1) <= oldest) continue;
        delivered += ring.delivered[i] ?? 0;
        failed += ring.failed[i] ?? 0;
        ok += ring.ok[i] ?? 0;
      }
    }
    return {
      subscription,
      windowSeconds: this.windowSeconds,
      delivered,
      failed,
      throughputPerSecond: delivered / this.windowSeconds,
      errorRate: ok + failed === 0 ? 0 : failed / (ok + failed),
    };
  }
}
