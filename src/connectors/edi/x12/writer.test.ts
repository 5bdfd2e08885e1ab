import { describe, expect, it } from 'vitest';
import { ControlNumbersExhaustedError, MemoryControlNumbers } from './control-numbers.js';
import { parseX12 } from './parser.js';
import { validateX12 } from './validator.js';
import { formatInterchange, type InterchangeInput, writeInterchange, X12WriteError } from './writer.js';

const DATE = new Date(Date.UTC(2026, 10, 27, 9, 5));

const order: InterchangeInput = {
  sender: { qualifier: 'ZZ', id: 'MANIFOLD' },
  receiver: { qualifier: '01', id: '123456789' },
  date: DATE,
  groups: [
    {
      functionalId: 'PR',
      version: '004010',
      sets: [
        {
          id: '855',
          segments: [
            { id: 'BAK', elements: ['00', 'AC', '4500012345', '20261127'] },
            { id: 'PO1', elements: ['1', '10', 'EA', '', '', 'VN', 'WIDGET-1', '', ''] },
            { id: 'ACK', elements: ['IA', '10', 'EA'] },
          ],
        },
      ],
    },
  ],
};

describe('writeInterchange', () => {
  it('writes the envelopes with counts and allocated control numbers', async () => {
    const text = await writeInterchange(order, {
      controlNumbers: new MemoryControlNumbers(41),
      partner: 'acme',
    });
    expect(text).toBe(
      [
        'ISA*00*          *00*          *ZZ*MANIFOLD       *01*123456789      *261127*0905*U*00401*000000041*0*P*>',
        'GS*PR*MANIFOLD*123456789*20261127*0905*41*X*004010',
        'ST*855*0041',
        'BAK*00*AC*4500012345*20261127',
        'PO1*1*10*EA***VN*WIDGET-1',
        'ACK*IA*10*EA',
        'SE*5*0041',
        'GE*1*41',
        'IEA*1*000000041',
        '',
      ].join('~'),
    );
    expect(text.indexOf('GS')).toBe(106);
    expect(validateX12(parseX12(text))).toEqual([]);
  });

  it('never repeats a control number for a partner; each partner and kind counts on its own', async () => {
    const controlNumbers = new MemoryControlNumbers();
    const first = parseX12(await writeInterchange(order, { controlNumbers, partner: 'acme' }));
    const second = parseX12(await writeInterchange(order, { controlNumbers, partner: 'acme' }));
    const other = parseX12(await writeInterchange(order, { controlNumbers, partner: 'globex' }));
    const numbers = (document: typeof first) => {
      const interchange = document.interchanges[0]!;
      return [
        interchange.header.elements[12],
        interchange.groups[0]!.header.elements[5],
        interchange.groups[0]!.sets[0]!.header.elements[1],
      ];
    };
    expect(numbers(first)).toEqual(['000000001', '1', '0001']);
    expect(numbers(second)).toEqual(['000000002', '2', '0002']);
    expect(numbers(other)).toEqual(['000000001', '1', '0001']);
  });

  it('uses a partner’s delimiters, the repetition separator from 00402, and a newline after each segment', () => {
    const text = formatInterchange(
      {
        ...order,
        version: '00501',
        controlNumber: 7,
        groups: [
          {
            functionalId: 'HC',
            version: '005010X222A1',
            controlNumber: 8,
            sets: [
              {
                id: '837',
                controlNumber: 9,
                conventionReference: '005010X222A1',
                segments: [
                  {
                    id: 'HI',
                    elements: [
                      {
                        repeats: [
                          ['ABK', '123'],
                          ['ABF', '456'],
                        ],
                      },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
      { delimiters: { element: '|', component: ':', segment: '\u001c' }, newline: true },
    );
    const header = text.split('\n')[0]!;
    expect(header).toHaveLength(106);
    expect(header.endsWith('|^|00501|000000007|0|P|:\u001c')).toBe(true);
    expect(text).toContain('ST|837|0009|005010X222A1\u001c\nHI|ABK:123^ABF:456\u001c\n');
    const document = parseX12(text);
    expect(validateX12(document)).toEqual([]);
    expect(document.interchanges[0]!.groups[0]!.sets[0]!.segments[0]!.elements).toEqual([
      {
        repeats: [
          ['ABK', '123'],
          ['ABF', '456'],
        ],
      },
    ]);
  });

  it('leaves out trailing empty elements and components', () => {
    const text = formatInterchange({
      ...order,
      controlNumber: 1,
      groups: [
        {
          functionalId: 'PO',
          version: '004010',
          controlNumber: 1,
          sets: [
            {
              id: '850',
              controlNumber: 1,
              segments: [{ id: 'MEA', elements: ['PD', ['LB', '', ''], '', ''] }],
            },
          ],
        },
      ],
    });
    expect(text).toContain('~MEA*PD*LB~');
  });

  it('refuses data holding a delimiter, an ISA id too long, a missing control number', () => {
    const withData = (value: string): InterchangeInput => ({
      ...order,
      controlNumber: 1,
      groups: [
        {
          functionalId: 'PO',
          version: '004010',
          controlNumber: 1,
          sets: [{ id: '850', controlNumber: 1, segments: [{ id: 'N1', elements: ['ST', value] }] }],
        },
      ],
    });
    for (const value of ['A*B', 'A~B', 'A>B', 'line\nbreak']) {
      expect(() => formatInterchange(withData(value))).toThrow(
        expect.objectContaining({ code: 'delimiter-in-data' }),
      );
    }
    expect(() => formatInterchange(withData('A^B'))).not.toThrow(); // 00401: `^` is data
    expect(() =>
      formatInterchange({ ...withData('x'), sender: { qualifier: 'ZZ', id: 'A-SENDER-ID-TOO-LONG' } }),
    ).toThrow(X12WriteError);
    expect(() => formatInterchange(order)).toThrow(
      expect.objectContaining({ code: 'missing-control-number' }),
    );
    expect(() =>
      formatInterchange({
        ...withData('x'),
        groups: [
          {
            ...withData('x').groups[0]!,
            sets: [
              { id: '850', controlNumber: 1, segments: [{ id: 'HI', elements: [{ repeats: ['a', 'b'] }] }] },
            ],
          },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'repetition-not-supported' }));
  });

  it('refuses delimiters that clash or are alphanumeric', () => {
    const numbered = { ...order, controlNumber: 1, groups: [] };
    expect(() => formatInterchange(numbered, { delimiters: { element: '*', component: '*' } })).toThrow(
      expect.objectContaining({ code: 'invalid-delimiters' }),
    );
    expect(() => formatInterchange(numbered, { delimiters: { segment: 'X' } })).toThrow(X12WriteError);
    expect(() => formatInterchange(numbered, { delimiters: { element: '\n' } })).toThrow(X12WriteError);
  });
});

describe('MemoryControlNumbers', () => {
  it('stops rather than wrap around at 999,999,999', async () => {
    const numbers = new MemoryControlNumbers(999_999_999);
    expect(await numbers.next('acme', 'isa')).toBe(999_999_999);
    await expect(numbers.next('acme', 'isa')).rejects.toBeInstanceOf(ControlNumbersExhaustedError);
    expect(await numbers.next('acme', 'gs')).toBe(999_999_999);
  });
});
