/**
 * Appends on PostgreSQL commit concurrently (docs/scaling.md#appends-that-commit-concurrently): a writer takes
 * its position inside the append lock but commits outside it, so an event with a lower `seq` can commit
 * after one with a higher `seq`. Here a raw session plays that slow writer: it takes the lock and its
 * position as the store does, inserts an event and its outbox row, releases the lock and stays open.
 * Meanwhile the store appends a later event of the same key. No reader by position (the log page, the
 * consumers' feed, the outbox claim) may see the later event before the earlier one commits; afterwards
 * both come, in `seq` order. Skipped with a warning when PostgreSQL is unreachable, except under CI.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import type { CloudEvent } from '../src/domain/cloud-event.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import { describeWithStore, TEST_POSTGRES_URL } from './support/stores.js';

const TYPE = 'com.manifold.test.happened.v1';
const LOCK_KEY = `hashtextextended('manifold:append:' || current_schema(), 0)`;

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

function event(source: string, id: string): CloudEvent {
  return { specversion: '1.0', id, source, type: TYPE, subject: 'KEY-1', data: { id } };
}

await describeWithStore('postgres', 'late commits on PostgreSQL', () => {
  it('no reader by position sees an event before an earlier-positioned one that commits late', async () => {
    const schema = `late_${randomBytes(6).toString('hex')}`;
    const store = new PostgresStore({ url: TEST_POSTGRES_URL, schema, poolSize: 4 });
    const slow = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    cleanup = async () => {
      await slow.end().catch(() => undefined);
      await store.close();
      const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    };
    await store.migrate();
    await slow.connect();
    await slow.query(`SET search_path TO "${schema}"`);
    const source = `/test/${randomUUID()}`;

    // The slow writer: position taken under the lock, lock released, commit not yet sent.
    await slow.query(`BEGIN; SELECT pg_advisory_lock(${LOCK_KEY}); SELECT pg_current_xact_id()`);
    const { rows } = await slow.query<{ seq: string }>(
      `INSERT INTO events (source, id, type, subject, correlationid, system, ingested_at, envelope)
       VALUES ($1, 'early', $2, 'KEY-1', '', 'erp', now(), $3::jsonb) RETURNING seq`,
      [source, TYPE, JSON.stringify(event(source, 'early'))],
    );
    const earlySeq = Number(rows[0]?.seq);
    await slow.query(
      `INSERT INTO outbox (subscription, target, event_seq, partition_key, created_at)
       VALUES ('sub', 'erp', $1, 'KEY-1', now())`,
      [earlySeq],
    );
    await slow.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`);

    // The store appends a later event of the same key, and commits first.
    const [late] = await store.append([
      { system: 'erp', event: event(source, 'late'), outbox: [{ subscription: 'sub', target: 'erp' }] },
    ]);
    expect(late?.status).toBe('accepted');
    expect(late?.seq).toBeGreaterThan(earlySeq);

    const pageIds = async () => (await store.listEvents({ source, limit: 10 })).items.map((e) => e.event.id);
    const feedSeqs = async () => (await store.log.eventsAfter(0, [TYPE], 10)).map((e) => e.seq);
    const claim = () =>
      store.delivery.claimDeliveries({
        subscription: 'sub',
        now: new Date().toISOString(),
        limit: 10,
        leaseMs: 30_000,
        owner: 'test',
        inFlight: new Set(),
        perKey: 10,
        coalesce: [],
      });
    // While the earlier event is open, the later one (committed) is invisible to every reader by position.
    expect(await pageIds()).toEqual([]);
    expect(await feedSeqs()).toEqual([]);
    expect(await claim()).toEqual([]);

    await slow.query('COMMIT');
    expect(await pageIds()).toEqual(['early', 'late']);
    expect(await feedSeqs()).toEqual([earlySeq, late?.seq]);
    // The key's head is the earlier event: it goes first, the later one behind it.
    expect((await claim()).map((c) => c.eventSeq)).toEqual([earlySeq, late?.seq]);
  });
});
