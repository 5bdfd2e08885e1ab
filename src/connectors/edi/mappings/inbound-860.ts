/**
 * X12 860 (purchase order change request, buyer initiated) → the `order.changed` data of the canonical
 * model (docs/edi.md#860-purchase-order-change).
 *
 * | X12 | canonical |
 * |---|---|
 * | BCH01 `04` (change) | the POC lines, as they are |
 * | BCH01 `05` (replace) | the POC lines, and every line of the order they do not name removed |
 * | BCH01 other (`01` cancellation …) | rejected: a cancellation is `order.cancelled`, not a change |
 * | BCH03 (PO number) | the order (`<partner>-<BCH03>`, or as is) |
 * | BCH05 (change order sequence number), else ST02 | `changeId` |
 * | DTM `010` / `002` / `001` DTM02 (CCYYMMDD) | `requestedShipDate` / `requestedDeliveryDate` / `cancelAfter` |
 * | N1*ST + N3 + N4 (when present) | `shipTo` |
 * | POC01 | `lines[].lineId` |
 * | POC02 `AI` (add item) | `action: add`, with POC03 and the SKU of POC08/POC09 … (item table, `VN`, `SK`, `BP`) |
 * | POC02 `DI` (delete item) | `action: remove` |
 * | POC02 `QI`, `QD`, `CA`, `CE`, `PQ` (quantity increase/decrease, change to the line, quantity change, price/quantity change) | `action: update`, POC03 the line's new quantity |
 * | POC02 `PC` (price change) | `action: update`, the unit price only |
 * | POC05 (blank: `EA`), through the partner's `x12.units` code map | `lines[].uom` (left out for `EA`) and, for a partner with a code map, `lines[].partnerUom` the code as written; a unit the unit table does not know for the line's SKU rejects the set, as in the 850 |
 * | POC06 | `lines[].unitPrice` (per the POC05 unit) |
 *
 * POC03 is the line's quantity after the change (X12's current order quantity), never a difference.
 * Pure: a transaction set and the order's lines in, the data or the problems (with the X12 position) out.
 */
import { fromPartnerUnit, toBase, type UnitCodeMap, type UnitTable } from '../../../domain/orders/units.js';
import { type TransactionSet, valueAt } from '../x12/model.js';
import { EACH, type MappingProblem, type MappingResult } from './inbound-850.js';
import { type ItemLookup, readX12DateTime, skuOf } from './item-ids.js';
import { parties, shipToAddress } from './parties.js';

/** POC02 codes and what they do to the line. */
const CHANGE_CODES: Record<string, 'add' | 'remove' | 'update' | 'price'> = {
  AI: 'add',
  DI: 'remove',
  QI: 'update',
  QD: 'update',
  CA: 'update',
  CE: 'update',
  PQ: 'update',
  PC: 'price',
};

/** DTM01 qualifiers of the order's dates. */
const DATES: Record<string, 'requestedShipDate' | 'requestedDeliveryDate' | 'cancelAfter'> = {
  '010': 'requestedShipDate',
  '002': 'requestedDeliveryDate',
  '001': 'cancelAfter',
};

export interface ChangeOrder {
  orderId: string;
  lines: readonly { lineId: string; sku?: string }[];
}

/** How the partner names units: its code map (`x12.units`) and the hub's unit table (`units:`). */
export interface ChangeUnits {
  codes?: UnitCodeMap;
  table?: UnitTable;
}

/** BCH03, the purchase order the change names (to find the order before mapping). */
export function poNumber860(set: TransactionSet): MappingResult<string> {
  const bch = set.segments.find((s) => s.id === 'BCH');
  const po = bch ? valueAt(bch, 3) : '';
  if (!bch || po === '') {
    return {
      ok: false,
      problems: [
        {
          segment: 'BCH',
          ordinal: bch?.ordinal ?? set.header.ordinal,
          ...(bch ? { element: 3 } : {}),
          detail: bch ? 'BCH03 (purchase order number) is empty' : 'no BCH segment',
        },
      ],
    };
  }
  return { ok: true, data: po };
}

/** Maps one 860 set to `order.changed` data for `order`. */
export function map860(
  set: TransactionSet,
  order: ChangeOrder,
  items?: ItemLookup,
  units: ChangeUnits = {},
): MappingResult<Record<string, unknown>> {
  const problems: MappingProblem[] = [];
  const bch = set.segments.find((s) => s.id === 'BCH');
  if (!bch)
    return {
      ok: false,
      problems: [{ segment: 'BCH', ordinal: set.header.ordinal, detail: 'no BCH segment' }],
    };
  const purpose = valueAt(bch, 1);
  if (purpose !== '04' && purpose !== '05') {
    problems.push({
      segment: 'BCH',
      ordinal: bch.ordinal,
      element: 1,
      detail: `BCH01 '${purpose}' is not 04 (change) or 05 (replace); a cancellation is sent as order.cancelled, not as a change`,
    });
  }
  const changeId = valueAt(bch, 5) || valueAt(set.header, 2);
  const data: Record<string, unknown> = { orderId: order.orderId, changeId };
  for (const dtm of set.segments.filter((s) => s.id === 'DTM')) {
    const field = DATES[valueAt(dtm, 1)];
    if (!field) continue;
    const date = readX12DateTime(valueAt(dtm, 2));
    if (!date.ok || date.at === undefined) {
      problems.push({
        segment: 'DTM',
        ordinal: dtm.ordinal,
        element: 2,
        detail: date.ok ? 'DTM02 (date) is empty' : date.detail,
      });
      continue;
    }
    data[field] = date.at.slice(0, 10);
  }
  const found = parties(set.segments);
  if (found.has('ST')) {
    const shipTo = shipToAddress(set, found);
    if (shipTo.ok) data.shipTo = shipTo.address;
    else problems.push(shipTo.problem);
  }
  const lines: Record<string, unknown>[] = [];
  for (const poc of set.segments.filter((s) => s.id === 'POC')) {
    const lineId = valueAt(poc, 1);
    const code = valueAt(poc, 2);
    const action = CHANGE_CODES[code];
    const problem = (element: number, detail: string) =>
      problems.push({ segment: 'POC', ordinal: poc.ordinal, element, detail });
    if (lineId === '') {
      problem(1, 'POC01 (line number) is empty: the change cannot name its line');
      continue;
    }
    if (!action) {
      problem(2, `POC02 '${code}' is not a change the hub takes (${Object.keys(CHANGE_CODES).join(', ')})`);
      continue;
    }
    // The unit: the partner's code through its code map; checked for the line's SKU once it is known.
    const unitCode = valueAt(poc, 5) || EACH;
    const uom = fromPartnerUnit(units.codes, unitCode);
    const said = {
      ...(uom === EACH ? {} : { uom }),
      ...(units.codes === undefined || (unitCode === EACH && uom === EACH) ? {} : { partnerUom: unitCode }),
    };
    const unitKnown = (sku: string | undefined, quantity: number): boolean => {
      if (uom === EACH || sku === undefined) return true;
      const converted = toBase(units.table ?? {}, sku, quantity, uom);
      if (converted.ok) return true;
      problem(
        5,
        `line ${lineId}: POC05 unit '${unitCode}'${uom === unitCode ? '' : ` (${uom})`} is not known: ${converted.detail}`,
      );
      return false;
    };
    const orderedSku = order.lines.find((l) => l.lineId === lineId)?.sku;
    const priceText = valueAt(poc, 6);
    const price = Number(priceText);
    const unitPrice = priceText !== '' && Number.isFinite(price) && price >= 0 ? { unitPrice: price } : {};
    if (action === 'remove') {
      lines.push({ lineId, action: 'remove' });
      continue;
    }
    if (action === 'price') {
      if (!('unitPrice' in unitPrice)) {
        problem(6, `POC06 unit price '${priceText}' is not a price >= 0 (POC02 PC changes the price)`);
        continue;
      }
      if (!unitKnown(orderedSku, 1)) continue;
      lines.push({ lineId, action: 'update', ...unitPrice, ...said });
      continue;
    }
    const quantity = Number(valueAt(poc, 3));
    if (valueAt(poc, 3) === '' || !Number.isInteger(quantity) || quantity < (action === 'add' ? 1 : 0)) {
      problem(
        3,
        `POC03 quantity '${valueAt(poc, 3)}' is not a whole number >= ${action === 'add' ? 1 : 0} (the line's new quantity)`,
      );
      continue;
    }
    if (action === 'add') {
      const pairs: [string, string][] = [];
      for (let position = 8; position + 1 <= poc.elements.length; position += 2)
        pairs.push([valueAt(poc, position), valueAt(poc, position + 1)]);
      const sku = skuOf(pairs, items);
      if (!sku) {
        problem(
          9,
          `no item id maps to a SKU (item table, VN, SK or BP); ids: ${pairs.map((p) => p.join(' ')).join(', ') || 'none'}`,
        );
        continue;
      }
      if (!unitKnown(sku, quantity)) continue;
      lines.push({ lineId, action: 'add', sku, quantity, ...unitPrice, ...said });
      continue;
    }
    if (!unitKnown(orderedSku, quantity)) continue;
    lines.push({ lineId, action: 'update', quantity, ...unitPrice, ...said });
  }
  if (purpose === '05') {
    // A replacement: the lines it does not name are no longer ordered.
    const named = new Set(lines.map((l) => l.lineId));
    for (const l of order.lines) if (!named.has(l.lineId)) lines.push({ lineId: l.lineId, action: 'remove' });
  }
  if (lines.length === 0 && data.shipTo === undefined && !Object.values(DATES).some((f) => f in data))
    problems.push({
      segment: 'ST',
      ordinal: set.header.ordinal,
      detail: 'the change request changes nothing (no POC, N1*ST or DTM)',
    });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, data: { ...data, ...(lines.length > 0 ? { lines } : {}) } };
}
