/**
 * The log store on SQL, shared by both adapters through their `StepRunner` (see `sql-step.ts`): the hub's
 * cursors (`hub_cursors`, also holding the counters), the log read by type, and idempotency keys.
 */
import { ConditionNotMet } from './condition-not-met.js';
import type { IdempotentResponse, InboundEventRow, LoggedCount, LogStore } from './log-port.js';
import type { SqlStep, StepRunner } from './sql-step.js';

/** Moves a cursor from `from` to `to` (compare-and-set): a step of a larger unit, unmet when it moved. */
export function cursorStep(name: string, from: number, to: number): SqlStep {
  return {
    sql: 'UPDATE hub_cursors SET position = ? WHERE name = ? AND position = ?',
    params: [to, name, from],
    mode: 'run',
    expect: 1,
  };
}

/** The log store over any `StepRunner`. */
export class SqlLog implements LogStore {
  constructor(private readonly runner: StepRunner) {}

  // Idempotency keys.

  async getIdempotent(scope: string, key: string): Promise<IdempotentResponse | undefined> {
    const [row] = await this.runner.read<{
      request_hash: string;
      status: number | string;
      response: string;
      created_at: string;
      owner: string | null;
    }>(
      'SELECT request_hash, status, response, created_at, owner FROM idempotency_keys WHERE scope = ? AND key = ?',
      [scope, key],
    );
    if (!row) return undefined;
    return {
      requestHash: row.request_hash,
      status: Number(row.status),
      body: JSON.parse(row.response),
      createdAt: row.created_at,
      ...(row.owner === null ? {} : { owner: row.owner }),
    };
  }

  async beginIdempotent(scope: string, key: string, requestHash: string, at: string, owner: string) {
    const [result] = (await this.runner.write([
      {
        sql: `INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at, owner)
              VALUES (?, ?, ?, 0, 'null', ?, ?) ON CONFLICT (scope, key) DO NOTHING`,
        params: [scope, key, requestHash, at, owner],
        mode: 'run',
      },
    ])) as [{ changes: number }];
    return result.changes === 1;
  }

  async takeOverIdempotent(scope: string, key: string, from: string | undefined, owner: string) {
    // Compare-and-set on the owner: of several processes taking over one dead key, one wins.
    const [result] = (await this.runner.write([
      {
        sql: `UPDATE idempotency_keys SET owner = ?
              WHERE scope = ? AND key = ? AND status = 0 AND COALESCE(owner, '') = ?`,
        params: [owner, scope, key, from ?? ''],
        mode: 'run',
      },
    ])) as [{ changes: number }];
    return result.changes === 1;
  }

  async finishIdempotent(scope: string, key: string, status: number, body: unknown): Promise<void> {
    await this.runner.write([
      {
        sql: 'UPDATE idempotency_keys SET status = ?, response = ? WHERE scope = ? AND key = ?',
        params: [status, JSON.stringify(body), scope, key],
        mode: 'run',
      },
    ]);
  }

  async abandonIdempotent(scope: string, key: string, owner: string): Promise<void> {
    await this.runner.write([
      {
        sql: 'DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND status = 0 AND owner = ?',
        params: [scope, key, owner],
        mode: 'run',
      },
    ]);
  }

  async pruneIdempotency(before: string): Promise<number> {
    const [result] = (await this.runner.write([
      { sql: 'DELETE FROM idempotency_keys WHERE created_at < ?', params: [before], mode: 'run' },
    ])) as [{ changes: number }];
    return result.changes;
  }

  // Cursors and the fact applier's feed.

  async nextCounter(name: string): Promise<number> {
    const [, row] = (await this.runner.write([
      {
        sql: 'INSERT INTO hub_cursors (name, position) VALUES (?, 0) ON CONFLICT (name) DO NOTHING',
        params: [name],
        mode: 'run',
      },
      {
        sql: 'UPDATE hub_cursors SET position = position + 1 WHERE name = ? RETURNING position',
        params: [name],
        mode: 'get',
      },
    ])) as [unknown, { position: number | string }];
    return Number(row.position);
  }

  async cursor(name: string): Promise<number> {
    const [row] = await this.runner.read<{ position: number | string }>(
      'SELECT position FROM hub_cursors WHERE name = ?',
      [name],
    );
    return row ? Number(row.position) : 0;
  }

  async moveCursor(name: string, from: number, to: number): Promise<boolean> {
    try {
      await this.runner.write([cursorStep(name, from, to)]);
      return true;
    } catch (error) {
      if (error instanceof ConditionNotMet) return false;
      throw error;
    }
  }

  async loggedSince(since: string): Promise<LoggedCount[]> {
    const rows = await this.runner.read<{ system: string; type: string; count: number | string }>(
      `SELECT system, type, COUNT(*) AS count FROM events WHERE ingested_at >= ${this.runner.timestamp('?')}
       GROUP BY system, type ORDER BY system, type`,
      [new Date(since).toISOString()],
    );
    return rows.map((r) => ({ system: r.system, type: r.type, count: Number(r.count) }));
  }

  async eventsAfter(afterSeq: number, types: readonly string[], limit: number): Promise<InboundEventRow[]> {
    if (types.length === 0) return [];
    const rows = await this.runner.read<{
      seq: number | string;
      system: string;
      type: string;
      envelope: unknown;
    }>(
      `SELECT seq, system, type, envelope FROM events WHERE seq > ? AND pruned_at IS NULL AND type IN (${types.map(() => '?').join(', ')})
       ORDER BY seq LIMIT ?`,
      [afterSeq, ...types, limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      system: r.system,
      type: r.type,
      envelope: (typeof r.envelope === 'string' ? JSON.parse(r.envelope) : r.envelope) as Record<
        string,
        unknown
      >,
    }));
  }
}
