/**
 * What the chaos test's clients were told, turned into what the hub must hold: the stock buckets per SKU
 * and location, computed from acknowledged answers only (seed counts, receipts, counts, the commitments
 * in the answers to accepted orders, holds created, committed and released, shipments, deliveries).
 */
import type { AnsweredLine, Location, PlacedOrder, Workload } from './chaos-workload.js';
import { COUNT_SKUS, LOCATIONS, ORDER_SKUS, SEED_STOCK } from './chaos-workload.js';
import type { Call } from './retrying-client.js';

export type ExpectedBuckets = { on_hand: number; reserved: number; committed: number; in_transit: number };

const acknowledged = (c: Call | undefined): boolean =>
  c?.answer !== undefined && c.answer.status >= 200 && c.answer.status < 300;

/** The order's lines as answered to its POST, or (not answered) as the hub shows them now. */
export type LinesOf = (order: PlacedOrder) => AnsweredLine[] | undefined;

/**
 * Expected buckets per `sku@location`. `nowOf` (the hub's current lines) adds what backorder fills
 * committed after the answer: a line's commitment at a location is then its open commitment there plus
 * what acknowledged shipments took from it; the chaos test bounds the fills by the answered backorders.
 */
export function expectedStock(
  workload: Workload,
  linesOf: LinesOf,
  nowOf: LinesOf = () => undefined,
): Map<string, ExpectedBuckets> {
  const stock = new Map<string, ExpectedBuckets>();
  const at = (sku: string, location: string): ExpectedBuckets => {
    const key = `${sku}@${location}`;
    let buckets = stock.get(key);
    if (!buckets) {
      buckets = { on_hand: 0, reserved: 0, committed: 0, in_transit: 0 };
      stock.set(key, buckets);
    }
    return buckets;
  };
  for (const sku of ORDER_SKUS)
    for (const location of LOCATIONS) at(sku, location).on_hand = SEED_STOCK[location];

  for (const receipt of workload.receipts) {
    if (acknowledged(receipt.call)) at(receipt.sku, receipt.location).on_hand += receipt.quantity;
  }
  for (const series of workload.counts) {
    const buckets = at(series.sku, series.location);
    for (const step of series.steps) {
      if (!acknowledged(step.call)) continue;
      buckets.on_hand = step.kind === 'set' ? step.quantity : buckets.on_hand + step.quantity;
    }
  }
  for (const hold of workload.holds) {
    if (hold.create.answer?.status !== 201) continue;
    const lines = hold.create.answer.body.lines as { sku: string; location: string; quantity: number }[];
    for (const line of lines) {
      const buckets = at(line.sku, line.location);
      if (hold.closeKind === 'release' && acknowledged(hold.close)) continue;
      if (hold.closeKind === 'commit' && acknowledged(hold.close)) buckets.committed += line.quantity;
      else buckets.reserved += line.quantity;
    }
  }
  for (const order of workload.orders.values()) {
    const lines = linesOf(order);
    if (!lines) continue;
    const shipments = order.events.filter((e) => e.label.startsWith('shipped') && acknowledged(e));
    const now = nowOf(order);
    for (const line of lines) {
      const current = now?.find((l) => l.lineId === line.lineId);
      if (current?.committedAt === undefined) {
        if (line.committed > 0 && line.location) at(line.sku, line.location).committed += line.committed;
        continue;
      }
      const gross = { ...current.committedAt };
      for (const shipment of shipments) {
        const data = (
          shipment.body as { data: { location: Location; lines: { lineId: string; quantity: number }[] } }
        ).data;
        for (const shipped of data.lines.filter((l) => l.lineId === line.lineId))
          gross[data.location] = (gross[data.location] ?? 0) + shipped.quantity;
      }
      for (const [location, units] of Object.entries(gross)) at(line.sku, location).committed += units;
    }
    const delivered = order.events.some((e) => e.label.startsWith('delivered') && acknowledged(e));
    for (const shipment of shipments) {
      const data = (
        shipment.body as { data: { location: Location; lines: { lineId: string; quantity: number }[] } }
      ).data;
      for (const shipped of data.lines) {
        const line = lines.find((l) => l.lineId === shipped.lineId) as AnsweredLine;
        const buckets = at(line.sku, data.location);
        buckets.on_hand -= shipped.quantity;
        buckets.committed -= shipped.quantity;
        if (!delivered) buckets.in_transit += shipped.quantity;
      }
    }
  }
  return stock;
}

/** Units per line that the acknowledged events shipped and delivered. */
export function expectedFulfilment(order: PlacedOrder): Map<string, { shipped: number; delivered: number }> {
  const lines = new Map<string, { shipped: number; delivered: number }>();
  for (const shipment of order.events.filter((e) => e.label.startsWith('shipped') && acknowledged(e))) {
    for (const line of (shipment.body as { data: { lines: { lineId: string; quantity: number }[] } }).data
      .lines) {
      lines.set(line.lineId, { shipped: line.quantity, delivered: 0 });
    }
  }
  if (order.events.some((e) => e.label.startsWith('delivered') && acknowledged(e))) {
    for (const line of lines.values()) line.delivered = line.shipped;
  }
  return lines;
}

/** Every SKU the workload touched. */
export const ALL_SKUS: readonly string[] = [...ORDER_SKUS, ...COUNT_SKUS];
