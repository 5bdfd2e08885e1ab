import { describe, expect, it } from 'vitest';
import { compileTypePatterns, isValidTypePattern } from './type-pattern.js';

describe('compileTypePatterns', () => {
  it('matches exact types exactly', () => {
    const matches = compileTypePatterns(['com.manifold.order.shipped.v1']);
    expect(matches('com.manifold.order.shipped.v1')).toBe(true);
    expect(matches('com.manifold.order.shipped.v10')).toBe(false);
    expect(matches('xcom.manifold.order.shipped.v1')).toBe(false);
  });

  it('treats dots literally', () => {
    const matches = compileTypePatterns(['com.manifold.order.shipped.v1']);
    expect(matches('comXmanifold.order.shipped.v1')).toBe(false);
  });

  it('lets * match any run of characters, including dots and none', () => {
    const matches = compileTypePatterns(['com.manifold.order.*']);
    expect(matches('com.manifold.order.shipped.v1')).toBe(true);
    expect(matches('com.manifold.order.')).toBe(true);
    expect(matches('com.manifold.inventory.adjusted.v1')).toBe(false);
    expect(compileTypePatterns(['*'])('anything')).toBe(true);
    expect(compileTypePatterns(['com.*.v1'])('com.manifold.order.picked.v1')).toBe(true);
    expect(compileTypePatterns(['com.*.v1'])('com.manifold.order.picked.v2')).toBe(false);
  });

  it('matches when any pattern matches, and never for an empty list', () => {
    const matches = compileTypePatterns(['com.manifold.order.released.v1', 'com.manifold.inventory.*']);
    expect(matches('com.manifold.order.released.v1')).toBe(true);
    expect(matches('com.manifold.inventory.availability.v1')).toBe(true);
    expect(matches('com.manifold.order.picked.v1')).toBe(false);
    expect(compileTypePatterns([])('com.manifold.order.picked.v1')).toBe(false);
  });
});

describe('isValidTypePattern', () => {
  it('accepts type names and wildcards', () => {
    expect(isValidTypePattern('com.manifold.order.*')).toBe(true);
    expect(isValidTypePattern('com.manifold.order.status-reported.v1')).toBe(true);
    expect(isValidTypePattern('*')).toBe(true);
  });

  it('rejects empty strings, spaces and regex syntax', () => {
    expect(isValidTypePattern('')).toBe(false);
    expect(isValidTypePattern('com manifold')).toBe(false);
    expect(isValidTypePattern('com.manifold.(order|inventory)')).toBe(false);
    expect(isValidTypePattern('com.manifold.order.?')).toBe(false);
  });
});
