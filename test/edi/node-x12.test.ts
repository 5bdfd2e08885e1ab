/**
 * Cross-check against node-x12 (a dev dependency, used only here and in bench/edi.js): on every sound
 * public sample both parsers read the same segments with the same element values.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { elementText, parseX12, type Segment } from '../../src/connectors/edi/x12/index.js';
import { sample, VALID_SAMPLES } from './support.js';

interface NodeX12Segment {
  tag: string;
  elements: Array<{ value: string }>;
}
interface NodeX12Interchange {
  header: NodeX12Segment;
  trailer?: NodeX12Segment;
  functionalGroups: Array<{
    header: NodeX12Segment;
    trailer: NodeX12Segment;
    transactions: Array<{ header: NodeX12Segment; trailer: NodeX12Segment; segments: NodeX12Segment[] }>;
  }>;
}

const require = createRequire(import.meta.url);
const { X12Parser } = require('node-x12') as {
  X12Parser: new (strict: boolean) => { parse(text: string): NodeX12Interchange | NodeX12Interchange[] };
};

/** node-x12 reads ISA13 and IEA02 as numbers (`000003438` → `3438`); compare those numerically. */
const NUMERIC = new Set(['ISA13', 'IEA02']);

function theirs(segment: NodeX12Segment): string[] {
  return [
    segment.tag,
    ...segment.elements.map((element, index) => {
      const name = `${segment.tag}${String(index + 1).padStart(2, '0')}`;
      return NUMERIC.has(name) ? String(Number(element.value)) : element.value;
    }),
  ];
}

describe('cross-check with node-x12 on the public samples', () => {
  it.each(VALID_SAMPLES)('%s: same segments, same elements', (name) => {
    const text = sample(name);
    const parsed = new X12Parser(true).parse(text);
    const [expected] = Array.isArray(parsed) ? parsed : [parsed];
    const [interchange] = parseX12(text).interchanges;
    const delimiters = interchange!.delimiters;
    const ours = (segment: Segment | undefined): string[] => {
      if (!segment) return [];
      return [
        segment.id,
        ...segment.elements.map((element, index) => {
          const value = elementText(element, delimiters);
          const id = `${segment.id}${String(index + 1).padStart(2, '0')}`;
          return NUMERIC.has(id) ? String(Number(value)) : value;
        }),
      ];
    };
    expect(ours(interchange!.header)).toEqual(theirs(expected!.header));
    if (expected!.trailer) {
      expect(ours(interchange!.trailer)).toEqual(theirs(expected!.trailer));
    } else {
      // node-x12 drops a last segment that lacks its terminator: the 940 ends without its final newline.
      expect(name).toBe('940-edinengine.edi');
      expect(ours(interchange!.trailer)).toEqual(['IEA', '1', '3438']);
    }
    expect(interchange!.groups).toHaveLength(expected!.functionalGroups.length);
    interchange!.groups.forEach((group, g) => {
      const theirGroup = expected!.functionalGroups[g]!;
      expect(ours(group.header)).toEqual(theirs(theirGroup.header));
      expect(ours(group.trailer)).toEqual(theirs(theirGroup.trailer));
      expect(group.sets).toHaveLength(theirGroup.transactions.length);
      group.sets.forEach((set, s) => {
        const theirSet = theirGroup.transactions[s]!;
        expect(ours(set.header)).toEqual(theirs(theirSet.header));
        expect(ours(set.trailer)).toEqual(theirs(theirSet.trailer));
        expect(set.segments.map(ours)).toEqual(theirSet.segments.map(theirs));
      });
    });
  });
});
