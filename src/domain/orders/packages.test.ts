import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gs1CheckDigit, isSscc, packageProblems } from './packages.js';

describe('SSCC-18', () => {
  it('checks the GS1 check digit', () => {
    // 1·3+0·1+6·3+1·1+4·3+1·1+4·3+1·1+2·3+3·1+4·3+5·1+6·3+7·1+8·3+9·1+0·3 = 132 → 140 − 132 = 8.
    expect(gs1CheckDigit('10614141234567890')).toBe(8);
    expect(isSscc('106141412345678908')).toBe(true);
    expect(isSscc('106141412345678907')).toBe(false);
    expect(isSscc('10614141234567890')).toBe(false);
    expect(isSscc('10614141234567890a')).toBe(false);
  });

  it('takes every 17 digits with their check digit, and refuses any other last digit', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{17}$/), fc.integer({ min: 0, max: 9 }), (body, digit) => {
        expect(isSscc(`${body}${digit}`)).toBe(digit === gs1CheckDigit(body));
      }),
    );
  });
});

describe('package problems', () => {
  const A = '106141412345678908';
  const shipped = [
    { lineId: '1', quantity: 10 },
    { lineId: '2', quantity: 2, uom: 'CA' },
  ];

  it('takes packages holding at most what was shipped', () => {
    expect(
      packageProblems(shipped, [
        {
          sscc: A,
          lines: [
            { lineId: '1', quantity: 10 },
            { lineId: '2', quantity: 1 },
          ],
        },
      ]),
    ).toEqual([]);
  });

  it('refuses a bad check digit, a repeated SSCC, an unshipped line, another unit and an excess', () => {
    const problems = packageProblems(shipped, [
      { sscc: '106141412345678907', lines: [{ lineId: '1', quantity: 6 }] },
      { sscc: A, lines: [{ lineId: '1', quantity: 6 }] },
      {
        sscc: A,
        lines: [
          { lineId: '3', quantity: 1 },
          { lineId: '2', quantity: 1, uom: 'EA' },
        ],
      },
    ]);
    expect(problems.map((p) => p.pointer)).toEqual([
      '/packages/0/sscc',
      '/packages/2/sscc',
      '/packages/2/lines/0',
      '/packages/2/lines/1/uom',
      '/packages',
    ]);
    expect(problems[0]?.detail).toContain('expected 8');
    expect(problems[4]?.detail).toBe('line 1: the packages hold 12, more than the 10 shipped');
  });
});
