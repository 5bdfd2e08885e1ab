/**
 * Helpers shared by the outbound mappings (canonical event data → X12 `SetInput`): dates and times in
 * X12 form, decimal and implied-decimal numbers, the PO number of an order id, and the result type.
 * Pure: no clock is read (callers pass the time), no store is touched.
 */
import { BASE_UNIT, inOrderedUnit, toPartnerUnit, type UnitCodeMap } from '../../../domain/orders/units.js';
import type { Element, SegmentInput } from '../x12/index.js';

/** A problem that keeps canonical data from being mapped: which input field, and why. */
export interface OutboundProblem {
  /** The input field at fault, as a path (`lines[2].lineId`). */
  field: string;
  detail: string;
}

/** A mapped transaction set, or the problems that stopped it. */
export type OutboundResult<T> = { ok: true; data: T } | { ok: false; problems: OutboundProblem[] };

/** What every outbound mapping may be told besides the event data. */
export interface OutboundContext {
  /** When the document is made: BAK04, BSN03/04, BIA04 … (the mappings never read the clock). */
  date: Date;
  /** SKU → the partner's item id, from its item table (docs/edi.md#item-ids); written as `BP` after `VN`. */
  partnerItems?: Readonly<Record<string, string>>;
  /**
   * The EDI partner whose orders carry the `<partner>-` prefix (`acme` for `acme-4500012345`): the PO
   * number is the order id without it. Without a partner, or when the id lacks the prefix, the order id
   * is the PO number.
   */
  partner?: string;
  /** The PO number, when known otherwise (overrides the one read from the order id). */
  poNumber?: string;
  /** The partner's unit codes → ours (`x12.units`): quantities are written in the partner's code. */
  units?: UnitCodeMap;
}

/** An order line as ordered: its unit and quantity in it, and the eaches that is (set at acceptance). */
export interface OrderedUnit {
  uom?: string;
  /** The partner's own code for `uom`, as its order wrote it (`CS` where the hub says `CA`). */
  partnerUom?: string;
  quantity?: number;
  baseQuantity?: number;
}

/**
 * `base` eaches of an order line said in the unit the partner ordered (`10 CA` for 120 eaches of a
 * 12-per-case line), in the code the partner ordered it in (`partnerUom`; else its code map's first code
 * for the unit, else ours): an order of `10 CA` by a partner mapping `CS: CA` is answered in `CA`. Eaches that do not fill whole units of the ordered unit
 * are said in eaches (`EA`, the rounding rule of docs/orders.md#units-of-measure): never a fraction, never
 * a rounded count. `factor` is how many eaches one ordered unit is.
 */
export function inPartnerUnit(
  line: OrderedUnit | undefined,
  base: number,
  codes: UnitCodeMap | undefined,
): { quantity: number; unit: string; factor: number } {
  const factor = factorOfLine(line);
  const said =
    line?.uom === undefined ? { quantity: base, unit: BASE_UNIT } : inOrderedUnit(base, line.uom, factor);
  const code =
    line?.partnerUom !== undefined && said.unit === (line.uom ?? BASE_UNIT)
      ? line.partnerUom
      : toPartnerUnit(codes, said.unit);
  return { ...said, unit: code, factor: said.unit === BASE_UNIT ? 1 : factor };
}

/** Eaches in one unit of the line as ordered (1 for a line in eaches or stored before units of measure). */
function factorOfLine(line: OrderedUnit | undefined): number {
  if (line?.uom === undefined || line.quantity === undefined || line.baseQuantity === undefined) return 1;
  const factor = line.baseQuantity / line.quantity;
  return Number.isSafeInteger(factor) && factor >= 1 ? factor : 1;
}

/** A segment from its id and elements (`BAK01` first). */
export function seg(id: string, ...elements: Element[]): SegmentInput {
  return { id, elements };
}

/** `CCYYMMDD` of a `Date` (UTC), an RFC 3339 time or a `YYYY-MM-DD` date; undefined when unreadable. */
export function x12Date(value: Date | string): string | undefined {
  if (typeof value === 'string') {
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (day) return `${day[1]}${day[2]}${day[3]}`;
    const parsed = new Date(value);
    if (Number.isNaN(parsed.getTime())) return undefined;
    return x12Date(parsed);
  }
  if (Number.isNaN(value.getTime())) return undefined;
  return `${value.getUTCFullYear()}${pad(value.getUTCMonth() + 1)}${pad(value.getUTCDate())}`;
}

/** `HHMM` (UTC) of a `Date`. */
export function x12Time(value: Date): string {
  return `${pad(value.getUTCHours())}${pad(value.getUTCMinutes())}`;
}

/**
 * A decimal number (X12 type R): no exponent, no trailing zeros, at most 4 decimals (`4.5`, `38`,
 * `0.0125`).
 */
export function decimal(value: number): string {
  const fixed = value.toFixed(4);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** A number with implied decimals (X12 type N2 for `places` 2): 38.00 → `3800`, 12.5 → `1250`. */
export function impliedDecimal(value: number, places = 2): string {
  return String(Math.round(value * 10 ** places));
}

/** The PO number of an order: `context.poNumber`, else the order id without the `<partner>-` prefix. */
export function poNumberOf(orderId: string, context: Pick<OutboundContext, 'partner' | 'poNumber'>): string {
  if (context.poNumber) return context.poNumber;
  const prefix = context.partner ? `${context.partner}-` : undefined;
  return prefix && orderId.startsWith(prefix) && orderId.length > prefix.length
    ? orderId.slice(prefix.length)
    : orderId;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * The order line an outbound line refers to; when the order has no such line, a problem naming the
 * field is recorded and undefined returned.
 */
export function orderedLine<L extends { lineId: string }>(
  order: { lines: readonly L[] },
  line: { lineId: string },
  index: number,
  orderId: string,
  problems: OutboundProblem[],
): L | undefined {
  const ordered = order.lines.find((l) => l.lineId === line.lineId);
  if (!ordered) {
    problems.push({
      field: `lines[${index}].lineId`,
      detail: `line ${line.lineId} is not a line of order ${orderId}`,
    });
  }
  return ordered;
}
