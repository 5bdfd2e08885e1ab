/**
 * Fencing of the singletons' writes (docs/durability.md#fencing). A process holding a lease gets its epoch
 * from `OpsStore.takeLease`; each write a singleton makes carries the `LeaseFence` it holds, and the store
 * checks it inside the write's own transaction (the lease row is locked by the check, so a takeover either
 * comes before — the write fails, writing nothing — or after it). A process paused past its lease (a long GC,
 * a stopped VM) that wakes and writes gets `LeaseLost`, not a second writer's effect.
 */
import { ConditionNotMet } from './condition-not-met.js';
import type { SqlStep, StepRunner } from './sql-step.js';

/** The lease a write is made under: its name, the holder, and the epoch it was taken at. */
export interface LeaseFence {
  name: string;
  holder: string;
  epoch: number;
}

/** A fenced write found its lease held by someone else (or at a later epoch): nothing was written. */
export class LeaseLost extends Error {
  constructor(readonly fence: LeaseFence) {
    super(
      `lease '${fence.name}' is no longer held by ${fence.holder} at epoch ${fence.epoch}; nothing was written`,
    );
    this.name = 'LeaseLost';
  }
}

/**
 * The check of `fence` as the first step of a write unit: it changes the lease row only when the holder and
 * epoch still match (and locks it until the unit commits, on PostgreSQL), and must change exactly one.
 */
export function fenceStep(fence: LeaseFence): SqlStep {
  return {
    sql: 'UPDATE leases SET epoch = epoch WHERE name = ? AND owner = ? AND epoch = ?',
    params: [fence.name, fence.holder, fence.epoch],
    mode: 'run',
    expect: 1,
  };
}

/**
 * Runs `steps` after the check of `fence` (when given) in one transaction; `LeaseLost` when the check fails.
 * The results are those of `steps` (the check's own result left out); a failed condition of `steps` is
 * rethrown as `ConditionNotMet` with its index in `steps`.
 */
export async function fencedWrite(
  runner: StepRunner,
  fence: LeaseFence | undefined,
  steps: SqlStep[],
  options?: { appendsToLog?: boolean },
): Promise<unknown[]> {
  if (!fence) return runner.write(steps, options);
  try {
    const results = await runner.write([fenceStep(fence), ...steps], options);
    return results.slice(1);
  } catch (error) {
    if (error instanceof ConditionNotMet) {
      if (error.step === 0) throw new LeaseLost(fence);
      throw new ConditionNotMet(error.step - 1);
    }
    throw error;
  }
}
