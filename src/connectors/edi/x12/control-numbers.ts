/**
 * Control numbers of outbound envelopes (ISA13, GS06, ST02). A partner detects duplicates by them, so for
 * one partner they must never repeat: the store will keep them durably; this module defines the port and
 * an in-memory allocator for tests and one-off documents.
 */

export const CONTROL_NUMBER_KINDS = ['isa', 'gs', 'st'] as const;
/** Which envelope a control number is for: interchange (ISA13/IEA02), group (GS06/GE02), set (ST02/SE02). */
export type ControlNumberKind = (typeof CONTROL_NUMBER_KINDS)[number];

/** The largest control number: ISA13 has nine digits, and GS06 and ST02 at most nine. */
export const MAX_CONTROL_NUMBER = 999_999_999;

/** Hands out control numbers that never repeat for a partner and kind. */
export interface ControlNumbers {
  /** The next number (1 to 999,999,999) for `partner`'s envelopes of `kind`. */
  next(partner: string, kind: ControlNumberKind): Promise<number>;
}

/** Raised when a partner's numbers of one kind are used up: reusing one would look like a resend. */
export class ControlNumbersExhaustedError extends Error {
  override readonly name = 'ControlNumbersExhaustedError';
  readonly code = 'control-numbers-exhausted';
  constructor(
    readonly partner: string,
    readonly kind: ControlNumberKind,
  ) {
    super(`no ${kind} control number left for partner ${partner}: all up to ${MAX_CONTROL_NUMBER} are used`);
  }
}

/** In-memory allocator: counts from `start` (default 1) per partner and kind. Not durable. */
export class MemoryControlNumbers implements ControlNumbers {
  private readonly last = new Map<string, number>();

  constructor(private readonly start = 1) {}

  async next(partner: string, kind: ControlNumberKind): Promise<number> {
    const key = `${kind}\u0000${partner}`;
    const number = (this.last.get(key) ?? this.start - 1) + 1;
    if (number > MAX_CONTROL_NUMBER) throw new ControlNumbersExhaustedError(partner, kind);
    this.last.set(key, number);
    return number;
  }
}
