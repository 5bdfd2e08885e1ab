/**
 * The EDI partner's purchase orders: an X12 850 interchange written with the project's writer, from the
 * partner's identity to the hub's (`systems.<partner>.x12`, `edi.x12`). The hub maps BEG03 to the order id
 * `<partner>-<BEG03>` and each PO1's `VN` item id to the SKU (docs/edi.md).
 */
import { formatInterchange, type SegmentInput } from '../../connectors/edi/x12/index.js';

export interface PurchaseOrder {
  poNumber: string;
  customer: { id: string; name: string };
  shipTo: { name: string; line1: string; city: string; region: string; postalCode: string; country: string };
  lines: { lineId: string; sku: string; quantity: number; unitPrice: number }[];
}

/** The ship-to addresses the run's orders pick from (every channel). */
export const SHIP_TO = [
  {
    name: 'Ada Lovelace',
    line1: '12 Analytical Way',
    city: 'Springfield',
    region: 'IL',
    postalCode: '62701',
  },
  { name: 'Grace Hopper', line1: '9 Compiler Rd', city: 'Arlington', region: 'VA', postalCode: '22201' },
  { name: 'Alan Turing', line1: '1 Enigma Sq', city: 'Portland', region: 'OR', postalCode: '97201' },
];

export interface X12Parties {
  partner: { id: string; qualifier: string; version: string };
  hub: { id: string; qualifier: string };
}

/** One interchange holding one 850; `control` is its ISA13 (and GS06), unique per partner. */
export function purchaseOrderInterchange(order: PurchaseOrder, parties: X12Parties, control: number): string {
  const date = new Date();
  const yyyymmdd = date.toISOString().slice(0, 10).replaceAll('-', '');
  const segments: SegmentInput[] = [
    { id: 'BEG', elements: ['00', 'SA', order.poNumber, '', yyyymmdd] },
    { id: 'N1', elements: ['BY', order.customer.name, '92', order.customer.id] },
    { id: 'N1', elements: ['ST', order.shipTo.name] },
    { id: 'N3', elements: [order.shipTo.line1] },
    {
      id: 'N4',
      elements: [order.shipTo.city, order.shipTo.region, order.shipTo.postalCode, order.shipTo.country],
    },
    ...order.lines.map((line) => ({
      id: 'PO1',
      elements: [line.lineId, String(line.quantity), 'EA', line.unitPrice.toFixed(2), '', 'VN', line.sku],
    })),
    { id: 'CTT', elements: [String(order.lines.length)] },
  ];
  return formatInterchange(
    {
      sender: { qualifier: parties.partner.qualifier, id: parties.partner.id },
      receiver: parties.hub,
      version: parties.partner.version,
      date,
      controlNumber: control,
      groups: [
        {
          functionalId: 'PO',
          version: '004010',
          controlNumber: control,
          sets: [{ id: '850', controlNumber: 1, segments }],
        },
      ],
    },
    { newline: true },
  );
}
