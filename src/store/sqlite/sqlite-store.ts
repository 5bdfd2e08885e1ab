/**
 * The embedded store: one SQLite file through better-sqlite3, WAL with synchronous=FULL so that an
 * acknowledged write survives power loss, and group commit so that concurrent requests share the fsync.
 * All writes go through one writer thread (`writer-worker.js`): SQLite has a single writer anyway, and
 * the thread keeps inserts and fsyncs off the event loop. Reads and migrations use this thread's own
 * connection; WAL lets them run beside the writer.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CloudEvent, LoggedEvent } from '../../domain/cloud-event.js';
import { ConditionNotMet } from '../condition-not-met.js';
import { eventRow } from '../event-row.js';
import { GroupCommit } from '../group-commit.js';
import { readMigrations } from '../migration-files.js';
import { SqlConditions } from '../sql-conditions.js';
import { SqlConnectorState } from '../sql-connector-state.js';
import { SqlDelivery } from '../sql-delivery.js';
import { SqlEdi } from '../sql-edi.js';
import { SqlInboundRequests } from '../sql-inbound-requests.js';
import { SqlInventory } from '../sql-inventory.js';
import { SqlLog } from '../sql-log.js';
import { SqlMetrics } from '../sql-metrics.js';
import { SqlOps } from '../sql-ops.js';
import { SqlOrders } from '../sql-orders.js';
import { SqlProcesses } from '../sql-processes.js';
import { SqlRetention } from '../sql-retention.js';
import { SqlXref } from '../sql-xref.js';
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
import { SqliteDeliveryDialect } from './sqlite-delivery.js';
import { sqliteRunner } from './sqlite-steps.js';
import type {
  AppendRequest,
  CloseRequest,
  ExecRequest,
  RowInput,
  UnitResult,
  WriterReply,
  WriterRequest,
} from './writer-messages.js';

const MIGRATIONS = readMigrations('sqlite');

/**
 * Settings of the writing connection that change speed, not safety: a 16 MiB page cache (delivery claims
 * run there too: this thread's reading connection has its cache invalidated by every commit of the
 * writer, so it keeps SQLite's default 2 MiB and serves only admin reads), and
 * checkpoints every ~40 MiB of WAL instead of SQLite's 4 MiB (each checkpoint fsyncs the database file
 * too). Exported so that the benchmark's raw baseline runs with the same settings.
 */
export const THROUGHPUT_PRAGMAS = ['cache_size = -16384', 'wal_autocheckpoint = 10000'] as const;

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
  superseded_by: number | null;
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
  private readonly groups: GroupCommit<NewEvent[], AppendOutcome[]>;
  private readonly path: string;
  private writer: Worker | undefined;
  private readonly inFlight = new Map<
    number,
    { resolve: (r: NonNullable<WriterReply['results']>) => void; reject: (e: Error) => void }
  >();
  private lastRequestId = 0;
  private closed = false;
  readonly delivery: SqlDelivery;
  readonly inventory: SqlInventory;
  readonly log: SqlLog;
  readonly orders: SqlOrders;
  readonly edi: SqlEdi;
  readonly metrics: SqlMetrics;
  readonly ops: SqlOps;
  readonly retention: SqlRetention;
  readonly processes: SqlProcesses;
  readonly connectorState: SqlConnectorState;
  readonly inboundRequests: SqlInboundRequests;
  readonly xref: SqlXref;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.path = options.path;
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.now = options.now ?? (() => new Date());
    const runner = sqliteRunner(
      (steps) => this.request({ kind: 'exec', steps }),
      (sql, params) => this.prepared(sql).all(...params),
    );
    this.delivery = new SqlDelivery(runner, new SqliteDeliveryDialect(runner));
    this.inventory = new SqlInventory(runner, this.now);
    this.log = new SqlLog(runner);
    this.orders = new SqlOrders(runner, this.inventory);
    this.edi = new SqlEdi(runner);
    this.ops = new SqlOps(runner);
    this.metrics = new SqlMetrics(runner);
    this.processes = new SqlProcesses(runner);
    this.connectorState = new SqlConnectorState(runner);
    this.inboundRequests = new SqlInboundRequests(runner);
    this.xref = new SqlXref(runner);
    this.retention = new SqlRetention(runner);
    // The writer thread merges whatever arrived while it was committing into its next transaction, so
    // writes are sent as soon as they are made: the thread starts committing the first requests of a
    // burst while this thread still parses the rest, instead of the two taking turns.
    this.groups = new GroupCommit((units) => this.flush(units), {
      maxInFlight: Number.POSITIVE_INFINITY,
      cut: 'microtask',
    });
  }

  /** Statements of the reading connection, prepared once (preparing costs as much as a small read). */
  private readonly statements = new Map<string, Database.Statement>();

  private prepared(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
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
    if (!this.writer) this.startWriter();
    return applied;
  }

  async health(): Promise<StoreHealth> {
    try {
      const row = this.db.prepare('SELECT count(*) AS n FROM schema_migrations').get() as { n: number };
      const migrated = row.n === MIGRATIONS.length;
      const ok = migrated && !this.closed && this.writer !== undefined;
      const detail = !migrated
        ? 'migrations pending'
        : this.closed
          ? 'store closed'
          : 'writer thread not running';
      return { ok, applied: row.n, known: MIGRATIONS.length, ...(ok ? {} : { detail }) };
    } catch (error) {
      return { ok: false, applied: 0, known: MIGRATIONS.length, detail: (error as Error).message };
    }
  }

  append(events: NewEvent[]): Promise<AppendOutcome[]> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.groups.submit(events);
  }

  private startWriter(): void {
    const worker = new Worker(new URL('./writer-worker.js', import.meta.url), {
      workerData: { path: this.path, pragmas: [...THROUGHPUT_PRAGMAS] },
      // The writer holds one group at a time; a small heap makes V8 collect often instead of growing.
      resourceLimits: { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 8 },
    });
    worker.on('message', (replies: WriterReply[]) => {
      for (const reply of replies) {
        const pending = this.inFlight.get(reply.requestId);
        this.inFlight.delete(reply.requestId);
        if (!pending) continue;
        if (reply.failure !== undefined) pending.reject(new Error(`SQLite commit failed: ${reply.failure}`));
        else if (reply.unmet !== undefined) pending.reject(new ConditionNotMet(reply.unmet));
        else pending.resolve(reply.results ?? []);
      }
    });
    // A writer that dies (an error, or out of memory) fails what it had pending: nothing of it was
    // acknowledged, so callers get an error and may retry. A new writer takes over so that the hub
    // recovers without a restart; /readyz is 503 in between.
    let failure: Error | undefined;
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', (code) => {
      if (this.writer !== worker || this.closed) return; // replaced, or closed on purpose
      const error = failure ?? new Error(`SQLite writer thread exited (code ${code})`);
      for (const pending of this.inFlight.values()) pending.reject(error);
      this.inFlight.clear();
      this.outgoing = [];
      this.writer = undefined;
      if (!this.closed) setTimeout(() => this.closed || this.writer || this.startWriter(), 100).unref();
    });
    this.writer = worker;
  }

  /** Sends one group to the writer thread and waits for its durable commit. */
  private request(
    message:
      | Omit<AppendRequest, 'requestId'>
      | Omit<ExecRequest, 'requestId'>
      | Omit<CloseRequest, 'requestId'>,
  ): Promise<NonNullable<WriterReply['results']>> {
    if (!this.writer) return Promise.reject(new Error('store not migrated: call migrate() first'));
    const requestId = ++this.lastRequestId;
    return new Promise((resolve, reject) => {
      this.inFlight.set(requestId, { resolve, reject });
      this.outgoing.push({ ...message, requestId } as WriterRequest);
      this.scheduleSend();
    });
  }

  /** Requests made since the last message to the writer. */
  private outgoing: WriterRequest[] = [];
  private sendScheduled = false;

  /**
   * Requests go to the writer in one message per turn of the event loop while it is busy with earlier
   * ones (it takes everything that arrived during a commit into the next one, so sending at the end of
   * the turn loses nothing, and one message wakes it once instead of once per request). When it is idle
   * they go as soon as the current callback returns, so that its commit starts at once.
   */
  private scheduleSend(): void {
    if (this.sendScheduled) return;
    this.sendScheduled = true;
    const writerBusy = this.inFlight.size > this.outgoing.length;
    if (writerBusy) setImmediate(() => this.send());
    else queueMicrotask(() => this.send());
  }

  private send(): void {
    this.sendScheduled = false;
    const requests = this.outgoing;
    this.outgoing = [];
    if (requests.length === 0) return;
    const worker = this.writer;
    if (!worker) {
      const error = new Error('SQLite writer thread not running');
      for (const { requestId } of requests) {
        this.inFlight.get(requestId)?.reject(error);
        this.inFlight.delete(requestId);
      }
      return;
    }
    // A JSON string crosses the thread boundary faster than a structured clone of the rows.
    worker.postMessage(JSON.stringify(requests));
  }

  private async flush(units: NewEvent[][]): Promise<Array<AppendOutcome[] | Error>> {
    // Envelopes are serialised here, beside the HTTP work, so the writer thread only inserts. A unit that
    // cannot be serialised fails alone and is not sent.
    const serialised = units.map((unit) => {
      try {
        return unit.map(toRowInput);
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    });
    const sendable = serialised.filter((unit): unit is RowInput[] => !(unit instanceof Error));
    const results = sendable.length
      ? await this.request({ kind: 'append', at: this.now().toISOString(), units: sendable })
      : [];
    let next = 0;
    return serialised.map((unit) => {
      if (unit instanceof Error) return unit;
      const result = results[next++] as UnitResult;
      return 'error' in result ? new Error(result.error) : result;
    });
  }

  async listEvents(query: EventQuery): Promise<EventPage> {
    // Stored times are toISOString() text; normalise so that text order is time order.
    const iso = (time: string | undefined) => (time === undefined ? undefined : new Date(time).toISOString());
    const conditions = new SqlConditions('question')
      .always('pruned_at IS NULL')
      .add('seq > ?', query.afterSeq)
      // A pattern's only wildcard is `*` (type-pattern.ts), GLOB's own: case-sensitive, nothing to escape.
      .add(query.type?.includes('*') ? 'type GLOB ?' : 'type = ?', query.type)
      .add('subject = ?', query.subject)
      .add('source = ?', query.source)
      .add('correlationid = ?', query.correlationid)
      .add('ingested_at >= ?', iso(query.since))
      .add('ingested_at < ?', iso(query.until));
    const sql = `SELECT seq, system, ingested_at, envelope FROM events ${conditions.where} ORDER BY seq LIMIT ${conditions.next(query.limit + 1)}`;
    const rows = this.db.prepare(sql).all(...conditions.params) as EventRow[];
    const items = rows.slice(0, query.limit).map(toLoggedEvent);
    const last = items[items.length - 1];
    return rows.length > query.limit && last ? { items, nextAfterSeq: last.seq } : { items };
  }

  async listOutbox(query: OutboxQuery): Promise<OutboxRow[]> {
    const conditions = new SqlConditions('question')
      .add('subscription = ?', query.subscription)
      .add('event_seq = ?', query.eventSeq)
      .add('id > ?', query.afterId);
    const sql = `SELECT * FROM outbox ${conditions.where} ORDER BY id LIMIT ${conditions.next(query.limit)}`;
    const rows = this.db.prepare(sql).all(...conditions.params) as OutboxDbRow[];
    return rows.map((r) => ({
      id: r.id,
      subscription: r.subscription,
      target: r.target,
      eventSeq: r.event_seq,
      partitionKey: r.partition_key,
      status: r.status,
      attempts: r.attempts,
      ...(r.superseded_by === null ? {} : { supersededBy: r.superseded_by }),
      createdAt: r.created_at,
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.groups.idle();
    this.closed = true;
    const writer = this.writer;
    if (writer) {
      await this.request({ kind: 'close' }).catch(() => undefined);
      this.writer = undefined;
      await writer.terminate();
    }
    this.db.close();
  }
}

function toRowInput(newEvent: NewEvent): RowInput {
  return { ...eventRow(newEvent), outbox: newEvent.outbox.map((o) => [o.subscription, o.target]) };
}

function toLoggedEvent(row: EventRow): LoggedEvent {
  return {
    seq: row.seq,
    ingestedAt: row.ingested_at,
    system: row.system,
    event: JSON.parse(row.envelope) as CloudEvent,
  };
}
