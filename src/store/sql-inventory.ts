/**
 * (Over 400 lines: one class implementing the inventory port — positions, the ledger, reservations,
 * availability publishing, drift reports — whose statements share the movement builder below.)
 *
 * The inventory store on SQL, shared by both adapters: the statements are written once with `?`
 * placeholders and run through the adapter's `StepRunner` (see `sql-step.ts`).
 *
 * Positions are only ever changed by conditional UPDATEs whose WHERE clause re-checks the invariants of
 * docs/inventory.md against the row as it is at write time; that is what makes reservations safe under any
 * concurrency on either engine (SQLite: one writer; PostgreSQL: the row lock, and READ COMMITTED re-reads
 * the updated row before evaluating the condition).
 */
import type { ReasonCode } from '../contracts/common-schemas.js';
import {
  available,
  availableDelta,
  BUCKETS,
  type BucketDeltas,
  type Position,
} from '../domain/inventory/position.js';
import { ConditionNotMet } from './condition-not-met.js';
import type {
  AvailabilityBatch,
  DriftQuery,
  DriftReport,
  InventoryException,
  InventoryStore,
  LedgerQuery,
  LedgerRecord,
  Movement,
  NewDriftReport,
  PositionRecord,
  ReservationRecord,
  ReservationStatus,
  UnitExtras,
} from './inventory-port.js';
import { fencedWrite, type LeaseFence } from './lease-fence.js';
import type { IdempotencyRecord } from './log-port.js';
import { planAppend } from './sql-append.js';
import { cursorStep } from './sql-log.js';
import type { SqlStep, StepRunner } from './sql-step.js';
import type { AppendOutcome } from './store-port.js';

type PositionRow = Record<(typeof BUCKETS)[number], number | string> & {
  sku: string;
  location: string;
  version: number | string;
  updated_at: string;
};

type LedgerRow = Record<`d_${(typeof BUCKETS)[number]}`, number | string> & {
  id: number | string;
  sku: string;
  location: string;
  reason: string;
  system: string;
  event_id: string | null;
  correlation_id: string | null;
  document_ref: string | null;
  version: number | string;
  at: string;
};

const AVAILABLE_SQL = '(on_hand - reserved - committed - quarantined - damaged - returned)';
const DELTA_COLUMNS = BUCKETS.map((b) => `d_${b}`).join(', ');

function toPosition(row: PositionRow): PositionRecord {
  const buckets = Object.fromEntries(BUCKETS.map((b) => [b, Number(row[b])])) as Position;
  return {
    sku: row.sku,
    location: row.location,
    buckets,
    available: available(buckets),
    version: Number(row.version),
    updatedAt: row.updated_at,
  };
}

function toLedger(row: LedgerRow): LedgerRecord {
  const deltas: BucketDeltas = {};
  for (const b of BUCKETS) {
    const d = Number(row[`d_${b}`]);
    if (d !== 0) deltas[b] = d;
  }
  return {
    id: Number(row.id),
    sku: row.sku,
    location: row.location,
    deltas,
    reason: row.reason as ReasonCode,
    system: row.system,
    ...(row.event_id === null ? {} : { eventId: row.event_id }),
    ...(row.correlation_id === null ? {} : { correlationId: row.correlation_id }),
    ...(row.document_ref === null ? {} : { documentRef: row.document_ref }),
    version: Number(row.version),
    at: row.at,
  };
}

/** The inventory store over any `StepRunner`. */
export class SqlInventory implements InventoryStore {
  constructor(
    private readonly runner: StepRunner,
    private readonly now: () => Date = () => new Date(),
  ) {}

  // Reads.

  async positions(sku: string): Promise<PositionRecord[]> {
    const rows = await this.runner.read<PositionRow>(
      'SELECT * FROM inventory_positions WHERE sku = ? ORDER BY location',
      [sku],
    );
    return rows.map(toPosition);
  }

  async positionsAt(locations?: string[]): Promise<PositionRecord[]> {
    const rows = await this.runner.read<PositionRow>(
      'SELECT * FROM inventory_positions ORDER BY sku, location',
      [],
    );
    const wanted = locations ? new Set(locations) : undefined;
    return rows.map(toPosition).filter((p) => !wanted || wanted.has(p.location));
  }

  async positionsFromLedger(sku?: string): Promise<PositionRecord[]> {
    const sums = BUCKETS.map((b) => `sum(d_${b}) AS ${b}`).join(', ');
    const rows = await this.runner.read<PositionRow>(
      `SELECT sku, location, ${sums}, max(version) AS version, max(at) AS updated_at FROM inventory_ledger
       ${sku === undefined ? '' : 'WHERE sku = ?'} GROUP BY sku, location ORDER BY sku, location`,
      sku === undefined ? [] : [sku],
    );
    return rows.map(toPosition);
  }

  async knownSku(sku: string): Promise<boolean> {
    const rows = await this.runner.read('SELECT 1 FROM inventory_positions WHERE sku = ? LIMIT 1', [sku]);
    return rows.length > 0;
  }

  async ledger(query: LedgerQuery): Promise<LedgerRecord[]> {
    const params: unknown[] = [query.sku];
    let where = 'sku = ?';
    if (query.location !== undefined) {
      where += ' AND location = ?';
      params.push(query.location);
    }
    if (query.locations !== undefined) {
      where +=
        query.locations.length === 0
          ? ' AND 1 = 0'
          : ` AND location IN (${query.locations.map(() => '?').join(', ')})`;
      params.push(...query.locations);
    }
    if (query.beforeId !== undefined) {
      where += ' AND id < ?';
      params.push(query.beforeId);
    }
    params.push(query.limit);
    const rows = await this.runner.read<LedgerRow>(
      `SELECT * FROM inventory_ledger WHERE ${where} ORDER BY id DESC LIMIT ?`,
      params,
    );
    return rows.map(toLedger);
  }

  async ledgerAfter(afterId: number, limit: number): Promise<LedgerRecord[]> {
    const rows = await this.runner.read<LedgerRow>(
      'SELECT * FROM inventory_ledger WHERE id > ? ORDER BY id LIMIT ?',
      [afterId, limit],
    );
    return rows.map(toLedger);
  }

  // Movements.

  /** The steps of one movement: (create the row,) the conditional update, the ledger row. */
  movementSteps(movement: Movement, at: string): SqlStep[] {
    const steps: SqlStep[] = [];
    // A position is created by a movement that can apply to an empty one: a fact, or one that takes
    // nothing out (a return received). A hold or a commitment needs stock, so it never creates one.
    const takes = BUCKETS.some((b) => (movement.deltas[b] ?? 0) < 0);
    const promises = movement.guard === 'promise' && availableDelta(movement.deltas) < 0;
    if (movement.guard === 'fact' || (!takes && !promises)) {
      steps.push({
        sql: 'INSERT INTO inventory_positions (sku, location, updated_at) VALUES (?, ?, ?) ON CONFLICT (sku, location) DO NOTHING',
        params: [movement.sku, movement.location, at],
        mode: 'run',
      });
    }
    const sets: string[] = [];
    const setParams: unknown[] = [];
    const conditions = ['sku = ?', 'location = ?'];
    const conditionParams: unknown[] = [movement.sku, movement.location];
    for (const bucket of BUCKETS) {
      const delta = movement.deltas[bucket] ?? 0;
      if (delta === 0) continue;
      sets.push(`${bucket} = ${bucket} + ?`);
      setParams.push(delta);
      if (delta < 0) {
        conditions.push(`${bucket} >= ?`);
        conditionParams.push(-delta);
      }
    }
    const dAllocated = movement.deltas.allocated ?? 0;
    const dCommitted = movement.deltas.committed ?? 0;
    if (dAllocated > dCommitted) {
      conditions.push('allocated + ? <= committed');
      conditionParams.push(dAllocated - dCommitted);
    }
    const dAvailable = availableDelta(movement.deltas);
    if (movement.guard === 'promise' && dAvailable < 0) {
      conditions.push(`${AVAILABLE_SQL} >= ?`);
      conditionParams.push(-dAvailable);
    }
    if (movement.expectVersion !== undefined) {
      conditions.push('version = ?');
      conditionParams.push(movement.expectVersion);
    }
    sets.push('version = version + 1', 'updated_at = ?');
    setParams.push(at);
    steps.push({
      sql: `UPDATE inventory_positions SET ${sets.join(', ')} WHERE ${conditions.join(' AND ')}`,
      params: [...setParams, ...conditionParams],
      mode: 'run',
      expect: 1,
    });
    steps.push({
      sql: `INSERT INTO inventory_ledger (sku, location, ${DELTA_COLUMNS}, reason, system, event_id,
              correlation_id, document_ref, version, at)
            SELECT sku, location, ${BUCKETS.map(() => 'CAST(? AS INTEGER)').join(', ')}, CAST(? AS TEXT),
              CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), version, CAST(? AS TEXT)
            FROM inventory_positions WHERE sku = ? AND location = ?`,
      params: [
        ...BUCKETS.map((b) => movement.deltas[b] ?? 0),
        movement.reason,
        movement.system,
        movement.eventId ?? null,
        movement.correlationId ?? null,
        movement.documentRef ?? null,
        at,
        movement.sku,
        movement.location,
      ],
      mode: 'run',
      expect: 1,
    });
    return steps;
  }

  /**
   * Steps of several movements; `owners[i]` is the index of the movement step `i` belongs to (or −1 for
   * steps of the unit itself), so a failed condition is reported per movement.
   */
  private unitSteps(movements: Movement[], at: string): { steps: SqlStep[]; owners: number[] } {
    const steps: SqlStep[] = [];
    const owners: number[] = [];
    movements.forEach((movement, index) => {
      for (const step of this.movementSteps(movement, at)) {
        steps.push(step);
        owners.push(index);
      }
    });
    return { steps, owners };
  }

  private async runUnit(steps: SqlStep[], owners: number[], fence?: LeaseFence): Promise<unknown[]> {
    try {
      return await fencedWrite(this.runner, fence, steps);
    } catch (error) {
      if (error instanceof ConditionNotMet) throw new ConditionNotMet(owners[error.step] ?? -1);
      throw error;
    }
  }

  private extrasSteps(extras: UnitExtras | undefined, at: string): SqlStep[] {
    const steps: SqlStep[] = [];
    if (extras?.cursor) steps.push(cursorStep(extras.cursor.name, extras.cursor.from, extras.cursor.to));
    for (const exception of extras?.exceptions ?? []) steps.push(this.exceptionStep(exception, at));
    return steps;
  }

  exceptionStep(exception: InventoryException, at: string): SqlStep {
    const values = [
      exception.code,
      exception.detail,
      exception.system ?? null,
      exception.subject ?? null,
      exception.eventSeq ?? null,
      exception.eventId ?? null,
      exception.payload ?? null,
      at,
    ];
    const select = `SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT),
      CAST(? AS TEXT), CAST(? AS TEXT), ${this.runner.timestamp('?')}`;
    const insert =
      'INSERT INTO exceptions (code, detail, system, subject, event_seq, event_id, payload, created_at)';
    if (!exception.onePerSubject) return { sql: `${insert} ${select}`, params: values, mode: 'run' };
    return {
      sql: `${insert} ${select} WHERE NOT EXISTS (
              SELECT 1 FROM exceptions WHERE code = ? AND subject = ? AND status = 'open')`,
      params: [...values, exception.code, exception.subject ?? null],
      mode: 'run',
    };
  }

  async applyMovements(movements: Movement[], extras?: UnitExtras, at = this.now().toISOString()) {
    const { steps, owners } = this.unitSteps(movements, at);
    for (const step of this.extrasSteps(extras, at)) {
      steps.push(step);
      owners.push(-1);
    }
    if (steps.length === 0) return;
    await this.runUnit(steps, owners);
  }

  // Reservations.

  async createReservation(
    reservation: ReservationRecord,
    movements: Movement[],
    idempotency?: IdempotencyRecord,
  ): Promise<void> {
    const { steps, owners } = this.unitSteps(movements, reservation.createdAt);
    const own = (step: SqlStep) => {
      steps.push(step);
      owners.push(-1);
    };
    own({
      sql: `INSERT INTO reservations (id, channel, system, status, reference, order_id, expires_at, created_at)
            VALUES (?, ?, ?, 'open', ?, NULL, ?, ?)`,
      params: [
        reservation.id,
        reservation.channel,
        reservation.system,
        reservation.reference ?? null,
        reservation.expiresAt,
        reservation.createdAt,
      ],
      mode: 'run',
    });
    reservation.lines.forEach((line, index) => {
      own({
        sql: 'INSERT INTO reservation_lines (reservation_id, line, sku, location, quantity) VALUES (?, ?, ?, ?, ?)',
        params: [reservation.id, index + 1, line.sku, line.location, line.quantity],
        mode: 'run',
      });
    });
    if (idempotency) own(this.idempotencyStep(idempotency, reservation.createdAt));
    await this.runUnit(steps, owners);
  }

  private idempotencyStep(record: IdempotencyRecord, at: string): SqlStep {
    return {
      sql: 'INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      params: [record.scope, record.key, record.requestHash, record.status, JSON.stringify(record.body), at],
      mode: 'run',
    };
  }

  async closeReservation(
    id: string,
    close: { status: Exclude<ReservationStatus, 'open'>; at: string; by: string; orderId?: string },
    movements: Movement[],
    fence?: LeaseFence,
  ): Promise<void> {
    // A commit must also beat the expiry: an expired hold the sweeper has not reached yet is not committed.
    const unexpired = close.status === 'committed' ? ' AND expires_at > ?' : '';
    const steps: SqlStep[] = [
      {
        sql: `UPDATE reservations SET status = ?, closed_at = ?, closed_by = ?, order_id = ?
              WHERE id = ? AND status = 'open'${unexpired}`,
        params: [
          close.status,
          close.at,
          close.by,
          close.orderId ?? null,
          id,
          ...(close.status === 'committed' ? [close.at] : []),
        ],
        mode: 'run',
        expect: 1,
      },
    ];
    const owners = [-1];
    const unit = this.unitSteps(movements, close.at);
    steps.push(...unit.steps);
    owners.push(...unit.owners);
    await this.runUnit(steps, owners, fence);
  }

  async getReservation(id: string): Promise<ReservationRecord | undefined> {
    const [row] = await this.runner.read<Record<string, string | null>>(
      'SELECT * FROM reservations WHERE id = ?',
      [id],
    );
    if (!row) return undefined;
    const lines = await this.runner.read<{ sku: string; location: string; quantity: number | string }>(
      'SELECT sku, location, quantity FROM reservation_lines WHERE reservation_id = ? ORDER BY line',
      [id],
    );
    return {
      id: row.id as string,
      channel: row.channel as string,
      system: row.system as string,
      status: row.status as ReservationStatus,
      ...(row.reference === null ? {} : { reference: row.reference as string }),
      ...(row.order_id === null ? {} : { orderId: row.order_id as string }),
      expiresAt: row.expires_at as string,
      createdAt: row.created_at as string,
      ...(row.closed_at === null ? {} : { closedAt: row.closed_at as string }),
      ...(row.closed_by === null ? {} : { closedBy: row.closed_by as string }),
      lines: lines.map((l) => ({ sku: l.sku, location: l.location, quantity: Number(l.quantity) })),
    };
  }

  async expiredReservations(now: string, limit: number): Promise<string[]> {
    const rows = await this.runner.read<{ id: string }>(
      `SELECT id FROM reservations WHERE status = 'open' AND expires_at <= ? ORDER BY expires_at LIMIT ?`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  // Availability publishing.

  async publishedAvailability(keys: { sku: string; channel: string }[]): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    const skus = [...new Set(keys.map((k) => k.sku))];
    for (let i = 0; i < skus.length; i += 500) {
      const chunk = skus.slice(i, i + 500);
      const rows = await this.runner.read<{ sku: string; channel: string; available: number | string }>(
        `SELECT sku, channel, available FROM availability_published WHERE sku IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      for (const row of rows) result.set(`${row.sku}@${row.channel}`, Number(row.available));
    }
    return result;
  }

  async publishAvailability(batch: AvailabilityBatch, fence?: LeaseFence): Promise<AppendOutcome[]> {
    const append = await planAppend(this.runner, batch.events, batch.at);
    const results = await fencedWrite(
      this.runner,
      fence,
      [
        ...append.steps,
        ...this.publishedSteps(batch.published, batch.cursor.to),
        ...this.recoveredSteps(batch.recovered, batch.at),
        cursorStep(batch.cursor.name, batch.cursor.from, batch.cursor.to),
      ],
      { appendsToLog: append.appendsToLog },
    );
    return append.outcomes(results);
  }

  private publishedSteps(
    rows: { sku: string; channel: string; available: number }[],
    ledgerId: number,
  ): SqlStep[] {
    return rows.map((row) => ({
      sql: `INSERT INTO availability_published (sku, channel, available, ledger_id) VALUES (?, ?, ?, ?)
            ON CONFLICT (sku, channel) DO UPDATE SET available = excluded.available, ledger_id = excluded.ledger_id`,
      params: [row.sku, row.channel, row.available, ledgerId],
      mode: 'run',
    }));
  }

  /**
   * Resolves the open `oversold` exception of each position whose `available` is ≥ 0. The recovery is
   * checked at write time: a fact applied since the caller read the position may have oversold it again
   * (and opened the exception this would otherwise close).
   */
  private recoveredSteps(positions: { sku: string; location: string }[], at: string): SqlStep[] {
    return positions.map(({ sku, location }) => ({
      sql: `UPDATE exceptions SET status = 'resolved', resolution = 'resolved', resolved_by = 'manifold',
              resolved_at = ${this.runner.timestamp('?')}, note = 'stock recovered: available is no longer negative'
            WHERE code = 'oversold' AND subject = ? AND status = 'open' AND EXISTS (
              SELECT 1 FROM inventory_positions WHERE sku = ? AND location = ? AND ${AVAILABLE_SQL} >= 0)`,
      params: [at, `${sku}@${location}`, sku, location],
      mode: 'run',
    }));
  }

  // Reconciliation.

  async saveDriftReport(report: NewDriftReport): Promise<number> {
    const steps: SqlStep[] = [
      {
        sql: `INSERT INTO drift_reports (system, mode, full_count, counted, drifting, units, at)
              VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        params: [
          report.system,
          report.mode,
          report.full ? 1 : 0,
          report.counted,
          report.drifting,
          report.units,
          report.at,
        ],
        mode: 'get',
      },
    ];
    // The lines refer to the report just inserted: the largest id of this system's reports in this
    // transaction (no other writer can insert in between on either engine: the row is not yet visible).
    for (const line of report.lines) {
      steps.push({
        sql: `INSERT INTO drift_lines (report_id, sku, location, theirs, ours, difference)
              SELECT max(id), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER)
              FROM drift_reports WHERE system = ? AND at = ?`,
        params: [line.sku, line.location, line.theirs, line.ours, line.difference, report.system, report.at],
        mode: 'run',
      });
    }
    const [first] = (await this.runner.write(steps)) as [{ id: number | string }];
    return Number(first.id);
  }

  async latestDrift(): Promise<Omit<DriftReport, 'lines'>[]> {
    const rows = await this.runner.read<Record<string, string | number>>(
      `SELECT * FROM drift_reports WHERE id IN (SELECT max(id) FROM drift_reports GROUP BY system)
       ORDER BY system`,
      [],
    );
    return rows.map((r) => driftHeader(r));
  }

  async driftReports(query: DriftQuery): Promise<DriftReport[]> {
    const params: unknown[] = [];
    let where = '1 = 1';
    if (query.system !== undefined) {
      where += ' AND system = ?';
      params.push(query.system);
    }
    params.push(query.latest ? 1 : query.limit);
    const reports = await this.runner.read<Record<string, string | number>>(
      `SELECT * FROM drift_reports WHERE ${where} ORDER BY id DESC LIMIT ?`,
      params,
    );
    const result: DriftReport[] = [];
    for (const r of reports) {
      const lineParams: unknown[] = [r.id];
      let lineWhere = 'report_id = ?';
      if (query.sku !== undefined) {
        lineWhere += ' AND sku = ?';
        lineParams.push(query.sku);
      }
      if (query.location !== undefined) {
        lineWhere += ' AND location = ?';
        lineParams.push(query.location);
      }
      const lines = await this.runner.read<Record<string, string | number>>(
        `SELECT sku, location, theirs, ours, difference FROM drift_lines WHERE ${lineWhere} ORDER BY sku, location`,
        lineParams,
      );
      result.push({
        ...driftHeader(r),
        lines: lines.map((l) => ({
          sku: String(l.sku),
          location: String(l.location),
          theirs: Number(l.theirs),
          ours: Number(l.ours),
          difference: Number(l.difference),
        })),
      });
    }
    return result;
  }
}

function driftHeader(r: Record<string, string | number>): Omit<DriftReport, 'lines'> {
  return {
    id: Number(r.id),
    system: String(r.system),
    mode: r.mode as 'report' | 'adopt',
    full: Number(r.full_count) === 1,
    counted: Number(r.counted),
    drifting: Number(r.drifting),
    units: Number(r.units),
    at: String(r.at),
  };
}
