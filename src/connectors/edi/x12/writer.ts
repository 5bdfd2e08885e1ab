/**
 * Writes X12 interchanges: the fixed-width ISA, GS/GE, ST/SE with their counts (SE01 counts ST and SE,
 * GE01 the sets, IEA01 the groups) and control numbers from a `ControlNumbers` allocator (or given).
 * Trailing empty elements and components are left out, as X12.6 requires.
 */
import type { ControlNumbers } from './control-numbers.js';
import { MAX_CONTROL_NUMBER } from './control-numbers.js';
import {
  DEFAULT_DELIMITERS,
  type Delimiters,
  delimiterProblems,
  hasRepetitionSeparator,
} from './delimiters.js';
import type { Composite, Element } from './model.js';

/** A segment to write; a parsed `Segment` is one too. */
export interface SegmentInput {
  id: string;
  /** From the first element (`BEG01` is `elements[0]`). */
  elements: readonly Element[];
}

/** A transaction set to write: ST, `segments`, SE (both added by the writer). */
export interface SetInput {
  /** ST01, e.g. `850`. */
  id: string;
  /** ST03, the implementation convention reference (5010), when the partner wants it. */
  conventionReference?: string;
  /** ST02/SE02; allocated (kind `st`) when absent. */
  controlNumber?: number;
  segments: readonly SegmentInput[];
}

/** A functional group to write. */
export interface GroupInput {
  /** GS01, e.g. `PO`, `IN`, `FA`. */
  functionalId: string;
  /** GS02/GS03; default the interchange sender and receiver ids. */
  applicationSender?: string;
  applicationReceiver?: string;
  /** GS07, default `X` (Accredited Standards Committee X12). */
  agency?: string;
  /** GS08, e.g. `004010` or `005010`. */
  version: string;
  /** GS06/GE02; allocated (kind `gs`) when absent. */
  controlNumber?: number;
  sets: readonly SetInput[];
}

/** ISA05/ISA06 or ISA07/ISA08. */
export interface PartyId {
  qualifier: string;
  id: string;
}

/** An interchange to write. */
export interface InterchangeInput {
  sender: PartyId;
  receiver: PartyId;
  /** ISA12, default `00401`. From `00402` ISA11 carries the repetition separator. */
  version?: string;
  /** ISA15: P production (default), T test, I information. */
  usage?: 'P' | 'T' | 'I';
  /** ISA14: ask the receiver for a TA1. */
  acknowledgementRequested?: boolean;
  /** ISA01/ISA02 and ISA03/ISA04; default `00` and blanks. */
  authorization?: { qualifier: string; information: string };
  security?: { qualifier: string; information: string };
  /** ISA09/ISA10 and every GS04/GS05, written in UTC; default now. */
  date?: Date;
  /** ISA13/IEA02; allocated (kind `isa`) when absent. */
  controlNumber?: number;
  /** TA1 segments carried directly in the interchange (before the groups). */
  acknowledgements?: readonly SegmentInput[];
  groups: readonly GroupInput[];
}

export interface FormatOptions {
  /** Delimiters to use, each defaulting to `*`, `>`, `~`, `^` (the repetition one only from 00402). */
  delimiters?: Partial<Delimiters>;
  /** A line feed after each segment terminator (not when the terminator is itself a line feed). */
  newline?: boolean;
}

export interface WriteOptions extends FormatOptions {
  controlNumbers: ControlNumbers;
  /** Whose control numbers to use: the partner the interchange goes to. */
  partner: string;
}

/** Raised for what cannot be written as valid X12; `code` says what. */
export class X12WriteError extends Error {
  override readonly name = 'X12WriteError';
  constructor(
    readonly code:
      | 'invalid-delimiters'
      | 'delimiter-in-data'
      | 'invalid-field'
      | 'missing-control-number'
      | 'repetition-not-supported',
    message: string,
  ) {
    super(message);
  }
}

/** Fills in missing control numbers from `controlNumbers` (ISA, then each group and its sets, in order). */
export async function assignControlNumbers(
  input: InterchangeInput,
  controlNumbers: ControlNumbers,
  partner: string,
): Promise<InterchangeInput> {
  const controlNumber = input.controlNumber ?? (await controlNumbers.next(partner, 'isa'));
  const groups: GroupInput[] = [];
  for (const group of input.groups) {
    const groupNumber = group.controlNumber ?? (await controlNumbers.next(partner, 'gs'));
    const sets: SetInput[] = [];
    for (const set of group.sets) {
      sets.push({ ...set, controlNumber: set.controlNumber ?? (await controlNumbers.next(partner, 'st')) });
    }
    groups.push({ ...group, controlNumber: groupNumber, sets });
  }
  return { ...input, controlNumber, groups };
}

/** Writes `input` with control numbers allocated for `options.partner`. */
export async function writeInterchange(input: InterchangeInput, options: WriteOptions): Promise<string> {
  return formatInterchange(
    await assignControlNumbers(input, options.controlNumbers, options.partner),
    options,
  );
}

/** Resolves the delimiters of an interchange of `version`, or throws `invalid-delimiters`. */
export function resolveDelimiters(version: string, overrides: Partial<Delimiters> = {}): Delimiters {
  const delimiters: Delimiters = {
    element: overrides.element ?? DEFAULT_DELIMITERS.element,
    component: overrides.component ?? DEFAULT_DELIMITERS.component,
    segment: overrides.segment ?? DEFAULT_DELIMITERS.segment,
  };
  if (hasRepetitionSeparator(version)) {
    delimiters.repetition = overrides.repetition ?? DEFAULT_DELIMITERS.repetition;
  }
  const problems = delimiterProblems(delimiters);
  if (problems.length > 0) throw new X12WriteError('invalid-delimiters', problems.join('; '));
  return delimiters;
}

/** Writes an interchange whose control numbers are all given (else throws `missing-control-number`). */
export function formatInterchange(input: InterchangeInput, options: FormatOptions = {}): string {
  const version = input.version ?? '00401';
  if (!/^\d{5}$/.test(version))
    throw new X12WriteError('invalid-field', `ISA12 ${JSON.stringify(version)} is not five digits`);
  const delimiters = resolveDelimiters(version, options.delimiters);
  const out = new SegmentWriter(delimiters, options.newline === true && delimiters.segment !== '\n');
  const date = input.date ?? new Date();
  const isa13 = controlNumber(input.controlNumber, 'ISA13', 9);
  const authorization = input.authorization ?? { qualifier: '00', information: '' };
  const security = input.security ?? { qualifier: '00', information: '' };
  out.raw([
    'ISA',
    out.text(field(authorization.qualifier, 2, 'ISA01')),
    out.text(field(authorization.information, 10, 'ISA02')),
    out.text(field(security.qualifier, 2, 'ISA03')),
    out.text(field(security.information, 10, 'ISA04')),
    out.text(field(input.sender.qualifier, 2, 'ISA05')),
    out.text(field(input.sender.id, 15, 'ISA06')),
    out.text(field(input.receiver.qualifier, 2, 'ISA07')),
    out.text(field(input.receiver.id, 15, 'ISA08')),
    utcDate(date).slice(2),
    utcTime(date),
    delimiters.repetition ?? 'U',
    version,
    isa13,
    input.acknowledgementRequested ? '1' : '0',
    input.usage ?? 'P',
    delimiters.component,
  ]);
  for (const acknowledgement of input.acknowledgements ?? []) out.segment(acknowledgement);
  for (const group of input.groups) {
    const gs06 = controlNumber(group.controlNumber, 'GS06', 1);
    out.raw([
      'GS',
      out.text(group.functionalId),
      out.text(group.applicationSender ?? input.sender.id.trim()),
      out.text(group.applicationReceiver ?? input.receiver.id.trim()),
      utcDate(date),
      utcTime(date),
      gs06,
      out.text(group.agency ?? 'X'),
      out.text(group.version),
    ]);
    for (const set of group.sets) {
      const st02 = controlNumber(set.controlNumber, 'ST02', 4);
      out.raw(
        set.conventionReference
          ? ['ST', out.text(set.id), st02, out.text(set.conventionReference)]
          : ['ST', out.text(set.id), st02],
      );
      for (const segment of set.segments) out.segment(segment);
      out.raw(['SE', String(set.segments.length + 2), st02]);
    }
    out.raw(['GE', String(group.sets.length), gs06]);
  }
  out.raw(['IEA', String(input.groups.length), isa13]);
  return out.result();
}

/** Accumulates segments with one set of delimiters, refusing data that holds a delimiter. */
class SegmentWriter {
  private readonly parts: string[] = [];
  private readonly terminator: string;
  private readonly forbidden: RegExp;

  constructor(
    private readonly delimiters: Delimiters,
    newline: boolean,
  ) {
    this.terminator = delimiters.segment + (newline ? '\n' : '');
    const chars = [
      delimiters.element,
      delimiters.component,
      delimiters.segment,
      delimiters.repetition ?? '',
      '\n',
      '\r',
    ];
    const escaped = [...new Set(chars.filter(Boolean))].map((char) => char.replace(/[\\\]^-]/g, '\\$&'));
    this.forbidden = new RegExp(`[${escaped.join('')}]`, 'u');
  }

  /** `value` checked for delimiters. */
  text(value: string): string {
    if (this.forbidden.test(value)) {
      throw new X12WriteError(
        'delimiter-in-data',
        `${JSON.stringify(value)} holds a delimiter or line break; choose other delimiters for this partner or clean the data`,
      );
    }
    return value;
  }

  raw(elements: readonly string[]): void {
    this.parts.push(elements.join(this.delimiters.element), this.terminator);
  }

  segment(segment: SegmentInput): void {
    const values = segment.elements.map((element) => this.element(element));
    let length = values.length;
    while (length > 0 && values[length - 1] === '') length--;
    values.length = length;
    this.raw([this.text(segment.id), ...values]);
  }

  private element(element: Element): string {
    if (typeof element === 'string') return this.text(element);
    if (Array.isArray(element)) return this.composite(element);
    const repetition = this.delimiters.repetition;
    if (repetition === undefined) {
      throw new X12WriteError(
        'repetition-not-supported',
        'repeated elements need an interchange version of 00402 or later',
      );
    }
    return element.repeats
      .map((occurrence) =>
        typeof occurrence === 'string' ? this.text(occurrence) : this.composite(occurrence),
      )
      .join(repetition);
  }

  private composite(components: Composite): string {
    const values = components.map((component) => this.text(component));
    let length = values.length;
    while (length > 0 && values[length - 1] === '') length--;
    values.length = length;
    return values.join(this.delimiters.component);
  }

  result(): string {
    return this.parts.join('');
  }
}

/** An ISA field padded to its fixed width with spaces, or throws when it does not fit. */
function field(value: string, width: number, name: string): string {
  if (value.length > width || /[^\x20-\x7e]/.test(value)) {
    throw new X12WriteError(
      'invalid-field',
      `${name} ${JSON.stringify(value)} must be at most ${width} printable ASCII characters`,
    );
  }
  return value.padEnd(width, ' ');
}

/** A control number written with at least `digits` digits (zero-padded). */
function controlNumber(value: number | undefined, name: string, digits: number): string {
  if (value === undefined) {
    throw new X12WriteError(
      'missing-control-number',
      `${name} has no control number: pass one or use writeInterchange()`,
    );
  }
  if (!Number.isInteger(value) || value < 1 || value > MAX_CONTROL_NUMBER) {
    throw new X12WriteError(
      'invalid-field',
      `${name} ${value} must be a whole number from 1 to ${MAX_CONTROL_NUMBER}`,
    );
  }
  return String(value).padStart(digits, '0');
}

function utcDate(date: Date): string {
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}`;
}

function utcTime(date: Date): string {
  return `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
