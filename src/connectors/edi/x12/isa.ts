/**
 * The ISA interchange header: fixed width (X12.5), so a receiver finds the delimiters at known places —
 * the element separator at offset 3, the component separator (ISA16) at offset 104 and the segment
 * terminator right after it, at offset 105: 106 characters in all with a one-character terminator.
 */
import type { Ta1NoteCode } from './codes.js';
import { type Delimiters, hasRepetitionSeparator, isDelimiterCharacter } from './delimiters.js';

/** One ISA field: its width and the TA1 note code (TA105) that reports a bad value in it. */
export interface IsaField {
  /** `ISA01`…`ISA16`. */
  id: string;
  position: number;
  width: number;
  name: string;
  note: Ta1NoteCode;
}

/** ISA01…ISA16 as X12.5 lays them out. */
export const ISA_FIELDS: readonly IsaField[] = [
  { id: 'ISA01', position: 1, width: 2, name: 'authorization information qualifier', note: '010' },
  { id: 'ISA02', position: 2, width: 10, name: 'authorization information', note: '011' },
  { id: 'ISA03', position: 3, width: 2, name: 'security information qualifier', note: '012' },
  { id: 'ISA04', position: 4, width: 10, name: 'security information', note: '013' },
  { id: 'ISA05', position: 5, width: 2, name: 'interchange sender ID qualifier', note: '005' },
  { id: 'ISA06', position: 6, width: 15, name: 'interchange sender ID', note: '006' },
  { id: 'ISA07', position: 7, width: 2, name: 'interchange receiver ID qualifier', note: '007' },
  { id: 'ISA08', position: 8, width: 15, name: 'interchange receiver ID', note: '008' },
  { id: 'ISA09', position: 9, width: 6, name: 'interchange date', note: '014' },
  { id: 'ISA10', position: 10, width: 4, name: 'interchange time', note: '015' },
  // Before 00402 ISA11 is the standards identifier `U`; from 00402 it is the repetition separator, for
  // which TA105 has no code of its own: 016 names the element.
  { id: 'ISA11', position: 11, width: 1, name: 'standards identifier / repetition separator', note: '016' },
  { id: 'ISA12', position: 12, width: 5, name: 'interchange version', note: '017' },
  { id: 'ISA13', position: 13, width: 9, name: 'interchange control number', note: '018' },
  { id: 'ISA14', position: 14, width: 1, name: 'acknowledgment requested', note: '019' },
  { id: 'ISA15', position: 15, width: 1, name: 'usage indicator', note: '020' },
  { id: 'ISA16', position: 16, width: 1, name: 'component element separator', note: '027' },
];

/** Characters of an ISA up to and including ISA16: `ISA`, 16 separators and the fields. */
export const ISA_LENGTH_BEFORE_TERMINATOR = 105;
/** Characters of an ISA with a one-character segment terminator. */
export const ISA_LENGTH = 106;

/** Offsets of the 16 element separators in a fixed-width ISA. */
const SEPARATOR_OFFSETS: readonly number[] = (() => {
  const offsets: number[] = [];
  let offset = 3;
  for (const field of ISA_FIELDS) {
    offsets.push(offset);
    offset += 1 + field.width;
  }
  return offsets;
})();

/** How far an ISA that is not fixed width is searched for its 16 separators before giving up. */
const MAX_ISA_SCAN = 256;

/** An ISA read from the text. */
export interface IsaRead {
  ok: true;
  /** ISA01…ISA16 as sent. */
  elements: string[];
  delimiters: Delimiters;
  /** Offset of the segment terminator. */
  terminatorAt: number;
  /** True when every separator sits where the fixed layout puts it. */
  fixedWidth: boolean;
}

/** An ISA whose delimiters cannot be told: nothing after it can be read. */
export interface IsaFailure {
  ok: false;
  code: Ta1NoteCode;
  message: string;
}

/** True when an ISA header starts at `offset`: `ISA` followed by a possible element separator. */
export function isIsaAt(text: string, offset: number): boolean {
  return (
    text.charCodeAt(offset) === 73 && // I
    text.charCodeAt(offset + 1) === 83 && // S
    text.charCodeAt(offset + 2) === 65 && // A
    isDelimiterCharacter(text[offset + 3])
  );
}

/** Reads the ISA starting at `offset` (where `isIsaAt` holds) and the delimiters it declares. */
export function readIsa(text: string, offset: number): IsaRead | IsaFailure {
  const separator = text[offset + 3] ?? '';
  if (separator === '\n' || separator === '\r' || !isDelimiterCharacter(separator)) {
    return {
      ok: false,
      code: '026',
      message: `ISA element separator ${JSON.stringify(separator)} is invalid`,
    };
  }
  const fixedWidth =
    text.length > offset + ISA_LENGTH_BEFORE_TERMINATOR &&
    SEPARATOR_OFFSETS.every((at) => text[offset + at] === separator);
  let separators: number[];
  if (fixedWidth) {
    separators = SEPARATOR_OFFSETS.map((at) => offset + at);
  } else {
    separators = [];
    let at = offset + 3;
    const limit = Math.min(text.length, offset + MAX_ISA_SCAN);
    while (separators.length < 16) {
      at = text.indexOf(separator, at);
      if (at === -1 || at >= limit) break;
      separators.push(at);
      at += 1;
    }
    if (separators.length < 16) {
      const atEnd = limit === text.length;
      return {
        ok: false,
        code: atEnd ? '023' : '022',
        message: `ISA has ${separators.length} element separators instead of 16${atEnd ? ' before the end of the text' : ''}`,
      };
    }
  }
  const elements: string[] = [];
  for (let i = 0; i < 16; i++) {
    const start = separators[i]! + 1;
    elements.push(i < 15 ? text.slice(start, separators[i + 1]) : text.slice(start, start + 1));
  }
  const component = elements[15] ?? '';
  const terminatorAt = separators[15]! + 2;
  if (terminatorAt >= text.length) {
    return { ok: false, code: '023', message: 'the text ends inside the ISA, before its segment terminator' };
  }
  const first = text.charCodeAt(terminatorAt);
  // A terminator outside the Basic Multilingual Plane takes two UTF-16 code units.
  const terminator = text.slice(terminatorAt, terminatorAt + (first >= 0xd800 && first <= 0xdbff ? 2 : 1));
  if (!isDelimiterCharacter(terminator) || terminator === separator || terminator === component) {
    return {
      ok: false,
      code: '004',
      message: `the segment terminator after ISA16 (${JSON.stringify(terminator)}) is invalid`,
    };
  }
  const delimiters: Delimiters = { element: separator, component, segment: terminator };
  const repetition = elements[10] ?? '';
  if (hasRepetitionSeparator(elements[11] ?? '') && isUsableRepetition(repetition, delimiters)) {
    delimiters.repetition = repetition;
  }
  return { ok: true, elements, delimiters, terminatorAt, fixedWidth };
}

/**
 * True when ISA11 of a 00402+ interchange can serve as the repetition separator. A letter or digit there
 * (senders that moved to 00501 but kept ISA11 `U`) means "no repetition separator": it cannot delimit,
 * and is accepted as that (see `isaRepetitionProblem`).
 */
export function isUsableRepetition(repetition: string, delimiters: Delimiters): boolean {
  return (
    isDelimiterCharacter(repetition) &&
    ![delimiters.element, delimiters.component, delimiters.segment, '\n', '\r'].includes(repetition)
  );
}

/**
 * What is wrong with ISA11 as a 00402+ repetition separator, or undefined: a letter or digit is taken as
 * "none" (not an error); a separator that is another delimiter, a space or a line break is an error.
 */
export function isaRepetitionProblem(repetition: string, delimiters: Delimiters): string | undefined {
  if (/^[A-Za-z0-9]$/.test(repetition) || isUsableRepetition(repetition, delimiters)) return undefined;
  return `${JSON.stringify(repetition)} cannot be the repetition separator: it must be a non-alphanumeric character unlike the other delimiters`;
}
