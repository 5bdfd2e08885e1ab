/**
 * Group commit: writes submitted in the same turn of the event loop (and, with one flush in flight, all
 * those submitted while it runs) are committed together, so that many concurrent requests share one
 * fsync. Each unit stays atomic on its own: the adapter's `flush` returns one result or one Error per
 * unit (a failing unit is rolled back to its savepoint and does not take its neighbours down).
 */
export type FlushFn<U, R> = (units: U[]) => Promise<Array<R | Error>>;

interface Pending<U, R> {
  unit: U;
  resolve: (result: R) => void;
  reject: (error: Error) => void;
}

export interface GroupCommitOptions {
  /** Most units in one flush, to bound latency and transaction size (default 2,000). */
  maxUnits?: number;
  /**
   * Flushes allowed to run at once (default 1: the next group forms while one commits). An adapter whose
   * committer queues and merges flushes itself (the SQLite writer thread) sets more, so that groups
   * reach it without waiting for the previous commit's answer.
   */
  maxInFlight?: number;
  /**
   * When a group is cut: `turn` (default) waits for the current I/O phase to end (setImmediate), so that
   * requests that arrived together go out together; `microtask` sends as soon as the current callback
   * returns, for a committer that merges on its side and gains from starting early (the writer thread).
   */
  cut?: 'turn' | 'microtask';
}

export class GroupCommit<U, R> {
  private queue: Pending<U, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly maxUnits: number;
  private readonly maxInFlight: number;
  private readonly defer: (run: () => void) => void;

  /** @param flush commits a batch of units in one transaction */
  constructor(
    private readonly flush: FlushFn<U, R>,
    options: GroupCommitOptions = {},
  ) {
    this.maxUnits = options.maxUnits ?? 2000;
    this.maxInFlight = options.maxInFlight ?? 1;
    this.defer = options.cut === 'microtask' ? queueMicrotask : (run) => setImmediate(run);
  }

  /** Queues a unit; resolves once the commit that holds it is durable. */
  submit(unit: U): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ unit, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything submitted so far has been committed (or failed). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.launch();
    });
  }

  private launch(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.queue.splice(0, this.maxUnits);
      this.inFlight += 1;
      this.flush(batch.map((p) => p.unit))
        .then(
          (results) =>
            batch.forEach((p, i) => {
              const result = results[i] as R | Error;
              if (result instanceof Error) p.reject(result);
              else p.resolve(result);
            }),
          (error: unknown) => {
            const failure = error instanceof Error ? error : new Error(String(error));
            for (const p of batch) p.reject(failure);
          },
        )
        .finally(() => {
          this.inFlight -= 1;
          this.schedule();
          if (this.queue.length === 0 && this.inFlight === 0) {
            for (const wake of this.idleWaiters.splice(0)) wake();
          }
        });
    }
  }
}
