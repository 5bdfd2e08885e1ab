/**
 * Connector state on SQL (`connector_state`, migration 0011), shared by both adapters through their
 * `StepRunner` like `sql-edi.ts`.
 */
import { ConditionNotMet } from './condition-not-met.js';
import type { ConnectorStateStore } from './connector-state-port.js';
import { eventRow } from './event-row.js';
import { fencedWrite, type LeaseFence } from './lease-fence.js';
import type { SqlStep, StepRunner } from './sql-step.js';
import type { AppendOutcome, NewEvent } from './store-port.js';

/** Tries of `commit` when another writer logs one of its events between its read and its write. */
const COMMIT_TRIES = 5;

export class SqlConnectorState implements ConnectorStateStore {
  constructor(private readonly runner: StepRunner) {}

  async get(connector: string, key: string): Promise<unknown> {
    const [row] = await this.runner.read<{ value: string }>(
      'SELECT value FROM connector_state WHERE connector = ? AND key = ?',
      [connector, key],
    );
    return row === undefined ? undefined : JSON.parse(row.value);
  }

  async commit(
    connector: string,
    events: NewEvent[],
    state: Record<string, unknown>,
    at: string,
    fence?: LeaseFence,
  ): Promise<AppendOutcome[]> {
    const values = Object.entries(state).map(([key, value]) => {
      const text = JSON.stringify(value);
      if (text === undefined)
        throw new TypeError(`connector state '${key}' of ${connector}: not a JSON value`);
      return [key, text] as const;
    });
    const rows = events.map(eventRow);
    for (let attempt = 1; ; attempt++) {
      // The events already logged are duplicates; the others are inserted with `expect: 1`, so one that
      // another writer logs in between fails the transaction (nothing written) and the read is done again.
      const logged = await this.loggedSeqs(rows);
      const steps: SqlStep[] = [];
      const plan: ({ status: 'duplicate'; seq: number } | { step: number } | { sameAs: number })[] = [];
      const firstAt = new Map<string, number>();
      const ts = this.runner.timestamp('?');
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
        steps.push({
          sql: `INSERT INTO events (source, id, type, subject, correlationid, system, ingested_at, envelope)
                VALUES (?, ?, ?, ?, ?, ?, ${ts}, ?) ON CONFLICT (source, id) DO NOTHING`,
          params: [
            row.source,
            row.id,
            row.type,
            row.subject,
            row.correlationid,
            row.system,
            at,
            row.envelope,
          ],
          mode: 'run',
          expect: 1,
        });
        for (const target of (events[index] as NewEvent).outbox) {
          steps.push({
            sql: `INSERT INTO outbox (subscription, target, event_seq, partition_key, created_at)
                  SELECT CAST(? AS TEXT), CAST(? AS TEXT), seq, CAST(? AS TEXT), ${ts} FROM events
                  WHERE source = ? AND id = ?`,
            params: [target.subscription, target.target, row.partitionKey, at, row.source, row.id],
            mode: 'run',
            expect: 1,
          });
        }
        plan.push({ step: steps.length });
        steps.push({
          sql: 'SELECT seq FROM events WHERE source = ? AND id = ?',
          params: [row.source, row.id],
          mode: 'get',
        });
      });
      for (const [key, text] of values) {
        steps.push({
          sql: `INSERT INTO connector_state (connector, key, value, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          params: [connector, key, text, at],
          mode: 'run',
        });
      }
      if (steps.length === 0) return [];
      let results: unknown[];
      try {
        results = await fencedWrite(this.runner, fence, steps, { appendsToLog: firstAt.size > 0 });
      } catch (error) {
        if (error instanceof ConditionNotMet && attempt < COMMIT_TRIES) continue;
        throw error;
      }
      const outcomes: AppendOutcome[] = [];
      for (const entry of plan) {
        if ('status' in entry) outcomes.push(entry);
        else if ('step' in entry) {
          const row = results[entry.step] as { seq: number | string };
          outcomes.push({ status: 'accepted', seq: Number(row.seq) });
        } else outcomes.push({ status: 'duplicate', seq: (outcomes[entry.sameAs] as AppendOutcome).seq });
      }
      return outcomes;
    }
  }

  /** The `seq` of those of `rows` already in the log, by `source\nid`. */
  private async loggedSeqs(rows: { source: string; id: string }[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    const bySource = new Map<string, string[]>();
    for (const row of rows) bySource.set(row.source, [...(bySource.get(row.source) ?? []), row.id]);
    for (const [source, ids] of bySource) {
      for (let start = 0; start < ids.length; start += 500) {
        const chunk = ids.slice(start, start + 500);
        const logged = await this.runner.read<{ id: string; seq: number | string }>(
          `SELECT id, seq FROM events WHERE source = ? AND id IN (${chunk.map(() => '?').join(', ')})`,
          [source, ...chunk],
        );
        for (const row of logged) found.set(`${source}\n${row.id}`, Number(row.seq));
      }
    }
    return found;
  }

  async put(connector: string, key: string, value: unknown, at: string, fence?: LeaseFence): Promise<void> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`connector state '${key}' of ${connector}: not a JSON value`);
    await fencedWrite(this.runner, fence, [
      {
        sql: `INSERT INTO connector_state (connector, key, value, updated_at) VALUES (?, ?, ?, ?)
              ON CONFLICT (connector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        params: [connector, key, text, at],
        mode: 'run',
      },
    ]);
  }

  async delete(connector: string, key: string): Promise<void> {
    await this.runner.write([
      {
        sql: 'DELETE FROM connector_state WHERE connector = ? AND key = ?',
        params: [connector, key],
        mode: 'run',
      },
    ]);
  }

  async list(connector: string): Promise<{ key: string; value: unknown; updatedAt: string }[]> {
    const rows = await this.runner.read<{ key: string; value: string; updated_at: string }>(
      'SELECT key, value, updated_at FROM connector_state WHERE connector = ? ORDER BY key',
      [connector],
    );
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value), updatedAt: String(r.updated_at) }));
  }
}
