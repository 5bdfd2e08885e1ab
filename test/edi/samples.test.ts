/** Every public X12 sample (test/fixtures/edi): the sound ones parse without an issue, the broken ones are refused with the right codes. */
import { describe, expect, it } from 'vitest';
import {
  acknowledge,
  describeCode,
  Locator,
  parseX12,
  validateX12,
  valueAt,
} from '../../src/connectors/edi/x12/index.js';
import {
  allSegments,
  BROKEN_SAMPLES,
  plain,
  SAMPLE_NAMES,
  sample,
  sampleBytes,
  VALID_SAMPLES,
} from './support.js';

describe('public X12 samples', () => {
  it('has every sample of shared/fixtures/edi, two of them broken on purpose', () => {
    expect(SAMPLE_NAMES).toHaveLength(11);
    expect(BROKEN_SAMPLES.every((name) => SAMPLE_NAMES.includes(name))).toBe(true);
  });

  it.each(VALID_SAMPLES)('%s: one interchange, one group, one set, no issue', (name) => {
    const document = parseX12(sampleBytes(name));
    expect(validateX12(document)).toEqual([]);
    expect(document.interchanges).toHaveLength(1);
    const [interchange] = document.interchanges;
    expect(interchange!.groups).toHaveLength(1);
    expect(interchange!.groups[0]!.sets).toHaveLength(1);
    expect(interchange!.trailer?.id).toBe('IEA');
    // SE01 counts every segment of the set, ST and SE included.
    const set = interchange!.groups[0]!.sets[0]!;
    expect(Number(valueAt(set.trailer!, 1))).toBe(set.segments.length + 2);
    expect(allSegments(document)).toHaveLength(document.segmentCount);
  });

  it('reads the delimiters each sample declares in its ISA', () => {
    const delimiters = Object.fromEntries(
      VALID_SAMPLES.map((name) => [name, parseX12(sample(name)).interchanges[0]!.delimiters]),
    );
    expect(delimiters['810-pipe-stupidedi.edi']).toEqual({ element: '|', component: '>', segment: '~' });
    expect(delimiters['214-ellipsis-staedi.edi']).toEqual({ element: '*', component: '>', segment: '…' });
    expect(delimiters['856-crossdock-edinengine.edi']).toEqual({
      element: '*',
      component: '>',
      segment: '\n',
    });
    // 00501 with ISA11 `^`, and 00406 with ISA11 `-`: repetition separators.
    expect(delimiters['997-reject-staedi.edi']).toEqual({
      element: '*',
      component: ':',
      segment: '~',
      repetition: '^',
    });
    expect(delimiters['856-4060-nodex12.edi']?.repetition).toBe('-');
    // 00501 that kept ISA11 `U`: no repetition separator, not an error.
    expect(delimiters['846-5010-x12types.edi']).toEqual({ element: '*', component: '>', segment: '~' });
    // Before 00402 ISA11 is the standards identifier.
    expect(delimiters['850-vics-nodex12.edi']?.repetition).toBeUndefined();
  });

  it('keeps empty elements (850 BEG04, 855 ACK04…)', () => {
    const set = parseX12(sample('850-vics-nodex12.edi')).interchanges[0]!.groups[0]!.sets[0]!;
    expect(plain(set.segments[0]!)).toEqual({
      id: 'BEG',
      elements: ['00', 'SA', '08292233294', '', '20101127', '610385385'],
    });
    const pkg = set.segments.find((segment) => segment.id === 'PKG')!;
    expect(pkg.elements).toEqual(['F', '68', '', '', 'PALLETIZE SHIPMENT']);
  });

  it('reads the multi-byte terminator … and the newline after it (214)', () => {
    const bytes = sampleBytes('214-ellipsis-staedi.edi');
    const document = parseX12(bytes);
    const set = document.interchanges[0]!.groups[0]!.sets[0]!;
    expect(
      set.segments.filter((segment) => segment.id === 'AT7').map((segment) => segment.elements[0]),
    ).toEqual(['AG', 'AF']);
    expect(plain(set.segments.at(-1)!)).toEqual({ id: 'AT8', elements: ['G', 'L', '2085', '5'] });
    // Positions: the ISA is 106 characters but 108 bytes (… is three bytes in UTF-8), then a newline.
    const locator = new Locator(bytes.toString('utf8'));
    const gs = document.interchanges[0]!.groups[0]!.header;
    expect(locator.locate(gs.offset)).toEqual({ line: 2, column: 1, byte: 109 });
    expect(bytes.subarray(109, 112).toString()).toBe('GS*');
  });

  it('splits repeated elements with the ISA11 of an 00406 interchange (856 N403 `31139-0020`)', () => {
    const set = parseX12(sample('856-4060-nodex12.edi')).interchanges[0]!.groups[0]!.sets[0]!;
    const n4 = set.segments.find((segment) => segment.id === 'N4' && segment.elements[0] === 'ATLANTA')!;
    // `-` is the declared repetition separator: by the standard N403 holds two occurrences.
    expect(n4.elements[2]).toEqual({ repeats: ['31139', '0020'] });
  });

  it('refuses bad-control-numbers: SE02 ≠ ST02 (AK502 3), GE02 ≠ GS06 (AK905 4), IEA02 ≠ ISA13 (TA1 001)', () => {
    const document = parseX12(sample('bad-control-numbers-edinengine.edi'));
    const issues = validateX12(document);
    expect(issues.map((issue) => [issue.list, issue.code, issue.ordinal, issue.segmentId])).toEqual([
      ['AK502', '3', 7, 'SE'],
      ['AK905', '4', 8, 'GE'],
      ['TA105', '001', 9, 'IEA'],
    ]);
    expect(issues[0]).toMatchObject({ interchange: 0, group: 0, set: 0, positionInSet: 5 });
    expect(describeCode(issues[2]!)).toBe(
      'TA105 001 (The interchange control number in the header and trailer do not match)',
    );
  });

  it('refuses bad-counts: GE01 wrong (AK905 5), IEA01 wrong (TA1 021); IEA02 3438 = ISA13 000003438', () => {
    const issues = validateX12(parseX12(sample('bad-counts-edinengine.edi')));
    expect(issues.map((issue) => [issue.list, issue.code, issue.ordinal, issue.segmentId])).toEqual([
      ['AK905', '5', 8, 'GE'],
      ['TA105', '021', 9, 'IEA'],
    ]);
  });

  it('answers the broken samples with a TA1 R and the first note code', () => {
    for (const [name, note] of [
      ['bad-control-numbers-edinengine.edi', '001'],
      ['bad-counts-edinengine.edi', '021'],
    ] as const) {
      const document = parseX12(sample(name));
      const [ack] = acknowledge(document, validateX12(document));
      expect(ack?.rejected).toBe(true);
      expect(ack?.reply.groups).toEqual([]);
      expect(ack?.reply.acknowledgements).toEqual([
        { id: 'TA1', elements: ['000003438', '101127', '1719', 'R', note] },
      ]);
    }
  });

  it('reads several interchanges of one file, each with its own delimiters', () => {
    const names = [
      '810-pipe-stupidedi.edi',
      '214-ellipsis-staedi.edi',
      '940-edinengine.edi',
      '997-reject-staedi.edi',
      '856-crossdock-edinengine.edi',
    ];
    // 940 ends without its final newline terminator: give it one, or its IEA would run into the next ISA.
    const text = names.map((name) => sample(name).replace(/([^\n])$/, '$1\n')).join('');
    const document = parseX12(text);
    expect(validateX12(document)).toEqual([]);
    expect(document.interchanges.map((interchange) => interchange.delimiters.element)).toEqual([
      '|',
      '*',
      '*',
      '*',
      '*',
    ]);
    names.forEach((name, index) => {
      const alone = parseX12(sample(name)).interchanges[0]!;
      const together = document.interchanges[index]!;
      expect(allSegments({ interchanges: [together], segmentCount: 0, issues: [] }).map(plain)).toEqual(
        allSegments({ interchanges: [alone], segmentCount: 0, issues: [] }).map(plain),
      );
    });
  });
});
