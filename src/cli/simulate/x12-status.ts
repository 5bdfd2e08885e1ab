/**
 * The carrier's shipment status feed: an X12 214 interchange written with the project's writer, from the
 * carrier's identity to the hub's. L11*PO names the order; AT7-01 is the status (`X6` en route, `D1`
 * delivered, `A9` damaged …) with its date and time (docs/edi.md, inbound 214).
 */
import { formatInterchange, type SegmentInput } from '../../connectors/edi/x12/index.js';
import type { X12Parties } from './x12-orders.js';

export interface ShipmentStatusReport {
  orderId: string;
  tracking: string;
  /** AT7-01. */
  code: string;
  at: Date;
}

/** One interchange holding one 214; `control` is its ISA13 (and GS06), unique per carrier. */
export function shipmentStatusInterchange(
  report: ShipmentStatusReport,
  parties: X12Parties,
  control: number,
): string {
  const iso = report.at.toISOString();
  const date = iso.slice(0, 10).replaceAll('-', '');
  const time = iso.slice(11, 16).replace(':', '');
  const segments: SegmentInput[] = [
    { id: 'B10', elements: [report.tracking, report.tracking, parties.partner.id] },
    { id: 'L11', elements: [report.orderId, 'PO'] },
    { id: 'LX', elements: ['1'] },
    { id: 'AT7', elements: [report.code, 'NS', '', '', date, time, 'UT'] },
  ];
  return formatInterchange(
    {
      sender: { qualifier: parties.partner.qualifier, id: parties.partner.id },
      receiver: parties.hub,
      version: parties.partner.version,
      date: report.at,
      controlNumber: control,
      groups: [
        {
          functionalId: 'QM',
          version: '004010',
          controlNumber: control,
          sets: [{ id: '214', controlNumber: 1, segments }],
        },
      ],
    },
    { newline: true },
  );
}
