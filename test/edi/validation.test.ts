/** Envelope validation: every check with its X12 code and the place it points at. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acknowledge,
  formatInterchange,
  Locator,
  parseX12,
  validateX12,
  type X12Issue,
} from '../../src/connectors/edi/x12/index.js';
import { interchangeText, isa, sample, VALID_SAMPLES } from './support.js';

function issuesOf(text: string): X12Issue[] {
  return validateX12(parseX12(text));
}

function codes(text: string): Array<[string, string, number, string]> {
  return issuesOf(text).map((issue) => [issue.list, issue.code, issue.ordinal, issue.segmentId]);
}

describe('validateX12', () => {
  it('accepts a sound interchange', () => {
    expect(issuesOf(interchangeText())).toEqual([]);
  });

  it('compares control numbers numerically', () => {
    const text = interchangeText()
      .replace('SE*3*0001', 'SE*3*1')
      .replace('GE*1*1', 'GE*1*0001')
      .replace('IEA*1*000000001', 'IEA*1*1');
    expect(issuesOf(text)).toEqual([]);
  });

  it('SE01 wrong → AK502 4 at the SE, with its position in the set', () => {
    const text = interchangeText([['BEG*00*SA*PO-1**20261127', 'REF*DP*038']]).replace(
      'SE*4*0001',
      'SE*9*0001',
    );
    const [issue] = issuesOf(text);
    expect(issue).toMatchObject({
      list: 'AK502',
      code: '4',
      ordinal: 6,
      segmentId: 'SE',
      interchange: 0,
      group: 0,
      set: 0,
      positionInSet: 4,
    });
    expect(issue?.message).toBe('SE01 says "9" segment(s); the set has 4 counting ST and SE');
    expect(new Locator(text).locate(issue!.offset)).toEqual({
      line: 6,
      column: 1,
      byte: text.indexOf('SE*9*0001'),
    });
  });

  it('SE02 ≠ ST02 → AK502 3; SE missing → AK502 2 where the set ends', () => {
    expect(codes(interchangeText().replace('SE*3*0001', 'SE*3*0002'))).toEqual([['AK502', '3', 5, 'SE']]);
    const unclosed = interchangeText([['BEG*00*SA*PO-1**20261127'], ['BEG*00*SA*PO-2**20261127']]).replace(
      'SE*3*0001~\n',
      '',
    );
    expect(codes(unclosed)).toEqual([['AK502', '2', 5, 'ST']]);
    expect(issuesOf(unclosed)[0]).toMatchObject({ set: 0, positionInSet: 3 });
  });

  it('ST01 and ST02 malformed → AK502 6 and 7; a repeated ST02 → 7 (4010), 23 (5010)', () => {
    expect(
      codes(interchangeText().replace('ST*850*0001', 'ST*85*0001').replace('SE*3*0001', 'SE*3*0001')),
    ).toEqual([['AK502', '6', 3, 'ST']]);
    expect(
      codes(interchangeText().replace('ST*850*0001', 'ST*850*01').replace('SE*3*0001', 'SE*3*01')),
    ).toEqual([['AK502', '7', 3, 'ST']]);
    const twice = interchangeText([['BEG*00*SA*1'], ['BEG*00*SA*2']]).replace(/0002/g, '0001');
    expect(codes(twice)).toEqual([['AK502', '7', 6, 'ST']]);
    expect(codes(twice.replace('*X*004010', '*X*005010'))).toEqual([['AK502', '23', 6, 'ST']]);
  });

  it('GE01 wrong → AK905 5; GE02 ≠ GS06 → AK905 4; GE missing → AK905 3; GS06 not a number → AK905 6', () => {
    expect(codes(interchangeText().replace('GE*1*1', 'GE*2*1'))).toEqual([['AK905', '5', 6, 'GE']]);
    expect(codes(interchangeText().replace('GE*1*1', 'GE*1*2'))).toEqual([['AK905', '4', 6, 'GE']]);
    expect(codes(interchangeText().replace('GE*1*1~\n', ''))).toEqual([['AK905', '3', 6, 'IEA']]);
    expect(
      codes(interchangeText().replace('*1*X*004010', '*A1*X*004010').replace('GE*1*1', 'GE*1*A1')),
    ).toEqual([['AK905', '6', 2, 'GS']]);
  });

  it('IEA01 wrong → TA1 021; IEA02 ≠ ISA13 → TA1 001; IEA missing → TA1 023 at the end of the text', () => {
    expect(codes(interchangeText().replace('IEA*1*', 'IEA*3*'))).toEqual([['TA105', '021', 7, 'IEA']]);
    expect(codes(interchangeText().replace('IEA*1*000000001', 'IEA*1*000000002'))).toEqual([
      ['TA105', '001', 7, 'IEA'],
    ]);
    const text = interchangeText().replace('IEA*1*000000001~\n', '');
    expect(codes(text)).toEqual([['TA105', '023', 7, '']]);
    expect(issuesOf(text)[0]?.offset).toBe(text.length);
  });

  it('an ISA before the IEA → TA1 022 for the first interchange; a repeated ISA13 → TA1 025', () => {
    const first = interchangeText().replace('IEA*1*000000001~\n', '');
    expect(codes(first + interchangeText([], '000000002'))).toEqual([['TA105', '022', 7, 'ISA']]);
    expect(codes(interchangeText() + interchangeText())).toEqual([['TA105', '025', 8, 'ISA']]);
    expect(codes(interchangeText() + interchangeText(undefined, '000000002'))).toEqual([]);
  });

  it('several groups per interchange, each counted and checked', () => {
    const text = [
      isa({ terminator: '' }),
      'GS*PO*S*R*20261127*0930*7*X*004010',
      'ST*850*0001',
      'SE*2*0001',
      'GE*1*7',
      'GS*SH*S*R*20261127*0930*8*X*004010',
      'ST*856*0001',
      'SE*2*0001',
      'ST*856*0002',
      'SE*2*0002',
      'GE*1*8',
      'IEA*2*000000001',
      '',
    ].join('~');
    const document = parseX12(text);
    expect(document.interchanges[0]!.groups.map((group) => group.sets.length)).toEqual([1, 2]);
    expect(validateX12(document).map((issue) => [issue.code, issue.group, issue.segmentId])).toEqual([
      ['5', 1, 'GE'],
    ]);
  });

  it('ISA fields: width and values, each with its TA1 note code', () => {
    const widths = isa({ fields: { 6: 'SENDER' } }) + interchangeText().slice(107);
    expect(codes(widths)).toEqual([['TA105', '006', 1, 'ISA']]);
    const cases: Array<[number, string, string]> = [
      [9, '261327', '014'],
      [10, '2460', '015'],
      [11, 'X', '016'],
      [12, '0040A', '017'],
      [13, '00000000A', '018'],
      [14, '2', '019'],
      [15, 'X', '020'],
      [5, '  ', '005'],
      [8, '               ', '008'],
    ];
    for (const [field, value, note] of cases) {
      const text = isa({ fields: { [field]: value } }) + interchangeText().slice(107);
      const found = codes(text.replace('IEA*1*000000001', `IEA*1*${field === 13 ? value : '000000001'}`));
      expect(found, `ISA${field}`).toEqual([['TA105', note, 1, 'ISA']]);
    }
  });

  it('a 00402+ ISA11 that repeats another delimiter → TA1 016; ISA16 the element separator → 027', () => {
    const repetition = isa({ fields: { 11: '>', 12: '00501' } }) + interchangeText().slice(107);
    expect(codes(repetition)).toEqual([['TA105', '016', 1, 'ISA']]);
    const component = isa({ component: '*' }) + interchangeText().slice(107);
    expect(codes(component)).toEqual([['TA105', '027', 1, 'ISA']]);
  });

  it('segments outside their envelope → TA1 024 (in an interchange) or 022 (outside any), once per run', () => {
    const text = `${interchangeText().replace('GE*1*1~\n', 'GE*1*1~\nN1*ST*X~\nN3*Y~\n')}junk~\n`;
    expect(codes(text)).toEqual([
      ['TA105', '024', 7, 'N1'],
      ['TA105', '022', 10, 'junk'],
    ]);
    expect(issuesOf(text)[0]).toMatchObject({ interchange: 0 });
    expect(issuesOf(text)[1]?.interchange).toBeUndefined();
  });

  it('a malformed segment id → AK304 1; a control character in data → AK403 6 with the element', () => {
    const text = interchangeText([['BEG*00*SA*PO-1**20261127', 'n1*ST', 'N3*A\u0007B']]);
    const issues = issuesOf(text);
    expect(issues.map((issue) => [issue.list, issue.code, issue.segmentId, issue.positionInSet])).toEqual([
      ['AK304', '1', 'n1', 3],
      ['AK403', '6', 'N3', 4],
    ]);
    expect(issues[1]).toMatchObject({ element: 1, value: 'A\u0007B' });
  });

  it('text before the first ISA → TA1 022, reading resumes at the ISA', () => {
    const issues = issuesOf(`hello\n${interchangeText()}`);
    expect(issues.map((issue) => [issue.list, issue.code, issue.offset])).toEqual([['TA105', '022', 0]]);
  });

  it('an ISA without its delimiters → TA1 004, and what follows it up to the next ISA is skipped', () => {
    const broken = `${isa().slice(0, 105)}GS*PO~`;
    const text = broken + interchangeText();
    const issues = issuesOf(text);
    expect(issues.map((issue) => [issue.list, issue.code, issue.offset])).toEqual([['TA105', '004', 0]]);
    expect(parseX12(text).interchanges).toHaveLength(1);
  });

  it('never throws, whatever the text: damaged samples yield issues and writable acknowledgements', () => {
    const texts = VALID_SAMPLES.map(sample);
    fc.assert(
      fc.property(
        fc.constantFrom(...texts),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 20 }), fc.string({ maxLength: 6 })), {
          minLength: 1,
          maxLength: 6,
        }),
        (text, edits) => {
          let damaged = text;
          for (const [at, length, insert] of edits) {
            const start = at % (damaged.length + 1);
            damaged = damaged.slice(0, start) + insert + damaged.slice(start + length);
          }
          const document = parseX12(damaged);
          const issues = validateX12(document);
          for (const issue of issues) {
            expect(issue.ordinal).toBeGreaterThan(0);
            expect(issue.offset).toBeLessThanOrEqual(damaged.length);
          }
          // And the replies can always be written.
          for (const { reply } of acknowledge(document, issues)) {
            const numbered = {
              ...reply,
              controlNumber: 1,
              groups: reply.groups.map((group) => ({
                ...group,
                controlNumber: 1,
                sets: group.sets.map((set) => ({ ...set, controlNumber: 1 })),
              })),
            };
            // (Its envelope may be as damaged as the sender's ids it answers to, but it is X12.)
            expect(parseX12(formatInterchange(numbered)).interchanges).toHaveLength(1);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
