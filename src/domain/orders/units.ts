/**
 * Units of measure (docs/orders.md#units-of-measure), pure. Stock and the order lifecycle count the base
 * unit, each (`EA`); an order line may be taken in another unit (a case, a pallet) that the unit table
 * (`units:` in the config) turns into eaches: `{ <sku or '*'>: { CA: 12, PL: 480 } }`. A SKU's own entry
 * replaces the `'*'` entry for that SKU (it is not merged with it); `EA` is always 1.
 *
 * EDI partners may name a unit with a code of their own (`CS` for a case): their code map
 * (`systems.<p>.x12.units: { CS: CA }`) turns it into ours on the way in and back on the way out.
 */

/** The base unit: what stock, commitments and every lifecycle quantity count. */
export const BASE_UNIT = 'EA';

/** A unit code: two capital letters or digits, like the X12 unit codes (code list 355). */
export const UNIT_CODE_PATTERN = '^[A-Z0-9]{2}$';

/** SKU (or `'*'`) → unit code → eaches in one of that unit (a positive whole number). */
export type UnitTable = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** The entry that applies to every SKU without its own. */
export const ANY_SKU = '*';

/** Eaches in one `unit` of `sku`; undefined when the table does not know the unit for that SKU. */
export function factorOf(table: UnitTable, sku: string, unit: string = BASE_UNIT): number | undefined {
  if (unit === BASE_UNIT) return 1;
  const entry = Object.hasOwn(table, sku) ? table[sku] : table[ANY_SKU];
  if (entry === undefined || !Object.hasOwn(entry, unit)) return undefined;
  return entry[unit];
}

/** Whether any entry of the table (or the base unit) knows `unit`, whatever the SKU. */
export function isKnownUnit(table: UnitTable, unit: string): boolean {
  return unit === BASE_UNIT || Object.values(table).some((entry) => Object.hasOwn(entry, unit));
}

export type Conversion = { ok: true; base: number; factor: number } | { ok: false; detail: string };

/** `quantity` of `unit` in eaches; refused when the unit is unknown for the SKU or the result unsafe. */
export function toBase(
  table: UnitTable,
  sku: string,
  quantity: number,
  unit: string = BASE_UNIT,
): Conversion {
  const factor = factorOf(table, sku, unit);
  if (factor === undefined) {
    return {
      ok: false,
      detail: `unit '${unit}' is not in the unit table for SKU ${sku} (known: ${knownUnits(table, sku).join(', ')})`,
    };
  }
  const base = quantity * factor;
  if (!Number.isSafeInteger(base)) {
    return { ok: false, detail: `${quantity} ${unit} of ${sku} is ${base} ${BASE_UNIT}, not a whole count` };
  }
  return { ok: true, base, factor };
}

/**
 * `base` eaches in `unit`: a whole number of that unit, or undefined when the eaches do not fill whole
 * units (or the unit is unknown). Callers answer in eaches then (docs/orders.md#units-of-measure).
 */
export function fromBase(
  table: UnitTable,
  sku: string,
  base: number,
  unit: string = BASE_UNIT,
): number | undefined {
  const factor = factorOf(table, sku, unit);
  return factor === undefined ? undefined : wholeUnits(base, factor);
}

/** `base` eaches in units of `factor` eaches, when whole; else undefined. */
export function wholeUnits(base: number, factor: number): number | undefined {
  if (!Number.isSafeInteger(base) || !Number.isSafeInteger(factor) || factor < 1) return undefined;
  return base % factor === 0 ? base / factor : undefined;
}

/** The units the table knows for a SKU, the base unit first. */
export function knownUnits(table: UnitTable, sku: string): string[] {
  const entry = Object.hasOwn(table, sku) ? table[sku] : table[ANY_SKU];
  return [BASE_UNIT, ...Object.keys(entry ?? {})];
}

/** A partner's code map: its unit code → ours (`{ CS: 'CA' }`); codes it does not list are ours as is. */
export type UnitCodeMap = Readonly<Record<string, string>>;

/** Our unit for a partner's code. */
export function fromPartnerUnit(map: UnitCodeMap | undefined, code: string): string {
  return map !== undefined && Object.hasOwn(map, code) ? (map[code] as string) : code;
}

/** The partner's code for our unit: the first of its codes that maps to it, else ours. */
export function toPartnerUnit(map: UnitCodeMap | undefined, unit: string): string {
  if (map === undefined) return unit;
  for (const [code, ours] of Object.entries(map)) if (ours === unit) return code;
  return unit;
}

/**
 * A quantity of eaches said in an ordered unit of `factor` eaches: in that unit when whole, else in eaches
 * (the rounding rule: never a fraction, never a rounded count).
 */
export function inOrderedUnit(
  base: number,
  unit: string,
  factor: number,
): { quantity: number; unit: string } {
  const whole = wholeUnits(base, factor);
  return whole === undefined ? { quantity: base, unit: BASE_UNIT } : { quantity: whole, unit };
}
