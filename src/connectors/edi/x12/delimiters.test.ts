import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DELIMITERS,
  delimiterProblems,
  hasRepetitionSeparator,
  isDelimiterCharacter,
} from './delimiters.js';
import { Locator } from './locate.js';
import { elementText, valueAt } from './model.js';

describe('delimiters', () => {
  it('takes punctuation, control and multi-byte characters, not letters, digits or spaces', () => {
    for (const char of ['*', '|', '~', '^', '\u001d', '\n', '…', '𝄞'])
      expect(isDelimiterCharacter(char), char).toBe(true);
    for (const char of ['A', 'z', '7', ' ', '\t', 'é', '٣', '', '**', undefined]) {
      expect(isDelimiterCharacter(char), String(char)).toBe(false);
    }
  });

  it('has a repetition separator from version 00402', () => {
    expect(['00401', '00400', '00200', 'ABCDE', ''].map(hasRepetitionSeparator)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(['00402', '00501', '00801'].map(hasRepetitionSeparator)).toEqual([true, true, true]);
  });

  it('checks a sender’s delimiters', () => {
    expect(delimiterProblems(DEFAULT_DELIMITERS)).toEqual([]);
    expect(delimiterProblems({ element: '*', component: '*', segment: '~' })).toEqual([
      'the element and component delimiters are both "*"',
    ]);
    expect(delimiterProblems({ element: '\n', component: '>', segment: '~' })).toEqual([
      'only the segment terminator may be a line break, not the element delimiter',
    ]);
  });

  it('joins an element back as sent, and reads the simple value of any element', () => {
    const delimiters = { element: '*', component: ':', segment: '~', repetition: '^' };
    expect(elementText({ repeats: [['A', 'B'], 'C'] }, delimiters)).toBe('A:B^C');
    const segment = {
      id: 'HI',
      elements: ['X', ['A', 'B'], { repeats: ['R1', 'R2'] }],
      ordinal: 1,
      offset: 0,
    };
    expect([1, 2, 3, 4].map((position) => valueAt(segment, position))).toEqual(['X', 'A', 'R1', '']);
  });
});

describe('Locator', () => {
  it('gives line, column and UTF-8 byte offset, in any order', () => {
    const text = 'A…B\nC𝄞D\nE';
    const locator = new Locator(text);
    expect(locator.locate(text.indexOf('B'))).toEqual({ line: 1, column: 3, byte: 4 });
    expect(locator.locate(text.indexOf('D'))).toEqual({ line: 2, column: 4, byte: 11 });
    expect(locator.locate(text.indexOf('E'))).toEqual({ line: 3, column: 1, byte: 13 });
    expect(locator.locate(0)).toEqual({ line: 1, column: 1, byte: 0 });
    expect(Buffer.from(text).subarray(11, 12).toString()).toBe('D');
  });
});
