/**
 * `--faults a,b,c` and the durations of the simulator's options.
 *
 * | fault | effect |
 * |---|---|
 * | `<system>-down:<for>[@<at>]` | every receiver of `<system>` resets each connection for `<for>`, from `<at>` into the run (default: a fifth of `--duration`) |
 * | `slow:<system>:<delay>` | every receiver of `<system>` waits `<delay>` before answering |
 * | `duplicates[:<share>]` | a share (default 10%) of events is sent twice with the same id, of orders POSTed twice with the same Idempotency-Key, of 850s sent twice with the same ISA13 |
 * | `out-of-order[:<share>]` | a share (default 30%) of releases is shipped before it is picked and packed (picked/packed follow, late) |
 */
import { parseDurationMs } from '../../domain/duration.js';

export interface DownFault {
  kind: 'down';
  system: string;
  atMs: number;
  forMs: number;
}
export interface SlowFault {
  kind: 'slow';
  system: string;
  delayMs: number;
}
export interface ShareFault {
  kind: 'duplicates' | 'out-of-order';
  share: number;
}
export type Fault = DownFault | SlowFault | ShareFault;

/** The faults of one run, by kind. */
export interface FaultPlan {
  down: DownFault[];
  slow: SlowFault[];
  /** Share of sends repeated (0 = no duplicates fault). */
  duplicates: number;
  /** Share of releases shipped ahead of pick and pack (0 = none). */
  outOfOrder: number;
}

/** Thrown for an option the simulator cannot read; the message says what is valid. */
export class SimulateOptionError extends Error {
  override readonly name = 'SimulateOptionError';
}

/** `250ms`, `30s`, `2m`, `1h`; a bare number is seconds. */
export function parseDuration(text: string, what: string): number {
  const ms = parseDurationMs(text, 's');
  if (ms === undefined)
    throw new SimulateOptionError(`${what}: '${text}' is not a duration; write e.g. 500ms, 30s, 2m`);
  return ms;
}

/** `0.2`, `20%`. */
function parseShare(text: string, what: string): number {
  const percent = text.endsWith('%');
  const value = Number(percent ? text.slice(0, -1) : text) / (percent ? 100 : 1);
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new SimulateOptionError(`${what}: '${text}' is not a share; write 0.2 or 20%`);
  return value;
}

/**
 * Parses `--faults`. `systems` are the configuration's system names (a fault naming another is an
 * error); `durationMs` places an outage without `@<at>` a fifth of the way into the run.
 */
export function parseFaults(
  text: string | undefined,
  systems: readonly string[],
  durationMs: number,
): FaultPlan {
  const plan: FaultPlan = { down: [], slow: [], duplicates: 0, outOfOrder: 0 };
  const known = (system: string, item: string): string => {
    if (!systems.includes(system))
      throw new SimulateOptionError(
        `--faults ${item}: no system named '${system}'; known systems: ${systems.join(', ')}`,
      );
    return system;
  };
  for (const item of (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const down = /^(.+)-down:([^@]+)(?:@(.+))?$/.exec(item);
    if (down) {
      const forMs = parseDuration(down[2] as string, `--faults ${item}`);
      const atMs =
        down[3] === undefined ? Math.round(durationMs / 5) : parseDuration(down[3], `--faults ${item}`);
      plan.down.push({ kind: 'down', system: known(down[1] as string, item), atMs, forMs });
      continue;
    }
    const slow = /^slow:([^:]+):(.+)$/.exec(item);
    if (slow) {
      const delayMs = parseDuration(slow[2] as string, `--faults ${item}`);
      plan.slow.push({ kind: 'slow', system: known(slow[1] as string, item), delayMs });
      continue;
    }
    const share = /^(duplicates|out-of-order)(?::(.+))?$/.exec(item);
    if (share) {
      if (share[1] === 'duplicates')
        plan.duplicates = share[2] === undefined ? 0.1 : parseShare(share[2], `--faults ${item}`);
      else plan.outOfOrder = share[2] === undefined ? 0.3 : parseShare(share[2], `--faults ${item}`);
      continue;
    }
    throw new SimulateOptionError(
      `--faults: '${item}' is not a fault; write <system>-down:<for>[@<at>], slow:<system>:<delay>, duplicates[:<share>] or out-of-order[:<share>]`,
    );
  }
  return plan;
}

/** Whether `system`'s receivers are down at `elapsedMs` into the run. */
export function isDown(plan: FaultPlan, system: string, elapsedMs: number): boolean {
  return plan.down.some((d) => d.system === system && elapsedMs >= d.atMs && elapsedMs < d.atMs + d.forMs);
}

/** The answer delay of `system`'s receivers. */
export function slowDelay(plan: FaultPlan, system: string): number {
  return plan.slow.filter((s) => s.system === system).reduce((sum, s) => sum + s.delayMs, 0);
}
