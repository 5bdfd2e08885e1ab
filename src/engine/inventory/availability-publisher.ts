/**
 * Tells the channels (docs/inventory.md). Follows the ledger: for every batch of entries it emits, from
 * `/manifold`, the current `com.manifold.inventory.position.v1` of each SKU × location touched and the
 * current `com.manifold.inventory.availability.v1` of each SKU on each channel those locations serve —
 * only where the figure differs from the last one published. Figures are read at publishing time, so a
 * burst of changes yields one event with the latest value (delivery then coalesces what is still queued),
 * and every change is followed by a publication of the true ATP: the channels converge.
 *
 * A batch is one transaction: its events (with their outbox rows), the figures published, the `oversold`
 * exceptions resolved for positions whose `available` is back at zero or more, and the move of the cursor
 * (compare-and-set). A crash publishes all of it or none; a second publisher that moved the cursor first
 * makes this one's write fail whole. Run under a lease, the write carries its fence
 * (docs/durability.md#fencing): a process that paused past its lease writes nothing.
 */
import { type CompiledConfig, servingLocations } from '../../config/compiled-config.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { HUB_SYSTEM } from '../../domain/event-catalogue.js';
import { channelAtp } from '../../domain/inventory/availability.js';
import { ConditionNotMet } from '../../store/condition-not-met.js';
import type { PositionRecord } from '../../store/inventory-port.js';
import type { LeaseFence } from '../../store/lease-fence.js';
import type { AppendOutcome, Store } from '../../store/store-port.js';
import type { IngestService } from '../ingest-service.js';

export const PUBLISHER_CURSOR = 'inventory-publisher';

/** Ledger entries per publication. */
const BATCH = 5_000;

export class AvailabilityPublisher {
  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
    private readonly ingest: IngestService,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The current ATP of a SKU on every channel, from its positions. */
  atp(positions: readonly PositionRecord[], channel: string): number {
    return channelAtp(
      positions,
      servingLocations(this.config, channel),
      this.config.channels.get(channel)?.safetyStock ?? 0,
    );
  }

  /** Whether ledger entries are left to publish. */
  async pending(): Promise<boolean> {
    const from = await this.store.log.cursor(PUBLISHER_CURSOR);
    return (await this.store.inventory.ledgerAfter(from, 1)).length > 0;
  }

  /**
   * Publishes the next batch of ledger entries; returns how many it consumed (0: caught up, or the cursor
   * was moved by another publisher meanwhile and nothing was written). `fence`: the lease this process
   * publishes under; `LeaseLost`, nothing written, when it has moved.
   */
  async step(fence?: LeaseFence): Promise<number> {
    const inventory = this.store.inventory;
    const from = await this.store.log.cursor(PUBLISHER_CURSOR);
    const entries = await inventory.ledgerAfter(from, BATCH);
    const last = entries[entries.length - 1];
    if (!last) return 0;
    const touched = new Map<string, { sku: string; location: string; correlationId?: string }>();
    for (const e of entries) {
      touched.set(`${e.sku}@${e.location}`, {
        sku: e.sku,
        location: e.location,
        ...(e.correlationId === undefined ? {} : { correlationId: e.correlationId }),
      });
    }
    const bySku = new Map<string, PositionRecord[]>();
    for (const { sku } of touched.values()) {
      if (!bySku.has(sku)) bySku.set(sku, await inventory.positions(sku));
    }
    const time = this.now().toISOString();
    const events: CloudEvent[] = [];
    const recovered: { sku: string; location: string }[] = [];
    const channelsOf = new Map<string, Set<string>>();
    for (const [subject, t] of touched) {
      const position = bySku.get(t.sku)?.find((p) => p.location === t.location);
      if (!position) continue;
      if (position.available >= 0) recovered.push({ sku: t.sku, location: t.location });
      events.push({
        specversion: '1.0',
        id: `position:${subject}:${last.id}`,
        source: `/${HUB_SYSTEM}`,
        type: 'com.manifold.inventory.position.v1',
        time,
        datacontenttype: 'application/json',
        ...(t.correlationId === undefined ? {} : { correlationid: t.correlationId }),
        data: { sku: t.sku, location: t.location, buckets: position.buckets, available: position.available },
      });
      const channels = channelsOf.get(t.sku) ?? new Set<string>();
      for (const channel of this.config.locations.get(t.location)?.channels ?? []) channels.add(channel);
      channelsOf.set(t.sku, channels);
    }
    const keys = [...channelsOf].flatMap(([sku, channels]) =>
      [...channels].map((channel) => ({ sku, channel })),
    );
    const published = await inventory.publishedAvailability(keys);
    const changed: { sku: string; channel: string; available: number }[] = [];
    for (const { sku, channel } of keys) {
      const available = this.atp(bySku.get(sku) ?? [], channel);
      if (published.get(`${sku}@${channel}`) === available) continue;
      changed.push({ sku, channel, available });
      events.push({
        specversion: '1.0',
        id: `availability:${sku}@${channel}:${last.id}`,
        source: `/${HUB_SYSTEM}`,
        type: 'com.manifold.inventory.availability.v1',
        time,
        datacontenttype: 'application/json',
        data: { sku, channel, available },
      });
    }
    const prepared = events.map((event) => this.ingest.hubEvent(event));
    let outcomes: AppendOutcome[];
    try {
      outcomes = await inventory.publishAvailability(
        {
          events: prepared,
          published: changed,
          recovered,
          cursor: { name: PUBLISHER_CURSOR, from, to: last.id },
          at: time,
        },
        fence,
      );
    } catch (error) {
      // The cursor moved (another publisher took this batch): nothing written, the next step reads again.
      if (error instanceof ConditionNotMet) return 0;
      throw error;
    }
    this.ingest.appended(prepared.filter((_, i) => outcomes[i]?.status === 'accepted'));
    return entries.length;
  }
}
