/**
 * What makes a run's report its own: the receivers measure only events carrying the run's tag, the
 * backlog read from `GET /v1/backlog` names the subscriptions behind, and the exit code says when the run
 * did not drain.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { FaultPlan } from './faults.js';
import { backlogSample, behindIn } from './monitor.js';
import { startReceivers } from './receivers.js';
import { exitCodeOf, notDrainedMessage, type SimulationReport } from './report.js';
import { ofRun, runTag } from './run-scope.js';
import type { SimSubscription } from './sim-config.js';

const NO_FAULTS: FaultPlan = { down: [], slow: [], duplicates: 0, outOfOrder: 0 };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the run's own figures", () => {
  it('measures and hands on only the events of the run; the others are answered and counted apart', async () => {
    const port = await freePort();
    const subscription: SimSubscription = {
      name: 'erp-orders',
      target: 'erp',
      types: ['com.manifold.order.*'],
      url: new URL(`http://127.0.0.1:${port}/orders`),
    };
    const handled: string[] = [];
    const receivers = await startReceivers(
      [subscription],
      NO_FAULTS,
      () => 0,
      (_s, event) => handled.push(event.id),
      undefined,
      (text) => text.includes('ABC123'),
    );
    try {
      const post = (events: unknown) =>
        fetch(subscription.url, { method: 'POST', body: JSON.stringify(events) });
      const now = new Date().toISOString();
      const hoursAgo = new Date(Date.now() - 3_600_000).toISOString();
      const ours = {
        id: 'e1',
        source: '/hub',
        type: 'com.manifold.order.milestone.v1',
        time: now,
        subject: 'WEB-ABC123-1',
        data: {},
      };
      const earlier = {
        id: 'e2',
        source: '/hub',
        type: 'com.manifold.order.milestone.v1',
        time: hoursAgo,
        subject: 'WEB-ZZZ999-4',
        data: {},
      };
      expect((await post([ours, earlier])).status).toBe(200);
      expect((await post(earlier)).status).toBe(200); // an earlier run's row again: no duplicate of the run
      const figures = receivers.stats.perReceiver.get('erp-orders');
      expect(figures).toMatchObject({ received: 1, unique: 1, duplicates: 0 });
      expect(receivers.stats.foreign).toBe(2);
      expect(receivers.stats.latenciesMs).toHaveLength(1);
      expect(receivers.stats.latenciesMs[0]).toBeLessThan(3_600_000);
      expect(handled).toEqual(['e1']);
    } finally {
      await receivers.close();
    }
  });

  it('names the subscriptions behind, most first, with the age of their oldest row', () => {
    const sample = backlogSample(1000, {
      subscriptions: [
        { name: 'erp-orders', pending: 0, oldestPendingSeconds: 0 },
        { name: 'portal-orders', pending: 3, oldestPendingSeconds: 4.4 },
        { name: 'shop-orders', pending: 12, oldestPendingSeconds: 9.6 },
      ],
      targets: [
        { system: 'shop', circuit: 'open' },
        { system: 'erp', circuit: 'closed' },
      ],
    });
    expect(sample.circuits).toEqual(new Map([['shop', 'open']]));
    expect(behindIn(sample)).toEqual([
      { subscription: 'shop-orders', pending: 12, oldestPendingSeconds: 10 },
      { subscription: 'portal-orders', pending: 3, oldestPendingSeconds: 4 },
    ]);
    expect(behindIn(undefined)).toEqual([]);
  });

  it('exits 3 when the run was waited for and did not drain, 1 on an oversell', () => {
    const report = {
      oversells: { count: 0 },
      drainWaited: true,
      drained: false,
      drainTimeoutMs: 500,
      behind: [{ subscription: 'shop-orders', pending: 11, oldestPendingSeconds: 2 }],
      busy: null,
    } as unknown as SimulationReport;
    expect(exitCodeOf(report)).toBe(3);
    expect(notDrainedMessage(report)).toMatch(
      /^the run did not drain within --drain-timeout 500 ms; behind: shop-orders 11 pending, oldest 2 s/,
    );
    expect(exitCodeOf({ ...report, drained: true })).toBe(0);
    expect(exitCodeOf({ ...report, drainWaited: false })).toBe(0); // --no-drain
    expect(exitCodeOf({ ...report, oversells: { ...report.oversells, count: 1 } })).toBe(1);
  });

  it("counts the hub's alerts raised since the run started as the run's", () => {
    const since = '2026-12-03T09:00:00.000Z';
    const alert = (time: string) => ({
      id: 'a1',
      source: '/manifold',
      type: 'com.manifold.ops.alert.v1',
      time,
      data: {},
    });
    const after = alert('2026-12-03T09:00:05.000Z');
    const before = alert('2026-12-03T08:59:00.000Z');
    expect(ofRun('ABC123', since, JSON.stringify(after), after)).toBe(true);
    expect(ofRun('ABC123', since, JSON.stringify(before), before)).toBe(false);
    const other = { ...after, type: 'com.manifold.order.milestone.v1', subject: 'WEB-ZZZ999-1' };
    expect(ofRun('ABC123', since, JSON.stringify(other), other)).toBe(false);
    expect(ofRun('ABC123', since, 'ISA*00*...BEG*00*SA*POABC1237~')).toBe(true);
  });

  it('makes run tags that always hold a letter', () => {
    expect(runTag(Date.UTC(2026, 11, 3))).toMatch(/^[0-9A-Z]{6}$/);
    expect(runTag(2_176_782_335)).toMatch(/[A-Z]/); // ZZZZZZ in base 36
    const digitsOnly = Number.parseInt('123456', 36);
    expect(runTag(digitsOnly)).toBe('X23456');
  });
});
