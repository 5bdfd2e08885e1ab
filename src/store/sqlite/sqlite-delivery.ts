/**
 * The delivery half of the SQLite store: claims and writes as `exec` requests to the writer thread (so
 * writes share its group commit, and claims its warm page cache); admin reads on the main connection. The embedded store serves one hub process, so claims
 * need no lease in the database: the engine's in-flight set is the lease.
 */
import type Database from 'better-sqlite3';
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
import { GroupCommit } from '../group-commit.js';
import { SqlConditions } from '../sql-conditions.js';

/** One SQL statement for the writer thread; `?` placeholders. */
export interface WriteStep {
  sql: string;
  params?: unknown[];
  mode: 'run' | 'all' | 'get';
  /** For `run`: the number of rows the statement must change, else the unit is rolled back. */
  expect?: number;
}

export type ExecFn = (steps: WriteStep[]) => Promise<unknown[]>;

interface ClaimRow {
  id: number;
  subscription: string;
  target: string;
  event_seq: number;
  partition_key: string;
  attempts: number;
  throttled_attempts: number;
  first_attempt_at: string | null;
  replay_id: number | null;
  ingested_at: string;
  envelope: string;
  /** 1: a head to skip (coalescing), not to hand out. */
  superseded: 0 | 1;
}

type ExceptionRow = Record<string, string | number | null>;

/** The coalescing types as an SQL list, for `IN (…)` (constants of the catalogue, quoted). */
const COALESCING = sqlTextList(coalescableTypes());

/**
 * Due heads of keys of one subscription, in log order (per-key FIFO: no earlier open row of the key).
 * `superseded` marks a head of a coalescing type that has a newer pending row of its key, also of a
 * coalescing type: it is not handed out but skipped (COALESCE_SQL). `status IN ('pending', 'parked')` is
 * repeated so that SQLite uses the partial index `outbox_key_open`.
 */
const CLAIM_SQL = `SELECT o.id, o.subscription, o.target, o.event_seq, o.partition_key, o.attempts,
         o.throttled_attempts, o.first_attempt_at,
         o.replay_id, e.ingested_at, e.envelope,
         e.type IN (${COALESCING}) AND EXISTS (
           SELECT 1 FROM outbox n
           WHERE n.subscription = o.subscription AND n.partition_key = o.partition_key AND n.id > o.id
             AND n.status IN ('pending', 'parked') AND n.status = 'pending'
             AND (SELECT type FROM events WHERE seq = n.event_seq) IN (${COALESCING})
         ) AS superseded
  FROM outbox o JOIN events e ON e.seq = o.event_seq
  WHERE o.subscription = @subscription AND o.status = 'pending'
    AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= @now)
    AND o.id NOT IN (SELECT value FROM json_each(@inFlight))
    AND NOT EXISTS (
      SELECT 1 FROM outbox p
      WHERE p.subscription = o.subscription AND p.partition_key = o.partition_key AND p.id < o.id
        AND p.status IN ('pending', 'parked') AND (p.status = 'pending' OR p.blocks_key = 1))
  ORDER BY o.id LIMIT @limit`;

/**
 * Coalescing (docs/delivery.md §3) of the keys of the given heads: every pending row of a coalescing type that is
 * due, not in flight and older than the key's newest pending row of a coalescing type becomes `skipped`,
 * `superseded_by` that newest row. Bounded by the keys of one claim; each row is skipped once.
 */
const COALESCE_SQL = `WITH newest AS MATERIALIZED (
    SELECT h.partition_key AS key, (
        SELECT n.id FROM outbox n
        WHERE n.subscription = h.subscription AND n.partition_key = h.partition_key
          AND n.status IN ('pending', 'parked') AND n.status = 'pending'
          AND (SELECT type FROM events WHERE seq = n.event_seq) IN (${COALESCING})
        ORDER BY n.id DESC LIMIT 1) AS id
    FROM outbox h WHERE h.id IN (SELECT value FROM json_each(@heads)) AND h.subscription = @subscription)
  UPDATE outbox SET status = 'skipped', superseded_by = newest.id
  FROM newest
  WHERE outbox.subscription = @subscription AND outbox.partition_key = newest.key
    AND outbox.status IN ('pending', 'parked') AND outbox.status = 'pending' AND outbox.id < newest.id
    AND (outbox.next_attempt_at IS NULL OR outbox.next_attempt_at <= @now)
    AND outbox.id NOT IN (SELECT value FROM json_each(@inFlight))
    AND (SELECT type FROM events WHERE seq = outbox.event_seq) IN (${COALESCING})`;

const INSERT_EXCEPTION = `INSERT INTO exceptions (code, detail, subscription, system, outbox_id, event_seq, event_id,
  subject, last_status, last_body, last_error, attempts, first_attempt_at, last_attempt_at, payload, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`;

/** Delivery bookkeeping on SQLite. */
export class SqliteDelivery implements DeliveryStore {
  /**
   * Attempt records made in the same turn of the event loop go to the writer as one request: a busy
   * subscription completes many deliveries at once, and each message costs the main thread.
   */
  private readonly completions: GroupCommit<WriteStep[], undefined>;

  constructor(
    private readonly db: Database.Database,
    private readonly exec: ExecFn,
  ) {
    this.completions = new GroupCommit(
      async (units) => {
        await this.exec(units.flat());
        return units.map(() => undefined);
      },
      { maxInFlight: Number.POSITIVE_INFINITY },
    );
  }

  async claimDeliveries(query: ClaimQuery): Promise<DeliveryClaim[]> {
    // Read on the writer thread: its connection is the only writer, so its page cache stays warm, while
    // this thread's cache is invalidated by every commit of the writer (profiled: 4× slower claims).
    const params = {
      subscription: query.subscription,
      now: query.now,
      inFlight: JSON.stringify([...query.inFlight]),
      limit: query.limit,
    };
    const [rows] = (await this.exec([{ sql: CLAIM_SQL, params: [params], mode: 'all' }])) as [ClaimRow[]];
    const claimed = rows.filter((row) => !row.superseded);
    const superseded = rows.filter((row) => row.superseded).map((row) => row.id);
    if (superseded.length === 0) return claimed.map(toClaim);
    // Coalescing: skip the superseded heads (and the rows of their keys up to the newest), then claim the
    // rest in the same transaction, so the newest row of each of those keys goes out now. Heads marked
    // superseded again are left for the next claim: they never go out.
    const inFlight = JSON.stringify([...query.inFlight, ...claimed.map((row) => row.id)]);
    const [, again] = (await this.exec([
      {
        sql: COALESCE_SQL,
        params: [{ ...params, inFlight, heads: JSON.stringify(superseded) }],
        mode: 'run',
      },
      {
        sql: CLAIM_SQL,
        params: [{ ...params, inFlight, limit: query.limit - claimed.length }],
        mode: 'all',
      },
    ])) as [unknown, ClaimRow[]];
    return [...claimed, ...again.filter((row) => !row.superseded)].sort((a, b) => a.id - b.id).map(toClaim);
  }

  async completeAttempt(result: AttemptResult): Promise<void> {
    const { claim, next } = result;
    const steps: WriteStep[] = [
      {
        sql: `INSERT INTO delivery_attempts (outbox_id, event_seq, subscription, attempt, started_at, finished_at,
                outcome, status, error, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [
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
        ],
        mode: 'run',
      },
    ];
    const status = next.kind === 'delivered' ? 'delivered' : next.kind === 'retry' ? 'pending' : 'parked';
    steps.push({
      sql: `UPDATE outbox SET attempts = attempts + 1, throttled_attempts = throttled_attempts + ?,
              first_attempt_at = coalesce(first_attempt_at, ?),
              last_attempt_at = ?, status = ?, next_attempt_at = ?, delivered_at = ?, blocks_key = ?
            WHERE id = ?`,
      params: [
        result.throttled ? 1 : 0,
        result.startedAt,
        result.finishedAt,
        status,
        next.kind === 'retry' ? next.at : null,
        next.kind === 'delivered' ? result.finishedAt : null,
        next.kind === 'park' && next.blocksKey ? 1 : 0,
        claim.outboxId,
      ],
      mode: 'run',
    });
    if (next.kind === 'park')
      steps.push({ sql: INSERT_EXCEPTION, params: exceptionParams(next.exception), mode: 'get' });
    // Grouped with other completions: if the group fails, none is recorded and those rows are sent again
    // (at least once, same Idempotency-Key).
    await this.completions.submit(steps);
  }

  async listAttempts(query: { eventSeq: number }): Promise<DeliveryAttempt[]> {
    const rows = this.db
      .prepare('SELECT * FROM delivery_attempts WHERE event_seq = ? ORDER BY id')
      .all(query.eventSeq) as Record<string, string | number | null>[];
    return rows.map((r) => ({
      id: r.id as number,
      outboxId: r.outbox_id as number,
      eventSeq: r.event_seq as number,
      subscription: r.subscription as string,
      attempt: r.attempt as number,
      startedAt: r.started_at as string,
      finishedAt: r.finished_at as string,
      outcome: r.outcome as DeliveryAttempt['outcome'],
      ...(r.status !== null ? { status: r.status as number } : {}),
      ...(r.error !== null ? { error: r.error as string } : {}),
      latencyMs: r.latency_ms as number,
    }));
  }

  async deliveryBacklog(): Promise<BacklogStat[]> {
    const rows = this.db
      .prepare(
        `SELECT subscription, sum(status = 'pending') AS pending, sum(status = 'parked') AS parked,
                min(CASE WHEN status = 'pending' THEN created_at END) AS oldest
         FROM outbox WHERE status IN ('pending', 'parked') GROUP BY subscription`,
      )
      .all() as { subscription: string; pending: number; parked: number; oldest: string | null }[];
    return rows.map((r) => ({
      subscription: r.subscription,
      pending: r.pending,
      parked: r.parked,
      ...(r.oldest ? { oldestPendingAt: r.oldest } : {}),
    }));
  }

  async openExceptionCounts(): Promise<OpenExceptionCount[]> {
    const rows = this.db
      .prepare(
        `SELECT code, subscription, count(*) AS n FROM exceptions WHERE status = 'open'
         GROUP BY code, subscription ORDER BY code, subscription`,
      )
      .all() as { code: string; subscription: string | null; n: number }[];
    return rows.map((r) => ({
      code: r.code,
      ...(r.subscription !== null ? { subscription: r.subscription } : {}),
      count: r.n,
    }));
  }

  async createException(exception: NewException): Promise<ExceptionRecord> {
    const [row] = await this.exec([
      { sql: INSERT_EXCEPTION, params: exceptionParams(exception), mode: 'get' },
    ]);
    return toException(row as ExceptionRow);
  }

  async listExceptions(query: ExceptionQuery): Promise<ExceptionRecord[]> {
    const conditions = new SqlConditions('question')
      .add('subscription = ?', query.subscription)
      .add('code = ?', query.code)
      .add('system = ?', query.system)
      .add('subject = ?', query.subject)
      .add('status = ?', query.status)
      .add('created_at >= ?', query.since === undefined ? undefined : new Date(query.since).toISOString())
      .add('id > ?', query.afterId);
    const rows = this.db
      .prepare(
        `SELECT * FROM exceptions ${conditions.where} ORDER BY id LIMIT ${conditions.next(query.limit)}`,
      )
      .all(...conditions.params) as ExceptionRow[];
    return rows.map(toException);
  }

  async getException(id: number): Promise<ExceptionRecord | undefined> {
    const row = this.db.prepare('SELECT * FROM exceptions WHERE id = ?').get(id) as ExceptionRow | undefined;
    return row ? toException(row) : undefined;
  }

  async retryExceptions(ids: number[], actor: Actor): Promise<ExceptionRecord[]> {
    if (ids.length === 0) return [];
    const list = JSON.stringify(ids);
    const open = `SELECT value FROM json_each(?)`;
    const results = await this.exec([
      {
        sql: `INSERT INTO audit_log (at, actor, action, target, note)
              SELECT ?, ?, 'exception.retry', 'exception:' || id, ? FROM exceptions
              WHERE id IN (${open}) AND status = 'open' ORDER BY id`,
        params: [actor.at, actor.who, actor.note ?? null, list],
        mode: 'run',
      },
      {
        // A fresh budget: attempts and age count again from the operator's retry.
        sql: `UPDATE outbox SET status = 'pending', next_attempt_at = NULL, first_attempt_at = NULL, attempts = 0,
                throttled_attempts = 0, blocks_key = 0
              WHERE status = 'parked' AND id IN (
                SELECT outbox_id FROM exceptions WHERE id IN (${open}) AND status = 'open' AND outbox_id IS NOT NULL)`,
        params: [list],
        mode: 'run',
      },
      {
        sql: `UPDATE exceptions SET status = 'resolved', resolved_at = ?, resolved_by = ?, resolution = 'retried',
                note = ?
              WHERE id IN (${open}) AND status = 'open' RETURNING *`,
        params: [actor.at, actor.who, actor.note ?? null, list],
        mode: 'all',
      },
    ]);
    return (results[2] as ExceptionRow[]).map(toException).sort((a, b) => a.id - b.id);
  }

  async resolveException(id: number, actor: Actor): Promise<ExceptionRecord | undefined> {
    await this.exec([
      {
        sql: `INSERT INTO audit_log (at, actor, action, target, note)
              SELECT ?, ?, 'exception.resolve', 'exception:' || id, ? FROM exceptions WHERE id = ? AND status = 'open'`,
        params: [actor.at, actor.who, actor.note ?? null, id],
        mode: 'run',
      },
      {
        sql: `UPDATE outbox SET status = 'skipped', blocks_key = 0
              WHERE status = 'parked' AND id = (SELECT outbox_id FROM exceptions WHERE id = ? AND status = 'open')`,
        params: [id],
        mode: 'run',
      },
      {
        sql: `UPDATE exceptions SET status = 'resolved', resolved_at = ?, resolved_by = ?, resolution = 'resolved',
                note = ? WHERE id = ? AND status = 'open'`,
        params: [actor.at, actor.who, actor.note ?? null, id],
        mode: 'run',
      },
    ]);
    return this.getException(id);
  }

  async listAudit(query: { afterId?: number; limit: number }): Promise<AuditEntry[]> {
    const rows = this.db
      .prepare('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?')
      .all(query.afterId ?? 0, query.limit) as Record<string, string | number | null>[];
    return rows.map((r) => ({
      id: r.id as number,
      at: r.at as string,
      actor: r.actor as string,
      action: r.action as string,
      target: r.target as string,
      ...(r.note !== null ? { note: r.note as string } : {}),
      ...(r.detail !== null ? { detail: JSON.parse(r.detail as string) as Record<string, unknown> } : {}),
    }));
  }

  async createReplay(
    selection: ReplaySelection,
    types: string[] | undefined,
    target: string,
    actor: Actor,
    filter?: SubscriptionFilter,
  ): Promise<ReplayRecord> {
    const filters: string[] = ['ingested_at >= ?', 'system <> ?'];
    const params: unknown[] = [new Date(selection.from).toISOString(), target];
    if (selection.to !== undefined) {
      filters.push('ingested_at < ?');
      params.push(new Date(selection.to).toISOString());
    }
    if (types !== undefined) {
      filters.push('type IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(types));
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
      filters.push('subject GLOB ?');
      params.push(filter.subject.replace(/[[?]/g, (c) => `[${c}]`));
    }
    for (const [path, expected] of Object.entries(filter?.data ?? {})) {
      filters.push('CAST(json_extract(envelope, ?) AS TEXT) IN (SELECT value FROM json_each(?))');
      params.push(
        `$.data.${path}`,
        JSON.stringify((Array.isArray(expected) ? expected : [expected]).map(String)),
      );
    }
    // The writer thread is the only writer, so max(id) inside the transaction is the replay just made.
    const replayId = '(SELECT max(id) FROM replays)';
    const [created] = await this.exec([
      {
        sql: `INSERT INTO replays (subscription, selection, created_at, created_by) VALUES (?, ?, ?, ?) RETURNING id`,
        params: [selection.subscription, JSON.stringify(selection), actor.at, actor.who],
        mode: 'get',
      },
      {
        sql: `INSERT INTO outbox (subscription, target, event_seq, partition_key, created_at, replay_id)
              SELECT ?, ?, seq, coalesce(json_extract(envelope, '$.partitionkey'), subject), ?, ${replayId}
              FROM events WHERE ${filters.join(' AND ')} ORDER BY seq`,
        params: [selection.subscription, target, actor.at, ...params],
        mode: 'run',
      },
      {
        sql: `UPDATE replays SET total = (SELECT count(*) FROM outbox WHERE replay_id = replays.id) WHERE id = ${replayId}`,
        mode: 'run',
      },
      {
        sql: `INSERT INTO audit_log (at, actor, action, target, note, detail)
              VALUES (?, ?, 'replay.create', 'replay:' || ${replayId}, ?, ?)`,
        params: [actor.at, actor.who, actor.note ?? null, JSON.stringify(selection)],
        mode: 'run',
      },
    ]);
    return (await this.getReplay((created as { id: number }).id)) as ReplayRecord;
  }

  async getReplay(id: number): Promise<ReplayRecord | undefined> {
    const replay = this.db.prepare('SELECT * FROM replays WHERE id = ?').get(id) as
      | { id: number; selection: string; created_at: string; created_by: string; total: number }
      | undefined;
    if (!replay) return undefined;
    const counts = this.db
      .prepare(
        `SELECT sum(status IN ('delivered', 'skipped')) AS delivered, sum(status = 'pending') AS pending,
                sum(status = 'parked') AS parked FROM outbox WHERE replay_id = ?`,
      )
      .get(id) as { delivered: number | null; pending: number | null; parked: number | null };
    const pending = counts.pending ?? 0;
    const parked = counts.parked ?? 0;
    return {
      id: replay.id,
      selection: JSON.parse(replay.selection) as ReplaySelection,
      createdAt: replay.created_at,
      createdBy: replay.created_by,
      total: replay.total,
      delivered: counts.delivered ?? 0,
      pending,
      parked,
      status: pending === 0 ? 'completed' : 'running',
    };
  }
}

function toClaim(row: ClaimRow): DeliveryClaim {
  return {
    outboxId: row.id,
    subscription: row.subscription,
    target: row.target,
    eventSeq: row.event_seq,
    partitionKey: row.partition_key,
    attempts: row.attempts,
    throttledAttempts: row.throttled_attempts,
    ...(row.first_attempt_at ? { firstAttemptAt: row.first_attempt_at } : {}),
    ...(row.replay_id !== null ? { replayId: row.replay_id } : {}),
    ingestedAt: row.ingested_at,
    event: JSON.parse(row.envelope) as CloudEvent,
  };
}

/** Constant strings as an SQL list for `IN (…)`; `NULL` (matching nothing) when there are none. */
function sqlTextList(values: readonly string[]): string {
  return values.length === 0 ? 'NULL' : values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ');
}

function toException(r: ExceptionRow): ExceptionRecord {
  const optional = (key: string, name: string, value = r[key]) =>
    value === null || value === undefined ? {} : { [name]: value };
  return {
    id: r.id as number,
    code: r.code as string,
    status: r.status as ExceptionRecord['status'],
    detail: r.detail as string,
    createdAt: r.created_at as string,
    ...optional('subscription', 'subscription'),
    ...optional('system', 'system'),
    ...optional('outbox_id', 'outboxId'),
    ...optional('event_seq', 'eventSeq'),
    ...optional('event_id', 'eventId'),
    ...optional('subject', 'subject'),
    ...optional('last_status', 'lastStatus'),
    ...optional('last_body', 'lastBody'),
    ...optional('last_error', 'lastError'),
    ...optional('attempts', 'attempts'),
    ...optional('first_attempt_at', 'firstAttemptAt'),
    ...optional('last_attempt_at', 'lastAttemptAt'),
    ...optional('payload', 'payload'),
    ...optional('resolved_at', 'resolvedAt'),
    ...optional('resolved_by', 'resolvedBy'),
    ...optional('resolution', 'resolution'),
    ...optional('note', 'note'),
  } as ExceptionRecord;
}
