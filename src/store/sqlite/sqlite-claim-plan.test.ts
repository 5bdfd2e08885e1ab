/**
 * Query plans that must not grow with the store (docs/benchmarks.md#volume--npm-run-benchvolume): SQLite's
 * EXPLAIN QUERY PLAN of the claim, of an order's open exceptions and of the open exceptions of a code, on the schema every migration makes and
 * without statistics (the hub never runs ANALYZE). A full scan of the outbox or the exceptions here costs
 * time in proportion to everything ever delivered or parked, retained rows included.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCoalescingTypes } from '../../domain/event-catalogue.js';
import { readMigrations } from '../migration-files.js';
import { exceptionListSql } from '../sql-delivery.js';
import { CLAIM_SQL } from './sqlite-delivery.js';

const db = new Database(':memory:');
for (const migration of readMigrations('sqlite')) db.exec(migration.sql);
afterAll(() => db.close());

/** The plan's lines, e.g. `SEARCH o USING INTEGER PRIMARY KEY (rowid=?)`. */
function plan(sql: string, ...params: unknown[]): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
    (r) => r.detail,
  );
}

describe('SQLite plans that stay flat with data', () => {
  it('claims look up the picked rows and their events by primary key, never scanning the outbox or the log', () => {
    const lines = plan(CLAIM_SQL, {
      subscription: 'erp-orders',
      now: '2026-01-01T00:00:00.000Z',
      inFlight: '[]',
      limit: 100,
      perKey: 4,
      maxKeys: 100,
      coalesce: JSON.stringify(defaultCoalescingTypes()),
    });
    // Every read of outbox (aliases o, n, p, f) and events (e) is a SEARCH by an index or the key.
    const scans = lines.filter((line) => /^SCAN (o|n|p|f|e|outbox|events)\b/.test(line));
    expect(scans, lines.join('\n')).toEqual([]);
    expect(lines).toContain('SEARCH o USING INTEGER PRIMARY KEY (rowid=?)');
    expect(lines).toContain('SEARCH e USING INTEGER PRIMARY KEY (rowid=?)');
  });

  it("an order's open exceptions are read by subject and status, not by walking every open exception", () => {
    const { sql, params } = exceptionListSql(
      { status: 'open', subject: 'SO-1', limit: 1000 },
      (placeholder) => placeholder,
    );
    expect(plan(sql, ...params)).toEqual([
      'SEARCH exceptions USING INDEX exceptions_subject (subject=? AND status=?)',
    ]);
  });

  it('the open exceptions of one code (the oversold rebalance) are read by code and status', () => {
    const { sql, params } = exceptionListSql(
      { code: 'oversold', status: 'open', limit: 101 },
      (placeholder) => placeholder,
    );
    expect(plan(sql, ...params)).toEqual([
      'SEARCH exceptions USING INDEX exceptions_code (code=? AND status=?)',
    ]);
  });

  it('the exception queue pages by status through its index, newest or oldest first', () => {
    for (const order of ['asc', 'desc'] as const) {
      const { sql, params } = exceptionListSql({ status: 'open', order, limit: 51 }, (p) => p);
      expect(plan(sql, ...params)).toEqual(['SEARCH exceptions USING INDEX exceptions_status (status=?)']);
    }
  });
});
