/**
 * The PostgreSQL store: the same port as the embedded SQLite store, for several hub processes sharing one
 * database (docs/architecture.md#scale). Writes run with synchronous_commit=on and share commits through group commit;
 * a transaction-level advisory lock serialises writers across processes, as SQLite's `BEGIN IMMEDIATE`
 * does, so that `seq` order is commit order and a reader following the log by `seq` never skips an event
 * that commits late.
 */
import pg from 'pg';
import type { CloudEvent, LoggedEvent } from '../../domain/cloud-event.js';
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
import {
  APPEND_LOCK_KEY,
  appendAutocommit,
  appendUnits,
  appendUnitsDirect,
  prepareUnits,
  toError,
} from './postgres-append.js';
import { PostgresDeliveryDialect } from './postgres-delivery.js';
import { postgresRunner } from './postgres-steps.js';

const MIGRATIONS = readMigrations('postgres');

/** Opens a write transaction: durable commit whatever the role's defaults, one writer at a time. */
const BEGIN_WRITE_SQL = `BEGIN; SET LOCAL synchronous_commit = on;
  SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY})`;

const MIGRATE_LOCK_SQL = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))';

interface EventDbRow {
  seq: string;
  system: string;
  ingested_at: Date;
  envelope: CloudEvent;
}

interface OutboxDbRow {
  id: string;
  subscription: string;
  target: string;
  event_seq: string;
  partition_key: string;
  status: OutboxRow['status'];
  attempts: number;
  superseded_by: string | null;
  created_at: Date;
}

export interface PostgresStoreOptions {
  /** Connection URL, e.g. `postgres://postgres@127.0.0.1:5432/test`. */
  url: string;
  /** Schema holding Manifold's tables, created by `migrate()`; the server's default search path when absent. */
  schema?: string;
  /** Clock, injectable for tests. */
  now?: () => Date;
  /** Most connections in the pool (default 10). */
  poolSize?: number;
}

/** The PostgreSQL adapter of the store port. */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  /** Claims leased in the database, so several hub processes can share the outbox. */
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
  private readonly pool: pg.Pool;
  private readonly schema: string | undefined;
  private readonly now: () => Date;
  private readonly writer: GroupCommit<NewEvent[], AppendOutcome[]>;
  private migrated = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: PostgresStoreOptions) {
    this.schema = options.schema;
    this.now = options.now ?? (() => new Date());
    this.pool = new pg.Pool({
      ...connectionConfig(options.url, options.schema),
      max: options.poolSize ?? 10,
    });
    // A pooled connection that dies (server restart) is dropped by the pool and replaced on next use;
    // without a listener the 'error' event would crash the process.
    this.pool.on('error', () => undefined);
    this.writer = new GroupCommit((units) => this.flush(units));
    const runner = postgresRunner(this.pool, { beginAppendSql: BEGIN_WRITE_SQL });
    this.delivery = new SqlDelivery(runner, new PostgresDeliveryDialect(this.pool));
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
  }

  async migrate(): Promise<string[]> {
    const client = await this.pool.connect();
    try {
      const lockKey = `manifold:migrate:${this.schema ?? ''}`;
      // Concurrent CREATE … IF NOT EXISTS can still collide, hence the lock before them too.
      await inTransaction(client, async () => {
        await client.query(MIGRATE_LOCK_SQL, [lockKey]);
        if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)',
        );
      });
      const applied: string[] = [];
      for (const migration of MIGRATIONS) {
        // Checked again under the lock: another process may have applied it while this one waited.
        const ran = await inTransaction(client, async () => {
          await client.query(MIGRATE_LOCK_SQL, [lockKey]);
          const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [
            migration.version,
          ]);
          if (done.rowCount) return false;
          await client.query(migration.sql);
          await client.query(
            'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
            [migration.version, migration.name, this.now().toISOString()],
          );
          return true;
        });
        if (ran) applied.push(`${String(migration.version).padStart(4, '0')}_${migration.name}`);
      }
      this.migrated = true;
      return applied;
    } finally {
      client.release();
    }
  }

  async health(): Promise<StoreHealth> {
    const known = MIGRATIONS.length;
    if (this.closed) return { ok: false, applied: 0, known, detail: 'store is closed' };
    try {
      const { rows } = await this.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM schema_migrations',
      );
      const applied = rows[0]?.n ?? 0;
      const ok = applied === known;
      return { ok, applied, known, ...(ok ? {} : { detail: 'migrations pending' }) };
    } catch (error) {
      return { ok: false, applied: 0, known, detail: (error as Error).message };
    }
  }

  append(events: NewEvent[]): Promise<AppendOutcome[]> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.writer.submit(events);
  }

  /**
   * Commits a group in one transaction. A group that fits one statement is that statement alone, in
   * autocommit, taking the append lock itself (held for the statement and its commit only, with no round
   * trip to this process while other processes wait for it). A larger group is inserted in runs of several
   * units per statement inside one transaction. If a statement fails, the group is replayed one unit per
   * savepoint, so only the failing unit gets an Error and the others commit.
   */
  private async flush(units: NewEvent[][]): Promise<Array<AppendOutcome[] | Error>> {
    if (!this.migrated) throw new Error('store not migrated: call migrate() first');
    const at = this.now().toISOString();
    const results: Array<AppendOutcome[] | Error> = units.map(() => []);
    const prepared = prepareUnits(units, results);
    if (prepared.length === 0) return results;
    const client = await this.pool.connect();
    try {
      // A statement error (it carries an SQLSTATE) wrote nothing of the group: it is replayed below, unit by
      // unit. Anything else (the connection lost mid-commit) leaves the outcome unknown: every unit is rejected.
      let failed: { error: unknown } | undefined;
      try {
        if (await appendAutocommit(client, prepared, at, results)) {
          client.release();
          return results;
        }
      } catch (error) {
        if (!isStatementError(error)) throw error;
        failed = { error };
      }
      if (!failed) {
        // A group of several statements: one transaction.
        await client.query(BEGIN_WRITE_SQL);
        try {
          await appendUnitsDirect(client, prepared, at, results);
        } catch (error) {
          // A lost connection fails the ROLLBACK and the flush.
          await client.query('ROLLBACK');
          failed = { error };
        }
      }
      if (failed) {
        // Rare (a malformed envelope, a constraint): the flush is replayed unit by unit, each in a
        // savepoint, so only the failing unit is lost.
        for (const unit of prepared) results[unit.index] = [];
        const only = prepared.length === 1 ? prepared[0] : undefined;
        if (only) {
          results[only.index] = toError(failed.error);
          client.release();
          return results;
        }
        await client.query(BEGIN_WRITE_SQL);
        await appendUnits(client, prepared, at, results);
      }
      await client.query('COMMIT');
      client.release();
      return results;
    } catch (error) {
      // The outcome of a failed COMMIT is unknown: every unit is rejected, and a retry is deduplicated.
      const rolledBack = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      client.release(rolledBack ? undefined : toError(error));
      throw error;
    }
  }

  async listEvents(query: EventQuery): Promise<EventPage> {
    const conditions = new SqlConditions('numbered')
      .always('pruned_at IS NULL')
      .add('seq > ?', query.afterSeq)
      // A pattern's `*` is LIKE's `%`; its `_` (allowed in types) is escaped to match itself.
      .add(
        query.type?.includes('*') ? 'type LIKE ?' : 'type = ?',
        query.type?.includes('*') ? query.type.replaceAll('_', '\\_').replaceAll('*', '%') : query.type,
      )
      .add('subject = ?', query.subject)
      .add('source = ?', query.source)
      .add('correlationid = ?', query.correlationid)
      .add('ingested_at >= ?::timestamptz', query.since)
      .add('ingested_at < ?::timestamptz', query.until);
    const sql = `SELECT seq, system, ingested_at, envelope FROM events ${conditions.where} ORDER BY seq LIMIT ${conditions.next(query.limit + 1)}`;
    const { rows } = await this.pool.query<EventDbRow>(sql, conditions.params);
    const items = rows.slice(0, query.limit).map(toLoggedEvent);
    const last = items[items.length - 1];
    return rows.length > query.limit && last ? { items, nextAfterSeq: last.seq } : { items };
  }

  async listOutbox(query: OutboxQuery): Promise<OutboxRow[]> {
    const conditions = new SqlConditions('numbered')
      .add('subscription = ?', query.subscription)
      .add('event_seq = ?', query.eventSeq)
      .add('id > ?', query.afterId);
    const sql = `SELECT * FROM outbox ${conditions.where} ORDER BY id LIMIT ${conditions.next(query.limit)}`;
    const { rows } = await this.pool.query<OutboxDbRow>(sql, conditions.params);
    return rows.map((r) => ({
      id: Number(r.id),
      subscription: r.subscription,
      target: r.target,
      eventSeq: Number(r.event_seq),
      partitionKey: r.partition_key,
      status: r.status,
      attempts: r.attempts,
      ...(r.superseded_by === null ? {} : { supersededBy: Number(r.superseded_by) }),
      createdAt: r.created_at.toISOString(),
    }));
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await this.writer.idle();
    this.closed = true;
    // An append may have slipped in between the writer going idle and `closed` being set.
    await this.writer.idle();
    await this.pool.end();
  }
}

/** Runs `work` between BEGIN and COMMIT, rolling back if it throws. */
async function inTransaction<T>(client: pg.PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function toLoggedEvent(row: EventDbRow): LoggedEvent {
  return {
    seq: Number(row.seq),
    ingestedAt: row.ingested_at.toISOString(),
    system: row.system,
    event: row.envelope,
  };
}

/** `"name"`, with embedded quotes doubled. */
function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Pool settings with the session settings every connection needs, passed as startup options so they hold
 * from the first query. `options` in the URL would replace ours (pg lets the URL win), so it is moved
 * out of the URL and ours are appended after it: the last `-c` wins.
 */
function connectionConfig(url: string, schema: string | undefined): pg.PoolConfig {
  const settings = ['synchronous_commit=on'];
  if (schema) settings.push(`search_path=${quoteIdent(schema)}`);
  let connectionString = url;
  let userOptions = '';
  if (/^postgres(ql)?:\/\/.*[?&]options=/.test(url)) {
    const parsed = new URL(url);
    userOptions = parsed.searchParams.get('options') ?? '';
    parsed.searchParams.delete('options');
    connectionString = parsed.toString();
  }
  // The server splits `options` on whitespace; a backslash escapes the next character.
  const ours = settings.map((s) => `-c ${s.replace(/[\\\s]/g, '\\$&')}`).join(' ');
  return {
    connectionString,
    options: userOptions ? `${userOptions} ${ours}` : ours,
    connectionTimeoutMillis: 10_000,
  };
}

/** An error the server reported for a statement (an SQLSTATE), as opposed to a lost connection. */
function isStatementError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}
