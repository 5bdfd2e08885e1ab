/**
 * What delivery does its own way on SQLite (the rest is shared: `../sql-delivery.ts`). Claims and attempt
 * records are `exec` requests to the writer thread, so writes share its group commit, and claims its warm
 * page cache. The embedded store serves one hub process, so claims need no lease in the database: the
 * engine's in-flight set is the lease.
 */
import type { CloudEvent } from '../../domain/cloud-event.js';
import { defaultCoalescingTypes } from '../../domain/event-catalogue.js';
import type { AttemptResult, ClaimQuery, DeliveryClaim } from '../delivery-port.js';
import { GroupCommit } from '../group-commit.js';
import { type DeliveryDialect, exceptionStep } from '../sql-delivery.js';
import type { SqlStep, StepRunner } from '../sql-step.js';

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

/** `type` of the event of an outbox row (alias `alias`): read per row, from the log's primary key. */
const typeOf = (alias: string) => `(SELECT type FROM events WHERE seq = ${alias}.event_seq)`;
/** The subscription's coalescing types (`ClaimQuery.coalesce`, a JSON array), for `IN`. */
const COALESCING = '(SELECT value FROM json_each(@coalesce))';

/**
 * Due heads of keys of one subscription, in log order (per-key FIFO: no earlier open row of the key),
 * each with the rows of its key that follow it up to `perKey` (see `ClaimQuery.perKey`).
 * `superseded` marks a head of a coalescing type that has a newer pending row of its key and type: it is
 * not handed out but skipped (COALESCE_SQL). A follower of a coalescing type ends its key's run (it may
 * be superseded itself; the next claim sees it as a head). `status IN ('pending', 'parked')` is repeated
 * so that SQLite uses the partial index `outbox_key_open`. The last join is a CROSS JOIN, which SQLite
 * never reorders: the picked rows (at most `limit`) look up their outbox row and event by primary key.
 * With a plain JOIN and no statistics (the hub never runs ANALYZE) SQLite scanned the whole outbox against
 * a Bloom filter of the picked ids: every claim cost time in proportion to the outbox, retained rows
 * included (sqlite-claim-plan.test.ts).
 */
export const CLAIM_SQL = `WITH heads AS MATERIALIZED (
    SELECT o.id, o.partition_key,
         ${typeOf('o')} IN ${COALESCING} AND EXISTS (
           SELECT 1 FROM outbox n
           WHERE n.subscription = o.subscription AND n.partition_key = o.partition_key AND n.id > o.id
             AND n.status IN ('pending', 'parked') AND n.status = 'pending'
             AND ${typeOf('n')} = ${typeOf('o')}
         ) AS superseded
    FROM outbox o
    WHERE o.subscription = @subscription AND o.status = 'pending'
      AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= @now)
      AND o.id NOT IN (SELECT value FROM json_each(@inFlight))
      AND NOT EXISTS (
        SELECT 1 FROM outbox p
        WHERE p.subscription = o.subscription AND p.partition_key = o.partition_key AND p.id < o.id
          AND p.status IN ('pending', 'parked') AND (p.status = 'pending' OR p.blocks_key = 1))
    ORDER BY o.id LIMIT min(@limit, @maxKeys)),
  followers AS (
    SELECT n.id, h.id AS head,
           row_number() OVER (PARTITION BY h.id ORDER BY n.id) AS rn,
           n.status = 'pending' AND (n.next_attempt_at IS NULL OR n.next_attempt_at <= @now)
             AND n.id NOT IN (SELECT value FROM json_each(@inFlight))
             AND ${typeOf('n')} NOT IN ${COALESCING} AS ok
    FROM heads h JOIN outbox n ON n.id IN (
      SELECT f.id FROM outbox f
      WHERE f.subscription = @subscription AND f.partition_key = h.partition_key AND f.id > h.id
        AND f.status IN ('pending', 'parked') AND (f.status = 'pending' OR f.blocks_key = 1)
      ORDER BY f.id LIMIT min(@perKey - 1, @limit - (SELECT count(*) FROM heads)))
    WHERE NOT h.superseded),
  runs AS (
    SELECT id FROM (
      SELECT id, rn, min(CASE WHEN ok THEN NULL ELSE rn END) OVER (PARTITION BY head) AS first_stop
      FROM followers)
    WHERE first_stop IS NULL OR rn < first_stop
    ORDER BY id LIMIT max(0, @limit - (SELECT count(*) FROM heads WHERE NOT superseded))),
  picked AS (SELECT id, superseded FROM heads UNION ALL SELECT id, 0 FROM runs)
  SELECT o.id, o.subscription, o.target, o.event_seq, o.partition_key, o.attempts,
         o.throttled_attempts, o.first_attempt_at, o.replay_id, e.ingested_at, e.envelope, picked.superseded
  FROM picked CROSS JOIN outbox o ON o.id = picked.id CROSS JOIN events e ON e.seq = o.event_seq
  ORDER BY o.id`;

/**
 * Coalescing (docs/delivery.md §3) of the keys of the given heads: every pending row of a coalescing type
 * that is due, not in flight and older than a pending row of its key and type becomes `skipped`,
 * `superseded_by` the key's newest pending row of that type (never skipped itself, so the same for every
 * row it supersedes). Bounded by the keys of one claim; each row is skipped once.
 */
const COALESCE_SQL = `UPDATE outbox SET status = 'skipped', superseded_by = (
    SELECT n.id FROM outbox n
    WHERE n.subscription = outbox.subscription AND n.partition_key = outbox.partition_key
      AND n.status IN ('pending', 'parked') AND n.status = 'pending'
      AND ${typeOf('n')} = ${typeOf('outbox')}
    ORDER BY n.id DESC LIMIT 1)
  WHERE outbox.subscription = @subscription
    AND outbox.partition_key IN (
      SELECT h.partition_key FROM outbox h
      WHERE h.id IN (SELECT value FROM json_each(@heads)) AND h.subscription = @subscription)
    AND outbox.status IN ('pending', 'parked') AND outbox.status = 'pending'
    AND (outbox.next_attempt_at IS NULL OR outbox.next_attempt_at <= @now)
    AND outbox.id NOT IN (SELECT value FROM json_each(@inFlight))
    AND ${typeOf('outbox')} IN ${COALESCING}
    AND EXISTS (
      SELECT 1 FROM outbox n
      WHERE n.subscription = outbox.subscription AND n.partition_key = outbox.partition_key
        AND n.id > outbox.id AND n.status IN ('pending', 'parked') AND n.status = 'pending'
        AND ${typeOf('n')} = ${typeOf('outbox')})`;

/** Claims and attempt records on SQLite. */
export class SqliteDeliveryDialect implements DeliveryDialect {
  readonly noBlock = '0';
  readonly lockRows = '';
  readonly partitionKeySql = "json_extract(envelope, '$.partitionkey')";
  /**
   * Attempt records made in the same turn of the event loop go to the writer as one request: a busy
   * subscription completes many deliveries at once, and each message costs the main thread.
   */
  private readonly completions: GroupCommit<SqlStep[], undefined>;

  constructor(private readonly runner: StepRunner) {
    this.completions = new GroupCommit(
      async (units) => {
        await this.runner.write(units.flat());
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
      perKey: Math.max(1, query.perKey ?? 1),
      maxKeys: query.maxKeys ?? query.limit,
      coalesce: JSON.stringify(query.coalesce ?? defaultCoalescingTypes()),
    };
    const [rows] = (await this.runner.write([{ sql: CLAIM_SQL, params: [params], mode: 'all' }])) as [
      ClaimRow[],
    ];
    const claimed = rows.filter((row) => !row.superseded);
    const superseded = rows.filter((row) => row.superseded).map((row) => row.id);
    if (superseded.length === 0) return claimed.map(toClaim);
    // Coalescing: skip the superseded heads (and the rows of their keys up to the newest), then claim the
    // rest in the same transaction, so the newest row of each of those keys goes out now. Heads marked
    // superseded again are left for the next claim: they never go out.
    const inFlight = JSON.stringify([...query.inFlight, ...claimed.map((row) => row.id)]);
    const [, again] = (await this.runner.write([
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

  completeAttempt(result: AttemptResult): Promise<void> {
    return this.completeAttempts([result]);
  }

  /** Nothing to give back: the engine's in-flight set is the lease here. */
  releaseClaims(): Promise<void> {
    return Promise.resolve();
  }

  async completeAttempts(results: readonly AttemptResult[]): Promise<void> {
    if (results.length === 0) return;
    // Grouped with other completions: if the group fails, none is recorded and those rows are sent again
    // (at least once, same Idempotency-Key). One unit: the results commit together, in this order.
    await this.completions.submit(results.flatMap((result) => this.attemptSteps(result)));
  }

  private attemptSteps(result: AttemptResult): SqlStep[] {
    const { claim, next } = result;
    const steps: SqlStep[] = [
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
    if (next.kind === 'park') steps.push(exceptionStep(next.exception));
    return steps;
  }

  patternMatch(column: string, pattern: string): { sql: string; param: string } {
    return { sql: `${column} GLOB ?`, param: pattern.replace(/[[?]/g, (c) => `[${c}]`) };
  }

  envelopeText(path: string): { sql: string; param: string } {
    return { sql: 'CAST(json_extract(envelope, ?) AS TEXT)', param: `$.data.${path}` };
  }

  json(value: unknown): unknown {
    return typeof value === 'string' ? JSON.parse(value) : value;
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
