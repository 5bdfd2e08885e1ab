/**
 * X12 850 (purchase order) → the `order.accepted` data of the canonical model (docs/edi.md).
 *
 * | X12 | canonical |
 * |---|---|
 * | BEG03 (PO number) | `orderId` = `<partner>-<BEG03>` |
 * | the partner's channel (config) | `channel` |
 * | N1*BY (or the partner) | `customer` `{id, name}` |
 * | PO101 (assigned id; else the line's position) | `lines[].lineId` |
 * | PO102 | `lines[].quantity` (whole units of PO103) |
 * | PO103 (blank: `EA`), through the partner's `x12.units` code map | `lines[].uom` (left out for `EA`), and, for a partner with a code map, its code as written in `lines[].partnerUom`; a unit the unit table does not know for the SKU rejects the set |
 * | PO104 | `lines[].unitPrice` |
 * | PO106/PO107 … pairs: the partner's item table (docs/edi.md#item-ids), else `VN`, `SK`, `BP` (in that order) | `lines[].sku` |
 * | N1*ST + N2 + N3 + N4 | `shipTo` `{name, line1, line2, city, region, postalCode, country}` |
 * | BEG03/05, CUR, REF*DP, DTM, TD5, N1*BT/Z7, SAC, MSG; PID, PO1 BP/IN/CB/UP/EN/UK | the commercial fields (`commercial-850.ts`) |
 *
 * Pure: a transaction set in, the data or the problems (with the X12 position) out.
 */
import {
  BASE_UNIT,
  fromPartnerUnit,
  toBase,
  type UnitCodeMap,
  type UnitTable,
} from '../../../domain/orders/units.js';
import { type TransactionSet, valueAt } from '../x12/model.js';
import { lineCommercial850, orderCommercial850 } from './commercial-850.js';
import type { ItemLookup } from './item-ids.js';
import { customerOf, parties, shipToAddress } from './parties.js';

export interface Partner {
  /** The partner system's name (`acme`): prefixes order ids. */
  name: string;
  /** The channel its orders are taken on. */
  channel: string;
  /** The partner's item ids → SKUs, checked before VN/SK/BP. */
  items?: ItemLookup;
  /** The partner's unit codes → ours (`x12.units`). */
  units?: UnitCodeMap;
  /** The hub's unit table (`units:`): which units each SKU may be ordered in. */
  unitTable?: UnitTable;
}

/** A mapping problem, with where in the document it is and the AK4-style element position. */
export interface MappingProblem {
  segment: string;
  ordinal: number;
  element?: number;
  detail: string;
}

export type MappingResult<T> = { ok: true; data: T } | { ok: false; problems: MappingProblem[] };

/**
 * The base unit of measure (X12 code list 355): each. A blank PO103 (the element is optional in the 850)
 * is read as each; any other unit must be in the unit table for the line's SKU (docs/orders.md), so that
 * `10 CA` is never read as 10 eaches.
 */
export const EACH = BASE_UNIT;

/** Item id qualifiers tried for the SKU, in order, after the partner's item table. */
const ITEM_QUALIFIERS = ['VN', 'SK', 'BP'];

/** Maps one 850 set to `order.accepted` data. */
export function map850(set: TransactionSet, partner: Partner): MappingResult<Record<string, unknown>> {
  const problems: MappingProblem[] = [];
  const beg = set.segments.find((s) => s.id === 'BEG');
  const poNumber = beg ? valueAt(beg, 3) : '';
  if (!beg || !poNumber) {
    problems.push({
      segment: 'BEG',
      ordinal: beg?.ordinal ?? set.header.ordinal,
      ...(beg ? { element: 3 } : {}),
      detail: beg ? 'BEG03 (purchase order number) is empty' : 'no BEG segment',
    });
  }
  const lines: Record<string, unknown>[] = [];
  set.segments
    .filter((s) => s.id === 'PO1')
    .forEach((po1, index) => {
      const quantity = Number(valueAt(po1, 2));
      if (!Number.isInteger(quantity) || quantity < 1) {
        problems.push({
          segment: 'PO1',
          ordinal: po1.ordinal,
          element: 2,
          detail: `PO102 quantity '${valueAt(po1, 2)}' is not a whole number >= 1`,
        });
        return;
      }
      const pairs: [string, string][] = [];
      for (let position = 6; position + 1 <= po1.elements.length; position += 2) {
        pairs.push([valueAt(po1, position), valueAt(po1, position + 1)]);
      }
      const mapped = partner.items?.(pairs);
      const sku =
        mapped ?? ITEM_QUALIFIERS.map((q) => pairs.find(([qualifier]) => qualifier === q)?.[1]).find(Boolean);
      if (!sku) {
        problems.push({
          segment: 'PO1',
          ordinal: po1.ordinal,
          element: 7,
          detail: `no item id maps to a SKU (item table, VN, SK or BP); ids: ${pairs.map((p) => p.join(' ')).join(', ') || 'none'}`,
        });
        return;
      }
      // The unit: the partner's code through its code map, then known for the SKU in the unit table.
      const code = valueAt(po1, 3) || EACH;
      const unit = fromPartnerUnit(partner.units, code);
      const lineId = valueAt(po1, 1) || String(index + 1);
      const converted = toBase(partner.unitTable ?? {}, sku, quantity, unit);
      if (!converted.ok) {
        problems.push({
          segment: 'PO1',
          ordinal: po1.ordinal,
          element: 3,
          detail: `line ${lineId}: PO103 unit '${code}'${unit === code ? '' : ` (${unit})`} is not known: ${converted.detail}`,
        });
        return;
      }
      const price = Number(valueAt(po1, 4));
      lines.push({
        lineId,
        sku,
        quantity,
        ...(unit === EACH ? {} : { uom: unit }),
        // The code as the partner wrote it, when it has a code map: the answers say the unit in it (a
        // partner mapping CS to CA may still order in CA, and is answered in CA on that line).
        ...(partner.units === undefined || (code === EACH && unit === EACH) ? {} : { partnerUom: code }),
        unitPrice: Number.isFinite(price) && valueAt(po1, 4) !== '' ? price : 0,
        // Commercial fields: PID description, the buyer's item id, the GTIN, allowances.
        ...lineCommercial850(set, po1, pairs, problems),
      });
    });
  if (lines.length === 0 && problems.length === 0) {
    problems.push({
      segment: 'ST',
      ordinal: set.header.ordinal,
      detail: 'the purchase order has no PO1 lines',
    });
  }
  const found = parties(set.segments);
  const commercial = orderCommercial850(set, found, problems);
  const shipTo = shipToAddress(set, found);
  if (!shipTo.ok) problems.push(shipTo.problem);
  if (problems.length > 0 || !shipTo.ok) return { ok: false, problems };
  return {
    ok: true,
    data: {
      orderId: `${partner.name}-${poNumber}`,
      channel: partner.channel,
      customer: customerOf(found, partner.name),
      lines,
      shipTo: shipTo.address,
      ...commercial,
    },
  };
}
