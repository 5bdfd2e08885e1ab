/**
 * The outbound X12 set dispatch table: for each set a subscription may send (`edi: {sets}`), how one
 * canonical event becomes its input — which events yield nothing, which order facts the mapping needs —
 * over the pure mappings of `mappings/outbound-*.ts`.
 */
import type { EdiOutboundSetId } from '../../config/compiled-config.js';
import type { UnitCodeMap, UnitTable } from '../../domain/orders/units.js';
import type { RemitTo } from './config-section.js';
import { map810, map846, map855, map856, map865, map940, type OutboundResult } from './mappings/outbound.js';
import type { ShipParty } from './mappings/outbound-856.js';
import type { SetInput } from './x12/index.js';

/** The order facts a set needs, as the hub's order store has them. */
export interface OrderFacts {
  document: {
    lines: readonly {
      lineId: string;
      sku: string;
      unitPrice?: number;
      uom?: string;
      partnerUom?: string;
      quantity?: number;
      baseQuantity?: number;
    }[];
    /** The order's charges and discounts (docs/orders.md#commercial-fields), for the 810's SACs. */
    charges?: readonly { type: string; amount: number; description?: string }[];
    discounts?: readonly { code?: string; amount: number; description?: string }[];
    /** The order's parties and department, for the 856. */
    shipTo?: Record<string, unknown>;
    markFor?: ShipParty;
    department?: string;
    /** When the customer placed the order (the 850's BEG05): the 810's PO date. */
    orderedAt?: string;
    /** The order's currency: the 810's CUR when the invoice names none. */
    currency?: string;
  };
  createdAt: string;
}

/** What a set's mapping is given besides the event's data. */
export interface SetContext {
  date: Date;
  partner: string;
  /** The partner's unit codes → ours (`x12.units`). */
  units?: UnitCodeMap;
  /** The unit table (`units:`), for execution lines reported in a unit. */
  unitTable?: UnitTable;
  /** The order named by `data.orderId`, if the hub has it. */
  order(): Promise<OrderFacts | undefined>;
  /** The hub's remit-to party (config `edi: {remitTo}`), for the 810. */
  remitTo?: RemitTo;
  /** SKU → the partner's item id for `skus` (its item table in reverse; docs/edi.md#item-ids). */
  partnerItems?(skus: string[]): Promise<Record<string, string>>;
}

type SetMapper = (
  data: Record<string, unknown>,
  context: SetContext,
) => Promise<OutboundResult<SetInput> | { nothing: string }>;

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';

const noOrder = (data: Record<string, unknown>): OutboundResult<SetInput> => ({
  ok: false,
  problems: [{ field: 'orderId', detail: `no order '${String(data.orderId)}' in the hub` }],
});

/** Set → how an event of its type is mapped. */
export const OUTBOUND_SET_MAPPERS: Record<EdiOutboundSetId, SetMapper> = {
  async '855'(data, { date, partner, units, order: orderOf, partnerItems }) {
    if (!['committed', 'released'].includes(String(data.milestone)))
      return { nothing: `an 855 is sent at committed or released, not at ${String(data.milestone)}` };
    // One acknowledgement per order: at committed, or at released when committed was skipped.
    if (data.milestone === 'released' && data.previous === 'committed')
      return { nothing: 'the 855 was sent at committed' };
    const order = await orderOf();
    const skus = [
      ...(order?.document.lines ?? []).map((l) => l.sku),
      ...((data.lines as { sku?: unknown }[] | undefined) ?? []).map((l) => l.sku).filter(isText),
    ];
    return map855(data as unknown as Parameters<typeof map855>[0], {
      date,
      partner,
      ...(partnerItems ? { partnerItems: await partnerItems(skus) } : {}),
      ...(units ? { units } : {}),
      ...(order ? { order: { lines: order.document.lines } } : {}),
    });
  },
  async '856'(data, { date, partner, units, unitTable, order: orderOf, partnerItems }) {
    const order = await orderOf();
    if (!order) return noOrder(data);
    const skus = order.document.lines.map((l) => l.sku);
    const { shipTo, markFor, department } = order.document;
    return map856(data as unknown as Parameters<typeof map856>[0], {
      date,
      partner,
      ...(partnerItems ? { partnerItems: await partnerItems(skus) } : {}),
      ...(units ? { units } : {}),
      ...(unitTable ? { unitTable } : {}),
      order: {
        lines: order.document.lines,
        ...(typeof shipTo?.name === 'string' ? { shipTo: shipTo as unknown as ShipParty } : {}),
        ...(markFor ? { markFor } : {}),
        ...(department ? { department } : {}),
      },
    });
  },
  async '810'(data, { date, partner, units, order: orderOf, remitTo }) {
    const order = await orderOf();
    if (!order) return noOrder(data);
    const { charges, discounts, orderedAt, currency } = order.document;
    return map810(data as unknown as Parameters<typeof map810>[0], {
      date,
      partner,
      ...(units ? { units } : {}),
      order: {
        lines: order.document.lines,
        // The PO date is when the customer ordered, never when the hub took the order (createdAt).
        ...(orderedAt ? { date: orderedAt } : {}),
        ...(currency ? { currency } : {}),
        ...(charges ? { charges } : {}),
        ...(discounts ? { discounts } : {}),
      },
      ...(remitTo ? { remitTo } : {}),
    });
  },
  async '846'(data, { date, partner }) {
    return map846(data as unknown as Parameters<typeof map846>[0], { date, partner });
  },
  async '865'(data, { date, partner, units, order: orderOf }) {
    const order = await orderOf();
    return map865(data as unknown as Parameters<typeof map865>[0], {
      date,
      partner,
      ...(units ? { units } : {}),
      ...(order ? { order: { lines: order.document.lines } } : {}),
    });
  },
  async '940'(data, { date, partner }) {
    return map940(data as unknown as Parameters<typeof map940>[0], { date, partner });
  },
};
