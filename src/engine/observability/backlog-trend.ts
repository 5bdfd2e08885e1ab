/**
 * How each subscription's backlog moved over the last `windowSeconds`: every read of the backlog (the
 * overview's, the alert engine's) is noted as a sample, and the growth is the backlog now minus the
 * oldest sample still in the window. Kept per process, a few samples per subscription (one per second
 * at most), so it is 0 until a second read came.
 */
import type { BacklogStat } from '../../store/delivery-port.js';

interface Sample {
  atMs: number;
  pending: number;
}

export class BacklogTrend {
  private readonly samples = new Map<string, Sample[]>();

  constructor(
    readonly windowSeconds = 60,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Notes the backlog as read now; subscriptions not in `stats` are noted at 0 when named in `names`. */
  note(stats: readonly BacklogStat[], names: readonly string[] = []): void {
    const now = this.nowMs();
    const pending = new Map<string, number>(names.map((n) => [n, 0]));
    for (const s of stats) pending.set(s.subscription, s.pending);
    for (const [subscription, count] of pending) {
      const list = this.samples.get(subscription) ?? [];
      const last = list[list.length - 1];
      if (last !== undefined && now - last.atMs < 1000) last.pending = count;
      else list.push({ atMs: now, pending: count });
      this.trim(list, now);
      this.samples.set(subscription, list);
    }
  }

  /** The backlog now minus the oldest sample within the window (0 with fewer than two samples). */
  growth(subscription: string): number {
    const list = this.samples.get(subscription);
    if (!list || list.length < 2) return 0;
    this.trim(list, this.nowMs());
    const first = list[0];
    const last = list[list.length - 1];
    return first && last && list.length >= 2 ? last.pending - first.pending : 0;
  }

  private trim(list: Sample[], now: number): void {
    const oldest = now - this.windowSeconds * 1000;
    while (list.length > 1 && (list[0]?.atMs ?? now) < oldest) list.shift();
  }
}
