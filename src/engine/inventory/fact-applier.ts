/**
 * Applies the owners' inventory facts (`counted`, `adjusted`, `received`, `moved`, `incoming`) from the
 * log to the positions, in log order, once each: the cursor moves in the same transaction as the ledger
 * rows it produced. Each event goes through its pure rule (`domain/inventory/rules.ts`) against the
 * position as read, and is written with a compare-and-set on the position's version; when a reservation
 * changed the position in between, the batch is read and computed again (the log consumer,
 * `engine/log-consumer.ts`, owns the cursor, the batching and that retry).
 *
 * A fact a rule refuses (taking more out of a bucket than it holds) opens an `inventory_rejected`
 * exception with the event, and nothing is applied for it. A fact that leaves `available` negative is
 * applied and opens one `oversold` exception per SKU × location (docs/inventory.md: physical facts may break
 * promises); the order processor backorders from it.
 */
import type {
  InventoryAdjustedData,
  InventoryCountedData,
  InventoryIncomingData,
  InventoryMovedData,
  InventoryReceivedData,
} from '../../contracts/inventory-schemas.js';
import { applyDeltas, emptyPosition, type Position } from '../../domain/inventory/position.js';
import {
  adjusted,
  counted,
  incoming,
  moved,
  type RuleResult,
  received,
} from '../../domain/inventory/rules.js';
import { ConflictError } from '../../errors.js';
import type { InventoryException, Movement } from '../../store/inventory-port.js';
import type { InboundEventRow } from '../../store/log-port.js';
import type { Store } from '../../store/store-port.js';
import { LogConsumer } from '../log-consumer.js';

export const FACT_CURSOR = 'inventory-facts';

/** The inbound inventory types and their rules. */
const RULES: Record<string, (position: Position, data: never) => RuleResult> = {
  'com.manifold.inventory.counted.v1': (p, d: InventoryCountedData) => counted(p, d.onHand),
  'com.manifold.inventory.adjusted.v1': (p, d: InventoryAdjustedData) => adjusted(p, d.delta, d.reason),
  'com.manifold.inventory.received.v1': (p, d: InventoryReceivedData) =>
    received(p, d.quantity, d.quarantine),
  'com.manifold.inventory.moved.v1': (p, d: InventoryMovedData) =>
    moved(p, d.from, d.to, d.quantity, d.reason),
  'com.manifold.inventory.incoming.v1': (p, d: InventoryIncomingData) => incoming(p, d.quantity),
};

export const FACT_TYPES = Object.keys(RULES);

/** Events read per transaction. */
const BATCH = 200;

interface Cached {
  buckets: Position;
  version: number;
}

/** What one batch of facts writes. */
interface FactWork {
  movements: Movement[];
  exceptions: InventoryException[];
}

export class FactApplier {
  private readonly log: LogConsumer<FactWork>;

  constructor(
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.log = new LogConsumer(
      store,
      {
        compute: (events) => this.compute(events),
        write: ({ movements, exceptions }, cursor) =>
          this.store.inventory.applyMovements(
            movements,
            cursor ? { cursor, exceptions } : { exceptions },
            this.now().toISOString(),
          ),
        stillFailing: ({ exceptions }) => {
          const refused = exceptions.find((e) => e.code === 'inventory_rejected');
          if (refused) {
            throw new ConflictError('inventory-fact-refused', 'Fact still refused', refused.detail);
          }
        },
      },
      {
        cursor: FACT_CURSOR,
        types: FACT_TYPES,
        batch: BATCH,
        attempts: 20,
        reapplyAttempts: 20,
        // A position changed since it was read, or another process moved the cursor: read again.
        onConflict: 'reread',
        label: 'inventory facts',
      },
    );
  }

  /** Applies the next batch of facts; returns how many events it consumed (0: caught up). */
  step(): Promise<number> {
    return this.log.step();
  }

  /** Whether logged events are left for it. */
  pending(): Promise<boolean> {
    return this.log.pending();
  }

  /**
   * Applies one logged fact again, against the position as it is now (an operator's retry of its
   * `inventory_rejected` exception, after fixing the stock). 409 when the rule still refuses it.
   */
  reapply(seq: number): Promise<void> {
    return this.log.reapply(seq, 'inventory fact');
  }

  private async compute(events: readonly InboundEventRow[]): Promise<FactWork> {
    const cache = new Map<string, Cached>();
    for (const sku of new Set(events.map((e) => (e.envelope.data as { sku: string }).sku))) {
      for (const p of await this.store.inventory.positions(sku)) {
        cache.set(`${p.sku}@${p.location}`, { buckets: p.buckets, version: p.version });
      }
    }
    const movements: Movement[] = [];
    const exceptions: InventoryException[] = [];
    for (const row of events) {
      const envelope = row.envelope;
      const data = envelope.data as { sku: string; location: string };
      const subject = `${data.sku}@${data.location}`;
      const position = cache.get(subject) ?? { buckets: emptyPosition(), version: 0 };
      const rule = RULES[row.type] as (position: Position, data: unknown) => RuleResult;
      const result = rule(position.buckets, data);
      const eventId = envelope.id as string;
      if (!result.ok) {
        exceptions.push({
          code: 'inventory_rejected',
          detail: `${row.type} ${eventId} from ${row.system} for ${subject} not applied: ${result.detail}`,
          system: row.system,
          subject,
          eventSeq: row.seq,
          eventId,
          payload: JSON.stringify(envelope),
        });
        continue;
      }
      movements.push({
        sku: data.sku,
        location: data.location,
        deltas: result.deltas,
        reason: result.reason,
        guard: 'fact',
        expectVersion: position.version,
        system: row.system,
        eventId,
        ...(typeof envelope.correlationid === 'string' ? { correlationId: envelope.correlationid } : {}),
      });
      const after = applyDeltas(position.buckets, result.deltas);
      cache.set(subject, { buckets: after, version: position.version + 1 });
      if (result.effects?.oversold) {
        exceptions.push({
          code: 'oversold',
          detail: `${subject} is oversold by ${result.effects.oversold.shortfall} after ${row.type} from ${row.system}: promised (reserved + committed) exceeds sellable stock`,
          system: row.system,
          subject,
          eventSeq: row.seq,
          eventId,
          onePerSubject: true,
        });
      }
    }
    return { movements, exceptions };
  }
}
