import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { toNdjson } from './mapping.js';

function event(id: string, note: string): CloudEvent {
  return {
    specversion: '1.0',
    id,
    source: '/wms-east',
    type: 'com.manifold.order.picked.v1',
    data: { orderId: 'SO-1', note },
  };
}

describe('toNdjson', () => {
  it('writes each event as one JSON line, in order, each ending with a newline', () => {
    const text = toNdjson([event('a', 'x'), event('b', 'two\nlines')]);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.split('\n').slice(0, -1);
    expect(lines).toHaveLength(2);
    expect(lines.map((line) => (JSON.parse(line) as CloudEvent).id)).toEqual(['a', 'b']);
    expect((JSON.parse(lines[1] ?? '') as { data: { note: string } }).data.note).toBe('two\nlines');
  });
});
