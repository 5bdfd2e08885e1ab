/**
 * Acknowledgements of a received document, built from its validation issues: a TA1 for the interchange
 * envelope, and for each functional group a 997 (X12 4010 partners) or a 999 (5010): AK1, per set AK2 with
 * its segment (AK3/IK3) and element (AK4/IK4) errors and AK5/IK5, then AK9 for the group.
 *
 * Rules: an interchange with an envelope error (any TA105 issue) is rejected whole with a TA1 `R` carrying
 * the first note code, and its groups are not acknowledged (they were not taken in); otherwise each group
 * gets its 997/999, plus a TA1 `A` when ISA14 asked for one. Groups of acknowledgements (GS01 `FA`) are
 * never acknowledged.
 */
import type { X12Issue } from './issues.js';
import {
  type Element,
  type FunctionalGroup,
  type Interchange,
  type Segment,
  valueAt,
  type X12Document,
} from './model.js';
import type { GroupInput, InterchangeInput, SegmentInput, SetInput } from './writer.js';

/** Which functional acknowledgement a partner gets. */
export type FunctionalAckKind = '997' | '999';

/** The default for a group: a 999 from version 5010 (GS08 `005010…`), else a 997. */
export function functionalAckKind(group: FunctionalGroup): FunctionalAckKind {
  const version = valueAt(group.header, 8);
  return /^\d{6}/.test(version) && Number(version.slice(0, 6)) >= 5010 ? '999' : '997';
}

/** The TA1 for a received interchange: `R` with the first note code of its issues, else `A` with `000`. */
export function ta1Segment(interchange: Interchange, interchangeIssues: readonly X12Issue[]): SegmentInput {
  const first = interchangeIssues.find((issue) => issue.list === 'TA105');
  const header = interchange.header;
  return {
    id: 'TA1',
    elements: [
      copied(header, 13),
      copied(header, 9),
      copied(header, 10),
      first ? 'R' : 'A',
      first ? first.code : '000',
    ],
  };
}

/**
 * The 997 or 999 transaction set acknowledging `group`; `groupIssues` are the issues of that group (with
 * `group` set) — others are ignored.
 */
export function functionalAckSet(
  group: FunctionalGroup,
  groupIssues: readonly X12Issue[],
  kind: FunctionalAckKind = functionalAckKind(group),
): SetInput {
  const ik = kind === '999';
  const segments: SegmentInput[] = [];
  const groupVersion = copied(group.header, 8);
  segments.push({
    id: 'AK1',
    elements: ik
      ? [copied(group.header, 1), copied(group.header, 6), groupVersion]
      : [copied(group.header, 1), copied(group.header, 6)],
  });
  let accepted = 0;
  group.sets.forEach((set, index) => {
    const issues = groupIssues.filter((issue) => issue.set === index);
    const conventionReference = copied(set.header, 3);
    segments.push({
      id: 'AK2',
      elements:
        ik && conventionReference
          ? [copied(set.header, 1), copied(set.header, 2), conventionReference]
          : [copied(set.header, 1), copied(set.header, 2)],
    });
    segments.push(...segmentErrors(issues, ik));
    const setCodes = unique(issues.filter((issue) => issue.list === 'AK502').map((issue) => issue.code));
    const segmentsInError = issues.some((issue) => issue.list === 'AK304' || issue.list === 'AK403');
    // AK502 5 "one or more segments in error" goes with the AK3s, beside any set-level code.
    if (segmentsInError && !setCodes.includes('5')) setCodes.push('5');
    if (setCodes.length === 0) accepted += 1;
    segments.push({
      id: ik ? 'IK5' : 'AK5',
      elements: [setCodes.length === 0 ? 'A' : 'R', ...setCodes.slice(0, 5)],
    });
  });
  const groupCodes = unique(
    groupIssues
      .filter((issue) => issue.list === 'AK905' && issue.set === undefined)
      .map((issue) => issue.code),
  );
  const received = group.sets.length;
  const stated = group.trailer ? valueAt(group.trailer, 1) : '';
  const included = /^\d{1,6}$/.test(stated) ? String(Number(stated)) : String(received);
  const code =
    groupCodes.length > 0 || (received > 0 && accepted === 0) ? 'R' : accepted === received ? 'A' : 'P';
  segments.push({
    id: 'AK9',
    elements: [code, included, String(received), String(accepted), ...groupCodes.slice(0, 5)],
  });
  return ik && /X/.test(groupVersion)
    ? { id: '999', conventionReference: '005010X231A1', segments }
    : { id: kind, segments };
}

/** AK3/AK4 (IK3/IK4 in a 999) for the segment and element issues of one set, in segment order. */
function segmentErrors(issues: readonly X12Issue[], ik: boolean): SegmentInput[] {
  const bySegment = new Map<number, X12Issue[]>();
  for (const issue of issues) {
    if (issue.list !== 'AK304' && issue.list !== 'AK403') continue;
    const list = bySegment.get(issue.ordinal) ?? [];
    list.push(issue);
    bySegment.set(issue.ordinal, list);
  }
  const segments: SegmentInput[] = [];
  for (const [, list] of [...bySegment].sort(([a], [b]) => a - b)) {
    const first = list[0]!;
    const segmentIssue = list.find((issue) => issue.list === 'AK304');
    // AK304 8 "segment has data element errors" introduces element errors found without a segment error.
    const code = segmentIssue ? segmentIssue.code : '8';
    segments.push({
      id: ik ? 'IK3' : 'AK3',
      elements: [safe(first.segmentId), String(first.positionInSet ?? ''), '', code],
    });
    for (const issue of list) {
      if (issue.list !== 'AK403') continue;
      const position: Element =
        issue.component !== undefined
          ? [String(issue.element ?? ''), String(issue.component)]
          : String(issue.element ?? '');
      const copy =
        issue.value !== undefined && /^[A-Za-z0-9 .,/()-]{1,99}$/.test(issue.value) ? [issue.value] : [];
      segments.push({
        id: ik ? 'IK4' : 'AK4',
        elements: [position, issue.elementReference ?? '', issue.code, ...copy],
      });
    }
  }
  return segments;
}

/**
 * A value of the received document copied into the reply, kept to letters, digits, space and `.,-/()`:
 * it was split with the sender's delimiters and may hold one of ours, and the reply must always be
 * writable. `width` cuts it to an ISA field's width.
 */
function copied(segment: Segment, position: number, width?: number): string {
  const value = safe(valueAt(segment, position));
  return width === undefined ? value : value.slice(0, width);
}

function safe(value: string): string {
  return value.replace(/[^A-Za-z0-9 .,\-/()]/g, '');
}

function unique(codes: string[]): string[] {
  return [...new Set(codes)];
}

export interface AcknowledgeOptions {
  /** 997 or 999 for every group; default per group by its version (`functionalAckKind`). */
  kind?: FunctionalAckKind;
  /** Date of the replies' envelopes; default now. */
  date?: Date;
}

/** The reply to one received interchange. */
export interface Acknowledgement {
  /** Index of the received interchange in the document. */
  interchange: number;
  /** True when the interchange was refused whole (TA1 `R`): nothing in it may be applied. */
  rejected: boolean;
  /** The reply, addressed back to the sender; write it with `writeInterchange()`. */
  reply: InterchangeInput;
}

/**
 * Replies for every interchange of a received document, from `issues` (`validateX12(document)`). An
 * interchange that yields nothing to send (no error, no TA1 requested, only acknowledgement groups) is
 * left out. Text outside any interchange cannot be acknowledged in X12: the caller reports it otherwise.
 */
export function acknowledge(
  document: X12Document,
  issues: readonly X12Issue[],
  options: AcknowledgeOptions = {},
): Acknowledgement[] {
  const replies: Acknowledgement[] = [];
  document.interchanges.forEach((interchange, index) => {
    const own = issues.filter((issue) => issue.interchange === index);
    const envelopeIssues = own.filter((issue) => issue.list === 'TA105');
    const rejected = envelopeIssues.length > 0;
    const header = interchange.header;
    const acknowledgements: SegmentInput[] =
      rejected || valueAt(header, 14) === '1' ? [ta1Segment(interchange, envelopeIssues)] : [];
    const groups: GroupInput[] = [];
    if (!rejected) {
      interchange.groups.forEach((group, groupIndex) => {
        if (valueAt(group.header, 1) === 'FA') return;
        const kind = options.kind ?? functionalAckKind(group);
        const set = functionalAckSet(
          group,
          own.filter((issue) => issue.group === groupIndex),
          kind,
        );
        groups.push({
          functionalId: 'FA',
          applicationSender: copied(group.header, 3),
          applicationReceiver: copied(group.header, 2),
          // A 999 of a HIPAA implementation (GS08 005010X…) is itself the 005010X231A1 implementation.
          version: set.conventionReference ?? (copied(group.header, 8) || '004010'),
          sets: [set],
        });
      });
    }
    if (acknowledgements.length === 0 && groups.length === 0) return;
    replies.push({
      interchange: index,
      rejected,
      reply: replyEnvelope(header, acknowledgements, groups, options.date),
    });
  });
  return replies;
}

function replyEnvelope(
  header: Segment,
  acknowledgements: SegmentInput[],
  groups: GroupInput[],
  date: Date | undefined,
): InterchangeInput {
  const version = valueAt(header, 12);
  const usage = valueAt(header, 15);
  return {
    sender: { qualifier: copied(header, 7, 2), id: copied(header, 8, 15).trim() },
    receiver: { qualifier: copied(header, 5, 2), id: copied(header, 6, 15).trim() },
    version: /^\d{5}$/.test(version) ? version : '00401',
    usage: usage === 'T' || usage === 'I' ? usage : 'P',
    ...(date ? { date } : {}),
    acknowledgements,
    groups,
  };
}
