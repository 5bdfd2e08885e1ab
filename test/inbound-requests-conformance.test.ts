/**
 * Kept native webhook requests on every adapter: recorded with the ids of their events (linked to the
 * log by source and id, whether the events are committed before or after), settled after a retry, listed
 * by system, route and time (oldest first, paged), and found by the events they produced.
 */
import { beforeEach, expect, it } from 'vitest';
import type { NewInboundRequest } from '../src/store/inbound-request-port.js';
import type { Store } from '../src/store/store-port.js';

/** Appends events from `/shop` with these ids; answers their log positions. */
async function logEvents(store: Store, ids: string[]): Promise<number[]> {
  const outcomes = await store.append(
    ids.map((id) => ({
      system: 'shop',
      event: {
        specversion: '1.0',
        id,
        source: '/shop',
        type: 'com.manifold.order.cancelled.v1',
        time: T0,
        subject: 'WEB-1',
        partitionkey: 'WEB-1',
        data: { orderId: 'WEB-1', reason: 'test' },
      },
      outbox: [],
    })),
  );
  return outcomes.map((o) => o.seq);
}

import { describeEachStore, type TestStore } from './support/stores.js';

const T0 = '2026-12-03T10:00:00.000Z';
const T1 = '2026-12-03T10:05:00.000Z';
const T2 = '2026-12-03T10:10:00.000Z';

function request(id: string, overrides: Partial<NewInboundRequest> = {}): NewInboundRequest {
  return {
    id,
    system: 'shop',
    route: 'orders-create',
    receivedAt: T0,
    contentType: 'application/json',
    headers: { 'x-shopify-webhook-id': id },
    body: `{"id":"${id}","note":"ünïcode"}`,
    bodyEncoding: 'utf8',
    outcome: 'accepted',
    eventIds: [],
    ...overrides,
  };
}

function conformance(t: TestStore) {
  let store: Store;
  beforeEach(() => {
    store = t.store;
  });

  it('keeps a request with its events and finds it by them, once they are in the log', async () => {
    const [before] = await logEvents(store, ['e1']);
    await store.inboundRequests.record(request('r1', { eventIds: ['e1', 'e2', 'e1'] }));
    // e2 is committed after the request (it was written beside it): linked all the same.
    const [after] = await logEvents(store, ['e2']);
    const { eventIds: _ids, ...kept } = request('r1');
    expect(await store.inboundRequests.get('r1')).toEqual({
      ...kept,
      events: [
        { id: 'e1', seq: before },
        { id: 'e2', seq: after },
      ],
      updatedAt: T0,
    });
    expect(await store.inboundRequests.get('nope')).toBeUndefined();
    // A resend of the same events (a duplicate request): the first request received is the one linked.
    await store.inboundRequests.record(
      request('r2', { receivedAt: T1, eventIds: ['e2'], outcome: 'duplicate' }),
    );
    expect(
      await store.inboundRequests.forEvents([(after as number) + 100, after as number, before as number]),
    ).toEqual([
      { seq: before, requestId: 'r1' },
      { seq: after, requestId: 'r1' },
    ]);
    expect(await store.inboundRequests.forEvents([])).toEqual([]);
    // An event id whose commit never happened is simply not linked.
    await store.inboundRequests.record(request('r3', { eventIds: ['never-logged'] }));
    expect((await store.inboundRequests.get('r3'))?.events).toEqual([]);
  });

  it('settles a request after all: parked with its exception, then applied by a retry', async () => {
    await store.inboundRequests.record(
      request('p1', { outcome: 'accepted', bodyEncoding: 'base64', body: 'AAEC', eventIds: ['lost'] }),
    );
    await store.inboundRequests.settle('p1', { outcome: 'parked', exceptionId: 7 }, T1);
    expect(await store.inboundRequests.get('p1')).toMatchObject({
      outcome: 'parked',
      exceptionId: 7,
      events: [],
    });
    const [seq] = await logEvents(store, ['e9']);
    await store.inboundRequests.settle('p1', { outcome: 'accepted', eventIds: ['e9'] }, T2);
    const settled = await store.inboundRequests.get('p1');
    expect(settled).toMatchObject({
      outcome: 'accepted',
      exceptionId: 7,
      bodyEncoding: 'base64',
      body: 'AAEC',
      events: [{ id: 'e9', seq }],
      updatedAt: T2,
    });
    expect(await store.inboundRequests.forEvents([seq as number])).toEqual([{ seq, requestId: 'p1' }]);
    // Settling a request never kept does nothing.
    await store.inboundRequests.settle('nope', { outcome: 'accepted' }, T2);
  });

  it('lists by system, route and time, oldest first, in pages; still there for another process', async () => {
    await store.inboundRequests.record(request('b', { receivedAt: T1 }));
    await store.inboundRequests.record(request('a', { receivedAt: T1 }));
    await store.inboundRequests.record(request('c', { receivedAt: T0, route: 'orders-cancelled' }));
    await store.inboundRequests.record(request('d', { receivedAt: T2, system: 'portal' }));
    await store.inboundRequests.record(request('e', { receivedAt: T2 }));
    const ids = (rs: { id: string }[]) => rs.map((r) => r.id);
    expect(ids(await store.inboundRequests.list({ system: 'shop' }))).toEqual(['c', 'a', 'b', 'e']);
    expect(ids(await store.inboundRequests.list({ system: 'shop', route: 'orders-create' }))).toEqual([
      'a',
      'b',
      'e',
    ]);
    expect(ids(await store.inboundRequests.list({ system: 'shop', since: T1 }))).toEqual(['a', 'b', 'e']);
    expect(ids(await store.inboundRequests.list({ system: 'shop', limit: 2 }))).toEqual(['c', 'a']);
    expect(ids(await store.inboundRequests.list({ system: 'shop', limit: 2, afterId: 'a' }))).toEqual([
      'b',
      'e',
    ]);
    const other = t.reopen();
    await other.migrate();
    expect(ids(await other.inboundRequests.list({ system: 'portal' }))).toEqual(['d']);
  });
}

await describeEachStore('inbound requests', conformance, { fresh: 'each' });
