import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BASE_UNIT,
  factorOf,
  fromBase,
  fromPartnerUnit,
  inOrderedUnit,
  isKnownUnit,
  toBase,
  toPartnerUnit,
  type UnitTable,
} from './units.js';

const RUNS = { numRuns: 500 };

const TABLE: UnitTable = { '*': { CA: 12, PL: 480 }, WIDGET: { CA: 6, BX: 24 } };

/** A random unit table: a '*' entry and a few SKUs of their own, factors 2..1000. */
const tables = fc.record({
  '*': fc.dictionary(fc.constantFrom('CA', 'PL', 'DZ'), fc.integer({ min: 2, max: 1000 })),
  A: fc.dictionary(fc.constantFrom('CA', 'BX'), fc.integer({ min: 2, max: 1000 })),
});

describe('units of measure', () => {
  it('reads a SKU entry before the * entry, and EA is 1 for every SKU', () => {
    expect(factorOf(TABLE, 'WIDGET', 'CA')).toBe(6);
    expect(factorOf(TABLE, 'OTHER', 'CA')).toBe(12);
    // A SKU's own entry replaces '*': WIDGET has no pallet.
    expect(factorOf(TABLE, 'WIDGET', 'PL')).toBeUndefined();
    expect(factorOf(TABLE, 'WIDGET', BASE_UNIT)).toBe(1);
    expect(factorOf({}, 'ANY', 'EA')).toBe(1);
  });

  it('round trips: toBase then fromBase gives back the ordered quantity', () => {
    fc.assert(
      fc.property(
        tables,
        fc.constantFrom('A', 'B'),
        fc.constantFrom('EA', 'CA', 'PL', 'DZ', 'BX'),
        fc.integer({ min: 1, max: 1_000_000 }),
        (table, sku, unit, quantity) => {
          const base = toBase(table, sku, quantity, unit);
          if (factorOf(table, sku, unit) === undefined) {
            expect(base.ok).toBe(false);
            return;
          }
          expect(base.ok).toBe(true);
          if (!base.ok) return;
          expect(base.base).toBe(quantity * base.factor);
          expect(fromBase(table, sku, base.base, unit)).toBe(quantity);
          expect(inOrderedUnit(base.base, unit, base.factor)).toEqual({ quantity, unit });
        },
      ),
      RUNS,
    );
  });

  it('refuses an unknown unit, naming it and the units it knows', () => {
    fc.assert(
      fc.property(tables, fc.integer({ min: 1, max: 1000 }), (table, quantity) => {
        const result = toBase(table, 'A', quantity, 'ZZ');
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.detail).toContain("'ZZ'");
      }),
      RUNS,
    );
    expect(toBase(TABLE, 'WIDGET', 1, 'PL')).toEqual({
      ok: false,
      detail: "unit 'PL' is not in the unit table for SKU WIDGET (known: EA, CA, BX)",
    });
    expect(isKnownUnit(TABLE, 'PL')).toBe(true);
    expect(isKnownUnit(TABLE, 'ZZ')).toBe(false);
  });

  it('says eaches that do not fill whole units in eaches, never a fraction or a rounded count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 2, max: 500 }), (base, factor) => {
        const said = inOrderedUnit(base, 'CA', factor);
        expect(Number.isInteger(said.quantity)).toBe(true);
        const eaches = said.unit === 'CA' ? said.quantity * factor : said.quantity;
        expect(eaches).toBe(base);
        expect(said.unit === 'CA').toBe(base % factor === 0);
      }),
      RUNS,
    );
  });

  it('maps partner codes to ours and back', () => {
    const map = { CS: 'CA', PA: 'PL' };
    expect(fromPartnerUnit(map, 'CS')).toBe('CA');
    expect(fromPartnerUnit(map, 'EA')).toBe('EA');
    expect(fromPartnerUnit(undefined, 'CS')).toBe('CS');
    expect(toPartnerUnit(map, 'CA')).toBe('CS');
    expect(toPartnerUnit(map, 'EA')).toBe('EA');
    fc.assert(
      fc.property(fc.constantFrom('CS', 'PA', 'EA', 'DZ'), (code) => {
        expect(toPartnerUnit(map, fromPartnerUnit(map, code))).toBe(code);
      }),
    );
  });
});
