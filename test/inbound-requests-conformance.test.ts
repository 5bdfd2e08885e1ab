/**
 * Kept native webhook requests on every adapter: recorded with their events, settled after a retry,
 * listed by system, route and time (oldest first, paged), and found by the events they produced.
 */
import { beforeEach, expect, it } from 'vitest';
import type { NewInboundRequest } from '../src/store/inbound-request-port.js';
import type { Store } from '../src/store/store-port.js';
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
    events: [],
    ...overrides,
  };
}

function conformance(t: TestStore) {
  let store: Store;
  beforeEach(() => {
    store = t.store;
  });

  it('keeps a request with its events and finds it by them', async () => {
    await store.inboundRequests.record(
      request('r1', { events: [{ id: 'e1', seq: 41 }, { id: 'e2', seq: 42 }] }),
    );
    expect(await store.inboundRequests.get('r1')).toEqual({
      ...request('r1'),
      events: [
        { id: 'e1', seq: 41 },
        { id: 'e2', seq: 42 },
      ],
      updatedAt: T0,
    });
    expect(await store.inboundRequests.get('nope')).toBeUndefined();
    expect(await store.inboundRequests.forEvents([40, 42, 41])).toEqual([
      { seq: 41, requestId: 'r1' },
      { seq: 42, requestId: 'r1' },
    ]);
    expect(await store.inboundRequests.forEvents([])).toEqual([]);
  });

  it('settles a parked request once a retry applied it', async () => {
    await store.inboundRequests.record(
      request('p1', { outcome: 'parked', exceptionId: 7, bodyEncoding: 'base64', body: 'AAEC' }),
    );
    await store.inboundRequests.settle('p1', 'accepted', [{ id: 'e9', seq: 90 }], T1);
    const settled = await store.inboundRequests.get('p1');
    expect(settled).toMatchObject({
      outcome: 'accepted',
      exceptionId: 7,
      bodyEncoding: 'base64',
      body: 'AAEC',
      events: [{ id: 'e9', seq: 90 }],
      updatedAt: T1,
    });
    expect(await store.inboundRequests.forEvents([90])).toEqual([{ seq: 90, requestId: 'p1' }]);
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
    expect(ids(await store.inboundRequests.list({ system: 'shop', limit: 2, afterId: 'a' }))).toEqual(['b', 'e']);
    const other = t.reopen();
    await other.migrate();
    expect(ids(await other.inboundRequests.list({ system: 'portal' }))).toEqual(['d']);
  });
}

await describeEachStore('inbound requests', conformance, { fresh: 'each' });
