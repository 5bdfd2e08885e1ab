/**
 * The allocation policy: at which location the hub commits each line of an order, and what it backorders
 * for want of stock. Pure: the caller reads the free stock and turns the answer into movements (the store
 * still checks each one; a refused movement is backordered by the caller). A policy is a small object so
 * another one (nearest location, split across locations) can take its place without touching the order
 * processor.
 */

/** One line to commit. */
export interface AllocationLine {
  lineId: string;
  sku: string;
  quantity: number;
}

export interface AllocationRequest {
  /** The lines to commit, in the order's order. */
  lines: readonly AllocationLine[];
  /** The locations that may ship them, in preference order (config order of the channel's locations). */
  locations: readonly string[];
  /** Free units (`available`) of a SKU at a location as read; may be negative (oversold). */
  free(sku: string, location: string): number;
}

/** The answer for one line: `commit` units at `location`, the rest (`backorder`) backordered. */
export interface LineAllocation {
  lineId: string;
  sku: string;
  /** Absent when no location serves the order. */
  location?: string;
  commit: number;
  backorder: number;
}

/** Decides where lines are committed; every line of the request appears once in the answer. */
export interface AllocationPolicy {
  readonly name: string;
  allocate(request: AllocationRequest): LineAllocation[];
}

/**
 * The hub's policy, per SKU of the order (SKUs in order of first appearance, their lines in order): the
 * first location that can fill the SKU's whole demand; else the one with most free stock (the first of
 * those in preference order on a tie), which gets what it has, line by line. A SKU is never split across
 * locations, so a line ships from one place.
 */
export const firstThatFills: AllocationPolicy = {
  name: 'first-that-fills',
  allocate({ lines, locations, free }) {
    const answer: LineAllocation[] = [];
    for (const sku of new Set(lines.map((l) => l.sku))) {
      const ofSku = lines.filter((l) => l.sku === sku);
      const demand = ofSku.reduce((n, l) => n + l.quantity, 0);
      const location =
        locations.find((loc) => free(sku, loc) >= demand) ??
        [...locations].sort((a, b) => free(sku, b) - free(sku, a))[0];
      let left = location === undefined ? 0 : Math.max(0, free(sku, location));
      for (const line of ofSku) {
        const commit = Math.min(left, line.quantity);
        left -= commit;
        answer.push({
          lineId: line.lineId,
          sku,
          ...(location === undefined ? {} : { location }),
          commit,
          backorder: line.quantity - commit,
        });
      }
    }
    return answer;
  },
};
