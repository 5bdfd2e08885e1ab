/**
 * The parsed form of an X12 document: interchanges (ISA…IEA) → functional groups (GS…GE) → transaction
 * sets (ST…SE) → segments → elements (simple, composite, repeated). Plain data: it serialises to JSON as
 * it is, and the writer takes the same element shapes.
 */
import type { Delimiters } from './delimiters.js';
import type { X12Issue } from './issues.js';

/** The components of a composite data element, in order (`C040` → `['ZZ', '123']`). */
export type Composite = string[];

/** A repeated data element (ISA11 repetition separator, versions 00402 and later): its occurrences. */
export interface Repeated {
  repeats: Array<string | Composite>;
}

/**
 * One data element: its text when simple (empty string when empty), its components when it holds the
 * component separator, or its occurrences when it holds the repetition separator.
 */
export type Element = string | Composite | Repeated;

/**
 * One segment as read. Parsed segments cut `id` and `elements` from the text on first access
 * (`TextSegment`); `JSON.stringify` gives this plain form, and a plain object of this shape is a segment
 * too (the writer takes either).
 */
export interface Segment {
  /** The segment identifier (`BEG`, `PO1`, …). */
  readonly id: string;
  /** Data elements from the first (`BEG01` is `elements[0]`); empty elements are kept as `''`. */
  readonly elements: Element[];
  /** Position of the segment in the document, from 1 (the first ISA is 1): for messages and acks. */
  readonly ordinal: number;
  /** Offset of its first character in the decoded text (UTF-16 code units); `Locator` gives line/byte. */
  readonly offset: number;
}

/** A transaction set: ST, its body, SE. */
export interface TransactionSet {
  header: Segment;
  /** The segments between ST and SE. */
  segments: Segment[];
  /** Missing when the set was not closed (reported with AK502 2). */
  trailer?: Segment;
}

/** A functional group: GS, its transaction sets, GE. */
export interface FunctionalGroup {
  header: Segment;
  sets: TransactionSet[];
  /** Missing when the group was not closed (reported with AK905 3). */
  trailer?: Segment;
}

/** An interchange: ISA, its functional groups (and TA1 interchange acknowledgements), IEA. */
export interface Interchange {
  /** Delimiters read from this interchange's ISA (each interchange of a file may have its own). */
  delimiters: Delimiters;
  /** ISA, elements as sent (fixed width, padding kept). */
  header: Segment;
  /** TA1 segments carried directly in the interchange (an interchange acknowledgement). */
  acknowledgements: Segment[];
  groups: FunctionalGroup[];
  /** Missing when the interchange was not closed (reported with TA1 note 023). */
  trailer?: Segment;
}

/**
 * A parsed document. `issues` lists what the parser met while reading (unreadable ISA, segments outside
 * any envelope, unclosed envelopes, bad segment ids, control characters); `validateX12()` adds the
 * envelope checks (counts, control numbers, ISA fields).
 */
export interface X12Document {
  interchanges: Interchange[];
  /** Number of segments read (the last ordinal). */
  segmentCount: number;
  issues: X12Issue[];
}

/** The text of an element as sent, its components and occurrences joined again with `delimiters`. */
export function elementText(element: Element | undefined, delimiters: Delimiters): string {
  if (element === undefined) return '';
  if (typeof element === 'string') return element;
  if (Array.isArray(element)) return element.join(delimiters.component);
  return element.repeats
    .map((occurrence) =>
      typeof occurrence === 'string' ? occurrence : occurrence.join(delimiters.component),
    )
    .join(delimiters.repetition ?? '');
}

/**
 * The simple value at `position` (1-based, as in `BEG03`): the text of a simple element, the first
 * component of a composite, the first occurrence of a repeated element; `''` when absent.
 */
export function valueAt(segment: Segment, position: number): string {
  let element: Element | undefined = segment.elements[position - 1];
  if (element === undefined) return '';
  if (typeof element !== 'string' && !Array.isArray(element)) element = element.repeats[0] ?? '';
  return typeof element === 'string' ? element : (element[0] ?? '');
}
