/**
 * Latest-wins subscriptions and batching of a hot key's backlog (docs/delivery.md §2, §3), through the
 * delivery engine against a real HTTP target: `coalesce: true` on state-like types (refused by
 * check-config for any other type), `coalesce: false` turning availability's default off, and `batch: true`
 * sending one key's pending events in as few requests as the batch size allows, one at a time, in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../src/domain/cloud-event.js';
import { configIssues, lineOf } from '../support/config-issues.js';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { testConfigYaml } from '../support/test-config.js';

const SUBSCRIPTION = 'shop-stock';
const AVAILABILITY = 'com.manifold.inventory.availability.v1';
const POSITION = 'com.manifold.inventory.position.v1';
const ADJUSTED = 'com.manifold.inventory.adjusted.v1';

let hub: TestApp | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  hub = undefined;
  sink = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const subscriptionYaml = (types: string[], extra: string, url = 'http://127.0.0.1:9/shop') => `subscriptions:
  - name: ${SUBSCRIPTION}
    target: shop
    types: [${types.join(', ')}]
    http: { url: ${url}${extra.includes('batch') ? ', batch: true' : ''} }
    rateLimit: { perSecond: 1000, concurrency: 4 }
${extra
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.includes('batch'))
  .map((line) => `    ${line}`)
  .join('\n')}`;

let counter = 0;
/** An event as logged for the subscription (subject and partitionkey filled in). */
function event(type: string, subject: string, n: number): CloudEvent {
  counter += 1;
  return {
    specversion: '1.0',
    id: `ev-${process.pid}-${counter}`,
    source: '/manifold',
    type,
    subject,
    partitionkey: subject,
    data: { n },
  };
}

/** Appends the events in one transaction (so one claim can see them all) and wakes the runner. */
async function emit(events: CloudEvent[]): Promise<void> {
  await hub!.store.append(
    events.map((e) => ({
      system: 'manifold',
      event: e,
      outbox: [{ subscription: SUBSCRIPTION, target: 'shop' }],
    })),
  );
  hub!.engine!.wake([SUBSCRIPTION]);
}

/** What the target received of `subject`: the `n` of each event, in arrival order. */
const received = (subject: string) =>
  sink!.received
    .flatMap((request) => request.events)
    .filter((e) => e.subject === subject)
    .map((e) => (e.data as { n: number }).n);

async function until(done: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

const backlogEmpty = async () =>
  !(await hub!.store.delivery.deliveryBacklog()).some((stat) => stat.subscription === SUBSCRIPTION);

describe('check-config: coalesce', () => {
  it('refuses coalesce: true when types can match a type that is not state-like, at the coalesce line', () => {
    const text = testConfigYaml({
      subscriptions: subscriptionYaml(['com.manifold.inventory.*'], 'coalesce: true'),
    });
    const issues = configIssues(text);
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['subscriptions[0].coalesce', lineOf(text, 'coalesce: true')],
    ]);
    expect(issues[0]?.message).toBe(
      "'coalesce: true' takes state-like types only; types pattern 'com.manifold.inventory.*' matches " +
        'com.manifold.inventory.adjusted.v1, whose events are changes, not the whole state of their key ' +
        '(state-like: com.manifold.inventory.counted.v1, com.manifold.inventory.incoming.v1, ' +
        'com.manifold.inventory.availability.v1, com.manifold.inventory.position.v1)',
    );
    const orders = testConfigYaml({
      subscriptions: subscriptionYaml([POSITION, 'com.manifold.order.shipped.v1'], 'coalesce: true'),
    });
    expect(configIssues(orders)[0]?.message).toContain(
      "pattern 'com.manifold.order.shipped.v1' matches com.manifold.order.shipped.v1",
    );
    const notBoolean = testConfigYaml({ subscriptions: subscriptionYaml([POSITION], 'coalesce: latest') });
    expect(configIssues(notBoolean)[0]?.message).toContain('expected true or false');
  });
});

describe('latest-wins subscriptions', () => {
  it('with coalesce: true a slow target gets the current position of each key, in order, ending on the newest', {
    timeout: 30_000,
  }, async () => {
    sink = await startSink(() => ({ status: 200, delayMs: 150 }));
    // Positions of one key keep coming, faster than the target answers.
    hub = await buildTestApp({
      yaml: testConfigYaml({
        subscriptions: subscriptionYaml([POSITION], 'coalesce: true', `${sink.url}/shop`),
      }),
      delivery: { pollMs: 10 },
    });
    expect(hub.config.subscriptions[0]?.coalesce).toBe(true);
    for (let n = 1; n <= 40; n++) {
      await emit([event(POSITION, 'SKU-1@DC-EAST', n)]);
      await sleep(10);
    }
    await until(
      async () => received('SKU-1@DC-EAST').at(-1) === 40 && (await backlogEmpty()),
      'newest position',
    );
    const got = received('SKU-1@DC-EAST');
    expect(got.length).toBeLessThan(20);
    expect(got).toEqual([...new Set(got)].sort((a, b) => a - b));
    const outbox = await hub.store.listOutbox({ subscription: SUBSCRIPTION, limit: 100 });
    expect(outbox.filter((row) => row.status === 'skipped')).toHaveLength(40 - got.length);
  });

  it('without it positions all go, and coalesce: false sends every availability figure', {
    timeout: 30_000,
  }, async () => {
    sink = await startSink(() => ({ status: 200, delayMs: 30 }));
    hub = await buildTestApp({
      yaml: testConfigYaml({
        subscriptions: subscriptionYaml([AVAILABILITY, POSITION], 'coalesce: false', `${sink.url}/shop`),
      }),
      delivery: { pollMs: 10 },
    });
    for (let n = 1; n <= 15; n++) {
      await emit([event(AVAILABILITY, 'SKU-1@web', n), event(POSITION, 'SKU-1@DC-EAST', n)]);
      await sleep(5);
    }
    await until(backlogEmpty, 'backlog drained');
    const all = Array.from({ length: 15 }, (_, i) => i + 1);
    expect(received('SKU-1@web')).toEqual(all);
    expect(received('SKU-1@DC-EAST')).toEqual(all);
  });
});

describe('batching of a hot key', () => {
  it('sends one key’s backlog in requests of up to 100 events, one request at a time, in order', {
    timeout: 30_000,
  }, async () => {
    sink = await startSink(() => ({ status: 200, delayMs: 20 }));
    hub = await buildTestApp({
      yaml: testConfigYaml({ subscriptions: subscriptionYaml([ADJUSTED], 'batch', `${sink.url}/shop`) }),
      delivery: { pollMs: 10 },
    });
    expect(hub.config.subscriptions[0]?.http?.batch).toBe(true);
    await emit(Array.from({ length: 250 }, (_, i) => event(ADJUSTED, 'HOT@DC-EAST', i)));
    await until(backlogEmpty, 'backlog drained');
    expect(sink.received.map((request) => request.events.length)).toEqual([100, 100, 50]);
    expect(received('HOT@DC-EAST')).toEqual(Array.from({ length: 250 }, (_, i) => i));
    // One key never has two requests on the wire.
    expect(sink.inFlight().max).toBe(1);
  });

  it('puts several keys’ backlogs in one request, each key in its order', { timeout: 30_000 }, async () => {
    sink = await startSink(() => ({ status: 200 }));
    hub = await buildTestApp({
      yaml: testConfigYaml({ subscriptions: subscriptionYaml([ADJUSTED], 'batch', `${sink.url}/shop`) }),
      delivery: { pollMs: 10 },
    });
    await emit(Array.from({ length: 60 }, (_, i) => event(ADJUSTED, `K${i % 3}@DC-EAST`, i)));
    await until(backlogEmpty, 'backlog drained');
    expect(sink.received).toHaveLength(1);
    for (const k of [0, 1, 2])
      expect(received(`K${k}@DC-EAST`)).toEqual(Array.from({ length: 20 }, (_, i) => 3 * i + k));
  });
});
