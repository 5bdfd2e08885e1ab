/**
 * Throttling is not an outage, against real local HTTP receivers: 429/503 and Retry-After slow delivery to
 * the target down (adaptive concurrency, a pause of the whole target) but never open its circuit breaker
 * nor use up `maxAttempts`; `systems.<name>.rateLimit.concurrency` caps the target across subscriptions;
 * refused connections still open the breaker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TargetHealth } from '../../src/engine/delivery/delivery-engine.js';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

let hub: TestApp | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  hub = undefined;
  sink = undefined;
});

const ERP = `erp: { kind: erp, key: ${KEYS.erp} }`;

/** A subscription of inventory adjustments to the ERP at `url`. */
function subscription(name: string, url: string, retry: string, extra = ''): string {
  return `
  - name: ${name}
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    http: { url: ${url}/${name} }
    retry: ${retry}
    ${extra}`;
}

async function startHub(subscriptions: string, erp = ERP): Promise<TestApp> {
  const yaml = testConfigYaml({ subscriptions: `subscriptions:${subscriptions}` }).replace(ERP, erp);
  hub = await buildTestApp({ yaml, delivery: { pollMs: 10 } });
  return hub;
}

/** `count` adjustments, each of its own SKU (so of its own key: they may go in parallel). */
function events(count: number, prefix = 'SKU-T'): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) =>
    adjustedEvent({ data: { sku: `${prefix}${i}`, location: 'DC-EAST', delta: 1, reason: 'correction' } }),
  );
}

async function ingest(batch: Record<string, unknown>[]): Promise<void> {
  const response = await hub!.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: {
      'content-type': 'application/cloudevents-batch+json',
      authorization: `Bearer ${KEYS.wmsEast}`,
    },
    payload: JSON.stringify(batch),
  });
  expect(response.statusCode).toBe(202);
}

async function openExceptions(): Promise<{ code: string; attempts: number; lastStatus?: number }[]> {
  const response = await hub!.app.inject({
    method: 'GET',
    url: '/v1/exceptions?status=open',
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return (response.json() as { items: { code: string; attempts: number; lastStatus?: number }[] }).items;
}

function erpTarget(): TargetHealth | undefined {
  return hub!.engine!.targets().find((t) => t.system === 'erp');
}

/** Distinct idempotency keys the sink answered 2xx. */
function acceptedKeys(received: Sink['received'], accepted: Set<number>): Set<string> {
  return new Set(
    received.filter((_, index) => accepted.has(index)).map((r) => r.headers['idempotency-key'] as string),
  );
}

describe('throttling is not an outage', () => {
  it('delivers everything to a receiver that 503s the first two attempts of every event: no exception, breaker never opened', async () => {
    const seen = new Map<string, number>();
    const accepted = new Set<number>();
    sink = await startSink((request, index) => {
      const key = request.headers['idempotency-key'] as string;
      const attempt = (seen.get(key) ?? 0) + 1;
      seen.set(key, attempt);
      if (attempt <= 2) return { status: 503, body: 'overloaded' };
      accepted.add(index);
      return { status: 200 };
    });
    // maxAttempts 2: were throttles counted, every event would be parked after its second 503.
    await startHub(
      subscription(
        'erp-stock',
        sink.url,
        '{ maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 50, maxAgeMs: 60000 }',
      ),
    );
    const batch = events(40);
    await ingest(batch);
    const states = new Set<string>();
    await until(
      () => {
        const target = erpTarget();
        if (target) states.add(target.circuit.state);
        return acceptedKeys(sink!.received, accepted).size === batch.length;
      },
      'every event accepted',
      30_000,
    );
    expect(acceptedKeys(sink.received, accepted)).toEqual(new Set(batch.map((e) => e.id as string)));
    expect(sink.received).toHaveLength(batch.length * 3);
    expect(states).toEqual(new Set(['closed']));
    expect(erpTarget()?.circuit).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    expect(await openExceptions()).toEqual([]);
    // Each event's attempts are on record: two throttled, then delivered.
    const seq = (await hub!.store.listEvents({ limit: 1 })).items[0]!.seq;
    const attempts = await hub!.store.delivery.listAttempts({ eventSeq: seq });
    expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 503],
      [2, 503],
      [3, 200],
    ]);
  }, 30_000);

  it('throttling beyond maxAttempts does not park; only maxAgeMs does', async () => {
    const seen = new Map<string, number>();
    sink = await startSink((request) => {
      if (request.path === '/erp-forever') return { status: 429 };
      const key = request.headers['idempotency-key'] as string;
      const attempt = (seen.get(key) ?? 0) + 1;
      seen.set(key, attempt);
      return attempt <= 5 ? { status: 429 } : { status: 200 };
    });
    await startHub(
      subscription(
        'erp-later',
        sink.url,
        '{ maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }',
      ) +
        subscription(
          'erp-forever',
          sink.url,
          '{ maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 1500 }',
        ),
    );
    const [event] = events(1, 'SKU-AGE');
    await ingest([event!]);
    // erp-later: five 429s and a 200, with maxAttempts 2.
    await until(
      () => sink!.received.filter((r) => r.path === '/erp-later').length >= 6,
      'the sixth attempt of erp-later',
      20_000,
    );
    // erp-forever: parked once maxAgeMs (1.5 s) has passed, not after two attempts.
    const parked = await (async () => {
      let found: { code: string; attempts: number; lastStatus?: number }[] = [];
      await until(
        async () => {
          found = await openExceptions();
          return found.length > 0;
        },
        'the exception of erp-forever',
        20_000,
      );
      return found;
    })();
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({ code: 'delivery_failed', lastStatus: 429 });
    expect(parked[0]!.attempts).toBeGreaterThan(2);
    const forever = sink.received.filter((r) => r.path === '/erp-forever');
    expect(forever.at(-1)!.at - forever[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(sink.received.filter((r) => r.path === '/erp-later')).toHaveLength(6);
  }, 30_000);

  it('honours Retry-After for the whole target: no event of any key goes before it', async () => {
    let throttled = false;
    sink = await startSink(() => {
      if (throttled) return { status: 200 };
      throttled = true;
      return { status: 429, headers: { 'retry-after': '2' } };
    });
    await startHub(
      subscription(
        'erp-stock',
        sink.url,
        '{ maxAttempts: 5, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }',
      ),
    );
    const [first] = events(1, 'SKU-FIRST');
    await ingest([first!]);
    await sink.waitFor(1);
    // The 429 is on record (the hub has read its answer) before the other keys arrive.
    const seq = (await hub!.store.listEvents({ limit: 1 })).items[0]!.seq;
    await until(
      async () => (await hub!.store.delivery.listAttempts({ eventSeq: seq })).length === 1,
      'the 429 on record',
    );
    // Other keys, queued after the 429: none of them may be sent during the pause.
    const others = events(5, 'SKU-OTHER');
    await ingest(others);
    await sink.waitFor(7, 15_000);
    const pausedAt = sink.received[0]!.at;
    for (const request of sink.received.slice(1)) expect(request.at - pausedAt).toBeGreaterThanOrEqual(1900);
    expect(erpTarget()?.circuit.state).toBe('closed');
  }, 30_000);

  it('systems.<name>.rateLimit.concurrency caps the requests in flight summed over every subscription to the target', async () => {
    sink = await startSink(() => ({ status: 200, delayMs: 60 }));
    const retry = '{ maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }';
    await startHub(
      subscription('erp-a', sink.url, retry, 'rateLimit: { perSecond: 100000, concurrency: 4 }') +
        subscription('erp-b', sink.url, retry, 'rateLimit: { perSecond: 100000, concurrency: 4 }'),
      `erp: { kind: erp, key: ${KEYS.erp}, rateLimit: { perSecond: 100000, concurrency: 3 } }`,
    );
    const batch = events(20);
    await ingest(batch);
    // Each event goes to both subscriptions.
    await sink.waitFor(40, 20_000);
    expect(sink.inFlight().max).toBe(3);
    expect(new Set(sink.received.map((r) => r.path))).toEqual(new Set(['/erp-a', '/erp-b']));
    expect(erpTarget()?.concurrency).toMatchObject({ maxLimit: 3, limit: 3 });
  }, 30_000);

  it('still opens the breaker on refused connections', async () => {
    // A port that was just listening and is closed now: connections are refused.
    const gone = await startSink();
    const url = gone.url;
    await gone.close();
    await startHub(
      subscription(
        'erp-down',
        url,
        '{ maxAttempts: 100, initialDelayMs: 1, maxDelayMs: 2, maxAgeMs: 60000 }',
      ),
    );
    await ingest(events(1, 'SKU-DOWN'));
    await until(() => erpTarget()?.circuit.state === 'open', 'the circuit of erp to open', 15_000);
    expect(erpTarget()?.circuit.consecutiveFailures).toBe(5);
    const ready = (await hub!.app.inject({ method: 'GET', url: '/readyz' })).json() as {
      targets: { system: string; circuit: { state: string } }[];
    };
    expect(ready.targets).toContainEqual(
      expect.objectContaining({ system: 'erp', circuit: expect.objectContaining({ state: 'open' }) }),
    );
  }, 30_000);
});
