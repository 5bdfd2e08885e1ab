/**
 * `listEvents({ type })` reads a `*` pattern as subscriptions do (`com.manifold.order.*`), on every store:
 * `*` is any run of characters, `_` and `.` match only themselves, and the match is case-sensitive.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import type { Store } from '../src/store/store-port.js';
import { describeEachStore, type TestStore } from './support/stores.js';

function conformance(t: TestStore) {
  let store: Store;
  beforeEach(() => {
    store = t.store;
  });

  it('matches * patterns, and only what they say', async () => {
    const source = `/test/${randomUUID()}`;
    const types = [
      'com.manifold.order.accepted.v1',
      'com.manifold.order.shipped.v1',
      'com.manifold.inventory.on_hand.v1',
      'com.manifold.inventory.onXhand.v1',
      'com.manifold.Order.accepted.v1',
    ];
    await store.append(
      types.map((type, i) => ({
        system: 'erp',
        event: { specversion: '1.0', id: `e${i}`, source, type },
        outbox: [],
      })),
    );
    const ids = async (type: string) =>
      (await store.listEvents({ source, type, limit: 10 })).items.map((e) => e.event.id);
    expect(await ids('com.manifold.order.*')).toEqual(['e0', 'e1']);
    expect(await ids('*.shipped.*')).toEqual(['e1']);
    expect(await ids('com.manifold.inventory.on_hand.*')).toEqual(['e2']);
    expect(await ids('com.manifold.*')).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    expect(await ids('com.manifold.order.accepted.v1')).toEqual(['e0']);
    expect(await ids('com.manifold.order')).toEqual([]);
  });
}

await describeEachStore('event log: type patterns', conformance, { fresh: 'each' });
