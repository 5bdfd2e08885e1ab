/**
 * Reconciliation (docs/inventory.md): the owner of on-hand posts its counts; they are compared with the
 * positions and the drift (theirs − ours per SKU × location) is stored as a report. A full snapshot also
 * counts every position it does not mention, at the locations it covers, as zero. With `reconcile: adopt`
 * the owner's figures are written as `reconciliation` ledger entries; drift above the system's
 * `driftThreshold` opens an `inventory_drift` exception.
 */
import type { CompiledConfig } from '../../config/compiled-config.js';
import { catalogueEntry } from '../../domain/event-catalogue.js';
import { decideOwnership } from '../../domain/ownership.js';
import { ForbiddenError, ValidationError } from '../../errors.js';
import { ConditionNotMet } from '../../store/condition-not-met.js';
import type { DriftLine, DriftReport, Movement, PositionRecord } from '../../store/inventory-port.js';
import type { Store } from '../../store/store-port.js';

export interface SnapshotCount {
  sku: string;
  location: string;
  onHand: number;
}

export interface Snapshot {
  /** True: every SKU not listed at the covered locations is counted as 0. */
  full: boolean;
  /** For a full snapshot: the locations it covers (default: the locations of its counts). */
  locations?: string[];
  counts: SnapshotCount[];
}

export class Reconciliation {
  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
    private readonly onChange: () => void = () => undefined,
  ) {}

  /** Checks that `system` owns on-hand at every location of the snapshot; 400/403 otherwise. */
  private authorise(system: string, snapshot: Snapshot): string[] {
    const locations = new Set([...(snapshot.locations ?? []), ...snapshot.counts.map((c) => c.location)]);
    const entry = catalogueEntry('com.manifold.inventory.counted.v1')!;
    const seen = new Set<string>();
    snapshot.counts.forEach((c, i) => {
      const key = `${c.sku}@${c.location}`;
      if (seen.has(key)) {
        throw new ValidationError(`${key} is counted twice`, [
          { pointer: `/counts/${i}`, detail: `${key} is counted twice in this snapshot` },
        ]);
      }
      seen.add(key);
    });
    for (const location of locations) {
      if (!this.config.locations.has(location)) {
        throw new ValidationError(`unknown location '${location}'`, [
          { pointer: '/counts', detail: `no location '${location}' in the configuration` },
        ]);
      }
      const decision = decideOwnership(
        {
          ownership: this.config.ownership,
          systems: this.config.systems,
          statusMaps: this.config.statusMaps,
        },
        system,
        entry.ownership,
        { location },
      );
      if (!decision.allowed) {
        throw new ForbiddenError('ownership-violation', decision.reason, [], { owners: decision.owners });
      }
    }
    return [...locations];
  }

  /** Compares (and with `adopt`, applies) a snapshot; returns the stored report. */
  async submit(system: string, snapshot: Snapshot): Promise<DriftReport> {
    const locations = this.authorise(system, snapshot);
    const settings = this.config.systems.get(system);
    const mode = settings?.reconcile ?? 'report';
    for (let attempt = 0; ; attempt += 1) {
      const ours = new Map<string, PositionRecord>();
      for (const p of await this.store.inventory.positionsAt(locations))
        ours.set(`${p.sku}@${p.location}`, p);
      const theirs = new Map(snapshot.counts.map((c) => [`${c.sku}@${c.location}`, c]));
      if (snapshot.full) {
        for (const [key, p] of ours)
          if (!theirs.has(key)) theirs.set(key, { sku: p.sku, location: p.location, onHand: 0 });
      }
      const lines: DriftLine[] = [];
      for (const [key, count] of theirs) {
        const our = ours.get(key)?.buckets.on_hand ?? 0;
        if (count.onHand !== our) {
          lines.push({
            sku: count.sku,
            location: count.location,
            theirs: count.onHand,
            ours: our,
            difference: count.onHand - our,
          });
        }
      }
      lines.sort((a, b) =>
        a.sku === b.sku ? a.location.localeCompare(b.location) : a.sku.localeCompare(b.sku),
      );
      const at = this.now().toISOString();
      const units = lines.reduce((n, l) => n + Math.abs(l.difference), 0);
      if (mode === 'adopt' && lines.length > 0) {
        const movements: Movement[] = lines.map((l) => ({
          sku: l.sku,
          location: l.location,
          deltas: { on_hand: l.difference },
          reason: 'reconciliation',
          guard: 'fact',
          expectVersion: ours.get(`${l.sku}@${l.location}`)?.version ?? 0,
          system,
          documentRef: `snapshot:${at}`,
        }));
        try {
          await this.store.inventory.applyMovements(movements, {}, at);
          this.onChange();
        } catch (error) {
          // A position moved while the snapshot was compared: compare again (bounded).
          if (error instanceof ConditionNotMet && attempt < 10) continue;
          throw error;
        }
      }
      const report = {
        system,
        mode,
        full: snapshot.full,
        counted: snapshot.counts.length,
        drifting: lines.length,
        units,
        at,
        lines,
      };
      const id = await this.store.inventory.saveDriftReport(report);
      const threshold = settings?.driftThreshold ?? 0;
      if (units > threshold) {
        await this.store.delivery.createException({
          code: 'inventory_drift',
          detail: `snapshot from ${system}: ${lines.length} positions drift by ${units} units in total (threshold ${threshold})${mode === 'adopt' ? '; adopted' : '; report only'} — see GET /v1/inventory/drift`,
          system,
          subject: `drift-report:${id}`,
          at,
        });
      }
      return { id, ...report };
    }
  }
}
