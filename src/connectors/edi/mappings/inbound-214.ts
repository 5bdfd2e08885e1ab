/**
 * X12 214 (carrier shipment status) → order milestones of the canonical model (docs/edi.md).
 *
 * | X12 | canonical |
 * |---|---|
 * | L11-01 with L11-02 `PO`, else B10-02 (shipment id): the order id as is, else `<edi partner>-<id>` (looked up by the engine) | `orderId` |
 * | AT7-01 `D1` (completed unloading at delivery location) | `com.manifold.order.delivered.v1` `{orderId, deliveredAt?}` |
 * | AT7-05/AT7-06 of the `D1` (date, time; taken as UTC: AT7-07 time zones are not converted) | `deliveredAt` |
 * | AT7-05/AT7-06 that are no calendar day or time of day, or a time without a date | the set is rejected (AK4 on the element) |
 * | AT7-01 `X1` (arrived at delivery location), `AF` (departed pickup), `X6` (en route), `AG` (estimated delivery) | in transit: acknowledged, no event |
 * | AT7-01 `SD` (shipment delayed), `AH` (attempted delivery), `A9` (shipment damaged) | a `carrier_exception` exception carrying the code |
 * | any other AT7-01 | acknowledged, no event |
 *
 * Pure: a transaction set in, the order references and the statuses (with their X12 position) out.
 */
import { type TransactionSet, valueAt } from '../x12/model.js';
import type { MappingProblem, MappingResult } from './inbound-850.js';
import { readX12DateTime } from './item-ids.js';

export const DELIVERED_CODES = ['D1'] as const;
export const IN_TRANSIT_CODES = ['X1', 'AF', 'X6', 'AG'] as const;
export const EXCEPTION_CODES = ['SD', 'AH', 'A9'] as const;

export type StatusKind = 'delivered' | 'in-transit' | 'exception' | 'other';

export interface ShipmentStatus {
  /** AT7-01. */
  code: string;
  kind: StatusKind;
  /** AT7-02, the status reason (`NS` normal …), when sent. */
  reason?: string;
  /** AT7-05/AT7-06 as an RFC 3339 time (UTC), when sent. */
  at?: string;
  /** The AT7's segment number in the file. */
  ordinal: number;
}

export interface ShipmentStatusReport {
  /** Candidate order ids, in the order to try them: L11*PO values, then B10-02. */
  references: string[];
  statuses: ShipmentStatus[];
}

function kindOf(code: string): StatusKind {
  if ((DELIVERED_CODES as readonly string[]).includes(code)) return 'delivered';
  if ((IN_TRANSIT_CODES as readonly string[]).includes(code)) return 'in-transit';
  if ((EXCEPTION_CODES as readonly string[]).includes(code)) return 'exception';
  return 'other';
}

/** Reads one 214 set: what it is about and the statuses it reports. */
export function map214(set: TransactionSet): MappingResult<ShipmentStatusReport> {
  const references: string[] = [];
  for (const l11 of set.segments.filter((s) => s.id === 'L11' && valueAt(s, 2) === 'PO')) {
    if (valueAt(l11, 1)) references.push(valueAt(l11, 1));
  }
  const b10 = set.segments.find((s) => s.id === 'B10');
  if (b10 && valueAt(b10, 2) && !references.includes(valueAt(b10, 2))) references.push(valueAt(b10, 2));
  const statuses: ShipmentStatus[] = [];
  const problems: MappingProblem[] = [];
  for (const at7 of set.segments.filter((s) => s.id === 'AT7')) {
    const code = valueAt(at7, 1);
    if (!code) continue; // an appointment-only AT7 (AT7-03/04)
    const reason = valueAt(at7, 2);
    const read = readX12DateTime(valueAt(at7, 5), valueAt(at7, 6));
    if (!read.ok) {
      problems.push({
        segment: 'AT7',
        ordinal: at7.ordinal,
        element: read.element === 'date' ? 5 : 6,
        detail: `AT7-0${read.element === 'date' ? 5 : 6}: ${read.detail}`,
      });
      continue;
    }
    const at = read.at;
    statuses.push({
      code,
      kind: kindOf(code),
      ...(reason ? { reason } : {}),
      ...(at ? { at } : {}),
      ordinal: at7.ordinal,
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  if (references.length === 0) {
    return {
      ok: false,
      problems: [
        {
          segment: b10 ? 'B10' : 'L11',
          ordinal: b10?.ordinal ?? set.header.ordinal,
          ...(b10 ? { element: 2 } : {}),
          detail: 'no order reference: neither an L11 with qualifier PO nor a B10-02 shipment id',
        },
      ],
    };
  }
  if (statuses.length === 0) {
    return {
      ok: false,
      problems: [{ segment: 'AT7', ordinal: set.header.ordinal, detail: 'no AT7 shipment status' }],
    };
  }
  return { ok: true, data: { references, statuses } };
}
