/**
 * Group commit: writes submitted while a commit is running are gathered and committed together in the
 * next one, so that many concurrent requests share one fsync. Each unit stays atomic on its own: the
 * adapter's `flush` returns one result or one Error per unit (a failing unit is rolled back to its
 * savepoint and does not take its neighbours down).
 */
export type FlushFn<U, R> = (units: U[]) => Promise<Array<R | Error>>;

interface Pending<U, R> {
  unit: U;
  resolve: (result: R) => void;
  reject: (error: Error) => void;
}

export class GroupCommit<U, R> {
  private queue: Pending<U, R>[] = [];
  private draining: Promise<void> | undefined;

  /**
   * @param flush commits a batch of units in one transaction
   * @param maxUnits most units in one commit, to bound latency and transaction size
   */
  constructor(
    private readonly flush: FlushFn<U, R>,
    private readonly maxUnits = 2000,
  ) {}

  /** Queues a unit; resolves once the commit that holds it is durable. */
  submit(unit: U): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ unit, resolve, reject });
      // setImmediate runs after the current I/O phase, so requests that arrived together commit together.
      this.draining ??= new Promise<void>((done) => setImmediate(() => this.drain().finally(done)));
    });
  }

  /** Resolves when everything submitted so far has been committed (or failed). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxUnits);
        let results: Array<R | Error>;
        try {
          results = await this.flush(batch.map((p) => p.unit));
        } catch (error) {
          const failure = error instanceof Error ? error : new Error(String(error));
          for (const p of batch) p.reject(failure);
          continue;
        }
        batch.forEach((p, i) => {
          const result = results[i] as R | Error;
          if (result instanceof Error) p.reject(result);
          else p.resolve(result);
        });
      }
    } finally {
      this.draining = undefined;
    }
  }
}
