/**
 * X12 text → interchanges → groups → transaction sets, in one pass over the tokenizer's segments. The
 * parser never throws on bad input: what does not fit the envelope structure is reported as an issue
 * (with its X12 code) and the rest is still read, so one document yields every problem at once.
 */
import {
  elementIssue,
  groupIssue,
  type IssueAt,
  interchangeIssue,
  segmentIssue,
  setIssue,
  type X12Issue,
} from './issues.js';
import type { FunctionalGroup, Interchange, Segment, TransactionSet, X12Document } from './model.js';
import { type SegmentKind, X12Tokenizer } from './tokenizer.js';

// The byte order mark is kept in the text (the tokenizer skips it) so that offsets map back to bytes.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Parses X12 text (a string, or bytes decoded as UTF-8). */
export function parseX12(input: string | Uint8Array): X12Document {
  const text = typeof input === 'string' ? input : utf8.decode(input);
  return new TreeBuilder(text).build();
}

class TreeBuilder {
  private readonly tokenizer: X12Tokenizer;
  private readonly interchanges: Interchange[] = [];
  private readonly issues: X12Issue[] = [];
  private interchange: Interchange | undefined;
  private group: FunctionalGroup | undefined;
  private set: TransactionSet | undefined;
  /** True while consecutive segments fall outside the structure: only the first of a run is reported. */
  private straying = false;
  private unreadableSeen = 0;

  constructor(private readonly text: string) {
    this.tokenizer = new X12Tokenizer(text);
  }

  build(): X12Document {
    const tokenizer = this.tokenizer;
    for (let segment = tokenizer.next(); segment !== undefined; segment = tokenizer.next()) {
      if (tokenizer.unreadable.length !== this.unreadableSeen) this.reportUnreadable(segment);
      const kind = tokenizer.kind;
      const set = this.set;
      if (set !== undefined && (kind === 'other' || kind === 'TA1')) {
        set.segments.push(segment);
        if (!tokenizer.validId) {
          this.issues.push(
            segmentIssue(
              '1',
              `segment id ${JSON.stringify(segment.id)} is not a valid X12 segment id`,
              this.at(segment),
            ),
          );
        }
        if (tokenizer.controlCharacterAt >= 0) this.reportControlCharacter(segment, true);
        continue;
      }
      this.envelope(segment, kind, tokenizer.controlCharacterAt >= 0);
    }
    if (tokenizer.unreadable.length !== this.unreadableSeen) this.reportUnreadable(undefined);
    this.closeInterchange(undefined);
    return { interchanges: this.interchanges, segmentCount: tokenizer.ordinal, issues: this.issues };
  }

  /** An envelope segment, or one outside any transaction set (`controlCharacter`: it holds one). */
  private envelope(segment: Segment, kind: SegmentKind, controlCharacter: boolean): void {
    if (controlCharacter && kind !== 'ST' && kind !== 'SE') this.reportControlCharacter(segment, false);
    switch (kind) {
      case 'ISA':
        this.closeInterchange(segment);
        this.interchange = {
          delimiters: this.tokenizer.delimiters!,
          header: segment,
          acknowledgements: [],
          groups: [],
        };
        this.interchanges.push(this.interchange);
        this.straying = false;
        return;
      case 'IEA':
        if (this.interchange === undefined) break;
        this.closeGroup(segment);
        this.interchange.trailer = segment;
        this.interchange = undefined;
        this.straying = false;
        return;
      case 'GS':
        if (this.interchange === undefined) break;
        this.closeGroup(segment);
        this.group = { header: segment, sets: [] };
        this.interchange.groups.push(this.group);
        this.straying = false;
        return;
      case 'GE':
        this.closeSet(segment);
        if (this.group === undefined) break;
        this.group.trailer = segment;
        this.group = undefined;
        this.straying = false;
        return;
      case 'ST':
        this.closeSet(segment);
        if (this.group === undefined) break;
        this.set = { header: segment, segments: [] };
        this.group.sets.push(this.set);
        this.straying = false;
        if (controlCharacter) this.reportControlCharacter(segment, true);
        return;
      case 'SE':
        if (this.set === undefined) {
          if (controlCharacter) this.reportControlCharacter(segment, false);
          break;
        }
        this.set.trailer = segment;
        if (controlCharacter) this.reportControlCharacter(segment, true);
        this.set = undefined;
        return;
      case 'TA1':
        if (this.interchange !== undefined && this.group === undefined) {
          this.interchange.acknowledgements.push(segment);
          return;
        }
        break;
      default:
        break;
    }
    this.stray(segment);
  }

  /** Where `segment` is, with the indexes of its envelopes. */
  private at(segment: Segment | undefined): IssueAt {
    const at: IssueAt = segment
      ? { ordinal: segment.ordinal, offset: segment.offset, segmentId: segment.id }
      : { ordinal: this.tokenizer.ordinal + 1, offset: this.text.length, segmentId: '' };
    const interchange = this.interchange;
    if (interchange === undefined) return at;
    at.interchange = this.interchanges.length - 1;
    const group = this.group;
    if (group === undefined) return at;
    at.group = interchange.groups.length - 1;
    const set = this.set;
    if (set === undefined) return at;
    at.set = group.sets.length - 1;
    at.positionInSet = segment === set.header ? 1 : set.segments.length + (segment === set.trailer ? 2 : 1);
    return at;
  }

  private stray(segment: Segment): void {
    if (this.straying) return;
    this.straying = true;
    const where =
      this.interchange === undefined
        ? 'outside any interchange (ISA…IEA)'
        : this.group === undefined
          ? 'outside any functional group (GS…GE)'
          : 'outside any transaction set (ST…SE)';
    const message = `${segment.id === '' ? 'an empty segment' : `segment ${segment.id}`} is ${where}`;
    const at = this.at(segment);
    this.issues.push(
      this.interchange === undefined
        ? interchangeIssue('022', message, at)
        : interchangeIssue('024', message, at),
    );
  }

  /** Closes the open set, if any: reached at `segment` (undefined: the end of the text) without its SE. */
  private closeSet(segment: Segment | undefined): void {
    const set = this.set;
    if (set === undefined) return;
    const at = { ...this.at(segment), positionInSet: set.segments.length + 2 };
    const where = segment ? `before ${segment.id}` : 'at the end of the text';
    this.issues.push(
      setIssue('2', `transaction set ${set.header.elements[1] ?? ''} has no SE trailer (${where})`, at),
    );
    this.set = undefined;
  }

  private closeGroup(segment: Segment | undefined): void {
    this.closeSet(segment);
    const group = this.group;
    if (group === undefined) return;
    const where = segment ? `before ${segment.id}` : 'at the end of the text';
    this.issues.push(
      groupIssue(
        '3',
        `functional group ${group.header.elements[5] ?? ''} has no GE trailer (${where})`,
        this.at(segment),
      ),
    );
    this.group = undefined;
  }

  private closeInterchange(segment: Segment | undefined): void {
    this.closeGroup(segment);
    const interchange = this.interchange;
    if (interchange === undefined) return;
    const controlNumber = interchange.header.elements[12] ?? '';
    this.issues.push(
      segment
        ? interchangeIssue(
            '022',
            `interchange ${controlNumber} has no IEA trailer before the next ISA`,
            this.at(segment),
          )
        : interchangeIssue(
            '023',
            `interchange ${controlNumber} has no IEA trailer: the text ends first`,
            this.at(undefined),
          ),
    );
    this.interchange = undefined;
  }

  private reportUnreadable(next: Segment | undefined): void {
    const unreadable = this.tokenizer.unreadable;
    for (; this.unreadableSeen < unreadable.length; this.unreadableSeen++) {
      const { offset, resumedAt, failure } = unreadable[this.unreadableSeen]!;
      const ordinal = next ? next.ordinal : this.tokenizer.ordinal + 1;
      const skipped = resumedAt - offset;
      this.issues.push(
        interchangeIssue(
          failure.code,
          `${failure.message}; ${skipped} character(s) skipped${resumedAt < this.text.length ? ' up to the next ISA' : ''}`,
          { ordinal, offset, segmentId: this.text.slice(offset, offset + 3) },
        ),
      );
    }
  }

  /** Reports the control character the tokenizer found in `segment`, as an AK4 when it is part of a set. */
  private reportControlCharacter(segment: Segment, inSet: boolean): void {
    const text = this.text;
    const at = this.tokenizer.controlCharacterAt;
    const separator = this.tokenizer.delimiters!.element;
    let element = 0;
    for (let cut = text.indexOf(separator, segment.offset); cut !== -1 && cut < at; ) {
      element += 1;
      cut = text.indexOf(separator, cut + 1);
    }
    const code = text.charCodeAt(at).toString(16).padStart(4, '0');
    const where = this.at(segment);
    if (inSet) {
      // In the segment id itself it is already reported as an unrecognised id (AK304 1).
      if (element === 0) return;
      this.issues.push(
        elementIssue(
          '6',
          `${segment.id}${String(element).padStart(2, '0')} holds the control character U+${code}`,
          {
            ...where,
            element,
            value: String(segment.elements[element - 1] ?? ''),
          },
        ),
      );
    } else {
      const { set: _set, positionInSet: _position, ...envelope } = where;
      this.issues.push(
        interchangeIssue('024', `segment ${segment.id} holds the control character U+${code}`, envelope),
      );
    }
  }
}
