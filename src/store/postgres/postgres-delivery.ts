/**
 * What delivery does its own way on PostgreSQL (the rest is shared: `../sql-delivery.ts`). Several hub
 * processes may share one database (docs/delivery.md), so unlike SQLite a claim is a lease kept in the row: `claimDeliveries` takes due key heads with
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
import { defaultCoalescingTypes } from '../../domain/event-catalogue.js';
import type { AttemptResult, ClaimQuery, DeliveryClaim } from '../delivery-port.js';
import { exceptionParams } from '../exception-params.js';
import type { DeliveryDialect } from '../sql-delivery.js';

/** `type` of the event of an outbox row (alias `alias`): read per row, from the log's primary key. */
const typeOf = (alias: string) => `(SELECT type FROM events WHERE seq = ${alias}.event_seq)`;

/**
 * Leases the due heads of one subscription's keys, in id order. The head test and the lease test come
 * before the lock, so rows behind a blocked head are never locked, and a row another claimer holds is
 * skipped rather than waited for.
 *
 * A head of a coalescing type ($9, `ClaimQuery.coalesce`) that has a newer pending row of its key and
 * type is `superseded`: it is not leased but answered as such (its other columns null), for COALESCE_SQL. Types
 * are read with a subquery per row so that every plan starts from the outbox's key index, never from
 * the (ever growing) log's type index.
 */
const CLAIM_SQL = `
WITH heads AS (
  SELECT o.id, o.partition_key,
         ${typeOf('o')} = ANY ($9::text[]) AND EXISTS (
           SELECT 1 FROM outbox n
           WHERE n.subscription = o.subscription AND n.partition_key = o.partition_key AND n.id > o.id
             AND n.status = 'pending' AND ${typeOf('n')} = ${typeOf('o')}
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
  LIMIT least($4::integer, $8::integer)
  FOR UPDATE SKIP LOCKED
), followers AS (
  SELECT f.id, f.head, f.rn,
         min(CASE WHEN f.ok THEN NULL ELSE f.rn END) OVER (PARTITION BY f.head) AS first_stop
  FROM heads h CROSS JOIN LATERAL (
    SELECT n.id, h.id AS head, row_number() OVER (ORDER BY n.id) AS rn,
           n.status = 'pending' AND (n.next_attempt_at IS NULL OR n.next_attempt_at <= $2::timestamptz)
             AND (n.lease_until IS NULL OR n.lease_until <= now())
             AND n.id <> ALL ($3::bigint[])
             AND ${typeOf('n')} <> ALL ($9::text[]) AS ok
    FROM outbox n
    WHERE n.subscription = $1 AND n.partition_key = h.partition_key AND n.id > h.id
      AND (n.status = 'pending' OR (n.status = 'parked' AND n.blocks_key))
    ORDER BY n.id
    LIMIT least($7::integer - 1, $4::integer - (SELECT count(*) FROM heads))) f
  WHERE NOT h.superseded
), runs AS (
  SELECT id FROM followers WHERE first_stop IS NULL OR rn < first_stop
  ORDER BY id
  LIMIT greatest(0, $4::integer - (SELECT count(*) FROM heads WHERE NOT superseded))
), leased AS (
  UPDATE outbox o SET lease_until = now() + $5::double precision * interval '1 millisecond', lease_owner = $6
  FROM (SELECT id FROM heads WHERE NOT superseded UNION ALL SELECT id FROM runs) picked
  WHERE o.id = picked.id
  RETURNING o.id, o.subscription, o.target, o.event_seq, o.partition_key, o.attempts, o.throttled_attempts,
            o.first_attempt_at, o.replay_id
)
SELECT leased.*, e.ingested_at, e.envelope, false AS superseded
FROM leased JOIN events e ON e.seq = leased.event_seq
UNION ALL
SELECT id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, true FROM heads WHERE superseded
ORDER BY id`;

/**
 * Coalescing (docs/delivery.md §3) of the keys of superseded heads ($4): every row of those keys that is
 * pending, due, not leased, not in flight ($3), of a coalescing type ($5) and older than a pending row of its
 * key and type becomes `skipped`, `superseded_by` the key's newest pending row of that type. The rows are
 * locked with `SKIP LOCKED` and their conditions re-checked on the locked version, so a row another
 * process is claiming or has just leased is left alone. Bounded by the keys of one claim; each row is
 * skipped once.
 */
const COALESCE_SQL = `
WITH newest AS MATERIALIZED (
  SELECT DISTINCT ON (n.partition_key, t.type) n.partition_key, t.type, n.id
  FROM outbox h
  JOIN outbox n ON n.subscription = $1 AND n.partition_key = h.partition_key AND n.status = 'pending'
  CROSS JOIN LATERAL (SELECT ${typeOf('n')} AS type) t
  WHERE h.id = ANY ($4::bigint[]) AND h.subscription = $1 AND t.type = ANY ($5::text[])
  ORDER BY n.partition_key, t.type, n.id DESC
), victims AS (
  SELECT r.id, newest.id AS newest
  FROM newest JOIN outbox r ON r.subscription = $1 AND r.partition_key = newest.partition_key
  WHERE r.status = 'pending' AND r.id < newest.id
    AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= $2::timestamptz)
    AND (r.lease_until IS NULL OR r.lease_until <= now())
    AND r.id <> ALL ($3::bigint[])
    AND ${typeOf('r')} = newest.type
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

/** Claims and attempt records on PostgreSQL, shared safely by several hub processes. */
export class PostgresDeliveryDialect implements DeliveryDialect {
  readonly noBlock = 'false';
  readonly lockRows = ' FOR UPDATE';
  readonly partitionKeySql = "envelope->>'partitionkey'";

  constructor(private readonly pool: pg.Pool) {}

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
      values: [query.subscription, query.now, inFlight, superseded, coalescing(query)],
    });
    const again = await this.claim(query, query.limit - claims.length, inFlight);
    return [...claims, ...again.filter(isClaim)].map(toClaim).sort((a, b) => a.outboxId - b.outboxId);
  }

  /** One claim statement: leased rows and superseded heads, in id order. */
  private async claim(query: ClaimQuery, limit: number, inFlight: number[]): Promise<ClaimAnswer[]> {
    const { rows } = await this.pool.query<ClaimAnswer>({
      name: 'manifold_claim',
      text: CLAIM_SQL,
      values: [
        query.subscription,
        query.now,
        inFlight,
        limit,
        query.leaseMs,
        query.owner,
        Math.max(1, query.perKey ?? 1),
        query.maxKeys ?? limit,
        coalescing(query),
      ],
    });
    return rows;
  }

  async completeAttempt(result: AttemptResult): Promise<void> {
    const { text, values, name } = completion(result);
    await this.pool.query({ name, text, values });
  }

  async releaseClaims(outboxIds: readonly number[], owner: string): Promise<void> {
    await this.pool.query({
      name: 'manifold_release',
      text: `UPDATE outbox SET lease_until = NULL, lease_owner = NULL
             WHERE id = ANY ($1::bigint[]) AND status = 'pending' AND lease_owner = $2`,
      values: [[...outboxIds], owner],
    });
  }

  async completeAttempts(results: readonly AttemptResult[]): Promise<void> {
    if (results.length === 0) return;
    if (results.length === 1 && results[0]) return this.completeAttempt(results[0]);
    // One transaction, statements in the order given: a key's records commit in its order, all or none.
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const result of results) await client.query(completion(result));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  patternMatch(column: string, pattern: string): { sql: string; param: string } {
    return { sql: `${column} LIKE ? ESCAPE '\\'`, param: likePattern(pattern) };
  }

  envelopeText(path: string): { sql: string; param: string } {
    return { sql: 'envelope #>> ?', param: `{data,${path.split('.').join(',')}}` };
  }

  json(value: unknown): unknown {
    return value;
  }
}

/** The types the claim coalesces, as a text[] parameter. */
function coalescing(query: ClaimQuery): string[] {
  return [...(query.coalesce ?? defaultCoalescingTypes())];
}

/** The one statement that records an attempt and moves its row (and opens its exception when parked). */
function completion(result: AttemptResult): { name: string; text: string; values: unknown[] } {
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
  if (next.kind === 'park')
    return {
      name: 'manifold_complete_park',
      text: `${COMPLETE_SQL}
        INSERT INTO exceptions (${EXCEPTION_COLUMN_LIST})
        SELECT ${exceptionPlaceholders(values.length + 1)} FROM moved`,
      values: [...values, ...exceptionParams(next.exception)],
    };
  return { name: 'manifold_complete', text: `${COMPLETE_SQL} SELECT id FROM moved`, values };
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

/** A `*` pattern as a LIKE pattern (with `\` escaping LIKE's own wildcards). */
function likePattern(pattern: string): string {
  return pattern.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%');
}
