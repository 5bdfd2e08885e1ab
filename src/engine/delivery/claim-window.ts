/**
 * How much of a subscription's backlog one runner holds in memory (docs/delivery.md): rows claimed ahead
 * of sending, and at most in all, including those whose record is not durable yet, which bounds both the
 * memory a backlog takes and what a crash could send again.
 */

/** Most rows a runner holds claimed (buffered, on the wire, or being recorded), in rounds of `concurrency`. */
export const MAX_CLAIMED_ROUNDS = 4;
/** Rows of one busy key claimed ahead however low the concurrency: one request at a time goes per key. */
export const KEY_RUN_ROWS = 128;

/**
 * How many rows a runner claims ahead (`ahead`: buffered and on the wire) and holds at most (`held`: also
 * those whose record is not durable yet, i.e. what a crash could send again).
 */
export function claimWindow(concurrency: number, batch: number): { ahead: number; held: number } {
  return {
    ahead: Math.max(2 * concurrency * batch, KEY_RUN_ROWS),
    held: Math.max(MAX_CLAIMED_ROUNDS * concurrency * batch, 2 * KEY_RUN_ROWS),
  };
}
