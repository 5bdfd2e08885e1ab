/**
 * The hub's `order.change-acknowledged.v1` → an X12 865 purchase order change acknowledgement
 * (docs/edi.md#860-purchase-order-change): the answer to a partner's 860, once the change was applied or
 * refused (always as a whole).
 *
 * | canonical | X12 |
 * |---|---|
 * | — | BCA01 `00` (original) |
 * | `status` applied: every line accepted | BCA02 `AT` (accepted); refused: `RD` (reject with detail) |
 * | `orderId` without the `<partner>-` prefix | BCA03 (PO number) |
 * | `changeId` (the 860's BCH05) | BCA05 (change order sequence number) |
 * | the time of the acknowledgement | BCA06 (CCYYMMDD, UTC) |
 * | `lines[].lineId` | POC01 |
 * | `lines[].action` add / remove / update (quantity) / update (price only) | POC02 `AI` / `DI` / `CA` / `PC` |
 * | `lines[].quantity` (eaches) | POC03, POC05 in the unit the order line is in (its `uom`, in the code the partner wrote it in); `EA` when not a whole number of it |
 * | `lines[].sku` (else the order's line) | POC08 `VN`, POC09 |
 * | `lines[].status` accepted: add → `IA`, update (quantity) → `IQ`, update (price) → `IP`, remove → `ID`; rejected → `IR` | ACK01, with ACK02/ACK03 the quantity in the same unit when there is one |
 * | — | CTT01 number of POC, CTT02 sum of POC03 |
 *
 * The reason of a refusal travels in the event and the `order_change_refused` exception, not in the 865.
 * Pure.
 */
import type { OrderChangeAcknowledgedData } from '../../../contracts/order-hub-schemas.js';
import type { SegmentInput, SetInput } from '../x12/index.js';
import {
  inPartnerUnit,
  type OrderedUnit,
  type OutboundContext,
  type OutboundProblem,
  type OutboundResult,
  poNumberOf,
  seg,
  x12Date,
} from './outbound-common.js';

export interface ChangeAcknowledgementContext extends OutboundContext {
  /** The order's lines (as changed): SKUs the acknowledgement lacks, and the unit each is ordered in. */
  order?: { lines: readonly ({ lineId: string; sku?: string } & OrderedUnit)[] };
}

type AckLine = OrderChangeAcknowledgedData['lines'][number];

const changeCode = (line: AckLine): string =>
  line.action === 'add' ? 'AI' : line.action === 'remove' ? 'DI' : line.quantity === undefined ? 'PC' : 'CA';

const statusCode = (line: AckLine): string => {
  if (line.status === 'rejected') return 'IR';
  if (line.action === 'add') return 'IA';
  if (line.action === 'remove') return 'ID';
  return line.quantity === undefined ? 'IP' : 'IQ';
};

/** Maps a change acknowledgement to an 865. */
export function map865(
  data: OrderChangeAcknowledgedData,
  context: ChangeAcknowledgementContext,
): OutboundResult<SetInput> {
  const problems: OutboundProblem[] = [];
  const body: SegmentInput[] = [];
  let hash = 0;
  data.lines.forEach((line, index) => {
    const ordered = context.order?.lines.find((l) => l.lineId === line.lineId);
    const sku = line.sku ?? ordered?.sku;
    if (line.quantity !== undefined && (!Number.isInteger(line.quantity) || line.quantity < 0)) {
      problems.push({ field: `lines[${index}].quantity`, detail: 'a quantity must be a whole number >= 0' });
      return;
    }
    // In the unit the line is ordered in (as changed), when the eaches are whole units of it.
    const said =
      line.quantity === undefined ? undefined : inPartnerUnit(ordered, line.quantity, context.units);
    const quantity = said === undefined ? [] : [String(said.quantity), '', said.unit];
    hash += said?.quantity ?? 0;
    const item = sku === undefined ? [] : ['VN', sku];
    const elements = [line.lineId, changeCode(line), ...quantity];
    if (item.length > 0) elements.push(...Array(5 - elements.length).fill(''), '', '', ...item);
    body.push(seg('POC', ...elements));
    body.push(
      seg('ACK', statusCode(line), ...(said === undefined ? [] : [String(said.quantity), said.unit])),
    );
  });
  if (problems.length > 0) return { ok: false, problems };
  const accepted = data.status === 'applied';
  return {
    ok: true,
    data: {
      id: '865',
      segments: [
        seg(
          'BCA',
          '00',
          accepted ? 'AT' : 'RD',
          poNumberOf(data.orderId, context),
          '',
          data.changeId ?? '',
          x12Date(context.date) ?? '',
        ),
        ...body,
        ...(data.lines.length > 0 ? [seg('CTT', String(data.lines.length), String(hash))] : []),
      ],
    },
  };
}
