import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CATALOGUE,
  coalescingTypesFor,
  defaultCoalescingTypes,
  stateTypes,
} from '../src/domain/event-catalogue.js';
import { compileTypePatterns } from '../src/domain/type-pattern.js';

const AVAILABILITY = 'com.manifold.inventory.availability.v1';
const POSITION = 'com.manifold.inventory.position.v1';
const COUNTED = 'com.manifold.inventory.counted.v1';

describe('state-like types and coalescing', () => {
  it('lists the state-like types, each with its reason, and only availability coalesces by default', () => {
    expect(stateTypes()).toEqual([COUNTED, 'com.manifold.inventory.incoming.v1', AVAILABILITY, POSITION]);
    for (const entry of CATALOGUE.filter((e) => e.state)) expect(entry.state?.why.length).toBeGreaterThan(20);
    expect(defaultCoalescingTypes()).toEqual([AVAILABILITY]);
  });

  it('chooses per subscription: true takes every state-like type it matches, false none, unset the default', () => {
    const inventory = compileTypePatterns(['com.manifold.inventory.*']);
    expect(coalescingTypesFor(inventory, true)).toEqual(stateTypes());
    expect(coalescingTypesFor(compileTypePatterns([POSITION, COUNTED]), true)).toEqual([COUNTED, POSITION]);
    expect(coalescingTypesFor(inventory, false)).toEqual([]);
    expect(coalescingTypesFor(inventory, undefined)).toEqual([AVAILABILITY]);
    expect(coalescingTypesFor(compileTypePatterns([POSITION]), undefined)).toEqual([]);
  });

  it('has a row in the table of docs/delivery.md for every state-like type', () => {
    const doc = readFileSync(new URL('../docs/delivery.md', import.meta.url), 'utf8');
    for (const type of stateTypes())
      expect(doc).toMatch(new RegExp(`\\| \`${type.replaceAll('.', '\\.')}\` \\| yes \\|`));
  });
});
