/**
 * What is wrong with a received document, each problem tagged with the acknowledgement element and code
 * the X12 standard reports it with, and where it was found.
 */
import {
  ELEMENT_ERROR_CODES,
  type ElementErrorCode,
  GROUP_ERROR_CODES,
  type GroupErrorCode,
  SEGMENT_ERROR_CODES,
  SET_ERROR_CODES,
  type SegmentErrorCode,
  type SetErrorCode,
  TA1_NOTE_CODES,
  type Ta1NoteCode,
} from './codes.js';

/**
 * The acknowledgement element an issue's code belongs to, from the widest level to the narrowest:
 * the interchange's TA1 note, the group's AK9, a set's AK5 (IK5 in a 999), a segment's AK3 (IK3), an
 * element's AK4 (IK4).
 */
export const ISSUE_LISTS = ['TA105', 'AK905', 'AK502', 'AK304', 'AK403'] as const;
export type IssueList = (typeof ISSUE_LISTS)[number];

/** One problem of a received document. */
export interface X12Issue {
  list: IssueList;
  /** The code in `list` (`'001'` for TA105, `'4'` for AK905, …). */
  code: string;
  /** What is wrong, with the values involved. */
  message: string;
  /** The segment where it was found, from 1; something missing at the end is reported one past the last. */
  ordinal: number;
  /** Offset of that segment in the decoded text (the end of the text for something missing there). */
  offset: number;
  /** Id of that segment (`''` at the end of the text). */
  segmentId: string;
  /** Index of the interchange in the document; absent for text outside any interchange. */
  interchange?: number;
  /** Index of the group in its interchange (AK9/AK5/AK3/AK4 issues). */
  group?: number;
  /** Index of the set in its group (AK5/AK3/AK4 issues). */
  set?: number;
  /** AK302/IK302: position of the segment in its set, ST being 1. */
  positionInSet?: number;
  /** AK401/IK401: position of the element in its segment (from 1). */
  element?: number;
  /** Position of the component in a composite element (from 1). */
  component?: number;
  /** AK402/IK402: the data element reference number, where known (`96` for SE01). */
  elementReference?: string;
  /** AK404/IK404: a copy of the bad data element. */
  value?: string;
}

/** Where an issue is, and in which envelope. */
export type IssueAt = Omit<X12Issue, 'list' | 'code' | 'message'>;

const meanings: Record<IssueList, Record<string, string>> = {
  TA105: TA1_NOTE_CODES,
  AK905: GROUP_ERROR_CODES,
  AK502: SET_ERROR_CODES,
  AK304: SEGMENT_ERROR_CODES,
  AK403: ELEMENT_ERROR_CODES,
};

/** An interchange-level problem (TA1 note code). */
export function interchangeIssue(code: Ta1NoteCode, message: string, at: IssueAt): X12Issue {
  return { list: 'TA105', code, message, ...at };
}

/** A functional-group-level problem (AK905). */
export function groupIssue(code: GroupErrorCode, message: string, at: IssueAt): X12Issue {
  return { list: 'AK905', code, message, ...at };
}

/** A transaction-set-level problem (AK502 / IK502). */
export function setIssue(code: SetErrorCode, message: string, at: IssueAt): X12Issue {
  return { list: 'AK502', code, message, ...at };
}

/** A segment-level problem inside a set (AK304 / IK304). */
export function segmentIssue(code: SegmentErrorCode, message: string, at: IssueAt): X12Issue {
  return { list: 'AK304', code, message, ...at };
}

/** A data-element-level problem inside a set (AK403 / IK403). */
export function elementIssue(code: ElementErrorCode, message: string, at: IssueAt): X12Issue {
  return { list: 'AK403', code, message, ...at };
}

/** The standard's meaning of an issue's code: `AK502 3 (Transaction set control number …)`. */
export function describeCode(issue: Pick<X12Issue, 'list' | 'code'>): string {
  const meaning = meanings[issue.list][issue.code];
  return meaning ? `${issue.list} ${issue.code} (${meaning})` : `${issue.list} ${issue.code}`;
}

/** Issues in document order (by offset; at one place, the wider level first). */
export function sortIssues(issues: readonly X12Issue[]): X12Issue[] {
  return [...issues].sort(
    (a, b) =>
      a.offset - b.offset ||
      a.ordinal - b.ordinal ||
      ISSUE_LISTS.indexOf(a.list) - ISSUE_LISTS.indexOf(b.list),
  );
}
