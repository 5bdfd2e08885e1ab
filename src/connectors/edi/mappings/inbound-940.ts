/**
 * X12 940 (warehouse shipping order, from a client whose 3PL Manifold fronts) → the `order.accepted` data
 * of the canonical model (docs/edi.md).
 *
 * | X12 | canonical |
 * |---|---|
 * | W05-02 (depositor order number) | `orderId` = `<partner>-<W05-02>` |
 * | W05-03 (purchase order number, when given) | `customerPo`, and `customer.poNumber` as before |
 * | the partner's channel (config) | `channel` |
 * | N1*BY (or the partner) | `customer` `{id, name}` |
 * | LX01 of the W01's LX loop; else N9*LI of the line; else the line's position | `lines[].lineId` |
 * | W01-01 | `lines[].quantity` (whole units) |
 * | W01-02 `EA` (each; the element is mandatory) | — (any other unit rejects the set: units of measure are not converted) |
 * | W01-03 and the W01-04/W01-05, W01-06/W01-07 pairs through the partner's item table, else `VN`, `SK`, `BP`, then `UP`, `UK`, `UA`; else W01-03 (U.P.C. case code) | `lines[].sku` |
 * | — (a 940 carries no prices) | `lines[].unitPrice` = 0 |
 * | N1*ST + N2 + N3 + N4 | `shipTo` `{name, line1, line2, city, region, postalCode, country}` |
 *
 * Pure: a transaction set in, the data or the problems (with the X12 position) out.
 */
import { type Segment, type TransactionSet, valueAt } from '../x12/model.js';
import { EACH, type MappingProblem, type MappingResult, type Partner } from './inbound-850.js';
import { skuOf } from './item-ids.js';
import { customerOf, parties, shipToAddress } from './parties.js';

/** Product id qualifiers tried after the item table and `VN`/`SK`/`BP`: U.P.C. consumer, case, EAN. */
const UPC_QUALIFIERS = ['UP', 'UK', 'UA'];

/** A W01 with the line references of its loop. */
interface LineLoop {
  w01: Segment;
  lx?: string;
  li?: string;
}

/** The W01s of a set, each with the LX01 of its loop and the N9*LI that follows it in the loop. */
function lineLoops(segments: readonly Segment[]): LineLoop[] {
  const loops: LineLoop[] = [];
  let lx: string | undefined;
  let current: LineLoop | undefined;
  for (const segment of segments) {
    if (segment.id === 'LX') {
      lx = valueAt(segment, 1) || undefined;
      current = undefined;
    } else if (segment.id === 'W01') {
      current = { w01: segment, ...(lx ? { lx } : {}) };
      loops.push(current);
    } else if (current && segment.id === 'N9' && valueAt(segment, 1) === 'LI' && valueAt(segment, 2)) {
      current.li ??= valueAt(segment, 2);
    } else if (segment.id === 'W76' || segment.id === 'SE') {
      lx = undefined;
      current = undefined;
    }
  }
  return loops;
}

/** Maps one 940 set to `order.accepted` data. */
export function map940(set: TransactionSet, partner: Partner): MappingResult<Record<string, unknown>> {
  const problems: MappingProblem[] = [];
  const w05 = set.segments.find((s) => s.id === 'W05');
  const orderNumber = w05 ? valueAt(w05, 2) : '';
  if (!w05 || !orderNumber) {
    problems.push({
      segment: 'W05',
      ordinal: w05?.ordinal ?? set.header.ordinal,
      ...(w05 ? { element: 2 } : {}),
      detail: w05 ? 'W05-02 (depositor order number) is empty' : 'no W05 segment',
    });
  }
  const lines: Record<string, unknown>[] = [];
  const used = new Set<string>();
  for (const [index, loop] of lineLoops(set.segments).entries()) {
    const { w01 } = loop;
    const text = valueAt(w01, 1);
    const quantity = Number(text);
    if (text === '' || !Number.isInteger(quantity) || quantity < 1) {
      problems.push({
        segment: 'W01',
        ordinal: w01.ordinal,
        element: 1,
        detail: `W01-01 quantity '${text}' is not a whole number >= 1`,
      });
      continue;
    }
    const unit = valueAt(w01, 2);
    if (unit !== EACH) {
      problems.push({
        segment: 'W01',
        ordinal: w01.ordinal,
        element: 2,
        detail:
          unit === ''
            ? `W01-02 unit of measure is missing; send ${EACH} (each)`
            : `W01-02 unit '${unit}' is not ${EACH} (each): the hub counts eaches and converts no unit of measure`,
      });
      continue;
    }
    const pairs: [string, string][] = [];
    for (const position of [4, 6]) {
      if (valueAt(w01, position + 1)) pairs.push([valueAt(w01, position), valueAt(w01, position + 1)]);
    }
    // The item table over every id of the line (W01-03 too), then the qualifiers, then W01-03 as it is.
    const caseCode = valueAt(w01, 3);
    const ids: [string, string][] = caseCode ? [...pairs, ['', caseCode]] : pairs;
    const sku =
      partner.items?.(ids) ??
      skuOf(pairs) ??
      UPC_QUALIFIERS.map((q) => pairs.find(([qualifier]) => qualifier === q)?.[1]).find(Boolean) ??
      (caseCode || undefined);
    if (!sku) {
      problems.push({
        segment: 'W01',
        ordinal: w01.ordinal,
        element: 5,
        detail: `no item id maps to a SKU (item table, VN, SK, BP, UP, UK, UA or W01-03); ids: ${pairs.map((p) => p.join(' ')).join(', ') || 'none'}`,
      });
      continue;
    }
    let lineId = loop.lx ?? loop.li ?? String(index + 1);
    if (used.has(lineId)) lineId = `${lineId}-${index + 1}`;
    used.add(lineId);
    lines.push({ lineId, sku, quantity, unitPrice: 0 });
  }
  if (lines.length === 0 && problems.length === 0) {
    problems.push({
      segment: 'ST',
      ordinal: set.header.ordinal,
      detail: 'the shipping order has no W01 lines',
    });
  }
  const found = parties(set.segments);
  const shipTo = shipToAddress(set, found);
  if (!shipTo.ok) problems.push(shipTo.problem);
  if (problems.length > 0 || !shipTo.ok) return { ok: false, problems };
  const poNumber = w05 ? valueAt(w05, 3) : '';
  return {
    ok: true,
    data: {
      orderId: `${partner.name}-${orderNumber}`,
      channel: partner.channel,
      customer: { ...customerOf(found, partner.name), ...(poNumber ? { poNumber } : {}) },
      lines,
      shipTo: shipTo.address,
      ...(poNumber ? { customerPo: poNumber } : {}),
    },
  };
}
