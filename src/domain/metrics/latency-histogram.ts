/**
 * The fixed latency histogram of the one-minute rollups (docs/console.md#charts-over-time). Every hub
 * process counts its delivery latencies into the same buckets, so that the counts of several processes and
 * several minutes add up, and a percentile is read from the sum.
 *
 * Precision: a percentile is answered as the upper bound of the bucket that holds it, so the true value lies
 * between the previous bound and the answer (neighbouring bounds are 2 to 3 times apart, 5 times between
 * 60 s and 300 s). Above the last bound the answer is that bound (the true value is at least that).
 */

/** Upper bounds (inclusive) of the buckets in milliseconds; a last, open bucket holds everything above. */
export const LATENCY_BUCKETS_MS = [
  10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000,
] as const;

/** Buckets in a histogram: one per bound, and the open one. */
export const LATENCY_BUCKET_COUNT = LATENCY_BUCKETS_MS.length + 1;

/** A histogram with every count at 0. */
export function emptyHistogram(): number[] {
  return new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
}

/** The bucket a latency falls into. */
export function bucketOf(latencyMs: number): number {
  for (let i = 0; i < LATENCY_BUCKETS_MS.length; i++) {
    if (latencyMs <= (LATENCY_BUCKETS_MS[i] as number)) return i;
  }
  return LATENCY_BUCKETS_MS.length;
}

/** Adds `b` into `a` bucket by bucket (both of `LATENCY_BUCKET_COUNT`). */
export function addHistogram(a: number[], b: readonly number[]): number[] {
  for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) a[i] = (a[i] ?? 0) + (b[i] ?? 0);
  return a;
}

/**
 * The `q` quantile (0 < q ≤ 1) of a histogram as the upper bound of its bucket in milliseconds, or
 * undefined for an empty histogram.
 */
export function histogramQuantile(counts: readonly number[], q: number): number | undefined {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank) return LATENCY_BUCKETS_MS[Math.min(i, LATENCY_BUCKETS_MS.length - 1)];
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1];
}
