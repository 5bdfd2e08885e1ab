/** Cross-reference tables on SQL (`xref_entries`, migration 0014), shared by both adapters. */
import type { SqlStep, StepRunner } from './sql-step.js';
import { reverseText, type XrefActor, type XrefEntry, type XrefPage, type XrefStore } from './xref-port.js';

const UPSERT = `INSERT INTO xref_entries (tbl, key, value, rev, updated_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value, rev = excluded.rev, updated_at = excluded.updated_at`;

/** Most entries one page of `list` returns. */
const MAX_LIMIT = 1000;

interface Row {
  key: string;
  value: string;
  updated_at: string;
}

function entry(row: Row): XrefEntry {
  return { key: row.key, value: JSON.parse(row.value), updatedAt: String(row.updated_at) };
}

export class SqlXref implements XrefStore {
  constructor(private readonly runner: StepRunner) {}

  async get(table: string, key: string): Promise<unknown> {
    const [row] = await this.runner.read<{ value: string }>(
      'SELECT value FROM xref_entries WHERE tbl = ? AND key = ?',
      [table, key],
    );
    return row === undefined ? undefined : JSON.parse(row.value);
  }

  async entry(table: string, key: string): Promise<XrefEntry | undefined> {
    const [row] = await this.runner.read<Row>(
      'SELECT key, value, updated_at FROM xref_entries WHERE tbl = ? AND key = ?',
      [table, key],
    );
    return row === undefined ? undefined : entry(row);
  }

  async put(
    table: string,
    key: string,
    value: unknown,
    at: string,
    reverseField?: string,
    actor?: XrefActor,
  ): Promise<void> {
    await this.write(
      table,
      [{ key, value }],
      at,
      reverseField,
      actor && this.audit(actor, at, 'xref.put', `xref:${table}/${key}`),
    );
  }

  async putMany(
    table: string,
    entries: { key: string; value: unknown }[],
    at: string,
    reverseField?: string,
    actor?: XrefActor,
  ): Promise<void> {
    const audit = actor && this.audit(actor, at, 'xref.load', `xref:${table}`, { entries: entries.length });
    await this.write(table, entries, at, reverseField, audit);
  }

  private async write(
    table: string,
    entries: { key: string; value: unknown }[],
    at: string,
    reverseField: string | undefined,
    audit: SqlStep | undefined,
  ): Promise<void> {
    const steps: SqlStep[] = entries.map(({ key, value }) => {
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError(`xref ${table} '${key}': not a JSON value`);
      return { sql: UPSERT, params: [table, key, text, reverseText(value, reverseField), at], mode: 'run' };
    });
    if (steps.length === 0) return;
    if (audit !== undefined) steps.push(audit);
    await this.runner.write(steps);
  }

  async delete(table: string, key: string, actor?: XrefActor & { at: string }): Promise<boolean> {
    const steps: SqlStep[] = [
      { sql: 'DELETE FROM xref_entries WHERE tbl = ? AND key = ?', params: [table, key], mode: 'run' },
    ];
    if (actor !== undefined) steps.push(this.audit(actor, actor.at, 'xref.delete', `xref:${table}/${key}`));
    const [result] = await this.runner.write(steps);
    return changes(result) > 0;
  }

  /** The audit row of an admin change, written in the change's own transaction. */
  private audit(actor: XrefActor, at: string, action: string, target: string, detail?: unknown): SqlStep {
    return {
      sql: `INSERT INTO audit_log (at, actor, action, target, detail) VALUES (${this.runner.timestamp('?')}, ?, ?, ?, ?)`,
      params: [at, actor.who, action, target, detail === undefined ? null : JSON.stringify(detail)],
      mode: 'run',
    };
  }

  async list(table: string, options: { after?: string; prefix?: string; limit: number }): Promise<XrefPage> {
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(options.limit)));
    // A prefix compared as text of its own length: the same on both engines, whatever the collation.
    const prefix = options.prefix ?? '';
    const rows = await this.runner.read<Row>(
      `SELECT key, value, updated_at FROM xref_entries WHERE tbl = ? AND key > ?${prefix === '' ? '' : ' AND substr(key, 1, ?) = ?'} ORDER BY key LIMIT ${limit + 1}`,
      [table, options.after ?? '', ...(prefix === '' ? [] : [prefix.length, prefix])],
    );
    const entries = rows.slice(0, limit).map(entry);
    return rows.length > limit ? { entries, next: (entries.at(-1) as XrefEntry).key } : { entries };
  }

  async counts(): Promise<Map<string, number>> {
    const rows = await this.runner.read<{ tbl: string; n: number | string }>(
      'SELECT tbl, COUNT(*) AS n FROM xref_entries GROUP BY tbl',
      [],
    );
    return new Map(rows.map((row) => [row.tbl, Number(row.n)]));
  }

  async reverse(table: string, value: string): Promise<XrefEntry[]> {
    const rows = await this.runner.read<Row>(
      'SELECT key, value, updated_at FROM xref_entries WHERE tbl = ? AND rev = ? ORDER BY key',
      [table, value],
    );
    return rows.map(entry);
  }
}

/** Rows a `run` step changed (both runners report `{ changes }`). */
function changes(result: unknown): number {
  return Number((result as { changes?: number } | undefined)?.changes ?? 0);
}
