/**
 * `units: { <sku or '*'>: { <unit>: <eaches> } }` (docs/orders.md#units-of-measure): how many base units
 * (`EA`) one unit of a SKU holds. Factors are whole numbers ≥ 1; `EA` is always 1 and is not written.
 * Also the per-partner code map `systems.<p>.x12.units: { <partner code>: <our unit> }`.
 */
import {
  BASE_UNIT,
  isKnownUnit,
  UNIT_CODE_PATTERN,
  type UnitCodeMap,
  type UnitTable,
} from '../domain/orders/units.js';
import type { CompiledSystem } from './compiled-config.js';
import type { ConfigValue, MapReader } from './config-reader.js';

const CODE = new RegExp(UNIT_CODE_PATTERN);
const CODE_RULE = 'use two capital letters or digits, like the X12 unit codes (CA, PL, DZ)';

/** Compiles the top-level `units:`; an empty table when absent (every order line in eaches). */
export function compileUnits(value: ConfigValue | undefined): UnitTable {
  const map = value?.map();
  const table: Record<string, Record<string, number>> = {};
  if (map === undefined) return table;
  for (const entry of map.list()) {
    const units = entry.value.map();
    if (units === undefined) continue;
    const factors: Record<string, number> = {};
    for (const unit of units.list()) {
      if (!CODE.test(unit.name)) {
        units.reportKey(unit, `unit '${unit.name}' is not a unit code; ${CODE_RULE}`);
        continue;
      }
      if (unit.name === BASE_UNIT) {
        units.reportKey(unit, `${BASE_UNIT} is the base unit (always 1 each); leave it out of the table`);
        continue;
      }
      const factor = unit.value.int(1);
      if (factor !== undefined) factors[unit.name] = factor;
    }
    table[entry.name] = factors;
  }
  return table;
}

/** `x12.units: { CS: CA }`: the partner's unit codes → ours (codes it does not list are ours as is). */
export function compileUnitCodeMap(value: ConfigValue | undefined): UnitCodeMap | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  const codes: Record<string, string> = {};
  for (const entry of map.list()) {
    if (!/^[A-Za-z0-9]{1,3}$/.test(entry.name)) {
      map.reportKey(entry, `'${entry.name}' is not an X12 unit code (1 to 3 letters or digits)`);
      continue;
    }
    const ours = entry.value.matching(CODE, 'unit code', CODE_RULE);
    if (ours !== undefined) codes[entry.name] = ours;
  }
  return codes;
}

/**
 * Reports a partner code mapped to a unit the unit table does not have (its POs in that unit would all be
 * rejected), at the value's line.
 */
export function checkPartnerUnits(
  systemsMap: MapReader | undefined,
  systems: ReadonlyMap<string, CompiledSystem>,
  table: UnitTable,
): void {
  for (const system of systems.values()) {
    if (system.x12?.units === undefined) continue;
    const codes = systemsMap?.get(system.name)?.map()?.get('x12')?.map()?.get('units')?.map();
    for (const entry of codes?.list() ?? []) {
      const ours = system.x12.units[entry.name];
      if (ours !== undefined && !isKnownUnit(table, ours)) {
        entry.value.report(
          `unit '${ours}' is not in the unit table (units:); add it there or map '${entry.name}' to a unit it has`,
          ours,
        );
      }
    }
  }
}
