/**
 * The one-minute rollups of the hub's figures (docs/console.md#charts-over-time): every hub process adds
 * its own counts of a minute under its own name, and a read sums them over the processes, so that the
 * charts of the console show the whole hub whichever process answers.
 */

/** The hub's figures of one minute, for one subscription or (subscription `''`) for the hub itself. */
export interface MinuteCounts {
  /** Events accepted by ingest (hub row). */
  ingested: number;
  /** Events ingest found in the log already (hub row). */
  duplicates: number;
  /** Events ingest refused (hub row). */
  rejected: number;
  /** Events delivered (subscription rows). */
  delivered: number;
  /** Delivery attempts, and of them those that failed (retryable or permanent). */
  attempts: number;
  failed: number;
  /**
   * Outbox rows pending at the end of the minute, as a process sampled it from the store. A figure of the
   * whole store, not a count: a read takes the largest sample of the processes, never their sum.
   */
  backlog?: number;
  /** Delivered events per latency bucket (`LATENCY_BUCKETS_MS` of `domain/metrics/latency-histogram.ts`). */
  latency: number[];
}

export interface MinuteRollup extends MinuteCounts {
  /** The minute's start, ISO 8601 UTC (`2026-12-03T10:04:00.000Z`). */
  minute: string;
  /** A subscription, or `''` for the hub's own figures. */
  subscription: string;
}

export interface MinuteRange {
  /** First minute (inclusive), ISO 8601. */
  from: string;
  /** End (exclusive), ISO 8601. */
  until: string;
  /** Only this subscription's rows (`''`: only the hub's). */
  subscription?: string;
}

export interface MetricsStore {
  /**
   * Adds `process`'s counts to the stored ones of each minute and subscription (a repeated minute adds up;
   * `backlog` replaces the process's earlier sample), and deletes the minutes before `pruneBefore`, in one
   * transaction.
   */
  addMinutes(process: string, rows: MinuteRollup[], pruneBefore?: string): Promise<void>;
  /** The minutes of the range summed over the processes, by minute then subscription. */
  minutes(range: MinuteRange): Promise<MinuteRollup[]>;
}
