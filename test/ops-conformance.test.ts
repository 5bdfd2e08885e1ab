/**
 * The operations store on every adapter (docs/operations.md): the lease that names the one process evaluating the
 * alert rules, the rules' stored state, and two alert engines on one database — as two hub processes —
 * sending each transition once, and a restart going on from the stored state without firing again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompiledConfig } from '../src/config/compiled-config.js';
import { compileConfig } from '../src/config/load-config.js';
import type { AlertInstance } from '../src/domain/alerts/alert-state.js';
import { IngestService } from '../src/engine/ingest-service.js';
import { ALERT_EVENT_TYPE, AlertEngine } from '../src/engine/observability/alert-engine.js';
import type { Store } from '../src/store/store-port.js';
import { describeEachStore, type TestStore } from './support/stores.js';
import { testConfigYaml } from './support/test-config.js';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function alert(rule: string, status: AlertInstance['status']): AlertInstance {
  return {
    rule,
    severity: 'warning',
    kind: 'drift',
    status,
    value: 1,
    threshold: 0,
    summary: `${rule} ${status}`,
  };
}

function conformance(t: TestStore) {
  let store: Store;
  beforeEach(() => {
    store = t.store;
  });
  /** Another process's store on the same database. */
  const another = async () => {
    const s = t.reopen();
    await s.migrate();
    return s;
  };

  describe('leases', () => {
    it('are taken when free, renewed by their owner, refused to others until they expire or are released', async () => {
      expect(await store.ops.tryLease('alerts', 'a', at(0), 15_000)).toBe(true);
      expect(await store.ops.tryLease('alerts', 'b', at(1000), 15_000)).toBe(false);
      expect(await store.ops.tryLease('alerts', 'a', at(10_000), 15_000)).toBe(true); // renewed to 25 s
      expect(await store.ops.tryLease('alerts', 'b', at(20_000), 15_000)).toBe(false);
      expect(await store.ops.tryLease('alerts', 'b', at(25_001), 15_000)).toBe(true); // expired: taken over
      expect(await store.ops.tryLease('alerts', 'a', at(26_000), 15_000)).toBe(false);
      expect(await store.ops.tryLease('other', 'a', at(26_000), 15_000)).toBe(true); // leases are per name
      await store.ops.releaseLease('alerts', 'a'); // not the owner: nothing happens
      expect(await store.ops.tryLease('alerts', 'a', at(27_000), 15_000)).toBe(false);
      await store.ops.releaseLease('alerts', 'b');
      expect(await store.ops.tryLease('alerts', 'a', at(28_000), 15_000)).toBe(true);
    });

    it('are listed by name with their holder and expiry, a released one no longer', async () => {
      expect(await store.ops.leases()).toEqual([]);
      await store.ops.tryLease('source:wms', 'b', at(0), 10_000);
      await store.ops.tryLease('alerts', 'a', at(0), 15_000);
      await store.ops.tryLease('alerts', 'a', at(5000), 15_000); // renewed
      expect(await store.ops.leases()).toEqual([
        { name: 'alerts', owner: 'a', expiresAt: at(20_000), epoch: 1 },
        { name: 'source:wms', owner: 'b', expiresAt: at(10_000), epoch: 1 },
      ]);
      await store.ops.releaseLease('source:wms', 'b');
      expect((await store.ops.leases()).map((l) => l.name)).toEqual(['alerts']);
    });

    it('go to exactly one of many processes asking at once', async () => {
      const others = [store, await another(), await another()];
      const answers = await Promise.all(
        others.flatMap((s, i) => [0, 1, 2].map((j) => s.ops.tryLease('alerts', `p${i}-${j}`, at(0), 15_000))),
      );
      expect(answers.filter(Boolean)).toHaveLength(1);
    });
  });

  describe('alert state', () => {
    it('is upserted by key and read back with when it was written', async () => {
      expect(await store.ops.alertStates()).toEqual([]);
      await store.ops.saveAlertStates(
        [
          { key: 'a[x]', alert: alert('a', 'pending') },
          { key: 'b', alert: alert('b', 'ok') },
        ],
        at(0),
      );
      await store.ops.saveAlertStates([{ key: 'a[x]', alert: alert('a', 'firing') }], at(5000));
      expect(await store.ops.alertStates()).toEqual([
        { key: 'a[x]', alert: alert('a', 'firing'), updatedAt: at(5000) },
        { key: 'b', alert: alert('b', 'ok'), updatedAt: at(0) },
      ]);
    });
  });

  describe('delivery circuits', () => {
    it("keep each target's last breaker transition, with a version every process can compare", async () => {
      const opening = {
        system: 'erp',
        state: 'open' as const,
        openedAt: T0,
        retryAt: T0 + 30_000,
        openPeriodMs: 30_000,
        updatedBy: 'hub-a',
        updatedAt: at(0),
      };
      expect(await store.ops.saveCircuit(opening)).toBe(1);
      const other = await another();
      expect(await other.ops.circuits()).toEqual([{ ...opening, version: 1 }]);
      const closing = {
        system: 'erp',
        state: 'closed' as const,
        openPeriodMs: 30_000,
        updatedBy: 'hub-b',
        updatedAt: at(31_000),
      };
      expect(await other.ops.saveCircuit(closing)).toBe(2);
      expect(await store.ops.circuits()).toEqual([{ ...closing, version: 2 }]);
      await other.close();
    });
  });

  describe('two alert engines on one store', () => {
    let config: CompiledConfig;
    let clock = T0;
    const engines: AlertEngine[] = [];
    const engineOn = (s: Store) => {
      const engine = new AlertEngine(config, s, new IngestService(config, s), { now: () => new Date(clock) });
      engines.push(engine);
      return engine;
    };
    const alertEvents = async () =>
      (await store.listEvents({ type: ALERT_EVENT_TYPE, limit: 100 })).items.map(
        (e) => (e.event.data as { state: string }).state,
      );
    beforeEach(() => {
      clock = T0;
      config = compileConfig(
        testConfigYaml({
          subscriptions: `subscriptions: []
alerts:
  - { name: rejections, exceptionRate: { above: 0, per: 1m, code: inventory_rejected } }
`,
        }),
        'test.yaml',
        {},
      );
    });
    afterEach(async () => {
      for (const engine of engines.splice(0)) await engine.stop();
    });

    it('send each transition once; the other takes over when the first stops, without firing again', async () => {
      const first = engineOn(store);
      const second = engineOn(await another());
      await store.delivery.createException({ code: 'inventory_rejected', detail: 'refused', at: at(0) });
      for (const step of [1000, 2000, 3000]) {
        clock = T0 + step;
        await first.evaluate();
        await second.evaluate();
      }
      expect(await alertEvents()).toEqual(['firing']);
      // Both processes answer the same state.
      expect((await first.list()).alerts.map((a) => a.status)).toEqual(['firing']);
      expect((await second.list()).alerts.map((a) => a.status)).toEqual(['firing']);

      await first.stop(); // gives the lease up
      clock = T0 + 4000;
      await second.evaluate();
      expect(await alertEvents()).toEqual(['firing']); // still firing: not sent again
      clock = T0 + 90_000; // the exception is out of the window
      await second.evaluate();
      expect(await alertEvents()).toEqual(['firing', 'resolved']);
    });

    it('a restarted process goes on from the stored state', async () => {
      const before = engineOn(store);
      await store.delivery.createException({ code: 'inventory_rejected', detail: 'refused', at: at(0) });
      clock = T0 + 1000;
      await before.evaluate();
      await before.stop();
      const after = engineOn(await another());
      clock = T0 + 2000;
      await after.evaluate();
      expect(await alertEvents()).toEqual(['firing']);
      expect((await after.list()).alerts[0]).toMatchObject({ status: 'firing', firedAt: at(1000) });
    });
  });
}

await describeEachStore('operations store', conformance, { fresh: 'each' });
