/**
 * Appending events to the log inside a writer's own transaction, on either adapter through its
 * `StepRunner`: a poller's page with its cursor (`sql-connector-state.ts`), the availability publisher's
 * batch with its figures and cursor (`sql-inventory.ts`), an order unit (`sql-orders.ts`). (`Store.append`
 * has its own, faster path per adapter, for events that are the whole of a write.) The transaction must be
 * written with `appendsToLog: true` when it inserts events, so PostgreSQL takes the log's append lock.
 */
import { type EventRow, eventRow } from './event-row.js';
import type { SqlStep, StepRunner } from './sql-step.js';
import type { AppendOutcome, NewEvent } from './store-port.js';

/** The steps of an append inside a larger write, and how to read their outcomes from its results. */
export interface AppendPlan {
  /** To be placed first in the write (after a fence check, which `fencedWrite` strips from the results). */
  steps: SqlStep[];
  /** Whether any event is inserted (the write's `appendsToLog`). */
  appendsToLog: boolean;
  /** One outcome per event, as `Store.append` reports them, from the write's results. */
  outcomes(results: unknown[]): AppendOutcome[];
}

/** New events per insert statement (8 parameters each), and outbox rows per statement (6 each). */
const EVENTS_PER_STATEMENT = 200;
const OUTBOX_PER_STATEMENT = 500;

/**
 * Plans the append of `events` as `Store.append` would make it: an event already in the log, or repeated
 * within `events`, is a duplicate and not written again; the others are inserted with their outbox rows
 * (`eventSteps`). The log is read now: an event another writer logs before the write commits fails the
 * write (`ConditionNotMet`, nothing written), and the caller plans again.
 */
export async function planAppend(runner: StepRunner, events: NewEvent[], at: string): Promise<AppendPlan> {
  const rows = events.map(eventRow);
  const logged = await loggedSeqs(runner, rows);
  const plan: ({ status: 'duplicate'; seq: number } | { fresh: number } | { sameAs: number })[] = [];
  const fresh: number[] = [];
  const firstAt = new Map<string, number>();
  rows.forEach((row, index) => {
    const key = `${row.source}\n${row.id}`;
    const seq = logged.get(key);
    if (seq !== undefined) plan.push({ status: 'duplicate', seq });
    else if (firstAt.has(key)) plan.push({ sameAs: firstAt.get(key) as number });
    else {
      firstAt.set(key, index);
      plan.push({ fresh: index });
      fresh.push(index);
    }
  });
  const { steps, seqSteps } = insertSteps(
    fresh.map((index) => ({ event: events[index] as NewEvent, row: rows[index] as EventRow, n: index })),
    at,
    runner.timestamp('?'),
    true,
  );
  return {
    steps,
    appendsToLog: fresh.length > 0,
    outcomes(results) {
      const seqOf = new Map<number, number>();
      for (const step of seqSteps) {
        for (const row of results[step] as { n: number | string; seq: number | string }[]) {
          seqOf.set(Number(row.n), Number(row.seq));
        }
      }
      const outcomes: AppendOutcome[] = [];
      for (const entry of plan) {
        if ('status' in entry) outcomes.push(entry);
        else if ('fresh' in entry)
          outcomes.push({ status: 'accepted', seq: seqOf.get(entry.fresh) as number });
        else outcomes.push({ status: 'duplicate', seq: (outcomes[entry.sameAs] as AppendOutcome).seq });
      }
      return outcomes;
    },
  };
}

/**
 * The steps inserting events known to be new, with their outbox rows, in order: a few statements per 200
 * events whatever their number (a transaction that appends holds the log's append lock on PostgreSQL, and
 * one round trip per event would hold it long). Every insert must change all its rows, so an event another
 * writer logged meanwhile fails the transaction with `ConditionNotMet`. An order unit's hub events, whose
 * ids are derived from what caused them (already logged: another writer got there first).
 */
export function eventSteps(events: NewEvent[], at: string, ts: string): SqlStep[] {
  return insertSteps(
    events.map((event, n) => ({ event, row: eventRow(event), n })),
    at,
    ts,
    false,
  ).steps;
}

/** `eventSteps`, and with `readSeqs` a step per 200 events reading back their `seq` by `n`. */
function insertSteps(
  items: { event: NewEvent; row: EventRow; n: number }[],
  at: string,
  ts: string,
  readSeqs: boolean,
): { steps: SqlStep[]; seqSteps: number[] } {
  const steps: SqlStep[] = [];
  const seqSteps: number[] = [];
  for (let start = 0; start < items.length; start += EVENTS_PER_STATEMENT) {
    const chunk = items.slice(start, start + EVENTS_PER_STATEMENT);
    steps.push({
      sql: `INSERT INTO events (source, id, type, subject, correlationid, system, ingested_at, envelope)
            VALUES ${chunk.map(() => `(?, ?, ?, ?, ?, ?, ${ts}, ?)`).join(', ')}
            ON CONFLICT (source, id) DO NOTHING`,
      params: chunk.flatMap(({ row }) => [
        row.source,
        row.id,
        row.type,
        row.subject,
        row.correlationid,
        row.system,
        at,
        row.envelope,
      ]),
      mode: 'run',
      expect: chunk.length,
    });
    const targets = chunk.flatMap(({ event, row }) => event.outbox.map((target) => ({ row, target })));
    for (let from = 0; from < targets.length; from += OUTBOX_PER_STATEMENT) {
      const part = targets.slice(from, from + OUTBOX_PER_STATEMENT);
      // Inserted in the events' order, then the targets' (the outbox id orders delivery within a key).
      steps.push({
        sql: `INSERT INTO outbox (subscription, target, event_seq, partition_key, created_at)
              SELECT v.column1, v.column2, e.seq, v.column3, ${ts}
              FROM (VALUES ${part.map((_, i) => (i === 0 ? TYPED_OUTBOX_ROW : '(?, ?, ?, ?, ?, ?)')).join(', ')}) AS v
              JOIN events e ON e.source = v.column4 AND e.id = v.column5 ORDER BY v.column6`,
        params: [
          at,
          ...part.flatMap(({ row, target }, i) => [
            target.subscription,
            target.target,
            row.partitionKey,
            row.source,
            row.id,
            i,
          ]),
        ],
        mode: 'run',
        expect: part.length,
      });
    }
    if (!readSeqs) continue;
    seqSteps.push(steps.length);
    steps.push({
      sql: `SELECT v.column3 AS n, e.seq
            FROM (VALUES ${chunk.map((_, i) => (i === 0 ? TYPED_KEY_ROW : '(?, ?, ?)')).join(', ')}) AS v
            JOIN events e ON e.source = v.column1 AND e.id = v.column2`,
      params: chunk.flatMap(({ row, n }) => [row.source, row.id, n]),
      mode: 'all',
    });
  }
  return { steps, seqSteps };
}

/** The first row of a `VALUES` list typed (PostgreSQL types the list by it; the others follow). */
const TYPED_OUTBOX_ROW =
  '(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER))';
const TYPED_KEY_ROW = '(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER))';

/** The `seq` of those of `rows` already in the log, by `source\nid`. */
async function loggedSeqs(
  runner: StepRunner,
  rows: { source: string; id: string }[],
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const bySource = new Map<string, string[]>();
  for (const row of rows) {
    const ids = bySource.get(row.source);
    if (ids) ids.push(row.id);
    else bySource.set(row.source, [row.id]);
  }
  for (const [source, ids] of bySource) {
    for (let start = 0; start < ids.length; start += 500) {
      const chunk = ids.slice(start, start + 500);
      const logged = await runner.read<{ id: string; seq: number | string }>(
        `SELECT id, seq FROM events WHERE source = ? AND id IN (${chunk.map(() => '?').join(', ')})`,
        [source, ...chunk],
      );
      for (const row of logged) found.set(`${source}\n${row.id}`, Number(row.seq));
    }
  }
  return found;
}
