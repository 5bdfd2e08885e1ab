/**
 * `order.shipped.v1` (with the order's lines, for the SKUs and units ordered) → an X12 856 ship notice /
 * manifest (docs/edi.md#856-hierarchy). Hierarchy: shipment → order → (packs) → items.
 *
 * | canonical | X12 |
 * |---|---|
 * | — | BSN01 `00` (original) |
 * | `shipmentId` (context), else `<orderId>-<location>` | BSN02 |
 * | the time of the notice | BSN03 (CCYYMMDD), BSN04 (HHMM), UTC; DTM*011 (shipped) in HL S |
 * | — | BSN05 `0001` (shipment, order, packaging, item) with packs, else `0004` (shipment, order, item) |
 * | — | HL*1**S (shipment) |
 * | `packages` (count, summed `weight`) | TD1*CTN25*<count>****G*<weight>*<LB or KG> in HL S (weight when every package has one) |
 * | `carrier` (SCAC), `service` | TD5 `**2*<SCAC>**<service>` (TD502 `2`: SCAC; TD505 routing) |
 * | `billOfLading` (context), else the shipment id | REF*BM |
 * | `tracking` | REF*CN in HL S (default), or MAN*CP (`trackingAs: 'MAN'`) in HL P, else in HL S |
 * | the order's `shipTo` (context) | N1*ST (N103 `92` + N104 with an id), N3, N4 in HL S, after DTM |
 * | `location` | N1*SF*<location>*92*<location> (ship-from) in HL S |
 * | — | HL*2*1*O (order) |
 * | `orderId` without the `<partner>-` prefix (or `poNumber`) | PRF01 (PO number) |
 * | the order's `department` (context) | REF*DP in HL O |
 * | the order's `markFor` (context) | N1*Z7 (N103 `92` + N104 with an id), N3, N4 in HL O |
 * | each of `packages[]` | HL*n*2*P with MAN*GM*<sscc>, MAN*CP*<tracking>, TD1 with its weight |
 * | without `packages`, `pack` (context) | one HL P holding every item (MAN*GM with `pack.marks`) |
 * | one per line of a package (or per shipped line) | HL*n*<pack or order>*I |
 * | `lines[].lineId` → the order line's `sku` | LIN01 line id, LIN02 `VN`, LIN03 SKU; LIN04 `BP`, LIN05 the partner's item id when its item table has the SKU |
 * | `lines[].quantity` | SN101 line id, SN102, SN103 in the unit ordered (the partner's code); `EA` when not whole |
 * | — | CTT01 number of HL segments, CTT02 sum of SN102 |
 *
 * Shipped units in no package (packages may hold less than was shipped) are items directly under the
 * order. Pure: a shipped line whose `lineId` is not on the order is a problem.
 */
import type { OrderShippedData } from '../../../contracts/order-schemas.js';
import { toBase, type UnitTable } from '../../../domain/orders/units.js';
import type { SegmentInput, SetInput } from '../x12/index.js';
import {
  decimal,
  inPartnerUnit,
  type OrderedUnit,
  type OutboundContext,
  type OutboundProblem,
  type OutboundResult,
  orderedLine,
  poNumberOf,
  seg,
  x12Date,
  x12Time,
} from './outbound-common.js';

/** A party of the order as the 856 writes it (ship-to, mark-for): a name, and an id and address when known. */
export interface ShipParty {
  name: string;
  id?: string;
  line1?: string;
  line2?: string;
  city?: string;
  region?: string;
  postalCode?: string;
  country?: string;
}

export interface ShipNoticeContext extends OutboundContext {
  /**
   * The shipped order: its lines (SKUs by line id, and the unit each was ordered in), and its ship-to,
   * mark-for and department when it has them.
   */
  order: {
    lines: readonly ({ lineId: string; sku: string } & OrderedUnit)[];
    shipTo?: ShipParty;
    markFor?: ShipParty;
    department?: string;
  };
  /** BSN02; default `<orderId>-<location>`. */
  shipmentId?: string;
  /** REF*BM; default the shipment id. */
  billOfLading?: string;
  /** Where the tracking number goes: `REF` (REF*CN, default) or `MAN` (MAN*CP). */
  trackingAs?: 'REF' | 'MAN';
  /** Without `packages`: adds one pack level (HL P) holding every item; `marks` becomes MAN*GM. */
  pack?: { marks?: string };
  /** The unit table, for a shipped line reported in a unit other than EA (`lines[].uom`). */
  unitTable?: UnitTable;
}

/** Pounds in a kilogram, to sum the weights of packages weighed in both. */
const LB_PER_KG = 2.20462262185;

interface Item {
  lineId: string;
  sku: string;
  /** Eaches. */
  base: number;
  ordered: OrderedUnit;
}

/** Maps a shipment to an 856. */
export function map856(data: OrderShippedData, context: ShipNoticeContext): OutboundResult<SetInput> {
  const problems: OutboundProblem[] = [];
  /** The eaches of a quantity of a shipped line, in its unit (`uom`, else EA). */
  const eaches = (
    line: { lineId: string; quantity: number; uom?: string },
    field: string,
    sku: string,
  ): number | undefined => {
    if (line.uom === undefined) return line.quantity;
    const base = toBase(context.unitTable ?? {}, sku, line.quantity, line.uom);
    if (base.ok) return base.base;
    problems.push({ field: `${field}.uom`, detail: base.detail });
    return undefined;
  };
  const shipped: Item[] = [];
  data.lines.forEach((line, index) => {
    const ordered = orderedLine(context.order, line, index, data.orderId, problems);
    if (!ordered) return;
    const base = eaches(line, `lines[${index}]`, ordered.sku);
    if (base !== undefined) shipped.push({ lineId: line.lineId, sku: ordered.sku, base, ordered });
  });
  const packs = (data.packages ?? []).map((pkg, p) => ({
    pkg,
    items: pkg.lines.flatMap((line, l): Item[] => {
      const item = shipped.find((s) => s.lineId === line.lineId);
      if (!item) {
        problems.push({
          field: `packages[${p}].lines[${l}].lineId`,
          detail: `line ${line.lineId} is not shipped`,
        });
        return [];
      }
      // A package line is in the unit of its shipped line.
      const unit = line.uom ?? data.lines.find((s) => s.lineId === line.lineId)?.uom;
      const base = eaches(
        { ...line, ...(unit ? { uom: unit } : {}) },
        `packages[${p}].lines[${l}]`,
        item.sku,
      );
      return base === undefined ? [] : [{ ...item, base }];
    }),
  }));
  if (problems.length > 0) return { ok: false, problems };
  // What no package holds stays an item of the order.
  const loose = shipped
    .map((item) => ({
      ...item,
      base:
        item.base -
        packs.flatMap((p) => p.items).reduce((n, i) => n + (i.lineId === item.lineId ? i.base : 0), 0),
    }))
    .filter((item) => item.base > 0);

  const shipmentId = context.shipmentId ?? `${data.orderId}-${data.location}`;
  const trackingInMan = context.trackingAs === 'MAN';
  const packaged = packs.length > 0 || context.pack !== undefined;
  const segments: SegmentInput[] = [
    seg(
      'BSN',
      '00',
      shipmentId,
      x12Date(context.date) ?? '',
      x12Time(context.date),
      packaged ? '0001' : '0004',
    ),
  ];
  let hl = 0;
  const open = (parent: number | undefined, level: string): number => {
    hl += 1;
    segments.push(seg('HL', String(hl), parent === undefined ? '' : String(parent), level));
    return hl;
  };
  let hash = 0;
  const items = (parent: number, list: readonly Item[]) => {
    for (const item of list) {
      open(parent, 'I');
      const said = inPartnerUnit(item.ordered, item.base, context.units);
      const theirs = context.partnerItems?.[item.sku];
      segments.push(seg('LIN', item.lineId, 'VN', item.sku, ...(theirs !== undefined ? ['BP', theirs] : [])));
      segments.push(seg('SN1', item.lineId, String(said.quantity), said.unit));
      hash += said.quantity;
    }
  };

  const shipment = open(undefined, 'S');
  if (packs.length > 0)
    segments.push(
      td1(
        packs.length,
        packs.map((p) => p.pkg.weight),
      ),
    );
  if (data.carrier) {
    segments.push(
      data.service ? seg('TD5', '', '2', data.carrier, '', data.service) : seg('TD5', '', '2', data.carrier),
    );
  }
  segments.push(seg('REF', 'BM', context.billOfLading ?? shipmentId));
  if (data.tracking && !trackingInMan) segments.push(seg('REF', 'CN', data.tracking));
  if (data.tracking && trackingInMan && !packaged) segments.push(seg('MAN', 'CP', data.tracking));
  segments.push(seg('DTM', '011', x12Date(context.date) ?? ''));
  segments.push(...partyLoop('ST', context.order.shipTo));
  segments.push(seg('N1', 'SF', data.location, '92', data.location));

  const order = open(shipment, 'O');
  segments.push(seg('PRF', poNumberOf(data.orderId, context)));
  if (context.order.department) segments.push(seg('REF', 'DP', context.order.department));
  segments.push(...partyLoop('Z7', context.order.markFor));

  if (packs.length > 0) {
    packs.forEach(({ pkg, items: held }, index) => {
      const pack = open(order, 'P');
      segments.push(seg('MAN', 'GM', pkg.sscc));
      const tracking = pkg.tracking ?? (trackingInMan && index === 0 ? data.tracking : undefined);
      if (tracking) segments.push(seg('MAN', 'CP', tracking));
      if (pkg.weight) segments.push(td1(1, [pkg.weight]));
      items(pack, held);
    });
    items(order, loose);
  } else if (context.pack) {
    const pack = open(order, 'P');
    if (context.pack.marks) segments.push(seg('MAN', 'GM', context.pack.marks));
    if (data.tracking && trackingInMan) segments.push(seg('MAN', 'CP', data.tracking));
    items(pack, shipped);
  } else {
    items(order, shipped);
  }
  segments.push(seg('CTT', String(hl), String(hash)));
  return { ok: true, data: { id: '856', segments } };
}

/** An N1 loop of a party: N1 (its id as N103 `92`, N104), N3 and N4 when it has an address. */
function partyLoop(code: string, party: ShipParty | undefined): SegmentInput[] {
  if (!party?.name) return [];
  const loop = [seg('N1', code, party.name, ...(party.id ? ['92', party.id] : []))];
  if (party.line1) loop.push(seg('N3', party.line1, ...(party.line2 ? [party.line2] : [])));
  if (party.city && party.postalCode)
    loop.push(seg('N4', party.city, party.region ?? '', party.postalCode, party.country ?? ''));
  return loop;
}

/** TD1: `count` cartons and, when every one is weighed, their gross weight (in KG if units are mixed). */
function td1(
  count: number,
  weights: readonly ({ value: number; unit: 'LB' | 'KG' } | undefined)[],
): SegmentInput {
  if (weights.length === 0 || weights.some((w) => w === undefined)) return seg('TD1', 'CTN25', String(count));
  const known = weights as { value: number; unit: 'LB' | 'KG' }[];
  const unit = known.every((w) => w.unit === known[0]?.unit) ? (known[0]?.unit ?? 'KG') : 'KG';
  const total = known.reduce(
    (n, w) => n + (w.unit === unit ? w.value : unit === 'KG' ? w.value / LB_PER_KG : w.value * LB_PER_KG),
    0,
  );
  return seg('TD1', 'CTN25', String(count), '', '', '', 'G', decimal(total), unit);
}
