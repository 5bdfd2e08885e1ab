/**
 * One hub process's share of a limit that several processes on one store must respect together (a
 * target's requests per second and concurrency), without asking the database before each request: each
 * live process takes its part, and the parts add up to the limit. Pure. Rules: docs/delivery.md#6-protecting-targets.
 */
import type { TokenBucketPolicy } from './token-bucket.js';

/** Which of the live processes this one is: `rank` from 0, in the registry's order (oldest first). */
export interface ProcessShare {
  count: number;
  rank: number;
}

/** The whole limit: a process alone. */
export const ALONE: Readonly<ProcessShare> = { count: 1, rank: 0 };

/**
 * A rate split evenly: `perSecond / count`, and the burst likewise (at least one token, or a bucket could
 * never send). The bursts may then add up to a little more than the configured one.
 */
export function shareOfRate(policy: TokenBucketPolicy, share: ProcessShare): TokenBucketPolicy {
  const count = Math.max(1, share.count);
  return { perSecond: policy.perSecond / count, burst: Math.max(1, Math.floor(policy.burst / count)) };
}

/**
 * A concurrency split in whole requests that add up to `total`: `floor(total / count)` each, and one more
 * for the first `total mod count` processes. Never below 1: with more live processes than the target
 * allows requests at once, each still sends one at a time (the sum is then the process count).
 */
export function shareOfConcurrency(total: number, share: ProcessShare): number {
  const count = Math.max(1, share.count);
  const rank = Math.min(Math.max(0, share.rank), count - 1);
  const part = Math.floor(total / count) + (rank < total % count ? 1 : 0);
  return Math.max(1, part);
}
