import { describe, expect, it } from 'vitest';
import { parseXrefCsv, parseXrefNdjson } from './xref-load.js';

describe('xref bulk load parsing', () => {
  it('reads quoted cells (commas, quotes, line breaks), CRLF and a BOM; numbers stay text in CSV', () => {
    const text = '\uFEFFkey,value\r\nA,"x, ""y"""\r\nB,"two\nlines"\r\nC,42\r\n';
    expect(parseXrefCsv(text)).toEqual([
      { key: 'A', value: 'x, "y"' },
      { key: 'B', value: 'two\nlines' },
      { key: 'C', value: '42' },
    ]);
  });

  it('names the line of a bad row, counting the lines a quoted cell spans', () => {
    expect(() => parseXrefCsv('key,value\nA,"a\nb"\nB\n')).toThrow('line 4: 1 cells; the header has 2');
    expect(() => parseXrefCsv('id,value\nA,1\n')).toThrow(/line 1: the header row must be 'key'/);
    expect(() => parseXrefCsv('key,a,a\n')).toThrow("line 1: column 'a' is repeated");
    expect(() => parseXrefCsv('key,value\n,1\n')).toThrow('line 2: the key is empty');
    expect(() => parseXrefCsv('key,value\nA,x"y\n')).toThrow('line 2: a quote inside an unquoted cell');
    expect(() => parseXrefCsv('key,value\nA,"open\n')).toThrow('line 2: a quoted cell is not closed');
    expect(() => parseXrefCsv('')).toThrow('line 1: empty file');
  });

  it('reads NDJSON entries and refuses a bad line by number', () => {
    expect(parseXrefNdjson('{"key":"A","value":1}\n\n{"key":"B","value":{"id":"x"}}')).toEqual([
      { key: 'A', value: 1 },
      { key: 'B', value: { id: 'x' } },
    ]);
    expect(() => parseXrefNdjson('{"key":"A","value":1}\n{"key":"B",')).toThrow(/^line 2: not JSON/);
    expect(() => parseXrefNdjson('{"key":"A","value":[1]}')).toThrow('line 1: the value is a list');
    expect(() => parseXrefNdjson('{"key":1,"value":1}')).toThrow("line 1: 'key' must be a string");
    expect(() => parseXrefNdjson('{"key":"A","value":1,"x":2}')).toThrow("line 1: unknown field 'x'");
    expect(() => parseXrefNdjson('{"key":"A","value":1}\n{"key":"A","value":2}')).toThrow(
      "line 2: key 'A' is repeated in this file",
    );
  });
});
