/**
 * One background loop of the hub: runs `step` until it reports no work, never twice at once, when woken
 * (after an ingest, a reservation) and on its owner's timer as a safety net.
 *
 * With a {@link SingletonLease}, the loop is a singleton of the cluster: it steps only while this process
 * holds the lease, and each step is given the lease's fence for its writes. Waking it in a process that does
 * not hold the lease does nothing (the holder finds the work on its own timer).
 */

import type { LeaseFence } from '../store/lease-fence.js';
import { LeaseLost } from '../store/lease-fence.js';
import type { SingletonLease } from './singleton-lease.js';

export class Loop {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    readonly name: string,
    private readonly step: (fence?: LeaseFence) => Promise<number>,
    private readonly onError: (loop: string, error: unknown) => void,
    /** The lease that makes it a singleton, and how to tell whether work is left for its holder. */
    private readonly singleton?: { lease: SingletonLease; pending: () => Promise<boolean> },
  ) {}

  get lease(): SingletonLease | undefined {
    return this.singleton?.lease;
  }

  /** Runs now, or once more after the current pass. */
  wake(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          // The lease is asked for before every step: under steady load a pass may go on for longer than
          // the lease, which is renewed here (the store is asked once per renewal period at most).
          for (;;) {
            const fence = this.lease ? await this.lease.hold() : undefined;
            if (this.lease && !fence) return;
            if ((await this.step(fence)) === 0) break;
          }
        } while (this.again);
      } catch (error) {
        // Another process holds the lease now: nothing of the refused write was written; it goes on there.
        if (error instanceof LeaseLost) this.lease?.lost();
        else this.onError(this.name, error);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /**
   * Runs until there is no work left (tests, shutdown). A process that does not hold the lease waits,
   * up to `timeoutMs`, for the holder to do it — or takes the lease over when it is given up or expires.
   */
  async settle(timeoutMs = 15_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      await this.wake();
      if (!this.singleton || this.singleton.lease.held) return;
      if (!(await this.singleton.pending()) || Date.now() > until) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Waits for the pass under way, then gives the lease up (when there is one) so another process takes it. */
  async stop(): Promise<void> {
    await this.idle();
    await this.lease?.release().catch(() => undefined);
  }
}
