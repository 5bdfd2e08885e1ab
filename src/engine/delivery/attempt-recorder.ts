/**
 * Records a subscription's attempt results in the order their answers came: all results queued while a
 * transaction commits go in the next one, one transaction at a time. A key's delivered events are thus
 * recorded in its order, and a crash leaves only a tail of the key unrecorded (sent again, in order:
 * docs/delivery.md §3, "After a crash").
 */
import type { AttemptResult, DeliveryStore } from '../../store/delivery-port.js';

/** Results of one request waiting for their record. */
interface PendingRecord {
  results: AttemptResult[];
  resolve: () => void;
  reject: (error: Error) => void;
}

export class AttemptRecorder {
  /** Attempt results waiting to be recorded, in the order the answers came. */
  private readonly queue: PendingRecord[] = [];
  private recording = false;
  /** Keys whose last record failed: their later results are not recorded either (see `flush`). */
  private readonly unrecordedKeys = new Set<string>();

  constructor(private readonly store: Pick<DeliveryStore, 'completeAttempts'>) {}

  /** Queues results to be recorded; resolves once they are durable. */
  record(results: AttemptResult[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ results, resolve, reject });
      if (!this.recording) void this.flush();
    });
  }

  /**
   * Records what is queued, one transaction at a time. When a transaction fails, the later results of its
   * keys are not recorded either until the queue has drained: those rows are sent again, from the first
   * unrecorded one, in order.
   */
  private async flush(): Promise<void> {
    this.recording = true;
    while (this.queue.length > 0) {
      const group = this.queue.splice(0);
      const held = group.filter((entry) =>
        entry.results.some((result) => this.unrecordedKeys.has(result.claim.partitionKey)),
      );
      const writing = group.filter((entry) => !held.includes(entry));
      for (const entry of held) entry.reject(new Error('not recorded: an earlier record of its key failed'));
      try {
        await this.store.completeAttempts(writing.flatMap((entry) => entry.results));
        for (const entry of writing) entry.resolve();
      } catch (error) {
        for (const entry of writing) {
          for (const result of entry.results) this.unrecordedKeys.add(result.claim.partitionKey);
          entry.reject(error as Error);
        }
      }
    }
    this.unrecordedKeys.clear();
    this.recording = false;
  }
}
