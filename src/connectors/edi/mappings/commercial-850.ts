/**
 * The commercial fields of an X12 850 (docs/edi.md, docs/orders.md#commercial-fields): PO number and date,
 * currency, department, the ship and cancel window, carrier and routing, bill-to and mark-for, charges and
 * allowances, free-form notes, and per line the description and the buyer's item ids. Called by
 * `inbound-850.ts`; kept apart so the line quantity and unit logic there stays on its own.
 *
 * | X12 (header: before the first PO1) | canonical |
 * |---|---|
 * | BEG03 | `customerPo` |
 * | BEG05 (CCYYMMDD) | `orderedAt` (RFC 3339, midnight UTC) |
 * | CUR02 | `currency` |
 * | REF*DP REF02 | `department` |
 * | DTM*002 / 010 / 037 / 038 / 001, DTM02 | `requestedDeliveryDate` / `requestedShipDate` / `shipNotBefore` / `shipNoLater` / `cancelAfter` (YYYY-MM-DD) |
 * | TD503 (id code, the SCAC when TD502 is `2`) | `shipVia.carrier` |
 * | TD512 (service level), else TD505 (routing) | `shipVia.service` |
 * | N1*BT, N1*Z7 loops | `billTo`, `markFor` `{name, id, line1, line2, city, region, postalCode, country}` |
 * | SAC*C: SAC02 → `freight` (D240), `handling` (D500), `insurance` (D980), else `other`; SAC05 (2 implied decimals); SAC15 | `charges[]` `{type, amount, description}` |
 * | SAC*A: SAC02, SAC05, SAC15 | `discounts[]` `{code, amount, description}` |
 * | MSG01 (every one, a line each) | `notes` |
 *
 * | X12 (in the PO1 loop) | canonical |
 * |---|---|
 * | PID*F PID05 (every one, joined by a space) | `lines[].description` |
 * | PO1 pair `BP` (buyer's part), else `IN` (buyer's item), else `CB` (buyer's catalog) | `lines[].customerItemId` |
 * | PO1 pair `UP` (U.P.C.), `EN` (EAN), `UK` (GTIN-14), the first one | `lines[].gtin` (8, 12, 13 or 14 digits; else the set is rejected) |
 * | SAC*A SAC05 after the PO1 (summed) | `lines[].discount` |
 * | SAC*C after the PO1 | `charges[]`, described as `line <lineId>: …` |
 *
 * A date that is no calendar day, a currency that is not three capital letters, or a GTIN of the wrong
 * shape rejects the set at its element: dropping it would lose what the partner said.
 */
import { GTIN_PATTERN } from '../../../contracts/order-commercial-schemas.js';
import { type Segment, type TransactionSet, valueAt } from '../x12/model.js';
import type { MappingProblem } from './inbound-850.js';
import { readX12DateTime } from './item-ids.js';
import type { Party } from './parties.js';

/** DTM01 qualifiers (X12 element 374) → the canonical date field. */
export const DTM_FIELDS: Record<string, string> = {
  '001': 'cancelAfter',
  '002': 'requestedDeliveryDate',
  '010': 'requestedShipDate',
  '037': 'shipNotBefore',
  '038': 'shipNoLater',
};

/** SAC02 charge codes (X12 element 1300) → the canonical charge type; any other is `other`. */
export const SAC_CHARGE_TYPES: Record<string, string> = {
  D240: 'freight',
  D500: 'handling',
  D980: 'insurance',
};

/** PO1 qualifiers of the buyer's own item number, in order. */
export const CUSTOMER_ITEM_QUALIFIERS = ['BP', 'IN', 'CB'] as const;
/** PO1 qualifiers of a GTIN, in order. */
export const GTIN_QUALIFIERS = ['UP', 'EN', 'UK'] as const;

const gtinShape = new RegExp(GTIN_PATTERN);

/** The segments of the header: everything before the first PO1. */
function headerOf(set: TransactionSet): Segment[] {
  const first = set.segments.findIndex((s) => s.id === 'PO1');
  return first < 0 ? set.segments : set.segments.slice(0, first);
}

/** The segments of a PO1's loop: those after it up to the next PO1 or the summary (CTT, AMT, SE). */
export function loopOf(set: TransactionSet, po1: Segment): Segment[] {
  const start = set.segments.indexOf(po1);
  const loop: Segment[] = [];
  for (const segment of set.segments.slice(start + 1)) {
    if (['PO1', 'CTT', 'AMT'].includes(segment.id)) break;
    loop.push(segment);
  }
  return loop;
}

/** A SAC05 amount (2 implied decimals) as money, or a problem. */
function sacAmount(sac: Segment, problems: MappingProblem[]): number | undefined {
  const raw = valueAt(sac, 5);
  if (!/^\d+$/.test(raw)) {
    problems.push({
      segment: 'SAC',
      ordinal: sac.ordinal,
      element: 5,
      detail: `SAC05 amount '${raw}' is not a whole number of cents (2 implied decimals)`,
    });
    return undefined;
  }
  return Number(raw) / 100;
}

/** A party of the N1 loops as a canonical party, or undefined when it has neither a name nor an id. */
export function canonicalParty(party: Party | undefined): Record<string, unknown> | undefined {
  if (!party) return undefined;
  const name = party.name || party.id;
  if (!name) return undefined;
  return {
    name,
    ...(party.id ? { id: party.id } : {}),
    ...(party.lines[0] ? { line1: party.lines[0] } : {}),
    ...(party.lines[1] ? { line2: party.lines[1] } : {}),
    ...(party.city ? { city: party.city } : {}),
    ...(party.region ? { region: party.region } : {}),
    ...(party.postalCode ? { postalCode: party.postalCode } : {}),
    ...(party.country && /^[A-Z]{2}$/.test(party.country) ? { country: party.country } : {}),
  };
}

/** The order-level commercial fields of an 850; problems are added to `problems`. */
export function orderCommercial850(
  set: TransactionSet,
  found: Map<string, { party: Party; at: Segment }>,
  problems: MappingProblem[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const charges: Record<string, unknown>[] = [];
  const discounts: Record<string, unknown>[] = [];
  const notes: string[] = [];
  for (const segment of headerOf(set)) {
    switch (segment.id) {
      case 'BEG': {
        if (valueAt(segment, 3)) out.customerPo = valueAt(segment, 3);
        const date = readX12DateTime(valueAt(segment, 5));
        if (!date.ok) {
          problems.push({
            segment: 'BEG',
            ordinal: segment.ordinal,
            element: 5,
            detail: `BEG05 ${date.detail}`,
          });
        } else if (date.at) out.orderedAt = date.at;
        break;
      }
      case 'CUR': {
        const currency = valueAt(segment, 2);
        if (/^[A-Z]{3}$/.test(currency)) out.currency = currency;
        else
          problems.push({
            segment: 'CUR',
            ordinal: segment.ordinal,
            element: 2,
            detail: `CUR02 currency '${currency}' is not an ISO 4217 code`,
          });
        break;
      }
      case 'REF':
        if (valueAt(segment, 1) === 'DP' && valueAt(segment, 2)) out.department = valueAt(segment, 2);
        break;
      case 'DTM': {
        const field = DTM_FIELDS[valueAt(segment, 1)];
        if (!field) break;
        const date = readX12DateTime(valueAt(segment, 2));
        if (!date.ok || !date.at) {
          problems.push({
            segment: 'DTM',
            ordinal: segment.ordinal,
            element: 2,
            detail: `DTM02 (DTM01 ${valueAt(segment, 1)}) ${date.ok ? 'is empty' : date.detail}`,
          });
        } else out[field] = date.at.slice(0, 10);
        break;
      }
      case 'TD5': {
        const carrier = valueAt(segment, 3);
        const service = valueAt(segment, 12) || valueAt(segment, 5);
        if (carrier || service) {
          out.shipVia = { ...(carrier ? { carrier } : {}), ...(service ? { service } : {}) };
        }
        break;
      }
      case 'SAC': {
        const amount = sacAmount(segment, problems);
        if (amount === undefined) break;
        const description = valueAt(segment, 15);
        if (valueAt(segment, 1) === 'A') {
          discounts.push({
            ...(valueAt(segment, 2) ? { code: valueAt(segment, 2) } : {}),
            ...(description ? { description } : {}),
            amount,
          });
        } else if (valueAt(segment, 1) === 'C') {
          charges.push(charge(segment, amount, description));
        }
        break;
      }
      case 'MSG':
        if (valueAt(segment, 1)) notes.push(valueAt(segment, 1));
        break;
    }
  }
  const billTo = canonicalParty(found.get('BT')?.party);
  if (billTo) out.billTo = billTo;
  const markFor = canonicalParty(found.get('Z7')?.party);
  if (markFor) out.markFor = markFor;
  // Charges of the lines (SAC*C in a PO1 loop) are the order's too, named by their line.
  for (const [index, po1] of set.segments.filter((s) => s.id === 'PO1').entries()) {
    const lineId = valueAt(po1, 1) || String(index + 1);
    for (const sac of loopOf(set, po1).filter((s) => s.id === 'SAC' && valueAt(s, 1) === 'C')) {
      const amount = sacAmount(sac, problems);
      if (amount === undefined) continue;
      const what = valueAt(sac, 15) || valueAt(sac, 2);
      charges.push(charge(sac, amount, `line ${lineId}${what ? `: ${what}` : ''}`));
    }
  }
  if (charges.length > 0) out.charges = charges;
  if (discounts.length > 0) out.discounts = discounts;
  if (notes.length > 0) out.notes = notes.join('\n');
  return out;
}

function charge(sac: Segment, amount: number, description: string): Record<string, unknown> {
  const code = valueAt(sac, 2);
  return {
    type: SAC_CHARGE_TYPES[code] ?? 'other',
    amount,
    ...(description ? { description } : code && !SAC_CHARGE_TYPES[code] ? { description: code } : {}),
  };
}

/** The line-level commercial fields of a PO1 (its `[qualifier, id]` pairs given); problems are added. */
export function lineCommercial850(
  set: TransactionSet,
  po1: Segment,
  pairs: readonly [string, string][],
  problems: MappingProblem[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const loop = loopOf(set, po1);
  const description = loop
    .filter((s) => s.id === 'PID' && valueAt(s, 5))
    .map((s) => valueAt(s, 5))
    .join(' ');
  if (description) out.description = description;
  for (const qualifier of CUSTOMER_ITEM_QUALIFIERS) {
    const id = pairs.find(([q, value]) => q === qualifier && value)?.[1];
    if (id) {
      out.customerItemId = id;
      break;
    }
  }
  for (const qualifier of GTIN_QUALIFIERS) {
    const index = pairs.findIndex(([q, value]) => q === qualifier && value);
    const gtin = pairs[index]?.[1];
    if (gtin === undefined) continue;
    if (gtinShape.test(gtin)) out.gtin = gtin;
    else
      problems.push({
        segment: 'PO1',
        ordinal: po1.ordinal,
        // The pairs start at PO106/PO107: the id of pair i is element 7 + 2i.
        element: 7 + 2 * index,
        detail: `${qualifier} '${gtin}' is not a GTIN of 8, 12, 13 or 14 digits`,
      });
    break;
  }
  let discount = 0;
  for (const sac of loop.filter((s) => s.id === 'SAC' && valueAt(s, 1) === 'A')) {
    discount += sacAmount(sac, problems) ?? 0;
  }
  if (discount > 0) out.discount = Math.round(discount * 100) / 100;
  return out;
}
