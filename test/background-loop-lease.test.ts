/**
 * A leased background loop (`Loop` with a `SingletonLease`): steps only while its process holds the lease,
 * keeps the lease through a pass longer than the lease time (renewed between steps, so another process
 * cannot take it while the pass runs), and gives it up on stop.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Loop } from '../src/engine/background-loop.js';
import { SingletonLease } from '../src/engine/singleton-lease.js';
import { describeEachStore, type TestStore } from './support/stores.js';

function conformance(t: TestStore) {
  const errors: unknown[] = [];
  beforeEach(() => {
    errors.length = 0;
  });
  afterEach(() => {
    expect(errors).toEqual([]);
  });

  const lease = (owner: string) =>
    new SingletonLease(t.store, 'loop:test', owner, { ttlMs: 300, renewMs: 100 });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('keeps its lease through a pass that outlasts it, and only its holder steps', async () => {
    let steps = 0;
    const loop = new Loop(
      'test',
      async (fence) => {
        expect(fence).toMatchObject({ name: 'loop:test', holder: 'a' });
        steps += 1;
        await sleep(20);
        return steps < 50 ? 1 : 0; // about a second of work: three lease times
      },
      (_, error) => errors.push(error),
      { lease: lease('a'), pending: async () => false },
    );
    const pass = loop.wake();
    // Another process asks for the lease all along the pass: it never gets it.
    const other = lease('b');
    let othersHeld = 0;
    while (steps < 50) {
      if (await other.hold()) othersHeld += 1;
      await sleep(110);
    }
    await pass;
    expect(othersHeld).toBe(0);
    expect(steps).toBe(50);

    // The other process's loop does nothing while `a` holds the lease.
    let otherSteps = 0;
    const otherLoop = new Loop(
      'test',
      async () => {
        otherSteps += 1;
        return 0;
      },
      (_, error) => errors.push(error),
      { lease: other, pending: async () => false },
    );
    await otherLoop.wake();
    expect(otherSteps).toBe(0);

    // `a` stops and gives the lease up: the other takes it at its next ask.
    await loop.stop();
    await sleep(110);
    await otherLoop.wake();
    expect(otherSteps).toBe(1);
    await otherLoop.stop();
  }, 20_000);
}

await describeEachStore('leased background loop', conformance, { fresh: 'each' });
