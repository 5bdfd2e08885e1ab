/**
 * The store conformance suite: one set of tests, run against every adapter of the store port
 * (docs/architecture.md). `STORES=sqlite` (or `postgres`) narrows the run. PostgreSQL is skipped with a warning when
 * unreachable, except under CI where it must be there.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent, LoggedEvent } from '../src/domain/cloud-event.js';
import type { AppendOutcome, NewEvent, OutboxTarget, Store } from '../src/store/store-port.js';
import { describeEachStore, openTestStore, type StoreKind, type TestStore } from './support/stores.js';

const ISO_MILLIS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A CloudEvent from a source of its own, so tests sharing one database never see each other's rows. */
function cloudEvent(source: string, id: string, extra: Partial<CloudEvent> = {}): CloudEvent {
  return { specversion: '1.0', id, source, type: 'com.manifold.test.v1', ...extra };
}

function newEvent(event: CloudEvent, outbox: OutboxTarget[] = [], system = 'erp'): NewEvent {
  return { system, event, outbox };
}

/** `count` events of a fresh source, ids `e0`, `e1`, … */
function eventsOf(count: number, extra: (i: number) => Partial<CloudEvent> = () => ({})) {
  const source = `/test/${randomUUID()}`;
  return {
    source,
    events: Array.from({ length: count }, (_, i) => newEvent(cloudEvent(source, `e${i}`, extra(i)))),
  };
}

function seqs(outcomes: AppendOutcome[]): number[] {
  return outcomes.map((o) => o.seq);
}

function expectIncreasing(values: number[]): void {
  for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1] as number);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function allEvents(store: Store, source: string): Promise<LoggedEvent[]> {
  return (await store.listEvents({ source, limit: 100_000 })).items;
}

function conformance(testStore: TestStore, kind: StoreKind): void {
  let store: Store;

  beforeAll(() => {
    store = testStore.store;
  });

  describe('migrate', () => {
    it('applies every migration once; a second call applies nothing and health is ok', async () => {
      expect(testStore.applied).toEqual([
        '0001_init',
        '0002_delivery',
        '0003_inventory',
        '0004_coalesce',
        '0005_orders',
        '0006_edi_outbound',
        '0007_operations',
        '0008_processes',
        '0009_idempotency_owner',
        '0010_throttling',
        '0011_connector_state',
        '0012_backorders',
        '0013_inbound_requests',
        '0014_xref',
        '0015_metric_minutes',
        '0017_retention',
        '0018_lease_epoch',
        '0019_order_exceptions',
        '0020_exceptions_by_code',
      ]);
      expect(await store.migrate()).toEqual([]);
      expect(await store.health()).toEqual({ ok: true, applied: 19, known: 19 });
    });

    it('is not healthy and refuses appends before migrate; two stores migrating at once apply once', async () => {
      const fresh = await openTestStore(kind, { migrate: false });
      try {
        expect((await fresh.store.health()).ok).toBe(false);
        await expect(fresh.store.append(eventsOf(1).events)).rejects.toThrow(/not migrated/);
        const other = fresh.reopen();
        const [a, b] = await Promise.all([fresh.store.migrate(), other.migrate()]);
        // Each migration once, by one of the two (which one depends on who takes the lock first).
        expect([...a, ...b].sort()).toEqual([
          '0001_init',
          '0002_delivery',
          '0003_inventory',
          '0004_coalesce',
          '0005_orders',
          '0006_edi_outbound',
          '0007_operations',
          '0008_processes',
          '0009_idempotency_owner',
          '0010_throttling',
          '0011_connector_state',
          '0012_backorders',
          '0013_inbound_requests',
          '0014_xref',
          '0015_metric_minutes',
          '0017_retention',
          '0018_lease_epoch',
          '0019_order_exceptions',
          '0020_exceptions_by_code',
        ]);
        expect((await fresh.store.health()).ok).toBe(true);
        expect((await other.health()).ok).toBe(true);
      } finally {
        await fresh.cleanup();
      }
    });
  });

  describe('append', () => {
    it('accepts new events with seqs increasing in the order given', async () => {
      const { source, events } = eventsOf(8);
      const first = await store.append(events.slice(0, 5));
      const rest = [];
      for (const event of events.slice(5)) rest.push(...(await store.append([event])));
      const outcomes = [...first, ...rest];
      expect(outcomes.every((o) => o.status === 'accepted')).toBe(true);
      expectIncreasing(seqs(outcomes));
      const logged = await allEvents(store, source);
      expect(logged.map((e) => e.seq)).toEqual(seqs(outcomes));
      expect(logged.map((e) => e.event.id)).toEqual(events.map((e) => e.event.id));
    });

    it('reports a repeat in a later call as a duplicate of the original, writing nothing', async () => {
      const source = `/test/${randomUUID()}`;
      const targets = [
        { subscription: 'erp-orders', target: 'erp' },
        { subscription: 'shop-orders', target: 'shop' },
      ];
      const original = cloudEvent(source, 'order-1', { data: { version: 1 } });
      const [first] = await store.append([newEvent(original, targets)]);
      expect(first?.status).toBe('accepted');
      const repeat = await store.append([newEvent({ ...original, data: { version: 2 } }, targets, 'shop')]);
      expect(repeat).toEqual([{ status: 'duplicate', seq: first?.seq }]);
      const logged = await allEvents(store, source);
      expect(logged).toHaveLength(1);
      expect(logged[0]?.event.data).toEqual({ version: 1 });
      expect(logged[0]?.system).toBe('erp');
      expect(await store.listOutbox({ eventSeq: first?.seq as number, limit: 10 })).toHaveLength(2);
    });

    it('reports a repeat within one call as a duplicate of its first occurrence', async () => {
      const source = `/test/${randomUUID()}`;
      const target = [{ subscription: 'erp-orders', target: 'erp' }];
      const a = cloudEvent(source, 'a');
      const outcomes = await store.append([
        newEvent(a, target),
        newEvent(cloudEvent(source, 'b'), target),
        newEvent({ ...a, data: 'again' }, target),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'accepted', 'duplicate']);
      expect(outcomes[2]?.seq).toBe(outcomes[0]?.seq);
      expect((await allEvents(store, source)).map((e) => e.event)).toStrictEqual([
        a,
        cloudEvent(source, 'b'),
      ]);
      expect(await store.listOutbox({ eventSeq: outcomes[0]?.seq as number, limit: 10 })).toHaveLength(1);
    });

    it('reports a repeat in another unit of the same group commit as a duplicate', async () => {
      const { source, events } = eventsOf(1);
      const [one, two] = await Promise.all([store.append(events), store.append(events)]);
      const outcomes = [...(one ?? []), ...(two ?? [])];
      expect(outcomes.map((o) => o.status).sort()).toEqual(['accepted', 'duplicate']);
      expect(outcomes[0]?.seq).toBe(outcomes[1]?.seq);
      expect(await allEvents(store, source)).toHaveLength(1);
    });

    it('writes one pending outbox row per target, keyed by partitionkey, else subject, else empty', async () => {
      const source = `/test/${randomUUID()}`;
      const subscription = `sub-${randomUUID()}`;
      const targets = [
        { subscription, target: 'erp' },
        { subscription: `${subscription}-b`, target: 'wms-east' },
      ];
      const outcomes = await store.append([
        newEvent(cloudEvent(source, 'p', { subject: 'ORDER-1', partitionkey: 'SKU-1@DC-EAST' }), targets),
        newEvent(cloudEvent(source, 's', { subject: 'ORDER-2' }), targets),
        newEvent(cloudEvent(source, 'n'), targets),
        newEvent(cloudEvent(source, 'none')),
      ]);
      const logged = await allEvents(store, source);
      const rows = await store.listOutbox({ subscription, limit: 100 });
      expect(rows.map((r) => [r.eventSeq, r.partitionKey])).toEqual([
        [outcomes[0]?.seq, 'SKU-1@DC-EAST'],
        [outcomes[1]?.seq, 'ORDER-2'],
        [outcomes[2]?.seq, ''],
      ]);
      for (const [i, row] of rows.entries()) {
        expect(row).toMatchObject({ subscription, target: 'erp', status: 'pending', attempts: 0 });
        expect(row.createdAt).toBe(logged[i]?.ingestedAt);
      }
      expectIncreasing(rows.map((r) => r.id));
      const forFirst = await store.listOutbox({ eventSeq: outcomes[0]?.seq as number, limit: 10 });
      expect(forFirst.map((r) => r.target)).toEqual(['erp', 'wms-east']);
      const afterFirst = await store.listOutbox({ subscription, afterId: rows[0]?.id as number, limit: 1 });
      expect(afterFirst.map((r) => r.id)).toEqual([rows[1]?.id]);
      expect(await store.listOutbox({ eventSeq: outcomes[3]?.seq as number, limit: 10 })).toEqual([]);
    });
  });

  describe('a failing unit', () => {
    /** Submits the units in one tick (one group commit) and reports each unit's outcome. */
    async function commitTogether(units: NewEvent[][]) {
      return Promise.allSettled(units.map((unit) => store.append(unit)));
    }

    it('rolls back alone (a constraint the database enforces) while its neighbours commit', async () => {
      const source = `/test/${randomUUID()}`;
      const target = [{ subscription: 'erp-orders', target: 'erp' }];
      const written = newEvent(cloudEvent(source, 'bad-1'), target);
      // NOT NULL on outbox.subscription fails the unit after its first event was inserted.
      const broken = newEvent(cloudEvent(source, 'bad-2'), [
        { subscription: null as unknown as string, target: 'x' },
      ]);
      const [before, bad, after] = await commitTogether([
        [newEvent(cloudEvent(source, 'good-1'), target)],
        [written, broken],
        [newEvent(cloudEvent(source, 'good-2'), target)],
      ]);
      expect(before?.status).toBe('fulfilled');
      expect(bad?.status).toBe('rejected');
      expect(after?.status).toBe('fulfilled');
      expect((await allEvents(store, source)).map((e) => e.event.id)).toEqual(['good-1', 'good-2']);
      // Nothing of the failed unit was kept: its first event is new on a retry.
      expect(await store.append([written])).toEqual([{ status: 'accepted', seq: expect.any(Number) }]);
    });

    it('fails alone when its data cannot be serialised', async () => {
      const source = `/test/${randomUUID()}`;
      const [before, bad, after] = await commitTogether([
        [newEvent(cloudEvent(source, 'good-1'))],
        [newEvent(cloudEvent(source, 'ok')), newEvent(cloudEvent(source, 'bigint', { data: { n: 10n } }))],
        [newEvent(cloudEvent(source, 'good-2'))],
      ]);
      expect([before?.status, bad?.status, after?.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((await allEvents(store, source)).map((e) => e.event.id)).toEqual(['good-1', 'good-2']);
    });

    it('with text the engine cannot store (NUL) either fails alone or round-trips exactly', async () => {
      const source = `/test/${randomUUID()}`;
      const nul = cloudEvent(source, 'nul', { data: { note: 'a\u0000b' } });
      const [before, odd, after] = await commitTogether([
        [newEvent(cloudEvent(source, 'good-1'))],
        [newEvent(nul)],
        [newEvent(cloudEvent(source, 'good-2'))],
      ]);
      expect([before?.status, after?.status]).toEqual(['fulfilled', 'fulfilled']);
      const logged = (await allEvents(store, source)).map((e) => e.event);
      // PostgreSQL cannot hold U+0000 in jsonb or text; SQLite can. Either way the neighbours are untouched.
      if (odd?.status === 'rejected') expect(logged.map((e) => e.id)).toEqual(['good-1', 'good-2']);
      else expect(logged[1]).toStrictEqual(nul);
    });

    it('leaves the seqs of the other units in submission order', async () => {
      const { source, events } = eventsOf(40);
      const units = events.map((event, i) =>
        i % 5 === 2
          ? [
              event,
              newEvent(cloudEvent(source, `broken-${i}`), [
                { subscription: null as unknown as string, target: 'x' },
              ]),
            ]
          : [event],
      );
      const settled = await commitTogether(units);
      const accepted: number[] = [];
      settled.forEach((result, i) => {
        expect(result.status).toBe(i % 5 === 2 ? 'rejected' : 'fulfilled');
        if (result.status === 'fulfilled') accepted.push(...seqs(result.value));
      });
      expectIncreasing(accepted);
      expect((await allEvents(store, source)).map((e) => e.seq)).toEqual(accepted);
    });
  });

  describe('concurrency', () => {
    it('gives 500 concurrent appends of distinct events unique seqs in submission order', async () => {
      const { source, events } = eventsOf(500);
      const outcomes = (await Promise.all(events.map((event) => store.append([event])))).flat();
      expect(outcomes.every((o) => o.status === 'accepted')).toBe(true);
      expectIncreasing(seqs(outcomes));
      expect((await allEvents(store, source)).map((e) => e.seq)).toEqual(seqs(outcomes));
    });

    it('accepts exactly one of 200 concurrent appends of the same (source, id)', async () => {
      const { source, events } = eventsOf(1);
      const outcomes = (await Promise.all(Array.from({ length: 200 }, () => store.append(events)))).flat();
      expect(outcomes.filter((o) => o.status === 'accepted')).toHaveLength(1);
      expect(new Set(seqs(outcomes)).size).toBe(1);
      expect(await allEvents(store, source)).toHaveLength(1);
    });

    it('keeps seqs unique and (source, id) deduplicated across two stores on one database', async () => {
      const second = testStore.reopen();
      expect(await second.migrate()).toEqual([]);
      const { source, events } = eventsOf(200);
      const same = eventsOf(1);
      const results = await Promise.all([
        ...events.map((event, i) => (i % 2 ? store : second).append([event])),
        ...Array.from({ length: 100 }, (_, i) => (i % 2 ? store : second).append(same.events)),
      ]);
      const outcomes = results.flat();
      const distinct = outcomes.slice(0, 200);
      expect(distinct.every((o) => o.status === 'accepted')).toBe(true);
      expect(new Set(seqs(distinct)).size).toBe(200);
      expect(outcomes.slice(200).filter((o) => o.status === 'accepted')).toHaveLength(1);
      expect(new Set(seqs(outcomes.slice(200))).size).toBe(1);
      expect(await allEvents(store, source)).toHaveLength(200);
      await second.close();
    });
  });

  describe('listEvents', () => {
    it('filters by type, subject, source and correlationid', async () => {
      const tag = randomUUID();
      const a = `/test/a-${tag}`;
      const b = `/test/b-${tag}`;
      const type = `com.manifold.test.${tag}.v1`;
      await store.append([
        newEvent(cloudEvent(a, '1', { type, subject: `S1-${tag}`, correlationid: `C-${tag}` })),
        newEvent(cloudEvent(a, '2', { subject: `S2-${tag}` })),
        newEvent(cloudEvent(b, '3', { type, subject: `S2-${tag}`, correlationid: `C-${tag}` })),
        newEvent(cloudEvent(b, '4', { subject: `S1-${tag}` })),
      ]);
      const ids = async (query: Parameters<Store['listEvents']>[0]) =>
        (await store.listEvents(query)).items.map((e) => e.event.id);
      expect(await ids({ type, limit: 10 })).toEqual(['1', '3']);
      expect(await ids({ subject: `S1-${tag}`, limit: 10 })).toEqual(['1', '4']);
      expect(await ids({ source: b, limit: 10 })).toEqual(['3', '4']);
      expect(await ids({ correlationid: `C-${tag}`, limit: 10 })).toEqual(['1', '3']);
      expect(await ids({ type, subject: `S2-${tag}`, limit: 10 })).toEqual(['3']);
      expect(await ids({ source: a, correlationid: `C-${tag}`, subject: `S2-${tag}`, limit: 10 })).toEqual(
        [],
      );
    });

    it('counts the events each system logged per type since a time (loggedSince)', async () => {
      const before = new Date(Date.now() - 1000).toISOString();
      const source = `/test/${randomUUID()}`;
      const shop = `shop-${randomUUID()}`;
      const wms = `wms-${randomUUID()}`;
      const typed = (id: string, type: string, system: string) =>
        newEvent(cloudEvent(source, id, { type }), [], system);
      await store.append([
        typed('1', 'com.manifold.order.created.v1', shop),
        typed('2', 'com.manifold.order.created.v1', shop),
        typed('3', 'com.manifold.order.cancelled.v1', shop),
        typed('4', 'com.manifold.order.shipped.v1', wms),
      ]);
      const mine = async (since: string) =>
        (await store.log.loggedSince(since)).filter((c) => c.system === shop || c.system === wms);
      expect(await mine(before)).toEqual([
        { system: shop, type: 'com.manifold.order.cancelled.v1', count: 1 },
        { system: shop, type: 'com.manifold.order.created.v1', count: 2 },
        { system: wms, type: 'com.manifold.order.shipped.v1', count: 1 },
      ]);
      expect(await mine(new Date(Date.now() + 60_000).toISOString())).toEqual([]);
    });

    it('filters by ingest time: since inclusive, until exclusive', async () => {
      const source = `/test/${randomUUID()}`;
      await store.append([newEvent(cloudEvent(source, 'early'))]);
      await sleep(15);
      await store.append([newEvent(cloudEvent(source, 'late'))]);
      const [early, late] = (await allEvents(store, source)).map((e) => e.ingestedAt);
      expect(early).toMatch(ISO_MILLIS);
      expect((late as string) > (early as string)).toBe(true);
      const ids = async (since?: string, until?: string) =>
        (
          await store.listEvents({
            source,
            limit: 10,
            ...(since ? { since } : {}),
            ...(until ? { until } : {}),
          })
        ).items.map((e) => e.event.id);
      expect(await ids(late)).toEqual(['late']);
      expect(await ids(undefined, late)).toEqual(['early']);
      expect(await ids(early, late)).toEqual(['early']);
      expect(await ids(undefined, early)).toEqual([]);
    });

    it('pages with a cursor without gap or repeat, also under a filter', async () => {
      const tag = randomUUID();
      const type = `com.manifold.page.${tag}.v1`;
      const { source, events } = eventsOf(31, (i) => (i % 3 === 0 ? {} : { type }));
      for (let i = 0; i < events.length; i += 7) await store.append(events.slice(i, i + 7));
      const walk = async (query: { source?: string; type?: string }, limit: number) => {
        const pages: string[][] = [];
        let afterSeq: number | undefined;
        do {
          const page = await store.listEvents({
            ...query,
            limit,
            ...(afterSeq === undefined ? {} : { afterSeq }),
          });
          pages.push(page.items.map((e) => e.event.id));
          afterSeq = page.nextAfterSeq;
          if (afterSeq !== undefined) expect(afterSeq).toBe(page.items[page.items.length - 1]?.seq);
        } while (afterSeq !== undefined);
        return pages;
      };
      const all = events.map((e) => e.event.id);
      const bySource = await walk({ source }, 4);
      expect(bySource.map((p) => p.length)).toEqual([4, 4, 4, 4, 4, 4, 4, 3]);
      expect(bySource.flat()).toEqual(all);
      const byType = await walk({ type }, 5);
      expect(byType.map((p) => p.length)).toEqual([5, 5, 5, 5]);
      expect(byType.flat()).toEqual(all.filter((_, i) => i % 3 !== 0));
    });
  });

  describe('round trip', () => {
    it('keeps every envelope attribute, extensions and nested data exactly', async () => {
      const source = `/test/${randomUUID()}`;
      const full: CloudEvent = {
        specversion: '1.0',
        id: 'order-42-shipped',
        source,
        type: 'com.manifold.order.shipped.v1',
        time: '2025-03-01T12:34:56.789123+01:00',
        subject: 'ORDER-42',
        datacontenttype: 'application/json',
        dataschema: 'https://manifold.example/schemas/com.manifold.order.shipped.v1',
        correlationid: 'corr-1',
        causationid: 'cause-1',
        sequence: '000000017',
        partitionkey: 'ORDER-42',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tenant: 'acme',
        priority: 3,
        urgent: true,
        data: {
          orderId: 'ORDER-42',
          lines: [
            { lineId: '1', quantity: 2, unitPrice: 19.99, tags: [] },
            { lineId: '2', quantity: 1, unitPrice: 0.1, options: { gift: false, note: null } },
          ],
          carrier: { name: 'Ünïcødé "quoted" \\ back\nslash 📦', tracking: ['1Z', '2Z'] },
          big: 9007199254740991,
          small: -1.5e-7,
          empty: {},
        },
      };
      const minimal = cloudEvent(source, 'minimal');
      const text = cloudEvent(source, 'text', { datacontenttype: 'text/plain', data: 'plain text' });
      const outcomes = await store.append([
        newEvent(full, [], 'wms-east'),
        newEvent(minimal, [], 'manifold'),
        newEvent(text),
      ]);
      const logged = await allEvents(store, source);
      expect(logged.map((e) => e.event)).toStrictEqual([full, minimal, text]);
      expect(logged.map((e) => e.system)).toEqual(['wms-east', 'manifold', 'erp']);
      expect(logged.map((e) => e.seq)).toEqual(seqs(outcomes));
      for (const e of logged) {
        expect(typeof e.seq).toBe('number');
        expect(e.ingestedAt).toMatch(ISO_MILLIS);
      }
    });
  });

  describe('close', () => {
    it('commits appends submitted just before it, then refuses new ones', async () => {
      const closing = testStore.reopen();
      await closing.migrate();
      const { source, events } = eventsOf(20);
      const pending = events.map((event) => closing.append([event]));
      const closed = closing.close();
      const outcomes = (await Promise.all(pending)).flat();
      await closed;
      await closing.close();
      expect(outcomes.every((o) => o.status === 'accepted')).toBe(true);
      await expect(closing.append(eventsOf(1).events)).rejects.toThrow(/closed/);
      expect((await closing.health()).ok).toBe(false);
      const reopened = testStore.reopen();
      expect(await reopened.migrate()).toEqual([]);
      expect((await allEvents(reopened, source)).map((e) => e.seq)).toEqual(seqs(outcomes));
      await reopened.close();
    });
  });
}

await describeEachStore('store', conformance, { fresh: 'all' });
