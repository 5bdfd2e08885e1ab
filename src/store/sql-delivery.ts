/**
 * The delivery store on SQL, shared by both adapters: the exception queue, attempts, the audit log,
 * backlog figures and replays are written once with `?` placeholders and run through the adapter's
 * `StepRunner` (see `sql-step.ts`). What must differ per engine is in a `DeliveryDialect`: claiming due
 * rows (SQLite: the single writer's in-flight set is the lease; PostgreSQL: leases in the row, taken with
 * `FOR UPDATE SKIP LOCKED`, for several hub processes), recording an attempt (it must not move a row
 * another lease holder owns), and the few spellings SQL does not share (booleans, row locks, JSON paths,
 * pattern matching).
 */
import type { SubscriptionFilter } from '../domain/subscription-filter.js';
import type {
  Actor,
  AttemptResult,
  AuditEntry,
  BacklogOptions,
  BacklogStat,
  ClaimQuery,
  DeliveryAttempt,
  DeliveryClaim,
  DeliveryStore,
  ExceptionQuery,
  ExceptionRecord,
  NewException,
  OpenExceptionCount,
  ReplayRecord,
  ReplaySelection,
} from './delivery-port.js';
import { type DbRow, type DbValue, exceptionParams, toException } from './exception-params.js';
import { SqlConditions } from './sql-conditions.js';
import type { SqlStep, StepRunner } from './sql-step.js';

/** What differs between the engines in delivery bookkeeping. */
export interface DeliveryDialect {
  /** Due rows of a subscription whose key has no earlier open row (per-key order), with coalescing. */
  claimDeliveries(query: ClaimQuery): Promise<DeliveryClaim[]>;
  /** Records an attempt and its consequence; only the current lease holder's result moves the row. */
  completeAttempt(result: AttemptResult): Promise<void>;
  completeAttempts(results: readonly AttemptResult[]): Promise<void>;
  releaseClaims(outboxIds: readonly number[], owner: string): Promise<void>;
  /** The literal stored in `outbox.blocks_key` for "does not block" (`0` or `false`). */
  readonly noBlock: string;
  /** Appended to a SELECT in a write to lock the rows it reads (empty where there is one writer). */
  readonly lockRows: string;
  /** A condition matching `column` against a `*` pattern (one `?`), and the parameter for it. */
  patternMatch(column: string, pattern: string): { sql: string; param: string };
  /** The text at `path` (dotted, under `data`) of the envelope (one `?`), and the parameter for it. */
  envelopeText(path: string): { sql: string; param: string };
  /** The envelope's `partitionkey`, as text. */
  readonly partitionKeySql: string;
  /** A JSON column's value as read (SQLite: text to parse; PostgreSQL: already parsed). */
  json(value: unknown): unknown;
}

const INSERT_EXCEPTION = `INSERT INTO exceptions (code, detail, subscription, system, outbox_id, event_seq, event_id,
  subject, last_status, last_body, last_error, attempts, first_attempt_at, last_attempt_at, payload, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`;

/**
 * The SELECT of `listExceptions` (with `?` placeholders) and its parameters; `timestamp` wraps a placeholder
 * that holds a time. An order's open exceptions (`subject` and `status`) are read through the index
 * `exceptions_subject` (sqlite-claim-plan.test.ts checks SQLite's plan).
 */
export function exceptionListSql(
  query: ExceptionQuery,
  timestamp: (placeholder: string) => string,
): { sql: string; params: unknown[] } {
  const conditions = new SqlConditions('question')
    .add('subscription = ?', query.subscription)
    .add('code = ?', query.code)
    .add('system = ?', query.system)
    .add('subject = ?', query.subject)
    .add('status = ?', query.status)
    .add(
      `created_at >= ${timestamp('?')}`,
      query.since === undefined ? undefined : new Date(query.since).toISOString(),
    )
    .add(query.order === 'desc' ? 'id < ?' : 'id > ?', query.afterId);
  const direction = query.order === 'desc' ? ' DESC' : '';
  return {
    sql: `SELECT * FROM exceptions ${conditions.where} ORDER BY id${direction} LIMIT ${conditions.next(query.limit)}`,
    params: conditions.params,
  };
}

/** The exception step of a park (shared by the dialects that record attempts as steps). */
export function exceptionStep(exception: NewException): SqlStep {
  return { sql: INSERT_EXCEPTION, params: exceptionParams(exception), mode: 'get' };
}

/** `?, ?, …` for `n` values. */
const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** Delivery bookkeeping over any `StepRunner`, with the claims and completions of a dialect. */
export class SqlDelivery implements DeliveryStore {
  constructor(
    private readonly runner: StepRunner,
    private readonly dialect: DeliveryDialect,
  ) {}

  claimDeliveries(query: ClaimQuery): Promise<DeliveryClaim[]> {
    return this.dialect.claimDeliveries(query);
  }

  completeAttempt(result: AttemptResult): Promise<void> {
    return this.dialect.completeAttempt(result);
  }

  completeAttempts(results: readonly AttemptResult[]): Promise<void> {
    return this.dialect.completeAttempts(results);
  }

  releaseClaims(outboxIds: readonly number[], owner: string): Promise<void> {
    return outboxIds.length === 0 ? Promise.resolve() : this.dialect.releaseClaims(outboxIds, owner);
  }

  async listAttempts(query: { eventSeq: number }): Promise<DeliveryAttempt[]> {
    const rows = await this.runner.read<DbRow>(
      'SELECT * FROM delivery_attempts WHERE event_seq = ? ORDER BY id',
      [query.eventSeq],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      outboxId: Number(r.outbox_id),
      eventSeq: Number(r.event_seq),
      subscription: r.subscription as string,
      attempt: Number(r.attempt),
      startedAt: iso(r.started_at),
      finishedAt: iso(r.finished_at),
      outcome: r.outcome as DeliveryAttempt['outcome'],
      ...(r.status !== null ? { status: Number(r.status) } : {}),
      ...(r.error !== null ? { error: r.error as string } : {}),
      latencyMs: Number(r.latency_ms),
    }));
  }

  async deliveryBacklog(options: BacklogOptions = {}): Promise<BacklogStat[]> {
    const since =
      options.createdSince === undefined ? undefined : new Date(options.createdSince).toISOString();
    const rows = await this.runner.read<{
      subscription: string;
      pending: number | string;
      parked: number | string;
      oldest: string | Date | null;
    }>(
      `SELECT subscription, sum(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS pending,
              sum(CASE WHEN status = 'parked' THEN 1 ELSE 0 END) AS parked,
              min(CASE WHEN status = 'pending' THEN created_at END) AS oldest
       FROM outbox WHERE status IN ('pending', 'parked')${since === undefined ? '' : ` AND created_at >= ${this.runner.timestamp('?')}`}
       GROUP BY subscription ORDER BY subscription`,
      since === undefined ? [] : [since],
    );
    return rows.map((r) => ({
      subscription: r.subscription,
      pending: Number(r.pending),
      parked: Number(r.parked),
      ...(r.oldest ? { oldestPendingAt: iso(r.oldest) } : {}),
    }));
  }

  async openExceptionCounts(): Promise<OpenExceptionCount[]> {
    const rows = await this.runner.read<{ code: string; subscription: string | null; n: number | string }>(
      `SELECT code, subscription, count(*) AS n FROM exceptions WHERE status = 'open'
       GROUP BY code, subscription ORDER BY code, subscription`,
      [],
    );
    return rows.map((r) => ({
      code: r.code,
      ...(r.subscription !== null ? { subscription: r.subscription } : {}),
      count: Number(r.n),
    }));
  }

  async createException(exception: NewException): Promise<ExceptionRecord> {
    const [row] = await this.runner.write([exceptionStep(exception)]);
    return toException(row as DbRow);
  }

  async listExceptions(query: ExceptionQuery): Promise<ExceptionRecord[]> {
    const { sql, params } = exceptionListSql(query, (p) => this.runner.timestamp(p));
    const rows = await this.runner.read<DbRow>(sql, params);
    return rows.map(toException);
  }

  async getException(id: number): Promise<ExceptionRecord | undefined> {
    const [row] = await this.runner.read<DbRow>('SELECT * FROM exceptions WHERE id = ?', [id]);
    return row ? toException(row) : undefined;
  }

  async retryExceptions(ids: number[], actor: Actor): Promise<ExceptionRecord[]> {
    if (ids.length === 0) return [];
    const open = `id IN (${placeholders(ids.length)}) AND status = 'open'`;
    const at = this.runner.timestamp('?');
    const results = await this.runner.write([
      // Locked in id order first (where rows can be locked): two operators retrying overlapping sets neither
      // deadlock nor both act.
      {
        sql: `SELECT id FROM exceptions WHERE ${open} ORDER BY id${this.dialect.lockRows}`,
        params: ids,
        mode: 'all',
      },
      {
        sql: `INSERT INTO audit_log (at, actor, action, target, note)
              SELECT ${at}, CAST(? AS TEXT), 'exception.retry', 'exception:' || id, CAST(? AS TEXT) FROM exceptions
              WHERE ${open} ORDER BY id`,
        params: [actor.at, actor.who, actor.note ?? null, ...ids],
        mode: 'run',
      },
      {
        // A fresh budget: attempts and age count again from the operator's retry.
        sql: `UPDATE outbox SET status = 'pending', next_attempt_at = NULL, first_attempt_at = NULL, attempts = 0,
                throttled_attempts = 0, blocks_key = ${this.dialect.noBlock}, lease_until = NULL, lease_owner = NULL
              WHERE status = 'parked' AND id IN (
                SELECT outbox_id FROM exceptions WHERE ${open} AND outbox_id IS NOT NULL)`,
        params: ids,
        mode: 'run',
      },
      {
        sql: `UPDATE exceptions SET status = 'resolved', resolved_at = ${at}, resolved_by = ?, resolution = 'retried',
                note = ?
              WHERE ${open} RETURNING *`,
        params: [actor.at, actor.who, actor.note ?? null, ...ids],
        mode: 'all',
      },
    ]);
    return (results[3] as DbRow[]).map(toException).sort((a, b) => a.id - b.id);
  }

  async resolveException(id: number, actor: Actor): Promise<ExceptionRecord | undefined> {
    const at = this.runner.timestamp('?');
    await this.runner.write([
      {
        sql: `SELECT id FROM exceptions WHERE id = ? AND status = 'open'${this.dialect.lockRows}`,
        params: [id],
        mode: 'all',
      },
      {
        sql: `INSERT INTO audit_log (at, actor, action, target, note)
              SELECT ${at}, CAST(? AS TEXT), 'exception.resolve', 'exception:' || id, CAST(? AS TEXT)
              FROM exceptions WHERE id = ? AND status = 'open'`,
        params: [actor.at, actor.who, actor.note ?? null, id],
        mode: 'run',
      },
      {
        sql: `UPDATE outbox SET status = 'skipped', blocks_key = ${this.dialect.noBlock}, lease_until = NULL,
                lease_owner = NULL
              WHERE status = 'parked' AND id = (SELECT outbox_id FROM exceptions WHERE id = ? AND status = 'open')`,
        params: [id],
        mode: 'run',
      },
      {
        sql: `UPDATE exceptions SET status = 'resolved', resolved_at = ${at}, resolved_by = ?, resolution = 'resolved',
                note = ? WHERE id = ? AND status = 'open'`,
        params: [actor.at, actor.who, actor.note ?? null, id],
        mode: 'run',
      },
    ]);
    // Already resolved (or unknown): reported as it stands.
    return this.getException(id);
  }

  async listAudit(query: { afterId?: number; limit: number }): Promise<AuditEntry[]> {
    const rows = await this.runner.read<DbRow>('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?', [
      query.afterId ?? 0,
      query.limit,
    ]);
    return rows.map((r) => ({
      id: Number(r.id),
      at: iso(r.at),
      actor: r.actor as string,
      action: r.action as string,
      target: r.target as string,
      ...(r.note !== null ? { note: r.note as string } : {}),
      ...(r.detail !== null ? { detail: this.dialect.json(r.detail) as Record<string, unknown> } : {}),
    }));
  }

  async createReplay(
    selection: ReplaySelection,
    types: string[] | undefined,
    target: string,
    actor: Actor,
    filter?: SubscriptionFilter,
  ): Promise<ReplayRecord> {
    const timestamp = this.runner.timestamp('?');
    // Echo suppression: an event never goes back to the system it came from.
    const filters: string[] = [`ingested_at >= ${timestamp}`, 'system <> ?'];
    const params: unknown[] = [new Date(selection.from).toISOString(), target];
    if (selection.to !== undefined) {
      filters.push(`ingested_at < ${timestamp}`);
      params.push(new Date(selection.to).toISOString());
    }
    if (types !== undefined) {
      filters.push(types.length === 0 ? '1 = 0' : `type IN (${placeholders(types.length)})`);
      params.push(...types);
    }
    if (selection.subject !== undefined) {
      filters.push('subject = ?');
      params.push(selection.subject);
    }
    if (selection.correlationid !== undefined) {
      filters.push('correlationid = ?');
      params.push(selection.correlationid);
    }
    // The subscription's own filter, as ingest applies it (values compared as text).
    if (filter?.subject !== undefined) {
      const match = this.dialect.patternMatch('subject', filter.subject);
      filters.push(match.sql);
      params.push(match.param);
    }
    for (const [path, expected] of Object.entries(filter?.data ?? {})) {
      const values = (Array.isArray(expected) ? expected : [expected]).map(String);
      const text = this.dialect.envelopeText(path);
      filters.push(`${text.sql} IN (${placeholders(values.length)})`);
      params.push(text.param, ...values);
    }
    // Replays take the log's write lock (`appendsToLog`), so no other replay commits in between: max(id)
    // inside the transaction is the replay just made. (It also keeps outbox ids in commit order, so a
    // key's later row is never visible before an earlier one.)
    const replayId = '(SELECT max(id) FROM replays)';
    const [created] = await this.runner.write(
      [
        {
          sql: 'INSERT INTO replays (subscription, selection, created_at, created_by) VALUES (?, ?, ?, ?) RETURNING id',
          params: [selection.subscription, JSON.stringify(selection), actor.at, actor.who],
          mode: 'get',
        },
        {
          sql: `INSERT INTO outbox (subscription, target, event_seq, partition_key, created_at, replay_id)
                SELECT CAST(? AS TEXT), CAST(? AS TEXT), seq, coalesce(${this.dialect.partitionKeySql}, subject),
                  ${timestamp}, ${replayId}
                FROM events WHERE pruned_at IS NULL AND ${filters.join(' AND ')} ORDER BY seq`,
          params: [selection.subscription, target, actor.at, ...params],
          mode: 'run',
        },
        {
          sql: `UPDATE replays SET total = (SELECT count(*) FROM outbox WHERE replay_id = replays.id) WHERE id = ${replayId}`,
          params: [],
          mode: 'run',
        },
        {
          sql: `INSERT INTO audit_log (at, actor, action, target, note, detail)
                VALUES (?, ?, 'replay.create', 'replay:' || ${replayId}, ?, ?)`,
          params: [actor.at, actor.who, actor.note ?? null, JSON.stringify(selection)],
          mode: 'run',
        },
      ],
      { appendsToLog: true },
    );
    return (await this.getReplay(Number((created as { id: number | string }).id))) as ReplayRecord;
  }

  async getReplay(id: number): Promise<ReplayRecord | undefined> {
    const [replay] = await this.runner.read<DbRow>(
      `SELECT r.id, r.selection, r.created_at, r.created_by, r.total,
              sum(CASE WHEN o.status IN ('delivered', 'skipped') THEN 1 ELSE 0 END) AS delivered,
              sum(CASE WHEN o.status = 'pending' THEN 1 ELSE 0 END) AS pending,
              sum(CASE WHEN o.status = 'parked' THEN 1 ELSE 0 END) AS parked
       FROM replays r LEFT JOIN outbox o ON o.replay_id = r.id
       WHERE r.id = ? GROUP BY r.id, r.selection, r.created_at, r.created_by, r.total`,
      [id],
    );
    if (!replay) return undefined;
    const pending = Number(replay.pending ?? 0);
    return {
      id: Number(replay.id),
      selection: this.dialect.json(replay.selection) as ReplaySelection,
      createdAt: iso(replay.created_at),
      createdBy: replay.created_by as string,
      total: Number(replay.total),
      delivered: Number(replay.delivered ?? 0),
      pending,
      parked: Number(replay.parked ?? 0),
      status: pending === 0 ? 'completed' : 'running',
    };
  }
}

/** A stored time as ISO 8601 (PostgreSQL's TIMESTAMPTZ columns read as dates, SQLite's as that text). */
export function iso(value: DbValue | undefined): string {
  return value instanceof Date ? value.toISOString() : (value as string);
}
