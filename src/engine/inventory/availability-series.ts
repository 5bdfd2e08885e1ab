/**
 * A SKU's available to promise per channel over a window (docs/console.md#charts-over-time), computed from
 * the inventory ledger, not stored apart: the current positions are walked back through the ledger entries,
 * newest first, and each channel's ATP is taken at the end of every step.
 */
import { type CompiledConfig, servingLocations } from '../../config/compiled-config.js';
import { channelAtp } from '../../domain/inventory/availability.js';
import { availableDelta } from '../../domain/inventory/position.js';
import type { Store } from '../../store/store-port.js';
import { SERIES_WINDOWS, type SeriesWindow } from '../observability/metric-series.js';

/** At most this many ledger entries are read per chart. */
export const SERIES_LEDGER_LIMIT = 20_000;
const PAGE = 1000;
const MINUTE_MS = 60_000;

export interface AvailabilitySeries {
  sku: string;
  window: SeriesWindow;
  stepSeconds: number;
  t: number[];
  channels: { channel: string; available: number[] }[];
  truncated?: boolean;
}

export async function readAvailabilitySeries(
  store: Store,
  config: CompiledConfig,
  p: { sku: string; window: SeriesWindow; channels: readonly string[]; nowMs: number },
): Promise<AvailabilitySeries> {
  const { minutes, stepMinutes } = SERIES_WINDOWS[p.window];
  const stepMs = stepMinutes * MINUTE_MS;
  const end = Math.floor(p.nowMs / stepMs) * stepMs + stepMs;
  const start = end - minutes * MINUTE_MS;
  const count = Math.round((end - start) / stepMs);

  // Available per location now, then walked back.
  const available = new Map<string, number>();
  for (const position of await store.inventory.positions(p.sku)) {
    available.set(position.location, position.available);
  }
  const values = p.channels.map(() => new Array<number>(count).fill(0));
  const atp = () =>
    p.channels.map((channel) =>
      channelAtp(
        [...available].map(([location, units]) => ({ location, available: units })),
        servingLocations(config, channel),
        config.channels.get(channel)?.safetyStock ?? 0,
      ),
    );

  let step = count - 1;
  // The last step ends after now: its figure is the current one.
  let stepEnd = Math.min(start + (step + 1) * stepMs, p.nowMs);
  let beforeId: number | undefined;
  let read = 0;
  let truncated = false;
  const record = (upTo: number) => {
    // Every step ending at or after `upTo` has the current figures.
    while (step >= 0 && stepEnd >= upTo) {
      const now = atp();
      now.forEach((units, c) => {
        (values[c] as number[])[step] = units;
      });
      step--;
      stepEnd = start + (step + 1) * stepMs;
    }
  };
  paging: while (step >= 0) {
    const entries = await store.inventory.ledger({
      sku: p.sku,
      limit: PAGE,
      ...(beforeId === undefined ? {} : { beforeId }),
    });
    for (const entry of entries) {
      const at = Date.parse(entry.at);
      // Steps that end at or after this entry see it; those before it do not.
      record(at);
      if (step < 0) break paging;
      available.set(entry.location, (available.get(entry.location) ?? 0) - availableDelta(entry.deltas));
      read++;
      beforeId = entry.id;
    }
    if (entries.length < PAGE) break;
    if (read >= SERIES_LEDGER_LIMIT) {
      truncated = true;
      break;
    }
  }
  record(Number.NEGATIVE_INFINITY);
  return {
    sku: p.sku,
    window: p.window,
    stepSeconds: stepMs / 1000,
    t: Array.from({ length: count }, (_, i) => (start + i * stepMs) / 1000),
    channels: p.channels.map((channel, c) => ({ channel, available: values[c] as number[] })),
    ...(truncated ? { truncated } : {}),
  };
}
