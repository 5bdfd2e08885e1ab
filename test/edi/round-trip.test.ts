/**
 * Round trips: what the writer writes, the parser reads back as the same structure, with no issue — for
 * any segments, any delimiters (multi-byte and control characters included), several interchanges per
 * file. Then the same documents with one count or control number broken must be refused at the right place.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Composite,
  type Delimiters,
  type Element,
  formatInterchange,
  type InterchangeInput,
  MemoryControlNumbers,
  parseX12,
  type SegmentInput,
  validateX12,
  writeInterchange,
  type X12Document,
} from '../../src/connectors/edi/x12/index.js';
import { plain } from './support.js';

/** Characters data is made of; no delimiter below is among them. */
const DATA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,-/()'.split('');
/** Candidate delimiters: ASCII punctuation, control characters some senders use, multi-byte ones. */
const DELIMITERS = [
  '*',
  '|',
  '~',
  '>',
  ':',
  '^',
  '!',
  '+',
  '@',
  '#',
  '$',
  '%',
  '&',
  '\u001d',
  '\u001c',
  '\u001f',
  '…',
  '¦',
  '§',
];
const ENVELOPE_IDS = new Set(['ISA', 'IEA', 'GS', 'GE', 'ST', 'SE', 'TA1']);

const text = (maxLength = 8) => fc.string({ unit: fc.constantFrom(...DATA), maxLength });
const composite: fc.Arbitrary<Composite> = fc.array(text(5), { minLength: 1, maxLength: 4 });

const segmentId = fc
  .tuple(
    fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('')),
    fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('')),
      minLength: 1,
      maxLength: 2,
    }),
  )
  .map(([first, rest]) => first + rest)
  .filter((id) => !ENVELOPE_IDS.has(id));

function segment(repetitions: boolean): fc.Arbitrary<SegmentInput> {
  const simple: fc.Arbitrary<Element> = text();
  const options: Array<fc.Arbitrary<Element>> = [simple, simple, simple, composite];
  if (repetitions) {
    options.push(
      fc.array(fc.oneof(text(5), composite), { minLength: 1, maxLength: 3 }).map((repeats) => ({ repeats })),
    );
  }
  return fc.record({ id: segmentId, elements: fc.array(fc.oneof(...options), { maxLength: 12 }) });
}

/** Delimiters: distinct characters; the terminator may be a line feed. */
const delimiters: fc.Arbitrary<Delimiters> = fc
  .tuple(fc.shuffledSubarray(DELIMITERS, { minLength: 4, maxLength: 4 }), fc.boolean())
  .map(([[element, component, segment, repetition], newlineTerminator]) => ({
    element: element!,
    component: component!,
    segment: newlineTerminator ? '\n' : segment!,
    repetition: repetition!,
  }));

const party = fc.record({
  qualifier: fc.constantFrom('ZZ', '01', '12'),
  id: fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJ0123456789'.split('')), minLength: 1, maxLength: 15 }),
});

interface Case {
  input: InterchangeInput;
  delimiters: Delimiters;
  newline: boolean;
}

const interchange: fc.Arbitrary<Case> = fc
  .record({ version: fc.constantFrom('00401', '00400', '00501', '00406'), delimiters, newline: fc.boolean() })
  .chain(({ version, delimiters, newline }) => {
    const repetitions = Number(version) >= 402;
    const set = fc.record({
      id: fc.constantFrom('850', '855', '856', '810', '846', '940', '945', '214'),
      segments: fc.array(segment(repetitions), { maxLength: 8 }),
    });
    const group = fc.record({
      functionalId: fc.constantFrom('PO', 'PR', 'SH', 'IN', 'IB', 'OW', 'QM'),
      version: fc.constantFrom('004010', '005010', '004010VICS'),
      sets: fc.array(set, { minLength: 1, maxLength: 3 }),
    });
    return fc
      .record({ sender: party, receiver: party, groups: fc.array(group, { maxLength: 3 }) })
      .map((input) => ({
        input: { ...input, version, date: new Date(Date.UTC(2026, 10, 27, 9, 30)) },
        delimiters,
        newline,
      }));
  });

/** What the writer leaves of an element: trailing empty components dropped, single parts unwrapped. */
function normalize(element: Element): Element {
  if (typeof element === 'string') return element;
  if (Array.isArray(element)) {
    const components = [...element];
    while (components.length > 0 && components.at(-1) === '') components.pop();
    return components.length === 0 ? '' : components.length === 1 ? components[0]! : components;
  }
  const repeats = element.repeats.map((occurrence) => normalize(occurrence) as string | Composite);
  return repeats.length === 0 ? '' : repeats.length === 1 ? repeats[0]! : { repeats };
}

function normalizeSegment(segment: SegmentInput): { id: string; elements: Element[] } {
  const elements = segment.elements.map(normalize);
  while (elements.length > 0 && elements.at(-1) === '') elements.pop();
  return { id: segment.id, elements };
}

/** Control numbers in order of writing, for a case written with numbers counted from `start`. */
function numbered(input: InterchangeInput, start: number): InterchangeInput {
  let next = start;
  return {
    ...input,
    controlNumber: next++,
    groups: input.groups.map((group) => ({
      ...group,
      controlNumber: next++,
      sets: group.sets.map((set) => ({ ...set, controlNumber: next++ })),
    })),
  };
}

/** `text` with element `position` of the segment at `segment.offset` replaced by `value`. */
function replaceElement(
  text: string,
  segment: { offset: number },
  position: number,
  value: string,
  delimiters: Delimiters,
): string {
  let start = segment.offset;
  for (let i = 0; i < position; i++) start = text.indexOf(delimiters.element, start) + 1;
  const nextElement = text.indexOf(delimiters.element, start);
  const nextSegment = text.indexOf(delimiters.segment, start);
  const end = nextElement === -1 || nextElement > nextSegment ? nextSegment : nextElement;
  return text.slice(0, start) + value + text.slice(end);
}

function expectSameStructure(document: X12Document, cases: Case[]): void {
  expect(document.interchanges).toHaveLength(cases.length);
  cases.forEach(({ input }, i) => {
    const parsed = document.interchanges[i]!;
    expect(parsed.groups.map((group) => group.sets.map((set) => set.segments.map(plain)))).toEqual(
      input.groups.map((group) => group.sets.map((set) => set.segments.map(normalizeSegment))),
    );
    expect(parsed.groups.map((group) => group.sets.map((set) => set.header.elements[0]))).toEqual(
      input.groups.map((group) => group.sets.map((set) => set.id)),
    );
    expect(parsed.header.elements[5]).toBe(input.sender.id.padEnd(15, ' '));
  });
}

describe('X12 round trip: write → parse → same structure', () => {
  it('for any segments and delimiters, one interchange, no issue', async () => {
    await fc.assert(
      fc.asyncProperty(interchange, async (one) => {
        const controlNumbers = new MemoryControlNumbers();
        const written = await writeInterchange(one.input, {
          controlNumbers,
          partner: 'acme',
          delimiters: one.delimiters,
          newline: one.newline,
        });
        const document = parseX12(written);
        expect(validateX12(document)).toEqual([]);
        expectSameStructure(document, [one]);
        const read = document.interchanges[0]!.delimiters;
        expect(read.element).toBe(one.delimiters.element);
        expect(read.component).toBe(one.delimiters.component);
        expect(read.segment).toBe(one.delimiters.segment);
        expect(read.repetition).toBe(
          Number(one.input.version) >= 402 ? one.delimiters.repetition : undefined,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('for several interchanges in one file, each with its own delimiters', () => {
    fc.assert(
      fc.property(fc.array(interchange, { minLength: 2, maxLength: 4 }), (cases) => {
        let start = 1;
        const text = cases
          .map((one) => {
            const input = numbered(one.input, start);
            start += 100;
            return formatInterchange(input, { delimiters: one.delimiters, newline: one.newline });
          })
          .join('\r\n');
        const document = parseX12(text);
        expect(validateX12(document)).toEqual([]);
        expectSameStructure(document, cases);
      }),
      { numRuns: 100 },
    );
  });

  it('finds a broken SE01, GE02 or IEA01 at its segment, with its code', () => {
    fc.assert(
      fc.property(
        interchange.filter((one) => one.input.groups.length > 0),
        fc.constantFrom('SE01', 'GE02', 'IEA01'),
        (one, broken) => {
          const written = formatInterchange(numbered(one.input, 1), { delimiters: one.delimiters });
          const parsed = parseX12(written).interchanges[0]!;
          const group = parsed.groups[0]!;
          const target =
            broken === 'SE01'
              ? group.sets[0]!.trailer!
              : broken === 'GE02'
                ? group.trailer!
                : parsed.trailer!;
          const tampered = replaceElement(written, target, broken === 'GE02' ? 2 : 1, '999', one.delimiters);
          const issues = validateX12(parseX12(tampered));
          const expected = { SE01: ['AK502', '4'], GE02: ['AK905', '4'], IEA01: ['TA105', '021'] }[broken];
          expect(issues.map((issue) => [issue.list, issue.code, issue.ordinal, issue.offset])).toEqual([
            [...expected, target.ordinal, target.offset],
          ]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
