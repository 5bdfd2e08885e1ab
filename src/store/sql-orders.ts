/**
 * The order store on SQL, shared by both adapters like `sql-inventory.ts`: orders with a version for
 * compare-and-set, timeline annotations, and the order processor's unit — hub events and their outbox
 * rows, inventory movements, orders, annotations, exceptions and the cursor in one transaction.
 */
import type { OrderState } from '../domain/orders/lifecycle.js';
import { backorderedSkus, cancelDeadline, unpickedLines } from '../domain/orders/open-work.js';
import { ConditionNotMet } from './condition-not-met.js';
import { fencedWrite, type LeaseFence } from './lease-fence.js';
import type {
  OrderAnnotation,
  OrderDocument,
  OrderQuery,
  OrderRecord,
  OrderStore,
  OrderUnit,
} from './order-port.js';
import { eventSteps } from './sql-append.js';
import type { SqlInventory } from './sql-inventory.js';
import { cursorStep } from './sql-log.js';
import type { SqlStep, StepRunner } from './sql-step.js';

type OrderRow = Record<string, string | number | null>;

function toOrder(row: OrderRow): OrderRecord {
  return {
    orderId: String(row.order_id),
    channel: String(row.channel),
    system: String(row.system),
    milestone: String(row.milestone),
    status: String(row.status),
    holds: JSON.parse(String(row.holds)) as string[],
    state: JSON.parse(String(row.state)) as OrderState,
    document: JSON.parse(String(row.document)) as OrderDocument,
    version: Number(row.version),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

export class SqlOrders implements OrderStore {
  constructor(
    private readonly runner: StepRunner,
    private readonly inventory: SqlInventory,
  ) {}

  async getOrder(orderId: string): Promise<OrderRecord | undefined> {
    const [row] = await this.runner.read<OrderRow>('SELECT * FROM orders WHERE order_id = ?', [orderId]);
    return row ? toOrder(row) : undefined;
  }

  async listOrders(query: OrderQuery): Promise<OrderRecord[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, ...values: unknown[]) => {
      conditions.push(clause);
      params.push(...values);
    };
    if (query.channel !== undefined) add('channel = ?', query.channel);
    if (query.readableBy !== undefined) {
      const { system, channels } = query.readableBy;
      add(
        channels.length === 0
          ? 'system = ?'
          : `(system = ? OR channel IN (${channels.map(() => '?').join(', ')}))`,
        system,
        ...channels,
      );
    }
    if (query.milestone !== undefined) add('milestone = ?', query.milestone);
    if (query.since !== undefined) add('created_at >= ?', query.since);
    const desc = query.order === 'desc';
    if (query.after !== undefined) {
      const beyond = desc ? '<' : '>';
      add(
        `(created_at ${beyond} ? OR (created_at = ? AND order_id ${beyond} ?))`,
        query.after.createdAt,
        query.after.createdAt,
        query.after.orderId,
      );
    }
    params.push(query.limit);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows = await this.runner.read<OrderRow>(
      `SELECT * FROM orders ${where} ORDER BY ${desc ? 'created_at DESC, order_id DESC' : 'created_at, order_id'} LIMIT ?`,
      params,
    );
    return rows.map(toOrder);
  }

  async openOrders(limit: number): Promise<OrderRecord[]> {
    const rows = await this.runner.read<OrderRow>(
      `SELECT * FROM orders WHERE milestone IN ('accepted', 'committed', 'released', 'picked', 'packed')
       ORDER BY created_at DESC, order_id DESC LIMIT ?`,
      [limit],
    );
    return rows.map(toOrder);
  }

  async backorderedFor(sku: string, limit: number): Promise<OrderRecord[]> {
    const rows = await this.runner.read<OrderRow>(
      `SELECT o.* FROM order_backorders b JOIN orders o ON o.order_id = b.order_id
       WHERE b.sku = ? ORDER BY b.accepted_at, b.order_id LIMIT ?`,
      [sku, limit],
    );
    return rows.map(toOrder);
  }

  async skusWithBackorders(skus: readonly string[]): Promise<Set<string>> {
    if (skus.length === 0) return new Set();
    const rows = await this.runner.read<{ sku: string }>(
      `SELECT DISTINCT sku FROM order_backorders WHERE sku IN (${skus.map(() => '?').join(', ')})`,
      [...skus],
    );
    return new Set(rows.map((r) => r.sku));
  }

  async pastCancelAfter(now: string, limit: number): Promise<OrderRecord[]> {
    const rows = await this.runner.read<OrderRow>(
      `SELECT o.* FROM order_deadlines d JOIN orders o ON o.order_id = d.order_id
       WHERE d.passes_at <= ? ORDER BY d.passes_at, d.order_id LIMIT ?`,
      [now, limit],
    );
    return rows.map(toOrder);
  }

  /** Keeps the order's rows of the backorder and deadline indexes (0012) in step with its state. */
  private indexSteps(record: OrderRecord): SqlStep[] {
    const steps: SqlStep[] = [
      { sql: 'DELETE FROM order_backorders WHERE order_id = ?', params: [record.orderId], mode: 'run' },
      { sql: 'DELETE FROM order_deadlines WHERE order_id = ?', params: [record.orderId], mode: 'run' },
    ];
    for (const sku of backorderedSkus(record.state)) {
      steps.push({
        sql: 'INSERT INTO order_backorders (order_id, sku, accepted_at) VALUES (?, ?, ?)',
        params: [record.orderId, sku, record.createdAt],
        mode: 'run',
      });
    }
    const cancelAfter = record.document.cancelAfter;
    const passesAt = cancelAfter === undefined ? undefined : cancelDeadline(cancelAfter);
    if (passesAt !== undefined && unpickedLines(record.state).length > 0) {
      steps.push({
        sql: 'INSERT INTO order_deadlines (order_id, cancel_after, passes_at) VALUES (?, ?, ?)',
        params: [record.orderId, cancelAfter, passesAt],
        mode: 'run',
      });
    }
    return steps;
  }

  async annotations(orderId: string): Promise<OrderAnnotation[]> {
    const rows = await this.runner.read<OrderRow>(
      'SELECT * FROM order_timeline WHERE order_id = ? ORDER BY event_seq, id',
      [orderId],
    );
    return rows.map((r) => ({
      orderId: String(r.order_id),
      eventSeq: Number(r.event_seq),
      ...(r.milestone_before === null ? {} : { before: String(r.milestone_before) }),
      ...(r.milestone_after === null ? {} : { after: String(r.milestone_after) }),
      ...(r.status === null ? {} : { status: String(r.status) }),
      inferred: JSON.parse(String(r.inferred)) as string[],
      late: Number(r.late) === 1,
      ...(r.note === null ? {} : { note: String(r.note) }),
      at: String(r.at),
    }));
  }

  async commit(unit: OrderUnit, fence?: LeaseFence): Promise<void> {
    const steps: SqlStep[] = [];
    const owners: number[] = [];
    const own = (step: SqlStep, owner = -1) => {
      steps.push(step);
      owners.push(owner);
    };
    const ts = this.runner.timestamp('?');
    // A hub event id is derived from what caused it: already logged means another writer got here first.
    for (const step of eventSteps(unit.events, unit.at, ts)) own(step);
    unit.movements.forEach((movement, index) => {
      for (const step of this.inventory.movementSteps(movement, unit.at)) own(step, index);
    });
    for (const { record, expectVersion } of unit.orders) {
      const values = [
        record.milestone,
        record.status,
        JSON.stringify(record.holds),
        JSON.stringify(record.state),
        JSON.stringify(record.document),
        expectVersion + 1,
        record.updatedAt,
      ];
      if (expectVersion === 0) {
        own({
          sql: `INSERT INTO orders (milestone, status, holds, state, document, version, updated_at, order_id, channel,
                  system, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING`,
          params: [...values, record.orderId, record.channel, record.system, record.createdAt],
          mode: 'run',
          expect: 1,
        });
      } else {
        own({
          sql: `UPDATE orders SET milestone = ?, status = ?, holds = ?, state = ?, document = ?, version = ?,
                  updated_at = ? WHERE order_id = ? AND version = ?`,
          params: [...values, record.orderId, expectVersion],
          mode: 'run',
          expect: 1,
        });
      }
      for (const step of this.indexSteps(record)) own(step);
    }
    for (const a of unit.annotations) {
      own({
        sql: `INSERT INTO order_timeline (order_id, event_seq, milestone_before, milestone_after, status, inferred,
                late, note, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [
          a.orderId,
          a.eventSeq,
          a.before ?? null,
          a.after ?? null,
          a.status ?? null,
          JSON.stringify(a.inferred),
          a.late ? 1 : 0,
          a.note ?? null,
          a.at,
        ],
        mode: 'run',
      });
    }
    for (const exception of unit.exceptions) own(this.inventory.exceptionStep(exception, unit.at));
    if (unit.cursor) own(cursorStep(unit.cursor.name, unit.cursor.from, unit.cursor.to));
    if (steps.length === 0) return;
    try {
      await fencedWrite(this.runner, fence, steps, { appendsToLog: unit.events.length > 0 });
    } catch (error) {
      if (error instanceof ConditionNotMet) throw new ConditionNotMet(owners[error.step] ?? -1);
      throw error;
    }
  }
}
