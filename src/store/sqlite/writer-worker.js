// @ts-check
/**
 * The SQLite writer thread. Every append of the embedded store is committed here, so that inserts and
 * the fsync of each commit run beside the main thread's HTTP work instead of blocking it. A message holds
 * the requests the main thread made since its previous one (groups of appended units, execs); everything
 * queued is one transaction, with a savepoint per unit when one fails, so a failing unit is rolled back
 * alone. Requests that arrive while a commit runs are merged into the next one, and one message answers
 * a whole commit.
 *
 * Plain JavaScript with type checking: worker threads load files directly, and this one must run both from
 * `src/` (tests) and `dist/` (the built hub). See docs/adr/0001-sqlite-writer-thread.md.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * @typedef {import('./writer-messages.js').RowInput} RowInput
 * @typedef {import('../store-port.js').AppendOutcome} Outcome
 * @typedef {import('../sql-step.js').SqlStep} Step
 * @typedef {import('./writer-messages.js').WriteRequest} WriteRequest
 * @typedef {import('./writer-messages.js').WriterRequest} WriterRequest
 * @typedef {import('./writer-messages.js').WriterReply} WriterReply
 */

const { path, pragmas } = /** @type {{ path: string, pragmas: string[] }} */ (workerData);
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
for (const pragma of pragmas) db.pragma(pragma);

const insertEvent = db.prepare(
  `INSERT INTO events (source, id, type, subject, correlationid, system, ingested_at, envelope)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO NOTHING`,
);
const findEvent = db.prepare('SELECT seq FROM events WHERE source = ? AND id = ?').pluck();
const insertOutbox = db.prepare(
  'INSERT INTO outbox (subscription, target, event_seq, partition_key, created_at) VALUES (?, ?, ?, ?, ?)',
);

/** Appends one unit's rows (no transaction of its own). */
const appendRows =
  /** @type {(rows: RowInput[], at: string) => Outcome[]} */
  (rows, at) =>
    rows.map((row) => {
      const inserted = insertEvent.run(
        row.source,
        row.id,
        row.type,
        row.subject,
        row.correlationid,
        row.system,
        at,
        row.envelope,
      );
      if (inserted.changes === 0) {
        return { status: 'duplicate', seq: Number(findEvent.get(row.source, row.id)) };
      }
      const seq = Number(inserted.lastInsertRowid);
      for (const [subscription, target] of row.outbox)
        insertOutbox.run(subscription, target, seq, row.partitionKey, at);
      return { status: 'accepted', seq };
    });

/** One unit in a savepoint, when nested in the group's transaction. */
const appendUnit = db.transaction(appendRows);

/** @type {Map<string, import('better-sqlite3').Statement>} */
const statements = new Map();

/**
 * A `run` step whose `expect` (number of changed rows) was not met: a conditional write (`... WHERE
 * available >= ?`, `... AND version = ?`) found its condition false. The request stops there; what it
 * wrote before is rolled back with it.
 */
class UnmetExpectation extends Error {
  constructor(/** @type {number} */ step) {
    super(`step ${step}: expected change not made`);
    this.step = step;
  }
}

/** Runs one step of an `exec` request with a cached statement. */
function runStep(/** @type {Step} */ step, /** @type {number} */ index) {
  let statement = statements.get(step.sql);
  if (!statement) {
    statement = db.prepare(step.sql);
    statements.set(step.sql, statement);
  }
  const params = step.params === undefined ? [] : Array.isArray(step.params) ? step.params : [step.params];
  if (step.mode === 'all') return statement.all(...params);
  if (step.mode === 'get') return statement.get(...params);
  const result = statement.run(...params);
  if (step.expect !== undefined && result.changes !== step.expect) throw new UnmetExpectation(index);
  return { changes: result.changes, lastInsertRowid: Number(result.lastInsertRowid) };
}

/**
 * The steps of one `exec` request, without a transaction of its own. An unmet expectation before the
 * request changed anything needs no rollback: it is answered as `unmet` and the group goes on. After a
 * change it is thrown, so that the request is redone in a savepoint and rolled back alone.
 */
function runSteps(/** @type {Step[]} */ steps) {
  const results = [];
  let changed = false;
  for (let i = 0; i < steps.length; i += 1) {
    const step = /** @type {Step} */ (steps[i]);
    try {
      const result = runStep(step, i);
      results.push(result);
      if (step.mode === 'run' && /** @type {{ changes: number }} */ (result).changes > 0) changed = true;
    } catch (error) {
      if (error instanceof UnmetExpectation && !changed) return { unmet: error.step };
      throw error;
    }
  }
  return { results };
}

/** An `exec` request in one savepoint. */
const execUnit = db.transaction((/** @type {Step[]} */ steps) => runSteps(steps));

/** Answers of one request: per unit for appends, per step for an exec. */
function apply(/** @type {WriteRequest} */ request) {
  if (request.kind === 'exec') {
    try {
      return execUnit(request.steps);
    } catch (error) {
      if (error instanceof UnmetExpectation) return { unmet: error.step };
      return { failure: error instanceof Error ? error.message : String(error) };
    }
  }
  return {
    results: request.units.map((unit) => {
      try {
        return appendUnit(unit, request.at);
      } catch (error) {
        return { error: error instanceof Error ? error.message : String(error) };
      }
    }),
  };
}

/** Every queued request in one transaction (one fsync); each keeps its own savepoints. */
const commitGroupIsolated = db.transaction((/** @type {WriteRequest[]} */ requests) => requests.map(apply));

/**
 * The fast path: the same group without a savepoint per request (they cost as much as the inserts of a
 * small request). Nothing is expected to fail here — inputs were validated — so when something does, the
 * whole transaction is rolled back and the group is redone with savepoints, isolating the failing request.
 */
const commitGroupFast = db.transaction((/** @type {WriteRequest[]} */ requests) =>
  requests.map((request) =>
    request.kind === 'exec'
      ? runSteps(request.steps)
      : { results: request.units.map((unit) => appendRows(unit, request.at)) },
  ),
);

/** Commits a group: fast path first, isolated path if any request fails. */
function commitGroup(/** @type {WriteRequest[]} */ requests) {
  try {
    return commitGroupFast.immediate(requests);
  } catch {
    return commitGroupIsolated.immediate(requests);
  }
}

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

/** Requests that arrived while a commit ran: the next commit takes them all (group commit). */
/** @type {WriteRequest[]} */
const queued = [];
let scheduled = false;

/** Most rows in one transaction: bounds the writer's memory and one commit's latency. */
const MAX_GROUP_ROWS = 20_000;

/** Rows a request writes (events, or statements of an exec). */
const sizeOf = (/** @type {WriteRequest} */ r) =>
  r.kind === 'exec' ? r.steps.length : r.units.reduce((n, unit) => n + unit.length, 0);

function commitQueued() {
  scheduled = false;
  let rows = 0;
  let take = 0;
  while (
    take < queued.length &&
    (take === 0 || rows + sizeOf(/** @type {WriteRequest} */ (queued[take])) <= MAX_GROUP_ROWS)
  ) {
    rows += sizeOf(/** @type {WriteRequest} */ (queued[take]));
    take += 1;
  }
  const requests = queued.splice(0, take);
  if (queued.length > 0) {
    scheduled = true;
    setImmediate(commitQueued);
  }
  // One message answers the whole commit: a message per request would wake the main thread once per
  // request, and each wake-up costs more than the answer itself.
  /** @type {WriterReply[]} */
  let replies;
  try {
    const answers = commitGroup(requests);
    replies = requests.map((request, i) => ({ requestId: request.requestId, ...answers[i] }));
  } catch (error) {
    const failure = error instanceof Error ? error.message : String(error);
    replies = requests.map((request) => ({ requestId: request.requestId, failure }));
  }
  port.postMessage(replies);
}

// Each message is a JSON array of requests: whatever the main thread wrote since its previous message.
port.on('message', (/** @type {string} */ text) => {
  for (const request of /** @type {WriterRequest[]} */ (JSON.parse(text))) {
    if (request.kind === 'close') {
      if (queued.length > 0) commitQueued();
      db.close();
      port.postMessage(/** @type {WriterReply[]} */ ([{ requestId: request.requestId, results: [] }]));
      port.close();
      return;
    }
    queued.push(request);
  }
  if (!scheduled) {
    scheduled = true;
    // Runs after every message already waiting has been queued.
    setImmediate(commitQueued);
  }
});
