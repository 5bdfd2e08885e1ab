/**
 * The delivery half of the PostgreSQL store. Several hub processes may share one database (docs/delivery.md), so
 * unlike SQLite a claim is a lease kept in the row: `claimDeliveries` takes due key heads with
 * `FOR UPDATE SKIP LOCKED` and stamps `lease_until`/`lease_owner` in the same statement, and no process
 * is handed a row whose lease is still valid. Leases run on the database's clock, the one clock every
 * process shares, so a host whose clock drifts cannot take another's work early.
 *
 * Per-key order across processes: a row is a head only while no earlier row of its key is open (pending,
 * leased or not, or parked with `blocks_key`). A leased row stays `pending`, so it blocks its key in every
 * process's view; a head being claimed by a transaction not yet committed is still pending too (so the
 * rows behind it stay blocked) and row-locked (so SKIP LOCKED passes over it), and once that claim commits
 * the re-check of the locked row sees the fresh lease. An open row only closes (delivered, skipped,
 * parked without blocking), so a head seen in an older snapshot is still a head. Coalescing (COALESCE_SQL)
 * only closes rows too (pending to skipped), and only rows no process holds.
 */
import type pg from 'pg';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { coalescableTypes } from '../../domain/event-catalogue.js';
import type { SubscriptionFilter } from '../../domain/subscription-filter.js';
import type {
  Actor,
  AttemptResult,
  AuditEntry,
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
} from '../delivery-port.js';
import { exceptionParams } from '../exception-params.js';
import { SqlConditions } from '../sql-conditions.js';
import { toError } from './postgres-append.js';

/** Opens a write transaction with a durable commit, whatever the role's defaults. */
const BEGIN_SQL = 'BEGIN; SET LOCAL synchronous_commit = on';

/** The coalescing types as an SQL list, for `IN (…)` (constants of the catalogue, quoted). */
const COALESCING = sqlTextList(coalescableTypes());

/**
 * Leases the due heads of one subscription's keys, in id order. The head test and the lease test come
 * before the lock, so rows behind a blocked head are never locked, and a row another claimer holds is
 * skipped rather than waited for.
 *
 * A head of a coalescing type that has a newer pending row of its key, also of a coalescing type, is
 * `superseded`: it is not leased but answered as such (its other columns null), for COALESCE_SQL. Types
 * are read with a subquery per row so that every plan starts from the outbox's key index, never from
 * the (ever growing) log's type index.
 */
const CLAIM_SQL = `
WITH heads AS (
  SELECT o.id,
         (SELECT type FROM events WHERE seq = o.event_seq) IN (${COALESCING}) AND EXISTS (
           SELECT 1 FROM outbox n
           WHERE n.subscription = o.subscription AND n.partition_key = o.partition_key AND n.id > o.id
             AND n.status = 'pending' AND (SELECT type FROM events WHERE seq = n.event_seq) IN (${COALESCING})
         ) AS superseded
  FROM outbox o
  WHERE o.subscription = $1 AND o.status = 'pending'
    AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= $2::timestamptz)
    AND (o.lease_until IS NULL OR o.lease_until <= now())
    AND o.id <> ALL ($3::bigint[])
    AND NOT EXISTS (
      SELECT 1 FROM outbox p
      WHERE p.subscription = o.subscription AND p.partition_key = o.partition_key AND p.id < o.id
        AND (p.status = 'pending' OR (p.status = 'parked' AND p.blocks_key)))
  ORDER BY o.id
  LIMIT $4
  FOR UPDATE SKIP LOCKED
), leased AS (
  UPDATE outbox o SET lease_until = now() + $5::double precision * interval '1 millisecond', lease_owner = $6
  FROM heads WHERE o.id = heads.id AND NOT heads.superseded
  RETURNING o.id, o.subscription, o.target, o.event_seq, o.partition_key, o.attempts, o.throttled_attempts,
            o.first_attempt_at, o.replay_id
)
SELECT leased.*, e.ingested_at, e.envelope, false AS superseded
FROM leased JOIN events e ON e.seq = leased.event_seq
UNION ALL
SELECT id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true FROM heads WHERE superseded
ORDER BY id`;

/**
 * Coalescing (docs/delivery.md §3) of the keys of superseded heads ($4): every row of those keys that is pending,
 * due, not leased, not in flight ($3), of a coalescing type and older than the key's newest pending row of
 * a coalescing type becomes `skipped`, `superseded_by` that newest row. The rows are locked with
 * `SKIP LOCKED` and their conditions re-checked on the locked version, so a row another process is
 * claiming or has just leased is left alone. Bounded by the keys of one claim; each row is skipped once.
 */
const COALESCE_SQL = `
WITH newest AS MATERIALIZED (
  SELECT h.partition_key, (
    SELECT n.id FROM outbox n
    WHERE n.subscription = $1 AND n.partition_key = h.partition_key AND n.status = 'pending'
      AND (SELECT type FROM events WHERE seq = n.event_seq) IN (${COALESCING})
    ORDER BY n.id DESC LIMIT 1) AS id
  FROM outbox h WHERE h.id = ANY ($4::bigint[]) AND h.subscription = $1
), victims AS (
  SELECT r.id, newest.id AS newest
  FROM newest JOIN outbox r ON r.subscription = $1 AND r.partition_key = newest.partition_key
  WHERE r.status = 'pending' AND r.id < newest.id
    AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= $2::timestamptz)
    AND (r.lease_until IS NULL OR r.lease_until <= now())
    AND r.id <> ALL ($3::bigint[])
    AND (SELECT type FROM events WHERE seq = r.event_seq) IN (${COALESCING})
  FOR UPDATE OF r SKIP LOCKED
)
UPDATE outbox o SET status = 'skipped', superseded_by = victims.newest, lease_until = NULL, lease_owner = NULL
FROM victims WHERE o.id = victims.id`;

/**
 * Records an attempt and moves its row on, clearing the lease. The row only moves if it is still pending:
 * a claimer that outlived its lease must not undo what the process that took the row over recorded.
 */
const COMPLETE_SQL = `
WITH attempt AS (
  INSERT INTO delivery_attempts (outbox_id, event_seq, subscription, attempt, started_at, finished_at, outcome,
    status, error, latency_ms)
  VALUES ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7, $8, $9, $10)
), moved AS (
  UPDATE outbox SET attempts = attempts + 1, throttled_attempts = throttled_attempts + $16::integer,
    first_attempt_at = coalesce(first_attempt_at, $5::timestamptz),
    last_attempt_at = $6::timestamptz, status = $11, next_attempt_at = $12::timestamptz,
    delivered_at = $13::timestamptz, blocks_key = $14, lease_until = NULL, lease_owner = NULL
  WHERE id = $1 AND status = 'pending' AND (lease_owner IS NULL OR lease_owner = $15)
  RETURNING id
)`;

/** Exception columns with their types: parameters in `INSERT … SELECT` need explicit casts. */
const EXCEPTION_COLUMNS = [
  ['code', 'text'],
  ['detail', 'text'],
  ['subscription', 'text'],
  ['system', 'text'],
  ['outbox_id', 'bigint'],
  ['event_seq', 'bigint'],
  ['event_id', 'text'],
  ['subject', 'text'],
  ['last_status', 'integer'],
  ['last_body', 'text'],
  ['last_error', 'text'],
  ['attempts', 'integer'],
  ['first_attempt_at', 'timestamptz'],
  ['last_attempt_at', 'timestamptz'],
  ['payload', 'text'],
  ['created_at', 'timestamptz'],
] as const;

const EXCEPTION_COLUMN_LIST = EXCEPTION_COLUMNS.map(([name]) => name).join(', ');

/** `$n::type, …` for the exception columns, numbered from `first`. */
function exceptionPlaceholders(first: number): string {
  return EXCEPTION_COLUMNS.map(([, type], i) => `$${first + i}::${type}`).join(', ');
}

interface ClaimRow {
  id: string;
  subscription: string;
  target: string;
  event_seq: string;
  partition_key: string;
  attempts: number;
  throttled_attempts: number;
  first_attempt_at: Date | null;
  replay_id: string | null;
  ingested_at: Date;
  envelope: CloudEvent;
}

/** A row of a claim's answer: a leased row, or a superseded head (only its id set). */
type ClaimAnswer = (ClaimRow & { superseded: false }) | { id: string; superseded: true };

const isClaim = (row: ClaimAnswer): row is ClaimRow & { superseded: false } => !row.superseded;

type DbValue = string | number | boolean | Date | null;
type DbRow = Record<string, DbValue>;

export interface PostgresDeliveryOptions {
  /**
   * Opens a transaction holding the log's append lock. Replays add outbox rows, and taking the lock the
   * appends take keeps outbox ids in commit order, so a key's later row is never visible before an
   * earlier one.
   */
  beginAppendSql: string;
}

/** Delivery bookkeeping on PostgreSQL, shared safely by several hub processes. */
export class PostgresDelivery implements DeliveryStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresDeliveryOptions,
  ) {}

  async claimDeliveries(query: ClaimQuery): Promise<DeliveryClaim[]> {
    const first = await this.claim(query, query.limit, [...query.inFlight]);
    const claims = first.filter(isClaim);
    const superseded = first.filter((row) => row.superseded).map((row) => row.id);
    if (superseded.length === 0) return claims.map(toClaim);
    // Coalescing: skip the superseded heads and the older rows of their keys, then claim again, so the
    // newest row of each of those keys goes out now. This claim's own rows count as in flight (also when
    // a zero lease has already passed). Heads superseded again are left for the next claim.
    const inFlight = [...query.inFlight, ...claims.map((row) => Number(row.id))];
    await this.pool.query({
      name: 'manifold_coalesce',
      text: COALESCE_SQL,
      values: [query.subscription, query.now, inFlight, superseded],
    });
    const again = await this.claim(query, query.limit - claims.length, inFlight);
    return [...claims, ...again.filter(isClaim)].map(toClaim).sort((a, b) => a.outboxId - b.outboxId);
  }

  /** One claim statement: leased rows and superseded heads, in id order. */
  private async claim(query: ClaimQuery, limit: number, inFlight: number[]): Promise<ClaimAnswer[]> {
    const { rows } = await this.pool.query<ClaimAnswer>({
      name: 'manifold_claim',
      text: CLAIM_SQL,
      values: [query.subscription, query.now, inFlight, limit, query.leaseMs, query.owner],
    });
    return rows;
  }

  async completeAttempt(result: AttemptResult): Promise<void> {
    const { claim, next } = result;
    const status = next.kind === 'delivered' ? 'delivered' : next.kind === 'retry' ? 'pending' : 'parked';
    const values: unknown[] = [
      claim.outboxId,
      claim.eventSeq,
      claim.subscription,
      claim.attempts + 1,
      result.startedAt,
      result.finishedAt,
      result.outcome,
      result.status ?? null,
      result.error ?? null,
      Math.round(result.latencyMs),
      status,
      next.kind === 'retry' ? next.at : null,
      next.kind === 'delivered' ? result.finishedAt : null,
      next.kind === 'park' && next.blocksKey,
      // Only the lease holder moves the row: a claimer whose lease ran out (and was taken over) records
      // its attempt but must not undo the new holder's claim.
      result.owner,
      result.throttled ? 1 : 0,
    ];
    // One statement, so the attempt, the row's move and the exception commit together in one round trip.
    if (next.kind === 'park') {
      await this.pool.query({
        name: 'manifold_complete_park',
        text: `${COMPLETE_SQL}
          INSERT INTO exceptions (${EXCEPTION_COLUMN_LIST})
          SELECT ${exceptionPlaceholders(values.length + 1)} FROM moved`,
        values: [...values, ...exceptionParams(next.exception)],
      });
    } else {
      await this.pool.query({
        name: 'manifold_complete',
        text: `${COMPLETE_SQL} SELECT id FROM moved`,
        values,
      });
    }
  }

  async listAttempts(query: { eventSeq: number }): Promise<DeliveryAttempt[]> {
    const { rows } = await this.pool.query<DbRow>(
      'SELECT * FROM delivery_attempts WHERE event_seq = $1 ORDER BY id',
      [query.eventSeq],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      outboxId: Number(r.outbox_id),
      eventSeq: Number(r.event_seq),
      subscription: r.subscription as string,
      attempt: r.attempt as number,
      startedAt: (r.started_at as Date).toISOString(),
      finishedAt: (r.finished_at as Date).toISOString(),
      outcome: r.outcome as DeliveryAttempt['outcome'],
      ...(r.status !== null ? { status: r.status as number } : {}),
      ...(r.error !== null ? { error: r.error as string } : {}),
      latencyMs: r.latency_ms as number,
    }));
  }

  async deliveryBacklog(): Promise<BacklogStat[]> {
    const { rows } = await this.pool.query<{
      subscription: string;
      pending: number;
      parked: number;
      oldest: Date | null;
    }>(
      `SELECT subscription, count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'parked')::int AS parked,
              min(created_at) FILTER (WHERE status = 'pending') AS oldest
       FROM outbox WHERE status IN ('pending', 'parked') GROUP BY subscription ORDER BY subscription`,
    );
    return rows.map((r) => ({
      subscription: r.subscription,
      pending: r.pending,
      parked: r.parked,
      ...(r.oldest ? { oldestPendingAt: r.oldest.toISOString() } : {}),
    }));
  }

  async openExceptionCounts(): Promise<OpenExceptionCount[]> {
    const { rows } = await this.pool.query<{ code: string; subscription: string | null; n: number }>(
      `SELECT code, subscription, count(*)::int AS n FROM exceptions WHERE status = 'open'
       GROUP BY code, subscription ORDER BY code, subscription`,
    );
    return rows.map((r) => ({
      code: r.code,
      ...(r.subscription !== null ? { subscription: r.subscription } : {}),
      count: r.n,
    }));
  }

  async createException(exception: NewException): Promise<ExceptionRecord> {
    const { rows } = await this.pool.query<DbRow>(
      `INSERT INTO exceptions (${EXCEPTION_COLUMN_LIST}) VALUES (${exceptionPlaceholders(1)}) RETURNING *`,
      exceptionParams(exception),
    );
    return toException(rows[0] as DbRow);
  }

  async listExceptions(query: ExceptionQuery): Promise<ExceptionRecord[]> {
    const conditions = new SqlConditions('numbered')
      .add('subscription = ?', query.subscription)
      .add('code = ?', query.code)
      .add('system = ?', query.system)
      .add('subject = ?', query.subject)
      .add('status = ?', query.status)
      .add('created_at >= ?::timestamptz', query.since)
      .add('id > ?', query.afterId);
    const { rows } = await this.pool.query<DbRow>(
      `SELECT * FROM exceptions ${conditions.where} ORDER BY id LIMIT ${conditions.next(query.limit)}`,
      conditions.params,
    );
    return rows.map(toException);
  }

  async getException(id: number): Promise<ExceptionRecord | undefined> {
    const { rows } = await this.pool.query<DbRow>('SELECT * FROM exceptions WHERE id = $1', [id]);
    return rows[0] ? toException(rows[0]) : undefined;
  }

  async retryExceptions(ids: number[], actor: Actor): Promise<ExceptionRecord[]> {
    if (ids.length === 0) return [];
    return this.transaction(BEGIN_SQL, async (client) => {
      // Locked in id order: two operators retrying overlapping sets neither deadlock nor both act.
      const open = await client.query<{ id: string }>(
        `SELECT id FROM exceptions WHERE id = ANY ($1::bigint[]) AND status = 'open' ORDER BY id FOR UPDATE`,
        [ids],
      );
      const openIds = open.rows.map((r) => r.id);
      if (openIds.length === 0) return [];
      await client.query(
        `INSERT INTO audit_log (at, actor, action, target, note)
         SELECT $1::timestamptz, $2, 'exception.retry', 'exception:' || id, $3 FROM unnest($4::bigint[]) AS id
         ORDER BY id`,
        [actor.at, actor.who, actor.note ?? null, openIds],
      );
      // A fresh budget: attempts and age count again from the operator's retry.
      await client.query(
        `UPDATE outbox SET status = 'pending', next_attempt_at = NULL, first_attempt_at = NULL, attempts = 0,
           throttled_attempts = 0, blocks_key = false, lease_until = NULL, lease_owner = NULL
         WHERE status = 'parked'
           AND id IN (SELECT outbox_id FROM exceptions WHERE id = ANY ($1::bigint[]) AND outbox_id IS NOT NULL)`,
        [openIds],
      );
      const { rows } = await client.query<DbRow>(
        `UPDATE exceptions SET status = 'resolved', resolved_at = $2::timestamptz, resolved_by = $3,
           resolution = 'retried', note = $4
         WHERE id = ANY ($1::bigint[]) RETURNING *`,
        [openIds, actor.at, actor.who, actor.note ?? null],
      );
      return rows.map(toException).sort((a, b) => a.id - b.id);
    });
  }

  async resolveException(id: number, actor: Actor): Promise<ExceptionRecord | undefined> {
    const resolved = await this.transaction(BEGIN_SQL, async (client) => {
      const open = await client.query<{ outbox_id: string | null }>(
        `SELECT outbox_id FROM exceptions WHERE id = $1 AND status = 'open' FOR UPDATE`,
        [id],
      );
      const row = open.rows[0];
      if (!row) return undefined;
      await client.query(
        `INSERT INTO audit_log (at, actor, action, target, note)
         VALUES ($1::timestamptz, $2, 'exception.resolve', 'exception:' || $3::bigint, $4)`,
        [actor.at, actor.who, id, actor.note ?? null],
      );
      if (row.outbox_id !== null) {
        await client.query(
          `UPDATE outbox SET status = 'skipped', blocks_key = false, lease_until = NULL, lease_owner = NULL
           WHERE id = $1 AND status = 'parked'`,
          [row.outbox_id],
        );
      }
      const { rows } = await client.query<DbRow>(
        `UPDATE exceptions SET status = 'resolved', resolved_at = $2::timestamptz, resolved_by = $3,
           resolution = 'resolved', note = $4
         WHERE id = $1 RETURNING *`,
        [id, actor.at, actor.who, actor.note ?? null],
      );
      return rows[0] ? toException(rows[0]) : undefined;
    });
    // Already resolved (or unknown): reported as it stands.
    return resolved ?? this.getException(id);
  }

  async listAudit(query: { afterId?: number; limit: number }): Promise<AuditEntry[]> {
    const { rows } = await this.pool.query<DbRow>(
      'SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2',
      [query.afterId ?? 0, query.limit],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      at: (r.at as Date).toISOString(),
      actor: r.actor as string,
      action: r.action as string,
      target: r.target as string,
      ...(r.note !== null ? { note: r.note as string } : {}),
      ...(r.detail !== null ? { detail: r.detail as unknown as Record<string, unknown> } : {}),
    }));
  }

  async createReplay(
    selection: ReplaySelection,
    types: string[] | undefined,
    target: string,
    actor: Actor,
    filter?: SubscriptionFilter,
  ): Promise<ReplayRecord> {
    const id = await this.transaction(this.options.beginAppendSql, async (client) => {
      const created = await client.query<{ id: string }>(
        `INSERT INTO replays (subscription, selection, created_at, created_by)
         VALUES ($1, $2::jsonb, $3::timestamptz, $4) RETURNING id`,
        [selection.subscription, JSON.stringify(selection), actor.at, actor.who],
      );
      const replayId = (created.rows[0] as { id: string }).id;
      // Echo suppression: an event never goes back to the system it came from.
      const params: unknown[] = [selection.subscription, target, actor.at, replayId, selection.from];
      const filters = ['ingested_at >= $5::timestamptz', 'system <> $2'];
      const add = (clause: string, value: unknown) => {
        if (value === undefined) return;
        params.push(value);
        filters.push(clause.replace('?', `$${params.length}`));
      };
      add('ingested_at < ?::timestamptz', selection.to);
      add('type = ANY (?::text[])', types);
      add('subject = ?', selection.subject);
      add('correlationid = ?', selection.correlationid);
      // The subscription's own filter, as ingest applies it (values compared as text).
      if (filter?.subject !== undefined) add(`subject LIKE ? ESCAPE '\\'`, likePattern(filter.subject));
      for (const [path, expected] of Object.entries(filter?.data ?? {})) {
        add(
          `envelope #>> ? IN (SELECT jsonb_array_elements_text(?::jsonb))`,
          `{data,${path.split('.').join(',')}}`,
        );
        // The second placeholder of the clause: add() numbered only the first.
        params.push(JSON.stringify((Array.isArray(expected) ? expected : [expected]).map(String)));
        const last = filters.length - 1;
        filters[last] = (filters[last] as string).replace('?::jsonb', `$${params.length}::jsonb`);
      }
      const inserted = await client.query(
        `INSERT INTO outbox (subscription, target, event_seq, partition_key, created_at, replay_id)
         SELECT $1, $2, seq, coalesce(envelope->>'partitionkey', subject), $3::timestamptz, $4::bigint
         FROM events WHERE ${filters.join(' AND ')} ORDER BY seq`,
        params,
      );
      await client.query('UPDATE replays SET total = $2 WHERE id = $1', [replayId, inserted.rowCount ?? 0]);
      await client.query(
        `INSERT INTO audit_log (at, actor, action, target, note, detail)
         VALUES ($1::timestamptz, $2, 'replay.create', 'replay:' || $3::bigint, $4, $5::jsonb)`,
        [actor.at, actor.who, replayId, actor.note ?? null, JSON.stringify(selection)],
      );
      return Number(replayId);
    });
    return (await this.getReplay(id)) as ReplayRecord;
  }

  async getReplay(id: number): Promise<ReplayRecord | undefined> {
    const { rows } = await this.pool.query<{
      id: string;
      selection: ReplaySelection;
      created_at: Date;
      created_by: string;
      total: number;
      delivered: number;
      pending: number;
      parked: number;
    }>(
      `SELECT r.id, r.selection, r.created_at, r.created_by, r.total,
              count(o.id) FILTER (WHERE o.status IN ('delivered', 'skipped'))::int AS delivered,
              count(o.id) FILTER (WHERE o.status = 'pending')::int AS pending,
              count(o.id) FILTER (WHERE o.status = 'parked')::int AS parked
       FROM replays r LEFT JOIN outbox o ON o.replay_id = r.id
       WHERE r.id = $1 GROUP BY r.id`,
      [id],
    );
    const replay = rows[0];
    if (!replay) return undefined;
    return {
      id: Number(replay.id),
      selection: replay.selection,
      createdAt: replay.created_at.toISOString(),
      createdBy: replay.created_by,
      total: replay.total,
      delivered: replay.delivered,
      pending: replay.pending,
      parked: replay.parked,
      status: replay.pending === 0 ? 'completed' : 'running',
    };
  }

  /** Runs `work` in a transaction opened by `begin`, rolling back if it throws. */
  private async transaction<T>(begin: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      // A connection whose rollback failed is broken: it is destroyed, not returned to the pool.
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      client.release(rolledBack ? undefined : toError(error));
      throw error;
    }
  }
}

/** Database columns of an exception, and the record's names for them. */
const EXCEPTION_FIELDS = [
  ['subscription', 'subscription'],
  ['system', 'system'],
  ['outbox_id', 'outboxId'],
  ['event_seq', 'eventSeq'],
  ['event_id', 'eventId'],
  ['subject', 'subject'],
  ['last_status', 'lastStatus'],
  ['last_body', 'lastBody'],
  ['last_error', 'lastError'],
  ['attempts', 'attempts'],
  ['first_attempt_at', 'firstAttemptAt'],
  ['last_attempt_at', 'lastAttemptAt'],
  ['payload', 'payload'],
  ['resolved_at', 'resolvedAt'],
  ['resolved_by', 'resolvedBy'],
  ['resolution', 'resolution'],
  ['note', 'note'],
] as const;

/** BIGINT columns, which pg returns as strings. */
const BIGINT_COLUMNS = new Set(['id', 'outbox_id', 'event_seq']);

function fromDb(column: string, value: DbValue): DbValue {
  if (value instanceof Date) return value.toISOString();
  if (BIGINT_COLUMNS.has(column) && value !== null) return Number(value);
  return value;
}

function toException(r: DbRow): ExceptionRecord {
  const record: Record<string, DbValue> = {
    id: fromDb('id', r.id ?? null),
    code: r.code ?? null,
    status: r.status ?? null,
    detail: r.detail ?? null,
    createdAt: fromDb('created_at', r.created_at ?? null),
  };
  for (const [column, name] of EXCEPTION_FIELDS) {
    const value = r[column];
    if (value !== null && value !== undefined) record[name] = fromDb(column, value);
  }
  return record as unknown as ExceptionRecord;
}

function toClaim(row: ClaimRow): DeliveryClaim {
  return {
    outboxId: Number(row.id),
    subscription: row.subscription,
    target: row.target,
    eventSeq: Number(row.event_seq),
    partitionKey: row.partition_key,
    attempts: row.attempts,
    throttledAttempts: row.throttled_attempts,
    ...(row.first_attempt_at ? { firstAttemptAt: row.first_attempt_at.toISOString() } : {}),
    ...(row.replay_id !== null ? { replayId: Number(row.replay_id) } : {}),
    ingestedAt: row.ingested_at.toISOString(),
    event: row.envelope,
  };
}

/** Constant strings as an SQL list for `IN (…)`; `NULL` (matching nothing) when there are none. */
function sqlTextList(values: readonly string[]): string {
  return values.length === 0 ? 'NULL' : values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ');
}

/** A `*` pattern as a LIKE pattern (with `\` escaping LIKE's own wildcards). */
function likePattern(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%');
}
