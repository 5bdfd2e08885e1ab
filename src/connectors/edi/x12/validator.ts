/**
 * Envelope validation (X12.5/X12.6 control structures): the ISA's fixed-width fields, IEA01/IEA02,
 * GS06/GE01/GE02, ST01/ST02/SE01/SE02 and duplicate control numbers, each problem reported with the code
 * its acknowledgement carries (TA105, AK905, AK502). Control numbers are compared as numbers
 * (`3438` = `000003438`), as receivers and translators do.
 */
import { DEFAULT_DELIMITERS, hasRepetitionSeparator, isDelimiterCharacter } from './delimiters.js';
import { ISA_FIELDS, isaRepetitionProblem } from './isa.js';
import { groupIssue, type IssueAt, interchangeIssue, setIssue, sortIssues, type X12Issue } from './issues.js';
import {
  elementText,
  type FunctionalGroup,
  type Interchange,
  type Segment,
  type TransactionSet,
  type X12Document,
} from './model.js';

/** Every issue of a parsed document: what the parser met and the envelope checks, in document order. */
export function validateX12(document: X12Document): X12Issue[] {
  return sortIssues([...document.issues, ...validateEnvelopes(document)]);
}

/** The envelope checks alone (counts, control numbers, ISA fields). */
export function validateEnvelopes(document: X12Document): X12Issue[] {
  const issues: X12Issue[] = [];
  const seenInterchanges = new Set<string>();
  document.interchanges.forEach((interchange, index) => {
    checkInterchange(interchange, index, issues);
    const number = controlKey(text(interchange.header, 13));
    if (seenInterchanges.has(number)) {
      issues.push(
        interchangeIssue(
          '025',
          `ISA13 ${text(interchange.header, 13)} repeats an earlier interchange of the text`,
          {
            ...at(interchange.header),
            interchange: index,
          },
        ),
      );
    }
    seenInterchanges.add(number);
  });
  return issues;
}

/** True when two control numbers are the same: numerically when both are digits, else as text. */
export function sameControlNumber(a: string, b: string): boolean {
  return controlKey(a) === controlKey(b);
}

/** A control number as compared: digits without leading zeros, anything else as it is (trimmed). */
function controlKey(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) === 32) start++;
  while (end > start && value.charCodeAt(end - 1) === 32) end--;
  let firstSignificant = -1;
  for (let i = start; i < end; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return value.slice(start, end);
    if (firstSignificant === -1 && code !== 48) firstSignificant = i;
  }
  if (start === end) return '';
  return firstSignificant === -1 ? '0' : value.slice(firstSignificant, end);
}

/** An envelope element's text (the tokenizer never splits envelope segments; ISA elements are raw). */
function text(segment: Segment, position: number): string {
  const element = segment.elements[position - 1];
  return typeof element === 'string' ? element : elementText(element, DEFAULT_DELIMITERS);
}

function at(segment: Segment): IssueAt {
  return { ordinal: segment.ordinal, offset: segment.offset, segmentId: segment.id };
}

function checkInterchange(interchange: Interchange, index: number, issues: X12Issue[]): void {
  const header = interchange.header;
  const where = (): IssueAt => ({ ...at(header), interchange: index });
  const version = text(header, 12);
  for (const field of ISA_FIELDS) {
    const value = text(header, field.position);
    if (value.length !== field.width) {
      const name = field.id;
      issues.push(
        interchangeIssue(
          field.note,
          `${name} (${field.name}) ${JSON.stringify(value)} has ${value.length} character(s); the ISA is fixed width and ${name} has ${field.width}`,
          where(),
        ),
      );
      continue;
    }
    const problem = isaFieldProblem(field.position, value, version, interchange);
    if (problem) issues.push(interchangeIssue(field.note, `${field.id} (${field.name}) ${problem}`, where()));
  }
  const groups = interchange.groups;
  const seenGroups = new Set<string>();
  groups.forEach((group, groupIndex) => {
    checkGroup(group, { interchange: index, group: groupIndex }, seenGroups, issues);
  });
  const trailer = interchange.trailer;
  if (trailer === undefined) return; // reported by the parser (TA105 022/023)
  const trailerAt = (): IssueAt => ({ ...at(trailer), interchange: index });
  const count = text(trailer, 1);
  if (!/^\d{1,5}$/.test(count) || Number(count) !== groups.length) {
    issues.push(
      interchangeIssue(
        '021',
        `IEA01 says ${JSON.stringify(count)} functional group(s); the interchange has ${groups.length}`,
        trailerAt(),
      ),
    );
  }
  if (!sameControlNumber(text(trailer, 2), text(header, 13))) {
    issues.push(
      interchangeIssue(
        '001',
        `IEA02 ${JSON.stringify(text(trailer, 2))} does not match ISA13 ${JSON.stringify(text(header, 13))}`,
        trailerAt(),
      ),
    );
  }
}

/** What is wrong with an ISA field of the right width, or undefined. */
function isaFieldProblem(
  position: number,
  value: string,
  version: string,
  interchange: Interchange,
): string | undefined {
  const { delimiters } = interchange;
  switch (position) {
    case 5:
    case 6:
    case 7:
    case 8:
      return value.trim() === '' ? 'is blank' : undefined;
    case 9: {
      const match = /^\d\d(\d\d)(\d\d)$/.exec(value);
      const month = Number(match?.[1]);
      const day = Number(match?.[2]);
      return match && month >= 1 && month <= 12 && day >= 1 && day <= 31
        ? undefined
        : `${JSON.stringify(value)} is not a date YYMMDD`;
    }
    case 10: {
      const match = /^(\d\d)(\d\d)$/.exec(value);
      return match && Number(match[1]) < 24 && Number(match[2]) < 60
        ? undefined
        : `${JSON.stringify(value)} is not a time HHMM`;
    }
    case 11:
      if (!hasRepetitionSeparator(version)) {
        return value === 'U' ? undefined : `${JSON.stringify(value)} must be U before version 00402`;
      }
      return isaRepetitionProblem(value, delimiters);
    case 12:
      return /^\d{5}$/.test(value) ? undefined : `${JSON.stringify(value)} is not a five-digit version`;
    case 13:
      return /^\d{9}$/.test(value) ? undefined : `${JSON.stringify(value)} is not a nine-digit number`;
    case 14:
      return value === '0' || value === '1' ? undefined : `${JSON.stringify(value)} must be 0 or 1`;
    case 15:
      return value === 'P' || value === 'T' || value === 'I'
        ? undefined
        : `${JSON.stringify(value)} must be P, T or I`;
    case 16:
      return isDelimiterCharacter(value) &&
        value !== delimiters.element &&
        value !== delimiters.segment &&
        value !== '\n' &&
        value !== '\r'
        ? undefined
        : `${JSON.stringify(value)} cannot be the component separator: it must be a non-alphanumeric character unlike the element separator and segment terminator`;
    default:
      return undefined;
  }
}

function checkGroup(
  group: FunctionalGroup,
  where: { interchange: number; group: number },
  seenGroups: Set<string>,
  issues: X12Issue[],
): void {
  const header = group.header;
  const headerAt = (): IssueAt => ({ ...at(header), ...where });
  const controlNumber = text(header, 6);
  if (!/^\d{1,9}$/.test(controlNumber)) {
    issues.push(
      groupIssue('6', `GS06 ${JSON.stringify(controlNumber)} is not a number of 1 to 9 digits`, headerAt()),
    );
  } else if (seenGroups.has(controlKey(controlNumber))) {
    issues.push(
      groupIssue('6', `GS06 ${controlNumber} repeats an earlier group of the interchange`, headerAt()),
    );
  }
  seenGroups.add(controlKey(controlNumber));
  // 5010 has a code of its own for a repeated ST02 (23); before, 7 covers it.
  const duplicateSetCode = /^00[5-9]/.test(text(header, 8)) ? '23' : '7';
  const seenSets = new Set<string>();
  group.sets.forEach((set, setIndex) => {
    checkSet(set, { interchange: where.interchange, group: where.group, set: setIndex }, issues);
    const setNumber = controlKey(text(set.header, 2));
    if (seenSets.has(setNumber)) {
      issues.push(
        setIssue(
          duplicateSetCode,
          `ST02 ${text(set.header, 2)} repeats an earlier transaction set of the group`,
          { ...at(set.header), ...where, set: setIndex, positionInSet: 1 },
        ),
      );
    }
    seenSets.add(setNumber);
  });
  const trailer = group.trailer;
  if (trailer === undefined) return; // AK905 3, reported by the parser
  const trailerAt = (): IssueAt => ({ ...at(trailer), ...where });
  const count = text(trailer, 1);
  if (!/^\d{1,6}$/.test(count) || Number(count) !== group.sets.length) {
    issues.push(
      groupIssue(
        '5',
        `GE01 says ${JSON.stringify(count)} transaction set(s); the group has ${group.sets.length}`,
        trailerAt(),
      ),
    );
  }
  if (!sameControlNumber(text(trailer, 2), controlNumber)) {
    issues.push(
      groupIssue(
        '4',
        `GE02 ${JSON.stringify(text(trailer, 2))} does not match GS06 ${JSON.stringify(controlNumber)}`,
        trailerAt(),
      ),
    );
  }
}

function checkSet(
  set: TransactionSet,
  where: { interchange: number; group: number; set: number },
  issues: X12Issue[],
): void {
  const header = set.header;
  const headerAt = (): IssueAt => ({ ...at(header), ...where, positionInSet: 1 });
  const identifier = text(header, 1);
  if (!/^\d{3}$/.test(identifier)) {
    issues.push(
      setIssue('6', `ST01 ${JSON.stringify(identifier)} is not a transaction set identifier`, headerAt()),
    );
  }
  const controlNumber = text(header, 2);
  if (controlNumber.trim().length < 4 || controlNumber.length > 9) {
    issues.push(
      setIssue(
        '7',
        `ST02 ${JSON.stringify(controlNumber)} is not a control number of 4 to 9 characters`,
        headerAt(),
      ),
    );
  }
  const trailer = set.trailer;
  if (trailer === undefined) return; // AK502 2, reported by the parser
  const actual = set.segments.length + 2;
  const trailerAt = (): IssueAt => ({ ...at(trailer), ...where, positionInSet: actual });
  const count = text(trailer, 1);
  if (!/^\d{1,10}$/.test(count) || Number(count) !== actual) {
    issues.push(
      setIssue(
        '4',
        `SE01 says ${JSON.stringify(count)} segment(s); the set has ${actual} counting ST and SE`,
        trailerAt(),
      ),
    );
  }
  if (!sameControlNumber(text(trailer, 2), controlNumber)) {
    issues.push(
      setIssue(
        '3',
        `SE02 ${JSON.stringify(text(trailer, 2))} does not match ST02 ${JSON.stringify(controlNumber)}`,
        trailerAt(),
      ),
    );
  }
}
