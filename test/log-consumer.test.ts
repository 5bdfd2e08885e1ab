/**
 * The log consumer on every store: events of its types in log order, once each, in batches; the cursor
 * moves with each batch's write; a batch that cannot be processed goes one event at a time and the bad
 * event is set aside; conflicts are retried; waiters are told; one event can be applied again.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FACT_CURSOR } from '../src/engine/inventory/fact-applier.js';
import { type Attempt, type CursorMove, LogConsumer, type LogHandler } from '../src/engine/log-consumer.js';
import { ConflictError, NotFoundError } from '../src/errors.js';
import { ConditionNotMet } from '../src/store/condition-not-met.js';
import type { InventoryException } from '../src/store/inventory-port.js';
import type { InboundEventRow } from '../src/store/log-port.js';
import type { Store } from '../src/store/store-port.js';
import { describeEachStore, openTestStore, type StoreKind, type TestStore } from './support/stores.js';

const WANTED = 'com.manifold.inventory.counted.v1';
const OTHER = 'com.manifold.inventory.incoming.v1';
/** A cursor the migrations create; nothing else consumes it in these tests. */
const CURSOR = FACT_CURSOR;

/** Appends events of `type` with the given ids; returns their log positions. */
async function append(store: Store, type: string, ids: string[]): Promise<number[]> {
  const outcomes = await store.append(
    ids.map((id) => ({
      system: 'wms',
      event: {
        specversion: '1.0',
        id,
        source: '/wms',
        type,
        data: { sku: 'A', location: 'east', onHand: 1 },
      },
      outbox: [],
    })),
  );
  return outcomes.map((o) => o.seq);
}

interface Work {
  ids: string[];
  exceptions: InventoryException[];
}

/** A handler that records what it saw and writes exceptions (one per event) with the cursor move. */
class Recorder implements LogHandler<Work> {
  readonly written_: string[][] = [];
  readonly attempts: { number: number; refused: string[] }[] = [];
  readonly setAsideIds: string[] = [];
  /** Ids whose computation throws (a bug, data the handler cannot take). */
  poison = new Set<string>();
  /** Conflicts to raise on the next writes (a step, or -1: something else moved). */
  conflicts: number[] = [];
  /** Runs before a conflict is raised (another process moving the cursor). */
  beforeConflict: () => Promise<void> = async () => undefined;

  constructor(private readonly store: Store) {}

  async compute(events: readonly InboundEventRow[], attempt: Attempt): Promise<Work> {
    this.attempts.push({ number: attempt.number, refused: [...attempt.refused] });
    const ids = events.map((e) => String(e.envelope.id));
    for (const id of ids) if (this.poison.has(id)) throw new Error(`cannot take ${id}`);
    return {
      ids,
      exceptions: events.map((e) => ({
        code: 'test_seen',
        detail: `saw ${String(e.envelope.id)}`,
        system: e.system,
        subject: String(e.envelope.id),
        eventSeq: e.seq,
      })),
    };
  }

  async write(work: Work, cursor: CursorMove | undefined): Promise<void> {
    const conflict = this.conflicts.shift();
    if (conflict !== undefined) {
      await this.beforeConflict();
      throw new ConditionNotMet(conflict);
    }
    await this.store.inventory.applyMovements(
      [],
      cursor ? { cursor, exceptions: work.exceptions } : { exceptions: work.exceptions },
    );
  }

  written(work: Work): void {
    this.written_.push(work.ids);
  }

  refused(error: ConditionNotMet, work: Work, attempt: Attempt): void {
    attempt.refused.add(`${work.ids.join(',')}#${error.step}`);
  }

  stillFailing(work: Work): void {
    if (work.ids.includes('still-bad')) throw new ConflictError('still-failing', 'Still failing', 'again');
  }
}

const options = (onConflict: 'reread' | 'yield') => ({
  cursor: CURSOR,
  types: [WANTED],
  batch: 2,
  attempts: 5,
  reapplyAttempts: 3,
  onConflict,
  label: 'test',
});

function conformance(kind: StoreKind): void {
  let testStore: TestStore;
  let store: Store;
  beforeEach(async () => {
    testStore = await openTestStore(kind);
    store = testStore.store;
  });
  afterEach(async () => {
    await testStore.cleanup();
  });

  it('consumes its types in log order, once each, in batches, moving the cursor with each write', async () => {
    const seqs = await append(store, WANTED, ['e1', 'e2']);
    await append(store, OTHER, ['x1']);
    const later = await append(store, WANTED, ['e3']);
    const handler = new Recorder(store);
    const consumer = new LogConsumer(store, handler, options('yield'));
    expect(await consumer.step()).toBe(2);
    expect(await consumer.position()).toBe(seqs[1]);
    expect(await consumer.step()).toBe(1);
    expect(await consumer.position()).toBe(later[0]);
    expect(await consumer.step()).toBe(0);
    expect(handler.written_).toEqual([['e1', 'e2'], ['e3']]);
    // A second consumer on the same cursor (another process) finds nothing left.
    expect(await new LogConsumer(store, new Recorder(store), options('yield')).step()).toBe(0);
  });

  it('never takes events beyond upTo (another consumer it follows), and goes on once that moved', async () => {
    const seqs = await append(store, WANTED, ['e1', 'e2', 'e3']);
    let limit = seqs[0] as number;
    const handler = new Recorder(store);
    const consumer = new LogConsumer(store, handler, {
      ...options('yield'),
      batch: 10,
      upTo: async () => limit,
    });
    expect(await consumer.step()).toBe(1);
    expect(await consumer.step()).toBe(0);
    expect(await consumer.position()).toBe(seqs[0]);
    limit = seqs[2] as number;
    expect(await consumer.step()).toBe(2);
    expect(handler.written_).toEqual([['e1'], ['e2', 'e3']]);
  });

  it('takes a failing batch one event at a time and sets aside the event that fails alone', async () => {
    const seqs = await append(store, WANTED, ['ok1', 'bad', 'ok2']);
    const handler = new Recorder(store);
    handler.poison.add('bad');
    const setAside: { id: string; cursor: CursorMove; error: string }[] = [];
    const consumer = new LogConsumer<Work>(
      store,
      Object.assign(handler, {
        setAside: async (row: InboundEventRow, error: unknown, cursor: CursorMove) => {
          setAside.push({ id: String(row.envelope.id), cursor, error: (error as Error).message });
          await store.inventory.applyMovements([], { cursor });
        },
      }),
      { ...options('yield'), batch: 3 },
    );
    expect(await consumer.step()).toBe(1); // the batch failed; ok1 alone went through
    expect(await consumer.step()).toBe(1); // bad, ok2 failed; bad alone failed: set aside
    expect(await consumer.step()).toBe(1); // ok2
    expect(await consumer.step()).toBe(0);
    expect(handler.written_).toEqual([['ok1'], ['ok2']]);
    expect(setAside).toEqual([
      { id: 'bad', cursor: { name: CURSOR, from: seqs[0], to: seqs[1] }, error: 'cannot take bad' },
    ]);
    expect(await consumer.position()).toBe(seqs[2]);
  });

  it('without a set-aside, an event that cannot be processed stops the step and stays ahead of the cursor', async () => {
    await append(store, WANTED, ['bad']);
    const handler = new Recorder(store);
    handler.poison.add('bad');
    const consumer = new LogConsumer(store, handler, options('reread'));
    await expect(consumer.step()).rejects.toThrow('cannot take bad');
    expect(await consumer.position()).toBe(0);
  });

  it('computes again after a refused write, telling the next attempt what was refused', async () => {
    await append(store, WANTED, ['e1']);
    const handler = new Recorder(store);
    handler.conflicts = [0];
    const consumer = new LogConsumer(store, handler, options('yield'));
    expect(await consumer.step()).toBe(1);
    expect(handler.attempts).toEqual([
      { number: 0, refused: [] },
      { number: 1, refused: ['e1#0'] },
    ]);
  });

  it('yield: stops with 0 when another process moved the cursor; reread: takes on the events after it', async () => {
    const seqs = await append(store, WANTED, ['e1', 'e2', 'e3']);
    const moveCursor = async () => {
      await store.inventory.applyMovements([], { cursor: { name: CURSOR, from: 0, to: seqs[1] as number } });
    };
    const yielding = new Recorder(store);
    yielding.conflicts = [-1];
    yielding.beforeConflict = moveCursor;
    expect(await new LogConsumer(store, yielding, options('yield')).step()).toBe(0);
    expect(yielding.written_).toEqual([]);

    await testStore.cleanup();
    testStore = await openTestStore(kind);
    store = testStore.store;
    const again = await append(store, WANTED, ['e1', 'e2', 'e3']);
    const rereading = new Recorder(store);
    rereading.conflicts = [-1];
    rereading.beforeConflict = async () => {
      await store.inventory.applyMovements([], { cursor: { name: CURSOR, from: 0, to: again[1] as number } });
    };
    const consumer = new LogConsumer(store, rereading, options('reread'));
    expect(await consumer.step()).toBe(1);
    expect(rereading.written_).toEqual([['e3']]);
    expect(await consumer.position()).toBe(again[2]);
  });

  it('gives up after its attempts with an error naming the consumer', async () => {
    await append(store, WANTED, ['e1']);
    const handler = new Recorder(store);
    handler.conflicts = [0, 0, 0, 0, 0];
    await expect(new LogConsumer(store, handler, options('yield')).step()).rejects.toThrow(
      'test: could not write a batch in 5 attempts',
    );
  });

  it('tells waiters once the log is consumed up to their position, and times out the others', async () => {
    const seqs = await append(store, WANTED, ['e1', 'e2', 'e3']);
    const consumer = new LogConsumer(store, new Recorder(store), options('yield'));
    const first = consumer.waitFor(seqs[1] as number, 10_000);
    const last = consumer.waitFor(seqs[2] as number, 10_000);
    const never = consumer.waitFor((seqs[2] as number) + 100, 50);
    expect(await consumer.step()).toBe(2);
    expect(await first).toBe(true);
    expect(await never).toBe(false);
    expect(await consumer.step()).toBe(1);
    expect(await last).toBe(true);
    expect(await consumer.waitFor(seqs[0] as number, 10)).toBe(true);
  });

  it('applies one logged event again without moving the cursor; 404 for another type, 409 when still failing', async () => {
    const [seq] = await append(store, WANTED, ['e1']);
    const [other] = await append(store, OTHER, ['x1']);
    const [bad] = await append(store, WANTED, ['still-bad']);
    const handler = new Recorder(store);
    handler.conflicts = [0];
    const consumer = new LogConsumer(store, handler, options('yield'));
    await consumer.reapply(seq as number, 'test event');
    expect(handler.written_).toEqual([['e1']]);
    expect(handler.attempts.map((a) => a.number)).toEqual([0, 1]);
    expect(await consumer.position()).toBe(0);
    await expect(consumer.reapply(other as number, 'test event')).rejects.toBeInstanceOf(NotFoundError);
    await expect(consumer.reapply(bad as number, 'test event')).rejects.toBeInstanceOf(ConflictError);
  });
}

await describeEachStore('log consumer', (_, kind) => conformance(kind));
