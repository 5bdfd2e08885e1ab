/**
 * A lease held by one process at a time for a background loop that several processes on one store would
 * otherwise all run (the log followers: the inventory fact applier, the availability publisher, the order
 * processor, the backorder fill, the reservation expiry). Only the holder steps the loop; the others leave
 * it alone and take the lease over once the holder stops (it releases it) or dies (it expires).
 *
 * `hold()` is cheap enough to call before every step: the lease is renewed (or, by a non-holder, asked for)
 * in the store at most every `renewMs`; in between, the answer is the one last read. A process paused past
 * its lease may therefore believe it still holds it: what it then writes is refused by the store, either by
 * the fence its writes carry (docs/durability.md#fencing) or by the compare-and-set of the follower's cursor.
 */
import type { LeaseFence } from '../store/lease-fence.js';
import type { Store } from '../store/store-port.js';

export interface SingletonLeaseOptions {
  /** How long the lease lasts without renewal, ms (default 6,000): the failover time after a death. */
  ttlMs?: number;
  /** How often it is renewed by its holder, or asked for by the others, ms (default a third of `ttlMs`). */
  renewMs?: number;
  now?: () => Date;
}

export class SingletonLease {
  readonly ttlMs: number;
  private readonly renewMs: number;
  private readonly now: () => Date;
  private fence: LeaseFence | undefined;
  /** When the store was last asked (ms since the epoch); `-Infinity`: ask at the next `hold()`. */
  private askedAt = Number.NEGATIVE_INFINITY;
  private asking: Promise<LeaseFence | undefined> | undefined;

  constructor(
    private readonly store: Store,
    readonly name: string,
    readonly owner: string,
    options: SingletonLeaseOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 6_000;
    this.renewMs = options.renewMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
    this.now = options.now ?? (() => new Date());
  }

  /** The fence of this process's tenure when it holds the lease (renewing it when due); else undefined. */
  hold(): Promise<LeaseFence | undefined> {
    const at = this.now().getTime();
    if (at - this.askedAt < this.renewMs) return Promise.resolve(this.fence);
    this.asking ??= this.ask(at).finally(() => {
      this.asking = undefined;
    });
    return this.asking;
  }

  /** Whether this process held the lease when last asked (no store call). */
  get held(): boolean {
    return this.fence !== undefined;
  }

  /** A write under the lease was refused (`LeaseLost`): this process no longer holds it; ask again next time. */
  lost(): void {
    this.fence = undefined;
    this.askedAt = Number.NEGATIVE_INFINITY;
  }

  /** Gives the lease up (a stopping process), so that another process takes it over at once. */
  async release(): Promise<void> {
    await this.asking?.catch(() => undefined);
    const held = this.fence !== undefined;
    this.fence = undefined;
    // Not asked again until `hold()` is called after the renewal period (a stopped loop calls nothing).
    this.askedAt = this.now().getTime();
    if (held) await this.store.ops.releaseLease(this.name, this.owner);
  }

  private async ask(at: number): Promise<LeaseFence | undefined> {
    try {
      const epoch = await this.store.ops.takeLease(
        this.name,
        this.owner,
        new Date(at).toISOString(),
        this.ttlMs,
      );
      this.fence = epoch === undefined ? undefined : { name: this.name, holder: this.owner, epoch };
    } catch (error) {
      // Unknown whether it is still held: act as if not, and ask again at the next call.
      this.fence = undefined;
      this.askedAt = Number.NEGATIVE_INFINITY;
      throw error;
    }
    this.askedAt = at;
    return this.fence;
  }
}

/** The owner (the hub process's incarnation) and the lease settings of a process's leased loops. */
export type Singletons = { owner: string } & SingletonLeaseOptions;

/**
 * What makes the loop `loop` a singleton under `singletons` (its lease `loop:<loop>`, and how to tell whether
 * work is left for its holder), for `Loop`; undefined (every process steps it) without `singletons`.
 */
export function singletonLoop(
  store: Store,
  singletons: Singletons | undefined,
  loop: string,
  pending: () => Promise<boolean>,
): { lease: SingletonLease; pending: () => Promise<boolean> } | undefined {
  if (singletons === undefined) return undefined;
  return { lease: new SingletonLease(store, `loop:${loop}`, singletons.owner, singletons), pending };
}
