import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { BATCH_CONTENT_TYPE, idempotencyKey, STRUCTURED_CONTENT_TYPE, toRequestBody } from './mapping.js';

function event(id: string, extra: Partial<CloudEvent> = {}): CloudEvent {
  return {
    specversion: '1.0',
    id,
    source: '/systems/wms-east',
    type: 'com.manifold.order.shipped.v1',
    subject: 'SO-1',
    data: { orderId: 'SO-1', location: 'DC-EAST', lines: [{ lineId: '1', quantity: 2 }] },
    ...extra,
  };
}

describe('toRequestBody', () => {
  it('sends one event as a structured CloudEvent, extensions included', () => {
    const one = event('evt-1', { correlationid: 'c-1', vendorext: 'kept' });
    const { contentType, body } = toRequestBody([one], false);
    expect(contentType).toBe(STRUCTURED_CONTENT_TYPE);
    expect(contentType.startsWith('application/cloudevents+json')).toBe(true);
    expect(JSON.parse(body)).toEqual(one);
  });

  it('sends a batch as a JSON array, in order', () => {
    const events = [event('a'), event('b'), event('c')];
    const { contentType, body } = toRequestBody(events, true);
    expect(contentType.startsWith('application/cloudevents-batch+json')).toBe(true);
    expect(contentType).toBe(BATCH_CONTENT_TYPE);
    expect(JSON.parse(body)).toEqual(events);
  });

  it('sends a batch of one as an array', () => {
    expect(JSON.parse(toRequestBody([event('a')], true).body)).toHaveLength(1);
  });

  it('refuses what the connector must never be asked', () => {
    expect(() => toRequestBody([], true)).toThrow(RangeError);
    expect(() => toRequestBody([], false)).toThrow(RangeError);
    expect(() => toRequestBody([event('a'), event('b')], false)).toThrow(RangeError);
  });
});

describe('idempotencyKey', () => {
  it('is the event id for one event', () => {
    expect(idempotencyKey([event('0f8fad5b-d9cb-469f-a165-70867728950e')])).toBe(
      '0f8fad5b-d9cb-469f-a165-70867728950e',
    );
  });

  it('is a digest of the ordered ids for a batch', () => {
    const expected = createHash('sha256').update('a\nb\nc').digest('hex');
    expect(idempotencyKey([event('a'), event('b'), event('c')])).toBe(`sha256-${expected}`);
  });

  it('differs when a batch is made up differently', () => {
    const keys = new Set([
      idempotencyKey([event('a'), event('b')]),
      idempotencyKey([event('a'), event('b'), event('c')]),
      idempotencyKey([event('b'), event('a')]),
      idempotencyKey([event('a')]),
    ]);
    expect(keys.size).toBe(4);
  });

  it('digests an id that cannot be a header value', () => {
    const key = idempotencyKey([event('ordre-été')]);
    expect(key).toBe(`sha256-${createHash('sha256').update('ordre-été').digest('hex')}`);
    expect(idempotencyKey([event('line\nbreak')]).startsWith('sha256-')).toBe(true);
    expect(idempotencyKey([event(' padded')]).startsWith('sha256-')).toBe(true);
  });
});
