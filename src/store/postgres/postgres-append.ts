/**
 * Appending to the PostgreSQL log inside a group commit: each run of units is one multi-row statement, and
 * a run that fails is replayed one unit per savepoint so only the failing unit is lost. Kept apart from
 * the adapter class so each file reads on its own.
 */
import type pg from 'pg';
import { type EventRow, eventRow } from '../event-row.js';
import type { AppendOutcome, NewEvent, OutboxTarget } from '../store-port.js';

/** Events per insert statement: a flush of many large units is split so no parameter grows unbounded. */
const MAX_STATEMENT_EVENTS = 5000;
/** Envelope bytes (roughly) per insert statement, for the same reason. */
const MAX_STATEMENT_CHARS = 16 * 1024 * 1024;

/**
 * Inserts a run of events, each `(source, id)` at most once, and their outbox rows in one round trip,
 * whatever their number. Rows are inserted in input order, so `seq` follows it. All sub-statements share
 * one snapshot: the final join on `events` sees only rows that existed before this statement (earlier
 * units of the group, earlier commits), which are the duplicates.
 *
 * `locked`: the statement takes the append lock itself, before any row gets its `seq` (the sort by `n`
 * reads the whole join with the lock's row first), so that it can run alone in autocommit: the lock is then
 * held from there through the commit without one round trip to the client (`appendAutocommit`). Its
 * snapshot predates the lock, so a duplicate committed just before may not be in the final join; those are
 * looked up again (`FIND_SQL`).
 */
function appendSql(locked: boolean): string {
  return `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
    WITH ORDINALITY AS t (source, id, type, subject, correlationid, system, envelope, n)
)${locked ? `, append_lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY}) AS taken)` : ''}, inserted AS (
  INSERT INTO events (source, id, type, subject, correlationid, system, ingested_at, envelope)
  SELECT source, id, type, subject, correlationid, system, $8::timestamptz, envelope::jsonb
  FROM input${locked ? ' CROSS JOIN append_lock' : ''} ORDER BY n
  ON CONFLICT (source, id) DO NOTHING
  RETURNING seq, source, id
), accepted AS (
  SELECT input.n, inserted.seq
  FROM inserted JOIN input ON input.source = inserted.source AND input.id = inserted.id
), outboxed AS (
  INSERT INTO outbox (subscription, target, event_seq, partition_key, created_at)
  SELECT o.subscription, o.target, accepted.seq, o.partition_key, $8::timestamptz
  FROM unnest($9::bigint[], $10::text[], $11::text[], $12::text[])
    WITH ORDINALITY AS o (event_n, subscription, target, partition_key, n)
  JOIN accepted ON accepted.n = o.event_n
  ORDER BY o.n
)
SELECT n, seq, true AS fresh FROM accepted
UNION ALL
SELECT input.n, events.seq, false AS fresh
FROM input JOIN events ON events.source = input.source AND events.id = input.id`;
}

/**
 * The key of the append lock: one per schema. Every write that appends to the log takes it and holds it
 * through its commit, so that `seq` order is commit order (a reader following the log by `seq` never skips
 * an event that commits late).
 */
export const APPEND_LOCK_KEY = "hashtextextended('manifold:append:' || current_schema(), 0)";

const APPEND_SQL = appendSql(false);
const APPEND_LOCKED_SQL = appendSql(true);

/** Fallback for a duplicate committed by a writer that does not take the append lock. */
const FIND_SQL = `SELECT source, id, seq FROM events
  WHERE (source, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`;

/** An event with its columns computed and its envelope serialised, ready for `APPEND_SQL`. */
interface PreparedEvent extends EventRow {
  outbox: OutboxTarget[];
}

/** A unit of the group, serialised, with its place in the group's results. */
export interface PreparedUnit {
  /** Position of the unit in the flushed group. */
  index: number;
  events: PreparedEvent[];
}

/**
 * Serialises the group's non-empty units. A unit that cannot be serialised (a BigInt, a cycle) gets its
 * Error in `results` now and is not sent; empty units keep the `[]` already in `results`.
 */
export function prepareUnits(units: NewEvent[][], results: Array<AppendOutcome[] | Error>): PreparedUnit[] {
  const prepared: PreparedUnit[] = [];
  units.forEach((unit, index) => {
    try {
      if (unit.length > 0) prepared.push({ index, events: unit.map(prepareEvent) });
    } catch (error) {
      results[index] = toError(error);
    }
  });
  return prepared;
}

/** Appends `units` in order inside the transaction open on `client`, filling each unit's slot of `results`. */
export async function appendUnits(
  client: pg.PoolClient,
  units: PreparedUnit[],
  at: string,
  results: Array<AppendOutcome[] | Error>,
): Promise<void> {
  for (const run of runs(units)) await appendRun(client, run, at, results);
}

/**
 * Appends `units` in order inside the transaction open on `client` with no savepoint: one statement per
 * run, three round trips for the whole flush (begin, insert, commit). Throws on the first failure, after
 * which the caller rolls the transaction back and replays the flush with `appendUnits`, so that only the
 * failing unit is lost.
 */
export async function appendUnitsDirect(
  client: pg.PoolClient,
  units: PreparedUnit[],
  at: string,
  results: Array<AppendOutcome[] | Error>,
): Promise<void> {
  for (const run of runs(units)) await insertRun(client, run, at, results);
}

/**
 * Appends `units` with one statement in autocommit that takes the append lock itself, so the lock is held
 * only for the statement and its commit, with no round trip to this process in between: the path of every
 * flush that fits one statement. Answers false, having written nothing, when the flush needs several
 * statements. A statement error (a malformed envelope, a constraint) rolled the statement back: it is
 * thrown, and the caller replays the flush in a transaction, unit by unit.
 */
export async function appendAutocommit(
  client: pg.PoolClient,
  units: PreparedUnit[],
  at: string,
  results: Array<AppendOutcome[] | Error>,
): Promise<boolean> {
  const all = [...runs(units)];
  const only = all.length === 1 ? all[0] : undefined;
  if (!only) return false;
  await insertRun(client, only, at, results, true);
  return true;
}

/** Inserts a run of units in one statement and hands each unit its outcomes. */
async function insertRun(
  client: pg.PoolClient,
  run: PreparedUnit[],
  at: string,
  results: Array<AppendOutcome[] | Error>,
  locked = false,
): Promise<void> {
  const outcomes = await insertEvents(
    client,
    run.flatMap((unit) => unit.events),
    at,
    locked,
  );
  let offset = 0;
  for (const unit of run) {
    results[unit.index] = outcomes.slice(offset, offset + unit.events.length);
    offset += unit.events.length;
  }
}

/**
 * Appends a run of units: one statement for the whole run inside a savepoint; if it fails, each unit again
 * in a savepoint of its own, in order, so a failing unit costs only its own result.
 */
async function appendRun(
  client: pg.PoolClient,
  run: PreparedUnit[],
  at: string,
  results: Array<AppendOutcome[] | Error>,
): Promise<void> {
  const only = run.length === 1 ? run[0] : undefined;
  await client.query('SAVEPOINT manifold_run');
  try {
    await insertRun(client, run, at, results);
    await client.query('RELEASE SAVEPOINT manifold_run');
    return;
  } catch (error) {
    // Throws (and so fails the whole flush) when the connection itself is gone.
    await client.query('ROLLBACK TO SAVEPOINT manifold_run; RELEASE SAVEPOINT manifold_run');
    if (only) {
      results[only.index] = toError(error);
      return;
    }
  }
  for (const unit of run) {
    await client.query('SAVEPOINT manifold_unit');
    try {
      results[unit.index] = await insertEvents(client, unit.events, at);
      await client.query('RELEASE SAVEPOINT manifold_unit');
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT manifold_unit; RELEASE SAVEPOINT manifold_unit');
      results[unit.index] = toError(error);
    }
  }
}

/**
 * Inserts `events` (and their outbox rows) in order and reports each as accepted or duplicate. A repeat
 * within `events` is resolved here and never sent, so the statement sees each `(source, id)` once.
 */
async function insertEvents(
  client: pg.PoolClient,
  events: PreparedEvent[],
  at: string,
  locked = false,
): Promise<AppendOutcome[]> {
  const firstOf = new Map<string, number>();
  const unique: PreparedEvent[] = [];
  events.forEach((event, i) => {
    const key = eventKey(event);
    if (firstOf.has(key)) return;
    firstOf.set(key, i);
    unique.push(event);
  });
  const outboxEvent: number[] = [];
  const subscriptions: string[] = [];
  const targets: string[] = [];
  const partitionKeys: string[] = [];
  unique.forEach((event, i) => {
    for (const target of event.outbox) {
      outboxEvent.push(i + 1);
      subscriptions.push(target.subscription);
      targets.push(target.target);
      partitionKeys.push(event.partitionKey);
    }
  });
  const { rows } = await client.query<{ n: string; seq: string; fresh: boolean }>({
    name: locked ? 'manifold_append_locked' : 'manifold_append',
    text: locked ? APPEND_LOCKED_SQL : APPEND_SQL,
    values: [
      unique.map((e) => e.source),
      unique.map((e) => e.id),
      unique.map((e) => e.type),
      unique.map((e) => e.subject),
      unique.map((e) => e.correlationid),
      unique.map((e) => e.system),
      unique.map((e) => e.envelope),
      at,
      outboxEvent,
      subscriptions,
      targets,
      partitionKeys,
    ],
  });
  const byKey = new Map<string, AppendOutcome>();
  for (const row of rows) {
    const key = eventKey(unique[Number(row.n) - 1] as PreparedEvent);
    byKey.set(key, { status: row.fresh ? 'accepted' : 'duplicate', seq: Number(row.seq) });
  }
  const missing = unique.filter((event) => !byKey.has(eventKey(event)));
  if (missing.length > 0) {
    const found = await client.query<{ source: string; id: string; seq: string }>({
      name: 'manifold_find_events',
      text: FIND_SQL,
      values: [missing.map((e) => e.source), missing.map((e) => e.id)],
    });
    for (const row of found.rows) byKey.set(eventKey(row), { status: 'duplicate', seq: Number(row.seq) });
  }
  return events.map((event, i) => {
    const key = eventKey(event);
    const outcome = byKey.get(key);
    if (!outcome) throw new Error(`event (${event.source}, ${event.id}) was neither inserted nor found`);
    return firstOf.get(key) === i ? outcome : { status: 'duplicate', seq: outcome.seq };
  });
}

/** Splits units into runs bounded in events and envelope size; a unit is never split. */
function* runs(units: PreparedUnit[]): Generator<PreparedUnit[]> {
  let run: PreparedUnit[] = [];
  let events = 0;
  let chars = 0;
  for (const unit of units) {
    const unitChars = unit.events.reduce((sum, e) => sum + e.envelope.length, 0);
    if (
      run.length > 0 &&
      (events + unit.events.length > MAX_STATEMENT_EVENTS || chars + unitChars > MAX_STATEMENT_CHARS)
    ) {
      yield run;
      run = [];
      events = 0;
      chars = 0;
    }
    run.push(unit);
    events += unit.events.length;
    chars += unitChars;
  }
  if (run.length > 0) yield run;
}

function prepareEvent(newEvent: NewEvent): PreparedEvent {
  return { ...eventRow(newEvent), outbox: newEvent.outbox };
}

function eventKey(event: { source: string; id: string }): string {
  return `${event.source.length}:${event.source}:${event.id}`;
}

/** The thrown value as an Error, to report as a unit's result. */
export function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
