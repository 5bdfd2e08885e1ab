import { describe, expect, it } from 'vitest';
import type { CloudEvent } from './cloud-event.js';
import { compileFilter } from './subscription-filter.js';

const event = (subject: string, data: unknown): CloudEvent => ({
  specversion: '1.0',
  id: 'e1',
  source: '/erp',
  type: 'com.manifold.order.released.v1',
  subject,
  data,
});

describe('subscription filter', () => {
  it('accepts everything without a filter', () => {
    expect(compileFilter(undefined)(event('ORD-1', {}))).toBe(true);
  });

  it('matches the subject with wildcards', () => {
    const matches = compileFilter({ subject: '*@DC-EAST' });
    expect(matches(event('SKU-1@DC-EAST', {}))).toBe(true);
    expect(matches(event('SKU-1@DC-WEST', {}))).toBe(false);
  });

  it('matches data fields by equality, dot paths and lists of values', () => {
    const matches = compileFilter({ data: { location: 'DC-EAST', 'customer.tier': ['gold', 'silver'] } });
    expect(matches(event('ORD-1', { location: 'DC-EAST', customer: { tier: 'gold' } }))).toBe(true);
    expect(matches(event('ORD-1', { location: 'DC-EAST', customer: { tier: 'bronze' } }))).toBe(false);
    expect(matches(event('ORD-1', { location: 'DC-WEST', customer: { tier: 'gold' } }))).toBe(false);
    expect(matches(event('ORD-1', { customer: { tier: 'gold' } }))).toBe(false);
  });

  it('compares numbers and strings by their text, never objects', () => {
    expect(compileFilter({ data: { quantity: 2 } })(event('x', { quantity: '2' }))).toBe(true);
    expect(compileFilter({ data: { lines: 'x' } })(event('x', { lines: ['x'] }))).toBe(false);
  });
});
