/**
 * The allocation policy: at which location the hub commits each line of an order, and what it backorders
 * for want of stock. Pure: the caller reads the free stock and turns the answer into movements (the store
 * still checks each one; a refused movement is backordered by the caller). A policy is a small object so
 * another one can take its place without touching the order processor.
 *
 * The policies (docs/orders.md#allocation-policies): `first-fit` (locations in config order, the default)
 * or `nearest` (locations nearest the ship-to first), each either splitting an order over locations (a
 * SKU's lines at one location, different SKUs possibly at different ones) or shipping it complete (the
 * whole order at one location that can fill every line, else nothing committed and all backordered).
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
  name: 'first-fit',
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

/**
 * Ship complete: the whole order at the first location (in preference order) whose free stock covers the
 * demand of every SKU of the order; when none does, nothing is committed and every line is backordered.
 */
export const shipComplete: AllocationPolicy = {
  name: 'ship-complete',
  allocate({ lines, locations, free }) {
    const demand = new Map<string, number>();
    for (const l of lines) demand.set(l.sku, (demand.get(l.sku) ?? 0) + l.quantity);
    const location = locations.find((loc) => [...demand].every(([sku, n]) => free(sku, loc) >= n));
    return lines.map((l) =>
      location === undefined
        ? { lineId: l.lineId, sku: l.sku, commit: 0, backorder: l.quantity }
        : { lineId: l.lineId, sku: l.sku, location, commit: l.quantity, backorder: 0 },
    );
  },
};

/** The location preference of a policy. */
export const ALLOCATION_POLICIES = ['first-fit', 'nearest'] as const;
export type AllocationPolicyName = (typeof ALLOCATION_POLICIES)[number];

/** How one order is allocated: where to look first, and whether it may be split over locations. */
export interface AllocationRule {
  policy: AllocationPolicyName;
  /** The whole order at one location (true), or lines spread over locations (false, `split`). */
  shipComplete: boolean;
}

export const DEFAULT_ALLOCATION: AllocationRule = { policy: 'first-fit', shipComplete: false };

export interface Coordinates {
  lat: number;
  lon: number;
}

/** Great-circle distance in kilometres (haversine, mean Earth radius). */
export function distanceKm(a: Coordinates, b: Coordinates): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The locations nearest `origin` first (a stable sort: equal distances keep config order); locations
 * without coordinates come after those with, in config order. Without an origin: config order.
 */
export function nearestFirst(
  locations: readonly string[],
  origin: Coordinates | undefined,
  coordinatesOf: (location: string) => Coordinates | undefined,
): string[] {
  if (origin === undefined) return [...locations];
  const distance = (l: string) => {
    const c = coordinatesOf(l);
    return c === undefined ? Number.POSITIVE_INFINITY : distanceKm(origin, c);
  };
  return locations
    .map((l, i) => ({ l, i, d: distance(l) }))
    .sort((a, b) => (a.d === b.d ? a.i - b.i : a.d < b.d ? -1 : 1))
    .map((x) => x.l);
}

/** A ship-to hint of the config: a country, optionally narrowed by region (state) or postal-code prefix. */
export interface RegionHint extends Coordinates {
  country: string;
  region?: string;
  postalPrefix?: string;
}

/** The fields of a ship-to address the policies read. */
export interface ShipToLike {
  country?: unknown;
  region?: unknown;
  postalCode?: unknown;
  /** Coordinates carried by the order itself win over any hint. */
  coordinates?: unknown;
}

const normal = (value: unknown) =>
  typeof value === 'string' ? value.replace(/\s+/g, '').toUpperCase() : undefined;

function isCoordinates(value: unknown): value is Coordinates {
  const c = value as Coordinates | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.lat === 'number' &&
    typeof c.lon === 'number' &&
    Math.abs(c.lat) <= 90 &&
    Math.abs(c.lon) <= 180
  );
}

/**
 * Where a ship-to is: its own `coordinates: {lat, lon}` when it carries them, else the most specific
 * hint that matches it — the longest matching postal prefix, then a region (state) match, then the
 * country alone. Undefined when nothing matches (the policy then keeps config order).
 */
export function shipToCoordinates(shipTo: ShipToLike, hints: readonly RegionHint[]): Coordinates | undefined {
  if (isCoordinates(shipTo.coordinates)) return { lat: shipTo.coordinates.lat, lon: shipTo.coordinates.lon };
  const country = normal(shipTo.country);
  const region = normal(shipTo.region);
  const postal = normal(shipTo.postalCode);
  let best: { score: number; hint: RegionHint } | undefined;
  for (const hint of hints) {
    if (normal(hint.country) !== country) continue;
    if (hint.region !== undefined && normal(hint.region) !== region) continue;
    const prefix = normal(hint.postalPrefix);
    if (prefix !== undefined && !(postal ?? '').startsWith(prefix)) continue;
    const score = (prefix === undefined ? 0 : 100 + prefix.length) + (hint.region === undefined ? 0 : 10);
    if (best === undefined || score > best.score) best = { score, hint };
  }
  return best && { lat: best.hint.lat, lon: best.hint.lon };
}

/**
 * The policy of a rule for one order: the serving locations put in the rule's preference order (nearest
 * the ship-to first for `nearest`), then split (`first-fit` per SKU) or shipped complete.
 */
export function allocationPolicy(
  rule: AllocationRule,
  origin?: Coordinates,
  coordinatesOf: (location: string) => Coordinates | undefined = () => undefined,
): AllocationPolicy {
  const inner = rule.shipComplete ? shipComplete : firstThatFills;
  return {
    name: `${rule.policy}${rule.shipComplete ? '/ship-complete' : '/split'}`,
    allocate: (request) =>
      inner.allocate(
        rule.policy === 'nearest'
          ? { ...request, locations: nearestFirst(request.locations, origin, coordinatesOf) }
          : request,
      ),
  };
}

/**
 * Allocates without splitting a line over locations (docs/orders.md#backorder-fill): a line that already
 * has a location (`pinned`: where its first units were committed) is committed there only, or not at all
 * (the rest stays backordered until that location has stock); lines without one go through the policy
 * over every location. The policy still decides within each group (all-or-nothing for ship complete), and
 * the groups share the free stock (what one group takes is not free for the next). The answer is in the
 * order of the request's lines.
 */
export function allocateUnsplit(
  policy: AllocationPolicy,
  request: AllocationRequest,
  pinned: (lineId: string) => string | undefined,
): LineAllocation[] {
  const groups = new Map<string | undefined, AllocationLine[]>();
  for (const line of request.lines) {
    const at = pinned(line.lineId);
    groups.set(at, [...(groups.get(at) ?? []), line]);
  }
  const taken = new Map<string, number>();
  const free = (sku: string, location: string) =>
    request.free(sku, location) - (taken.get(`${sku}@${location}`) ?? 0);
  const answer = new Map<string, LineAllocation>();
  for (const [at, lines] of groups) {
    const locations =
      at === undefined ? request.locations : request.locations.filter((location) => location === at);
    for (const a of policy.allocate({ lines, locations, free })) {
      answer.set(a.lineId, a);
      if (a.commit > 0 && a.location !== undefined) {
        const key = `${a.sku}@${a.location}`;
        taken.set(key, (taken.get(key) ?? 0) + a.commit);
      }
    }
  }
  return request.lines.map((l) => answer.get(l.lineId) as LineAllocation);
}
