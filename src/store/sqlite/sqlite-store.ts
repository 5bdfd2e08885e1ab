/**
 * The embedded store: one SQLite file through better-sqlite3, WAL with synchronous=FULL so that an
 * acknowledged write survives power loss, and group commit so that concurrent requests share the fsync.
 * better-sqlite3 is synchronous: SQLite's single writer is this process, which is what makes
 * compare-and-set on positions trivially race-free here.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { CloudEvent, LoggedEvent } from '../../domain/cloud-event.js';
import { GroupCommit } from '../group-commit.js';
import { readMigrations } from '../migration-files.js';
import type {
  AppendOutcome,
  EventPage,
  EventQuery,
  NewEvent,
  OutboxQuery,
  OutboxRow,
  Store,
  StoreHealth,
} from '../store-port.js';

const MIGRATIONS = readMigrations(new URL('./migrations/', import.meta.url));

/**
 * Settings that change speed, not safety: a 64 MiB page cache, and checkpoints every ~40 MiB of WAL
 * instead of SQLite's 4 MiB (each checkpoint fsyncs the database file too). Exported so that the
 * benchmark's raw baseline runs with the same settings.
 */
export const THROUGHPUT_PRAGMAS = ['cache_size = -65536', 'wal_autocheckpoint = 10000'] as const;

interface EventRow {
  seq: number;
  system: string;
  ingested_at: string;
  envelope: string;
}

interface OutboxDbRow {
  id: number;
  subscription: string;
  target: string;
  event_seq: number;
  partition_key: string;
  status: OutboxRow['status'];
  attempts: number;
  created_at: string;
}

export interface SqliteStoreOptions {
  /** File path, or `:memory:` for tests that need no durability. */
  path: string;
  /** Clock, injectable for tests. */
  now?: () => Date;
}

/** The SQLite adapter of the store port. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly writer: GroupCommit<NewEvent[], AppendOutcome[]>;
  private statements: ReturnType<SqliteStore['prepare']> | undefined;
  private closed = false;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    for (const pragma of THROUGHPUT_PRAGMAS) this.db.pragma(pragma);
    this.now = options.now ?? (() => new Date());
    this.writer = new GroupCommit((units) => Promise.resolve(this.flush(units)));
  }

  async migrate(): Promise<string[]> {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    const done = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
        (r) => r.version,
      ),
    );
    const applied: string[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      this.db.transaction(() => {
        this.db.exec(migration.sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, this.now().toISOString());
      })();
      applied.push(`${String(migration.version).padStart(4, '0')}_${migration.name}`);
    }
    this.statements = this.prepare();
    return applied;
  }

  async health(): Promise<StoreHealth> {
    try {
      const row = this.db.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number };
      const ok = row.n === MIGRATIONS.length && !this.closed;
      return {
        ok,
        applied: row.n,
        known: MIGRATIONS.length,
        ...(ok ? {} : { detail: 'migrations pending' }),
      };
    } catch (error) {
      return { ok: false, applied: 0, known: MIGRATIONS.length, detail: (error as Error).message };
    }
  }

  append(events: NewEvent[]): Promise<AppendOutcome[]> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.writer.submit(events);
  }

  private prepare() {
    const db = this.db;
    const insertEvent = db.prepare<[string, string, string, string, string | null, string, string, string]>(
      `INSERT INTO events (source, id, type, subject, correlationid, system, ingested_at, envelope)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO NOTHING RETURNING seq`,
    );
    const findEvent = db.prepare<[string, string]>('SELECT seq FROM events WHERE source = ? AND id = ?');
    const insertOutbox = db.prepare<[string, string, number, string, string]>(
      `INSERT INTO outbox (subscription, target, event_seq, partition_key, created_at) VALUES (?, ?, ?, ?, ?)`,
    );
    const appendUnit = db.transaction((events: NewEvent[], at: string): AppendOutcome[] =>
      events.map(({ system, event, outbox }) => {
        const inserted = insertEvent.get(
          event.source,
          event.id,
          event.type,
          event.subject ?? '',
          event.correlationid ?? null,
          system,
          at,
          JSON.stringify(event),
        ) as { seq: number } | undefined;
        if (!inserted) {
          const existing = findEvent.get(event.source, event.id) as { seq: number };
          return { status: 'duplicate', seq: existing.seq };
        }
        const key = event.partitionkey ?? event.subject ?? '';
        for (const target of outbox)
          insertOutbox.run(target.subscription, target.target, inserted.seq, key, at);
        return { status: 'accepted', seq: inserted.seq };
      }),
    );
    // The outer transaction is the group commit; each unit runs in a savepoint (nested better-sqlite3
    // transaction) so that one failing unit is rolled back alone.
    const commitGroup = db.transaction(
      (units: NewEvent[][], at: string): Array<AppendOutcome[] | Error> =>
        units.map((unit) => {
          try {
            return appendUnit(unit, at);
          } catch (error) {
            return error instanceof Error ? error : new Error(String(error));
          }
        }),
    );
    return { commitGroup };
  }

  private flush(units: NewEvent[][]): Array<AppendOutcome[] | Error> {
    if (!this.statements) throw new Error('store not migrated: call migrate() first');
    return this.statements.commitGroup.immediate(units, this.now().toISOString());
  }

  async listEvents(query: EventQuery): Promise<EventPage> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (clause: string, value: string | number | undefined) => {
      if (value === undefined) return;
      where.push(clause);
      params.push(value);
    };
    add('seq > ?', query.afterSeq);
    add('type = ?', query.type);
    add('subject = ?', query.subject);
    add('source = ?', query.source);
    add('correlationid = ?', query.correlationid);
    add('ingested_at >= ?', query.since);
    add('ingested_at < ?', query.until);
    const sql = `SELECT seq, system, ingested_at, envelope FROM events ${
      where.length ? `WHERE ${where.join(' AND ')}` : ''
    } ORDER BY seq LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, query.limit + 1) as EventRow[];
    const items = rows.slice(0, query.limit).map(toLoggedEvent);
    const last = items[items.length - 1];
    return rows.length > query.limit && last ? { items, nextAfterSeq: last.seq } : { items };
  }

  async listOutbox(query: OutboxQuery): Promise<OutboxRow[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.subscription !== undefined) {
      where.push('subscription = ?');
      params.push(query.subscription);
    }
    if (query.eventSeq !== undefined) {
      where.push('event_seq = ?');
      params.push(query.eventSeq);
    }
    if (query.afterId !== undefined) {
      where.push('id > ?');
      params.push(query.afterId);
    }
    const sql = `SELECT * FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, query.limit) as OutboxDbRow[];
    return rows.map((r) => ({
      id: r.id,
      subscription: r.subscription,
      target: r.target,
      eventSeq: r.event_seq,
      partitionKey: r.partition_key,
      status: r.status,
      attempts: r.attempts,
      createdAt: r.created_at,
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.writer.idle();
    this.closed = true;
    this.db.close();
  }
}

function toLoggedEvent(row: EventRow): LoggedEvent {
  return {
    seq: row.seq,
    ingestedAt: row.ingested_at,
    system: row.system,
    event: JSON.parse(row.envelope) as CloudEvent,
  };
}
