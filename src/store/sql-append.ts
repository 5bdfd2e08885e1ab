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

/**
 * The steps inserting one event and its outbox rows. The event's insert must change one row: an event
 * already logged (by another writer since the caller looked) fails the transaction with `ConditionNotMet`.
 */
export function eventSteps(event: NewEvent, row: EventRow, at: string, ts: string): SqlStep[] {
  const steps: SqlStep[] = [
    {
      sql: `INSERT INTO events (source, id, type, subject, correlationid, system, ingested_at, envelope)
            VALUES (?, ?, ?, ?, ?, ?, ${ts}, ?) ON CONFLICT (source, id) DO NOTHING`,
      params: [row.source, row.id, row.type, row.subject, row.correlationid, row.system, at, row.envelope],
      mode: 'run',
      expect: 1,
    },
  ];
  for (const target of event.outbox) {
    steps.push({
      sql: `INSERT INTO outbox (subscription, target, event_seq, partition_key, created_at)
            SELECT CAST(? AS TEXT), CAST(? AS TEXT), seq, CAST(? AS TEXT), ${ts} FROM events
            WHERE source = ? AND id = ?`,
      params: [target.subscription, target.target, row.partitionKey, at, row.source, row.id],
      mode: 'run',
      expect: 1,
    });
  }
  return steps;
}

/** The steps of an append inside a larger write, and how to read their outcomes from its results. */
export interface AppendPlan {
  /** To be placed first in the write (after a fence check, which `fencedWrite` strips from the results). */
  steps: SqlStep[];
  /** Whether any event is inserted (the write's `appendsToLog`). */
  appendsToLog: boolean;
  /** One outcome per event, as `Store.append` reports them, from the write's results. */
  outcomes(results: unknown[]): AppendOutcome[];
}

/**
 * Plans the append of `events` as `Store.append` would make it: an event already in the log, or repeated
 * within `events`, is a duplicate and not written again; the others are inserted with their outbox rows.
 * The log is read now: one that another writer logs before the write commits fails the write
 * (`ConditionNotMet`, nothing written), and the caller plans again.
 */
export async function planAppend(runner: StepRunner, events: NewEvent[], at: string): Promise<AppendPlan> {
  const rows = events.map(eventRow);
  const logged = await loggedSeqs(runner, rows);
  const steps: SqlStep[] = [];
  const plan: ({ status: 'duplicate'; seq: number } | { step: number } | { sameAs: number })[] = [];
  const firstAt = new Map<string, number>();
  const ts = runner.timestamp('?');
  rows.forEach((row, index) => {
    const key = `${row.source}\n${row.id}`;
    const seq = logged.get(key);
    if (seq !== undefined) {
      plan.push({ status: 'duplicate', seq });
      return;
    }
    const first = firstAt.get(key);
    if (first !== undefined) {
      plan.push({ sameAs: first });
      return;
    }
    firstAt.set(key, index);
    steps.push(...eventSteps(events[index] as NewEvent, row, at, ts));
    plan.push({ step: steps.length });
    steps.push({
      sql: 'SELECT seq FROM events WHERE source = ? AND id = ?',
      params: [row.source, row.id],
      mode: 'get',
    });
  });
  return {
    steps,
    appendsToLog: firstAt.size > 0,
    outcomes(results) {
      const outcomes: AppendOutcome[] = [];
      for (const entry of plan) {
        if ('status' in entry) outcomes.push(entry);
        else if ('step' in entry) {
          const row = results[entry.step] as { seq: number | string };
          outcomes.push({ status: 'accepted', seq: Number(row.seq) });
        } else outcomes.push({ status: 'duplicate', seq: (outcomes[entry.sameAs] as AppendOutcome).seq });
      }
      return outcomes;
    },
  };
}

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
