import { describe, expect, it } from 'vitest';
import { readIsa } from './isa.js';
import type { Segment } from './model.js';
import { X12Tokenizer } from './tokenizer.js';

/** A fixed-width ISA with the given separator, version, ISA11, ISA16 and terminator. */
function isa(
  options: {
    element?: string;
    version?: string;
    repetition?: string;
    component?: string;
    terminator?: string;
    control?: string;
  } = {},
): string {
  const e = options.element ?? '*';
  return (
    [
      'ISA',
      '00',
      '          ',
      '00',
      '          ',
      'ZZ',
      'SENDER         ',
      'ZZ',
      'RECEIVER       ',
      '261127',
      '0930',
      options.repetition ?? 'U',
      options.version ?? '00401',
      options.control ?? '000000001',
      '0',
      'P',
      options.component ?? '>',
    ].join(e) + (options.terminator ?? '~')
  );
}

function tokens(text: string): Array<{ id: string; elements: unknown[]; ordinal: number; offset: number }> {
  const tokenizer = new X12Tokenizer(text);
  const out = [];
  for (let segment: Segment | undefined = tokenizer.next(); segment; segment = tokenizer.next()) {
    out.push({
      id: segment.id,
      elements: segment.elements,
      ordinal: segment.ordinal,
      offset: segment.offset,
    });
  }
  return out;
}

describe('readIsa', () => {
  it('reads a fixed-width ISA: 106 characters with its terminator', () => {
    const text = isa();
    expect(text).toHaveLength(106);
    const read = readIsa(text, 0);
    expect(read).toMatchObject({ ok: true, fixedWidth: true, terminatorAt: 105 });
    expect(read.ok && read.delimiters).toEqual({ element: '*', component: '>', segment: '~' });
    expect(read.ok && read.elements[5]).toBe('SENDER         ');
  });

  it('takes ISA11 as the repetition separator from version 00402', () => {
    expect(readIsa(isa({ version: '00402', repetition: '^' }), 0)).toMatchObject({
      delimiters: { repetition: '^' },
    });
    expect(readIsa(isa({ version: '00401', repetition: 'U' }), 0)).not.toHaveProperty(
      'delimiters.repetition',
    );
    // A letter in ISA11 of a 5010 interchange: no repetition separator.
    expect(readIsa(isa({ version: '00501', repetition: 'U' }), 0)).not.toHaveProperty(
      'delimiters.repetition',
    );
  });

  it('reads a multi-byte terminator, and one outside the BMP', () => {
    expect(readIsa(isa({ terminator: '…' }), 0)).toMatchObject({ delimiters: { segment: '…' } });
    expect(readIsa(isa({ terminator: '𝄞' }), 0)).toMatchObject({ delimiters: { segment: '𝄞' } });
  });

  it('reads an ISA that is not fixed width by its 16 separators', () => {
    const text = isa().replace('SENDER         ', 'SENDER');
    expect(readIsa(text, 0)).toMatchObject({ ok: true, fixedWidth: false, delimiters: { segment: '~' } });
  });

  it('fails when the delimiters cannot be told', () => {
    expect(readIsa(`${isa().slice(0, 105)}G`, 0)).toMatchObject({ ok: false, code: '004' });
    expect(readIsa(isa().slice(0, 60), 0)).toMatchObject({ ok: false, code: '023' });
    expect(readIsa(isa().slice(0, 105), 0)).toMatchObject({ ok: false, code: '023' });
    expect(readIsa('ISA\n00', 0)).toMatchObject({ ok: false, code: '026' });
  });
});

describe('X12Tokenizer', () => {
  it('keeps empty elements, including trailing ones', () => {
    const [, n1, ref] = tokens(`${isa()}N1*ST**92*~REF*DP*038*~`);
    expect(n1?.elements).toEqual(['ST', '', '92', '']);
    expect(ref?.elements).toEqual(['DP', '038', '']);
  });

  it('splits composites and, from 00402, repetitions', () => {
    const [, mea, hi] = tokens(
      `${isa({ version: '00501', repetition: '^' })}MEA*PD*G*12*LB>1.5**X~HI*ABK>123^ABF>456>7~`,
    );
    expect(mea?.elements).toEqual(['PD', 'G', '12', ['LB', '1.5'], '', 'X']);
    expect(hi?.elements).toEqual([
      {
        repeats: [
          ['ABK', '123'],
          ['ABF', '456', '7'],
        ],
      },
    ]);
  });

  it('leaves `^` as data before 00402, and envelope segments unsplit', () => {
    const [, n9, gs] = tokens(`${isa({ version: '00401' })}N9*ZZ*A^B~GS*PO*A>B*C~`);
    expect(n9?.elements).toEqual(['ZZ', 'A^B']);
    expect(gs?.elements).toEqual(['PO', 'A>B', 'C']);
  });

  it('skips CR and LF between segments and numbers segments with their offsets', () => {
    const text = `${isa()}\r\nGS*PO~\nST*850*0001~\r\n`;
    expect(tokens(text).map(({ id, ordinal, offset }) => [id, ordinal, offset])).toEqual([
      ['ISA', 1, 0],
      ['GS', 2, 108],
      ['ST', 3, 115],
    ]);
  });

  it('reads a newline terminator, dropping a CR before it', () => {
    const text = `${isa({ terminator: '\r\n' }).replace(/\r\n$/, '')}\r\nGS*PO*X\r\nST*850*0001\n`;
    const tokenizer = new X12Tokenizer(text);
    tokenizer.next();
    expect(tokenizer.delimiters?.segment).toBe('\n');
    expect(tokenizer.next()?.elements).toEqual(['PO', 'X']);
    expect(tokenizer.next()?.elements).toEqual(['850', '0001']);
  });

  it('tolerates a last segment without its terminator', () => {
    expect(tokens(`${isa()}IEA*1*000000001`).at(-1)?.elements).toEqual(['1', '000000001']);
    // Spaces before a terminator are data; after an unterminated last segment they are not.
    expect(tokens(`${isa({ terminator: '\n' })}IEA*1*000000001 \r\n `).at(-1)?.elements).toEqual([
      '1',
      '000000001 ',
    ]);
    expect(tokens(`${isa({ terminator: '\n' })}IEA*1*000000001  \t `).at(-1)?.elements).toEqual([
      '1',
      '000000001',
    ]);
  });

  it('switches delimiters at each ISA', () => {
    const text = `${isa()}IEA*0*000000001~${isa({ element: '|', terminator: '\n', component: ':' })}IEA|0|000000002\n`;
    const found = tokens(text);
    expect(found.map((segment) => segment.id)).toEqual(['ISA', 'IEA', 'ISA', 'IEA']);
    expect(found[3]?.elements).toEqual(['0', '000000002']);
  });

  it('flags a control character inside a segment, not a delimiter that is one', () => {
    const tokenizer = new X12Tokenizer(`${isa({ element: '\u001d' })}N1\u001dST\u001dA\u0007B~N2\u001dX~`);
    tokenizer.next();
    tokenizer.next();
    expect(tokenizer.controlCharacterAt).toBe(113); // 106 + 'N1·ST·A'
    tokenizer.next();
    expect(tokenizer.controlCharacterAt).toBe(-1);
  });

  it('records text before the first ISA as unreadable and resumes at the ISA', () => {
    const tokenizer = new X12Tokenizer(`garbage~${isa()}IEA*0*000000001~`);
    expect(tokenizer.next()?.id).toBe('ISA');
    expect(tokenizer.unreadable).toEqual([
      { offset: 0, resumedAt: 8, failure: { ok: false, code: '022', message: 'text before the first ISA' } },
    ]);
  });

  it('classifies envelope segments and malformed ids', () => {
    const tokenizer = new X12Tokenizer(`${isa()}GS*PO~TA1*1~b2*X~PO1*1~`);
    const seen: Array<[string, boolean]> = [];
    while (tokenizer.next()) seen.push([tokenizer.kind, tokenizer.validId]);
    expect(seen).toEqual([
      ['ISA', true],
      ['GS', true],
      ['TA1', true],
      ['other', false],
      ['other', true],
    ]);
  });
});
