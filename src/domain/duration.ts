/** Durations as people write them in configuration and on the command line: `250ms`, `30s`, `5m`, `1h`, `90d`. */

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type DurationUnit = keyof typeof UNIT_MS;

/**
 * Milliseconds of `text`, or undefined when it is not a duration. A bare number is in `bareUnit`; without
 * one, a unit is required.
 */
export function parseDurationMs(text: string, bareUnit?: DurationUnit): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] as DurationUnit | undefined) ?? bareUnit;
  if (unit === undefined) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}
