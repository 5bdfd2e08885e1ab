/**
 * Splits X12 text into segments with the delimiters of the interchange each segment is in (read again at
 * every ISA). Empty elements are kept (`N1*ST**92` has an empty N102); CR and LF between segments are
 * skipped; the last segment of the text may lack its terminator. Elements are cut on first access
 * (`TextSegment`): the tokenizer itself only finds segment boundaries, the kind of each segment and what
 * the parser must report (a malformed id, a control character).
 */
import { type Delimiters, isDelimiterCharacter } from './delimiters.js';
import { type IsaFailure, isIsaAt, readIsa } from './isa.js';
import type { Segment } from './model.js';
import { HAS_COMPONENTS, HAS_REPETITIONS, SegmentSource, TextSegment } from './text-segment.js';

/** Text that could not be read as segments (no ISA before it, or an ISA whose delimiters are unreadable). */
export interface Unreadable {
  offset: number;
  /** Where reading resumed: the next ISA, or the end of the text. */
  resumedAt: number;
  failure: IsaFailure;
}

/** What a segment is to the envelope structure, by its id. */
export const SEGMENT_KINDS = ['other', 'ISA', 'IEA', 'GS', 'GE', 'ST', 'SE', 'TA1'] as const;
export type SegmentKind = (typeof SEGMENT_KINDS)[number];

/**
 * Control characters, which no X12 character set admits in data, less CR and LF (searched apart: they
 * usually follow every terminator, and one search each per segment by `indexOf` is cheaper). Those that
 * are delimiters of the interchange (some senders use e.g. U+001D as element separator) are skipped.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL_CHARACTERS = /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]/g;

/** Pull tokenizer: `next()` returns the segments in order, then `undefined`. */
export class X12Tokenizer {
  /** Segments returned so far (the ordinal of the last one). */
  ordinal = 0;
  /** Delimiters of the interchange being read; undefined before the first readable ISA. */
  delimiters: Delimiters | undefined;
  /** For the segment last returned: its kind. */
  kind: SegmentKind = 'other';
  /** For the segment last returned: false when its id is not 2–3 upper-case letters and digits. */
  validId = true;
  /** For the segment last returned: offset of a control character inside it, else -1. */
  controlCharacterAt = -1;
  /** Stretches of text that could not be read. */
  readonly unreadable: Unreadable[] = [];

  private position = 0;
  private source: SegmentSource | undefined;
  private terminator = '';
  private separator = '';
  /** The component separator when usable for splitting, else ''. */
  private component = '';
  private repetition = '';
  private stripCarriageReturn = false;
  /** Next offset of a control character, component or repetition separator at or after `position`. */
  private nextControl = -1;
  private nextLineFeed = -1;
  private nextCarriageReturn = -1;
  private nextComponent = -1;
  private nextRepetition = -1;

  constructor(readonly text: string) {
    if (text.charCodeAt(0) === 0xfeff) this.position = 1; // byte order mark
  }

  /** The next segment, or undefined at the end of the text. */
  next(): Segment | undefined {
    const text = this.text;
    const length = text.length;
    let offset = this.position;
    for (;;) {
      let code = text.charCodeAt(offset);
      while (code === 10 || code === 13) code = text.charCodeAt(++offset);
      if (offset >= length) {
        this.position = length;
        return undefined;
      }
      if (code === 73 && isIsaAt(text, offset)) {
        const header = this.header(offset);
        if (header !== undefined) return header;
        offset = this.position; // unreadable: skipped to the next ISA
        continue;
      }
      if (this.source !== undefined) break;
      if (text.slice(offset).trim() === '') {
        this.position = length;
        return undefined;
      }
      offset = this.skipToIsa(offset, { ok: false, code: '022', message: 'text before the first ISA' });
    }
    const terminator = this.terminator;
    let end = text.indexOf(terminator, offset);
    let resume: number;
    if (end === -1) {
      // The last segment of the text without its terminator: tolerated (files often lack a final newline).
      resume = length;
      end = length;
      while (end > offset && /\s/.test(text[end - 1]!)) end--;
      if (end === offset) {
        this.position = length;
        return undefined;
      }
    } else {
      resume = end + terminator.length;
    }
    if (this.stripCarriageReturn && text.charCodeAt(end - 1) === 13) end--;
    this.position = resume;

    // Each pointer below only moves forward, so every character is searched at most once per pointer.
    let control = this.nextControl;
    if (control < offset) control = this.findControl(offset);
    while (control < end && this.isDelimiter(text[control]!)) control = this.findControl(control + 1);
    this.nextControl = control;
    if (terminator !== '\n') {
      if (this.nextLineFeed < offset) this.nextLineFeed = indexOrInfinity(text, '\n', offset);
      if (this.nextLineFeed < control) control = this.nextLineFeed;
    }
    if (terminator !== '\r') {
      if (this.nextCarriageReturn < offset) this.nextCarriageReturn = indexOrInfinity(text, '\r', offset);
      if (this.nextCarriageReturn < control) control = this.nextCarriageReturn;
    }
    this.controlCharacterAt = control < end ? control : -1;
    let flags = 0;
    if (this.component !== '') {
      if (this.nextComponent < offset) this.nextComponent = indexOrInfinity(text, this.component, offset);
      if (this.nextComponent < end) flags |= HAS_COMPONENTS;
    }
    if (this.repetition !== '') {
      if (this.nextRepetition < offset) this.nextRepetition = indexOrInfinity(text, this.repetition, offset);
      if (this.nextRepetition < end) flags |= HAS_REPETITIONS;
    }

    let idEnd = text.indexOf(this.separator, offset);
    if (idEnd === -1 || idEnd > end) idEnd = end;
    this.classify(offset, idEnd);
    this.ordinal += 1;
    return new TextSegment(this.source!, offset, idEnd, end, this.ordinal, flags);
  }

  /** Sets `kind` and `validId` from the id between `offset` and `idEnd`, without cutting it out. */
  private classify(offset: number, idEnd: number): void {
    const text = this.text;
    const length = idEnd - offset;
    const first = text.charCodeAt(offset);
    const second = text.charCodeAt(offset + 1);
    let valid = (length === 2 || length === 3) && first >= 65 && first <= 90;
    for (let i = offset + 1; valid && i < idEnd; i++) {
      const code = text.charCodeAt(i);
      valid = (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
    }
    this.validId = valid;
    let kind: SegmentKind = 'other';
    if (length === 2) {
      if (first === 83 /* S */) kind = second === 84 /* T */ ? 'ST' : second === 69 /* E */ ? 'SE' : 'other';
      else if (first === 71 /* G */)
        kind = second === 83 /* S */ ? 'GS' : second === 69 /* E */ ? 'GE' : 'other';
    } else if (length === 3) {
      const third = text.charCodeAt(offset + 2);
      if (first === 73 && second === 69 && third === 65) kind = 'IEA';
      else if (first === 84 && second === 65 && third === 49) kind = 'TA1';
    }
    this.kind = kind;
  }

  /** Reads the ISA at `offset`, switches to its delimiters and returns it (undefined: unreadable, skipped). */
  private header(offset: number): Segment | undefined {
    const read = readIsa(this.text, offset);
    if (!read.ok) {
      this.delimiters = undefined;
      this.source = undefined;
      this.skipToIsa(offset, read);
      return undefined;
    }
    const delimiters = read.delimiters;
    let resume = read.terminatorAt + delimiters.segment.length;
    // CR LF after ISA16: the terminator is the line feed, and a CR before it is dropped in every segment.
    if (delimiters.segment === '\r' && this.text.charCodeAt(resume) === 10) {
      delimiters.segment = '\n';
      resume += 1;
    }
    this.delimiters = delimiters;
    this.terminator = delimiters.segment;
    this.separator = delimiters.element;
    this.stripCarriageReturn = delimiters.segment === '\n';
    const component = delimiters.component;
    const usableComponent =
      isDelimiterCharacter(component) &&
      component !== delimiters.element &&
      component !== delimiters.segment &&
      component !== '\n' &&
      component !== '\r'
        ? component
        : '';
    const repetition = delimiters.repetition ?? '';
    // A pointer stays valid while its character is the same: not searching again from every ISA keeps a
    // file of many interchanges in which a separator never occurs linear.
    if (usableComponent !== this.component) this.nextComponent = -1;
    if (repetition !== this.repetition) this.nextRepetition = -1;
    this.component = usableComponent;
    this.repetition = repetition;
    this.source = new SegmentSource(this.text, delimiters.element, usableComponent, repetition);
    this.position = resume;
    this.controlCharacterAt = -1;
    this.kind = 'ISA';
    this.validId = true;
    this.ordinal += 1;
    return { id: 'ISA', elements: read.elements, ordinal: this.ordinal, offset };
  }

  /** Records unreadable text from `offset` and moves to the next ISA (or the end); returns the new offset. */
  private skipToIsa(offset: number, failure: IsaFailure): number {
    let next = this.text.indexOf('ISA', offset + 1);
    while (next !== -1 && !isIsaAt(this.text, next)) next = this.text.indexOf('ISA', next + 1);
    const resumedAt = next === -1 ? this.text.length : next;
    this.unreadable.push({ offset, resumedAt, failure });
    this.position = resumedAt;
    return resumedAt;
  }

  private findControl(offset: number): number {
    CONTROL_CHARACTERS.lastIndex = offset;
    const match = CONTROL_CHARACTERS.exec(this.text);
    return match === null ? Number.POSITIVE_INFINITY : match.index;
  }

  /** True when `char` is a delimiter of the current interchange (a control character may be one). */
  private isDelimiter(char: string): boolean {
    return char === this.separator || char === this.component || char === this.repetition;
  }
}

function indexOrInfinity(text: string, search: string, offset: number): number {
  const at = text.indexOf(search, offset);
  return at === -1 ? Number.POSITIVE_INFINITY : at;
}
