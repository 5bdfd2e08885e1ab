/**
 * The process registry on every adapter: incarnations registered with a heartbeat, alive while it is
 * recent, dead once it expires, on deregistration, or when a new incarnation claims the same address on
 * the same host; and the engine side (`ProcessRegistry`) registering, beating and deregistering.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { HEARTBEAT_INTERVAL_MS, PROCESS_TTL_MS, ProcessRegistry } from '../src/engine/process-registry.js';
import type { Store } from '../src/store/store-port.js';
import { describeEachStore, type TestStore } from './support/stores.js';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const TTL = 15_000;
const info = (pid: number) => ({ host: 'hub-a', pid, version: '1.2.3' });

function conformance(t: TestStore) {
  let store: Store;
  beforeEach(() => {
    store = t.store;
  });

  it('registers an incarnation, alive while its heartbeat is recent, dead once it expires', async () => {
    await store.processes.register('inc-1', info(101), at(0));
    expect(await store.processes.isAlive('inc-1', at(TTL), TTL)).toBe(true);
    expect(await store.processes.isAlive('inc-1', at(TTL + 1), TTL)).toBe(false);
    expect(await store.processes.heartbeat('inc-1', at(10_000))).toBe(true);
    expect(await store.processes.isAlive('inc-1', at(TTL + 1), TTL)).toBe(true);
    expect(await store.processes.isAlive('never-registered', at(0), TTL)).toBe(false);
    expect(await store.processes.live(at(1000 + TTL), TTL)).toEqual([
      {
        incarnation: 'inc-1',
        host: 'hub-a',
        pid: 101,
        version: '1.2.3',
        startedAt: at(0),
        heartbeatAt: at(10_000),
      },
    ]);
    expect(await store.processes.live(at(10_000 + TTL + 1), TTL)).toEqual([]);
  });

  it('lists the live ones oldest first; a deregistered one is dead at once and its heartbeat says so', async () => {
    await store.processes.register('inc-b', info(2), at(1000));
    await store.processes.register('inc-a', info(1), at(0));
    await store.processes.register('inc-c', info(3), at(2000));
    expect((await store.processes.live(at(3000), TTL)).map((p) => p.incarnation)).toEqual([
      'inc-a',
      'inc-b',
      'inc-c',
    ]);
    await store.processes.deregister('inc-b');
    expect(await store.processes.isAlive('inc-b', at(3000), TTL)).toBe(false);
    expect(await store.processes.heartbeat('inc-b', at(3000))).toBe(false);
    expect((await store.processes.live(at(3000), TTL)).map((p) => p.incarnation)).toEqual(['inc-a', 'inc-c']);
    // Registering again (after a removal) keeps the start time of the first registration.
    await store.processes.register('inc-a', info(1), at(4000));
    expect((await store.processes.live(at(4000), TTL))[0]).toMatchObject({
      startedAt: at(0),
      heartbeatAt: at(4000),
    });
  });

  it('a new incarnation claiming the address of one on the same host makes it dead at once', async () => {
    await store.processes.register('old', info(10), at(0));
    expect(await store.processes.claimAddress('old', 'hub-a', '127.0.0.1:8080')).toEqual([]);
    await store.processes.register('elsewhere', { ...info(10), host: 'hub-b' }, at(0));
    expect(await store.processes.claimAddress('elsewhere', 'hub-b', '127.0.0.1:8080')).toEqual([]);
    await store.processes.register('new', info(11), at(1000));
    expect(await store.processes.claimAddress('new', 'hub-a', '127.0.0.1:9090')).toEqual([]);
    expect(await store.processes.isAlive('old', at(1000), TTL)).toBe(true); // another address: both live
    expect(await store.processes.claimAddress('new', 'hub-a', '127.0.0.1:8080')).toEqual(['old']);
    expect(await store.processes.isAlive('old', at(1000), TTL)).toBe(false);
    expect(await store.processes.isAlive('elsewhere', at(1000), TTL)).toBe(true); // another host
    expect((await store.processes.live(at(1000), TTL)).find((p) => p.incarnation === 'new')).toMatchObject({
      address: '127.0.0.1:8080',
    });
  });

  it('lists every registered incarnation, the dead with the live, oldest start first', async () => {
    await store.processes.register('late', info(2), at(5000));
    await store.processes.register('early', info(1), at(0));
    await store.processes.heartbeat('late', at(60_000));
    const all = await store.processes.all();
    expect(all.map((p) => p.incarnation)).toEqual(['early', 'late']);
    expect(all[0]).toEqual({
      incarnation: 'early',
      host: 'hub-a',
      pid: 1,
      version: '1.2.3',
      startedAt: at(0),
      heartbeatAt: at(0),
    });
    // `early` is long dead by `late`'s clock, yet listed until pruned; `live` leaves it out.
    expect((await store.processes.live(at(60_000), TTL)).map((p) => p.incarnation)).toEqual(['late']);
    await store.processes.deregister('late');
    expect((await store.processes.all()).map((p) => p.incarnation)).toEqual(['early']);
  });

  it('forgets incarnations whose last heartbeat is older than asked', async () => {
    await store.processes.register('gone', info(1), at(0));
    await store.processes.register('here', info(2), at(0));
    await store.processes.heartbeat('here', at(60_000));
    expect(await store.processes.prune(at(30_000))).toBe(1);
    expect(await store.processes.heartbeat('gone', at(60_000))).toBe(false);
    expect(await store.processes.heartbeat('here', at(60_000))).toBe(true);
  });

  describe('ProcessRegistry', () => {
    it('registers at start, beats, counts the live processes, and deregisters on stop', async () => {
      let clock = T0;
      const now = () => new Date(clock);
      const one = new ProcessRegistry(store, { now });
      const otherStore = t.reopen(); // another hub process on the same database
      await otherStore.migrate();
      const other = new ProcessRegistry(otherStore, { now });
      expect(await one.isAlive(one.incarnation)).toBe(true); // itself, even before registering
      expect(await other.isAlive(one.incarnation)).toBe(false);
      await one.start();
      await other.start();
      try {
        expect(one.incarnation).not.toBe(other.incarnation);
        expect(await other.isAlive(one.incarnation)).toBe(true);
        expect((await one.live()).map((p) => p.incarnation).sort()).toEqual(
          [one.incarnation, other.incarnation].sort(),
        );
        await one.heartbeat();
        expect(await one.live()).toHaveLength(2);
        clock += PROCESS_TTL_MS + 1; // `one` missed its heartbeats: dead to the other
        await other.heartbeat();
        expect(await other.isAlive(one.incarnation)).toBe(false);
        expect(await other.live()).toHaveLength(1);
        await one.heartbeat(); // alive again
        expect(await other.isAlive(one.incarnation)).toBe(true);
        await one.stop();
        expect(await other.isAlive(one.incarnation)).toBe(false);
        // A removed row is registered again by the next heartbeat.
        await store.processes.deregister(other.incarnation);
        await other.heartbeat();
        expect(await one.isAlive(other.incarnation)).toBe(true);
      } finally {
        await other.stop();
      }
      expect(await store.processes.live(now().toISOString(), PROCESS_TTL_MS)).toEqual([]);
    });

    it('beats on its own every interval', async () => {
      const registry = new ProcessRegistry(store, { intervalMs: 50 });
      await registry.start();
      try {
        const first = (await registry.live())[0]?.heartbeatAt ?? '';
        await new Promise((r) => setTimeout(r, 300));
        const later = (await registry.live())[0]?.heartbeatAt ?? '';
        expect(later > first).toBe(true);
      } finally {
        await registry.stop();
      }
      expect(HEARTBEAT_INTERVAL_MS).toBeLessThan(PROCESS_TTL_MS);
    });
  });
}

await describeEachStore('process registry', conformance, { fresh: 'each' });
