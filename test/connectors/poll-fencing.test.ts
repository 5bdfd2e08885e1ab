/**
 * A poller that loses its lease in the middle of a run writes nothing more (docs/durability.md#fencing), on
 * both stores, through the real hub against a real paged API: the hub commits page 1 and asks for page 2;
 * while it waits for the answer — a process paused past its lease — another holder takes the lease. The
 * answer then arrives and the hub's commit of page 2 (its events and its cursor, one transaction) is refused
 * inside that transaction: no event of page 2, the cursor still at page 1, no status written. Once the other
 * holder gives the lease back, the hub takes it at a new epoch and goes on from the stored cursor: every item
 * exactly once.
 */
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import { composeHub, type Hub } from '../../src/main/compose.js';
import { type PagedApi, pollerConfigYaml, startPagedApi } from '../support/paged-api.js';
import { describeEachStore, type TestStore } from '../support/stores.js';

const POLLER = 'poll:wms-east:adjustments';
const LEASE = `source:${POLLER}`;

function conformance(t: TestStore) {
  let api: PagedApi;
  let hub: Hub | undefined;

  beforeEach(async () => {
    api = await startPagedApi();
  });
  afterEach(async () => {
    await hub?.stop(1000);
    hub = undefined;
    await api.close();
  });

  it('commits nothing after its lease was taken between its read and its commit', async () => {
    for (const [id, delta] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
      ['e', 5],
    ] as const)
      api.put(id, delta);
    const logged: string[] = [];
    const config = compileConfig(pollerConfigYaml(api.url, { every: '1h' }), 'poll.yaml', {});
    hub = composeHub(config, t.store, {
      logger: pino({ level: 'debug' }, { write: (line: string) => void logged.push(line) }),
      delivery: false,
    });

    // Page 2 is answered late; before it is, another process takes the lease (the hub "paused").
    let thief: { epoch: number | undefined } | undefined;
    api.slowPage = 2;
    api.slowMs = 300;
    api.onSlowPage = () => {
      thief = { epoch: undefined };
      const later = new Date(Date.now() + 3_600_000).toISOString(); // past the hub's lease
      void t.store.ops.takeLease(LEASE, 'another-process', later, 3_600_000).then((epoch) => {
        (thief as { epoch: number | undefined }).epoch = epoch;
      });
    };
    await hub.sources.settle();
    expect(thief?.epoch).toBe(2); // the hub held it at epoch 1
    expect(api.requests).toEqual(['/adjustments?since=', '/adjustments?since=&page=2']);

    // Page 1 was committed under the lease; page 2 and its cursor were refused inside the transaction.
    const page1 = api.records.slice(0, 2);
    const ids = async () =>
      (await t.store.listEvents({ source: '/wms-east', limit: 100 })).items.map((e) => e.event.id);
    expect(await ids()).toEqual(page1.map((r) => `adj-${r.id}-${r.updated_at}`));
    expect(await t.store.connectorState.get(POLLER, 'cursor')).toBe(page1.at(-1)?.updated_at);
    expect(await t.store.connectorState.get(POLLER, 'next')).toMatch(/page=2$/);
    expect(await t.store.connectorState.get(POLLER, 'status')).toBeUndefined(); // not even its status
    const [lease] = (await t.store.ops.leases()).filter((l) => l.name === LEASE);
    expect(lease).toMatchObject({ owner: 'another-process', epoch: 2 });
    expect(logged.some((line) => line.includes(`lease '${LEASE}' is no longer held`))).toBe(true);

    // While the other holds it, the hub does not poll.
    api.requests.length = 0;
    await hub.sources.settle();
    expect(api.requests).toEqual([]);

    // It gives it back: the hub takes it at a new epoch and goes on from the stored state, each item once.
    await t.store.ops.releaseLease(LEASE, 'another-process');
    api.slowPage = undefined;
    await hub.sources.settle();
    const all = await ids();
    expect(all).toEqual(api.records.map((r) => `adj-${r.id}-${r.updated_at}`));
    const [retaken] = (await t.store.ops.leases()).filter((l) => l.name === LEASE);
    expect(retaken?.owner).not.toBe('another-process');
    expect(retaken?.epoch).toBe(3);
    expect(await t.store.connectorState.get(POLLER, 'cursor')).toBe(api.records.at(-1)?.updated_at);
  });
}

await describeEachStore('poller fencing', conformance, { fresh: 'each' });
