/**
 * Channel availability (ATP) and the location policy of reservations (docs/inventory.md). Pure: the
 * caller passes the positions it read and the channel's locations from config.
 */

/** What the ATP of one channel needs from each position. */
export interface LocationStock {
  location: string;
  available: number;
}

/**
 * ATP of a channel: `max(0, Σ available over the locations serving the channel − safety stock)`. An
 * oversold location (negative `available`) lowers the sum: its shortfall must be made up elsewhere.
 */
export function channelAtp(
  stock: readonly LocationStock[],
  serving: readonly string[],
  safetyStock: number,
): number {
  const served = new Set(serving);
  let sum = 0;
  for (const s of stock) if (served.has(s.location)) sum += s.available;
  return Math.max(0, sum - safetyStock);
}

/** Demand for one SKU: at a named location, or anywhere the channel is served. */
export interface Demand {
  sku: string;
  quantity: number;
  location?: string;
}

/** Demand after grouping: total units per SKU × location. */
export interface PlacedDemand {
  sku: string;
  location: string;
  quantity: number;
}

/** Why a request cannot be placed; `available` is the most that could be had for it. */
export interface Shortfall {
  sku: string;
  requested: number;
  available: number;
  location?: string;
}

export type Placement =
  | { ok: true; placed: PlacedDemand[]; locationOf: string[] }
  | { ok: false; shortfall: Shortfall };

/**
 * Places demand lines at locations, checking them **in aggregate**: two lines of one SKU add up before
 * they are compared with the stock, so they cannot both pass on the same units.
 *
 * Policy for lines without a location: all of a SKU's unplaced units go to one location — the first of
 * the channel's locations, in config order, whose free stock (after the lines placed there explicitly)
 * covers them. A reservation line is never split across locations.
 *
 * @param stock free stock per SKU and location, as read
 * @param serving the channel's locations in config order
 */
export function placeDemand(
  lines: readonly Demand[],
  stock: (sku: string, location: string) => number,
  serving: readonly string[],
): Placement {
  const totals = new Map<string, PlacedDemand>();
  const add = (sku: string, location: string, quantity: number) => {
    const key = `${sku}\u0000${location}`;
    const entry = totals.get(key);
    if (entry) entry.quantity += quantity;
    else totals.set(key, { sku, location, quantity });
  };
  for (const line of lines) if (line.location !== undefined) add(line.sku, line.location, line.quantity);
  for (const placed of totals.values()) {
    const free = stock(placed.sku, placed.location);
    if (free < placed.quantity) {
      return {
        ok: false,
        shortfall: {
          sku: placed.sku,
          requested: placed.quantity,
          available: Math.max(0, free),
          location: placed.location,
        },
      };
    }
  }
  const unplaced = new Map<string, number>();
  for (const line of lines)
    if (line.location === undefined) unplaced.set(line.sku, (unplaced.get(line.sku) ?? 0) + line.quantity);
  const chosen = new Map<string, string>();
  for (const [sku, quantity] of unplaced) {
    let best = 0;
    const location = serving.find((candidate) => {
      const already = totals.get(`${sku}\u0000${candidate}`)?.quantity ?? 0;
      const free = stock(sku, candidate) - already;
      best = Math.max(best, free);
      return free >= quantity;
    });
    if (location === undefined)
      return { ok: false, shortfall: { sku, requested: quantity, available: best } };
    chosen.set(sku, location);
    add(sku, location, quantity);
  }
  return {
    ok: true,
    placed: [...totals.values()],
    locationOf: lines.map((line) => line.location ?? (chosen.get(line.sku) as string)),
  };
}
