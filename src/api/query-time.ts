/**
 * Times in queries and selections (`since`, `until`, `from`, `to`) as the stores compare them: the
 * `toISOString()` text of an instant, whose text order is time order. The rules are in
 * docs/operations.md ("Input limits").
 */
import { ValidationError } from '../errors.js';

/** The first and last instants a stored time can hold (four-digit years, as RFC 3339 writes them). */
const EARLIEST = '0000-01-01T00:00:00.000Z';
const LATEST = '9999-12-31T23:59:59.999Z';

/**
 * The instant an RFC 3339 date-time (already checked against the `date-time` format) names, as
 * `YYYY-MM-DDTHH:mm:ss.sssZ`. A leap second (`23:59:60`) is read as the instant after the last second
 * of its minute, as a POSIX clock (the hub's) counts it. An offset that moves the instant outside years
 * 0000–9999 (`9999-12-31T23:00:00-05:00`) is clamped to that range, so that text comparison stays time
 * comparison: such a `since` matches nothing, such an `until` everything.
 */
export function queryInstant(value: string, name: string): string {
  const leap = /^(.{17})60(.*)$/.exec(value);
  const millis = leap ? Date.parse(`${leap[1]}59${leap[2]}`) + 1000 : Date.parse(value);
  if (Number.isNaN(millis)) {
    throw new ValidationError(`'${name}' is not a date-time the hub can read: ${value}`, [
      { pointer: `/${name}`, detail: 'must be an RFC 3339 date-time, e.g. 2025-03-01T14:30:00Z' },
    ]);
  }
  if (millis < Date.parse(EARLIEST)) return EARLIEST;
  if (millis > Date.parse(LATEST)) return LATEST;
  return new Date(millis).toISOString();
}
