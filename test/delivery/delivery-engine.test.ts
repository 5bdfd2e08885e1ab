/**
 * The delivery engine against real local HTTP targets: idempotency keys and signatures, per-key order,
 * retries and their classification, parking with hold/skip, the exception queue and its audit, replay,
 * the circuit breaker and rate limits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/connectors/http/signature.js';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS, pickedEvent, testConfigYaml } from '../support/test-config.js';

const SECRET = 'test-hook-secret-0001';
const FAST_RETRY = 'retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }';

let hub: TestApp | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  hub = undefined;
  sink = undefined;
});

async function start(subscriptions: (url: string) => string, responder?: Parameters<typeof startSink>[0]) {
  sink = await startSink(responder);
  const url = sink.url;
  hub = await buildTestApp({
    yaml: testConfigYaml({ subscriptions: `subscriptions:\n${subscriptions(url)}` }),
    delivery: { pollMs: 10 },
  });
  return { hub, sink };
}

const orders = (url: string, extra = '') => `
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: ${url}/orders, secret: ${SECRET} }
    ${FAST_RETRY}
    ${extra}`;

const inventory = (url: string, extra = '') => `
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.adjusted.v1, com.manifold.inventory.counted.v1]
    http: { url: ${url}/inventory }
    ${FAST_RETRY}
    ${extra}`;

async function ingest(events: Record<string, unknown>[], key: string = KEYS.wmsEast) {
  const response = await hub!.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents-batch+json', authorization: `Bearer ${key}` },
    payload: JSON.stringify(events),
  });
  expect(response.statusCode).toBe(202);
}

function admin(method: 'GET' | 'POST', url: string, payload?: unknown) {
  return hub!.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${KEYS.admin}`,
      ...(payload ? { 'content-type': 'application/json' } : {}),
    },
    ...(payload ? { payload: JSON.stringify(payload) } : {}),
  });
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('delivery', () => {
  it('posts each event once with Idempotency-Key = event id and a verifiable signature', async () => {
    await start((url) => orders(url));
    const events = [pickedEvent('ORD-1'), pickedEvent('ORD-2')];
    await ingest(events);
    const received = await sink!.waitFor(2);
    expect(received.map((r) => r.headers['idempotency-key']).sort()).toEqual(events.map((e) => e.id).sort());
    for (const request of received) {
      expect(request.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
      const header = request.headers['manifold-signature'] as string;
      expect(verifySignature(SECRET, request.body, header, Math.floor(Date.now() / 1000))).toBe(true);
      expect(verifySignature('wrong-secret', request.body, header, Math.floor(Date.now() / 1000))).toBe(
        false,
      );
    }
    const seq = (await hub!.store.listEvents({ limit: 10 })).items[0]!.seq;
    const attempts = await until(async () => {
      const list = await hub!.store.delivery.listAttempts({ eventSeq: seq });
      return list.length > 0 ? list : undefined;
    });
    expect(attempts[0]).toMatchObject({ outcome: 'delivered', status: 200, attempt: 1 });
    expect(attempts[0]!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('never sends an event back to the system it came from (echo suppression)', async () => {
    sink = await startSink();
    hub = await buildTestApp({
      yaml: testConfigYaml({
        subscriptions: `subscriptions:
  - { name: wms-orders, target: wms-east, types: [com.manifold.order.*], http: { url: ${sink.url}/wms } }
  - { name: erp-orders, target: erp, types: [com.manifold.order.*], http: { url: ${sink.url}/erp } }`,
      }),
      delivery: { pollMs: 10 },
    });
    await ingest([pickedEvent('ORD-E')]);
    await sink.waitFor(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(sink.received.map((r) => r.path)).toEqual(['/erp']);
  });

  it('keeps per-key order while a failing key does not block other keys', async () => {
    // ORD-A's first event fails twice (retryable); ORD-B flows meanwhile; ORD-A arrives in order.
    let failures = 0;
    await start(
      (url) => orders(url, 'rateLimit: { perSecond: 1000, concurrency: 4 }'),
      (request) => {
        const first = request.events[0] as { data: { orderId: string; lines: { quantity: number }[] } };
        if (first.data.orderId === 'ORD-A' && failures < 2 && request.headers['idempotency-key'] === firstA) {
          failures += 1;
          return { status: 503, body: 'busy' };
        }
        return { status: 200 };
      },
    );
    const a = [pickedEvent('ORD-A'), pickedEvent('ORD-A'), pickedEvent('ORD-A')];
    const firstA = a[0]!.id;
    const b = [pickedEvent('ORD-B'), pickedEvent('ORD-B')];
    await ingest([a[0]!, b[0]!, a[1]!, b[1]!, a[2]!]);
    await sink!.waitFor(7);
    const deliveredOrder = sink!.received.map((r) => r.headers['idempotency-key'] as string);
    // Every A event after a failure of A's head comes only after the head's success.
    const aOrder = deliveredOrder.filter((id) => a.some((e) => e.id === id));
    expect(aOrder).toEqual([a[0]!.id, a[0]!.id, a[0]!.id, a[1]!.id, a[2]!.id]);
    // B was not held behind A's retries.
    expect(deliveredOrder.indexOf(b[1]!.id as string)).toBeLessThan(
      deliveredOrder.lastIndexOf(firstA as string),
    );
  });

  it('parks a 4xx at once as an exception with the response, and holds later order events of the key', async () => {
    await start(
      (url) => orders(url),
      (request) =>
        request.headers['idempotency-key'] === held
          ? { status: 422, body: '{"error":"unknown customer"}' }
          : { status: 200 },
    );
    const first = pickedEvent('ORD-H');
    const held = first.id;
    const second = pickedEvent('ORD-H');
    const other = pickedEvent('ORD-OK');
    await ingest([first, second, other]);
    await sink!.waitFor(2);
    const exception = await until(async () => {
      const page = (await admin('GET', '/v1/exceptions?status=open&code=delivery_rejected')).json() as {
        items: { id: number }[];
      };
      return page.items[0];
    });
    const detail = (await admin('GET', `/v1/exceptions/${exception.id}`)).json();
    expect(detail).toMatchObject({
      code: 'delivery_rejected',
      status: 'open',
      subscription: 'erp-orders',
      system: 'erp',
      eventId: first.id,
      subject: 'ORD-H',
      lastStatus: 422,
      lastBody: '{"error":"unknown customer"}',
      attempts: 1,
    });
    await new Promise((r) => setTimeout(r, 100));
    // The second ORD-H event is held behind the parked one (hold is the default for order events).
    expect(sink!.received.map((r) => r.headers['idempotency-key'])).not.toContain(second.id);

    // Resolving without retry skips the parked event and lets the key go on; it is audited.
    const resolved = await admin('POST', `/v1/exceptions/${exception.id}/resolve`, {
      note: 'customer fixed by hand',
    });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json()).toMatchObject({
      status: 'resolved',
      resolution: 'resolved',
      note: 'customer fixed by hand',
    });
    await until(() => sink!.received.some((r) => r.headers['idempotency-key'] === second.id) || undefined);
    const audit = (await admin('GET', '/v1/audit')).json() as {
      items: { action: string; actor: string; target: string; note: string }[];
    };
    expect(audit.items).toContainEqual(
      expect.objectContaining({
        action: 'exception.resolve',
        target: `exception:${exception.id}`,
        note: 'customer fixed by hand',
      }),
    );
    expect(audit.items[0]?.actor).toMatch(/^admin:[0-9a-f]{12}$/);
  });

  it('skips past a parked inventory event by default, and retries until exhausted before parking', async () => {
    await start(
      (url) => inventory(url),
      (request) =>
        request.headers['idempotency-key'] === doomed ? { status: 500, body: 'boom' } : { status: 200 },
    );
    const first = adjustedEvent();
    const doomed = first.id;
    const second = adjustedEvent();
    await ingest([first, second]);
    await until(() => sink!.received.some((r) => r.headers['idempotency-key'] === second.id) || undefined);
    const exception = await until(async () => {
      const page = (await admin('GET', '/v1/exceptions?code=delivery_failed')).json() as {
        items: { attempts: number; lastStatus: number }[];
      };
      return page.items[0];
    });
    expect(exception).toMatchObject({ attempts: 3, lastStatus: 500 });
    expect(sink!.received.filter((r) => r.headers['idempotency-key'] === doomed)).toHaveLength(3);
  });

  it('honours Retry-After', async () => {
    await start(
      (url) => inventory(url),
      (_request, index) => (index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }),
    );
    await ingest([adjustedEvent()]);
    const received = await sink!.waitFor(2, 5000);
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('Retry of an exception really redelivers, with the same Idempotency-Key; bulk retry by filter', async () => {
    let accept = false;
    await start(
      (url) => inventory(url),
      () => (accept ? { status: 200 } : { status: 400, body: 'bad sku' }),
    );
    const events = [
      adjustedEvent(),
      adjustedEvent({ data: { sku: 'SKU-2', location: 'DC-EAST', delta: 1, reason: 'correction' } }),
    ];
    await ingest(events);
    const open = await until(async () => {
      const page = (await admin('GET', '/v1/exceptions?status=open&subscription=erp-inventory')).json() as {
        items: { id: number; eventId: string }[];
      };
      return page.items.length === 2 ? page.items : undefined;
    });
    accept = true;
    const one = await admin('POST', `/v1/exceptions/${open[0]!.id}/retry`, { note: 'sku created in ERP' });
    expect(one.json()).toMatchObject({ status: 'resolved', resolution: 'retried' });
    const twice = await admin('POST', `/v1/exceptions/${open[0]!.id}/retry`, {});
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ type: 'https://manifold.dev/problems/exception-not-open' });
    await until(
      () =>
        sink!.received.filter((r) => r.headers['idempotency-key'] === open[0]!.eventId).length === 2 ||
        undefined,
    );
    const bulk = await admin('POST', '/v1/exceptions/retry', { subscription: 'erp-inventory' });
    expect(bulk.json()).toMatchObject({ retried: 1, ids: [open[1]!.id] });
    await until(
      () =>
        sink!.received.filter((r) => r.headers['idempotency-key'] === open[1]!.eventId).length === 2 ||
        undefined,
    );
    expect(
      ((await admin('GET', '/v1/exceptions?status=open')).json() as { items: unknown[] }).items,
    ).toHaveLength(0);
    const actions = ((await admin('GET', '/v1/audit')).json() as { items: { action: string }[] }).items.map(
      (i) => i.action,
    );
    expect(actions).toEqual(['exception.retry', 'exception.retry']);
  });

  it('replays a selection in log order with the original ids, and reports progress', async () => {
    await start((url) => orders(url));
    const events = [pickedEvent('ORD-R'), pickedEvent('ORD-R'), pickedEvent('ORD-S')];
    await ingest(events);
    await sink!.waitFor(3);
    const created = await admin('POST', '/v1/replays', {
      subscription: 'erp-orders',
      from: new Date(Date.now() - 60_000).toISOString(),
      subject: 'ORD-R',
      note: 'ERP restored from backup',
    });
    expect(created.statusCode).toBe(201);
    const replay = created.json() as { id: number; total: number };
    expect(replay.total).toBe(2);
    const again = await sink!.waitFor(5);
    expect(again.slice(3).map((r) => r.headers['idempotency-key'])).toEqual([events[0]!.id, events[1]!.id]);
    const progress = await until(async () => {
      const body = (await admin('GET', `/v1/replays/${replay.id}`)).json() as {
        status: string;
        delivered: number;
      };
      return body.status === 'completed' ? body : undefined;
    });
    expect(progress).toMatchObject({ total: 2, delivered: 2, pending: 0 });
    expect(
      (await admin('POST', '/v1/replays', { subscription: 'nope', from: new Date().toISOString() }))
        .statusCode,
    ).toBe(400);
  });

  it('opens the circuit of a target that keeps failing, visible in /readyz', async () => {
    await start(
      (url) =>
        inventory(url, 'rateLimit: { perSecond: 1000, concurrency: 1 }').replace(
          FAST_RETRY,
          'retry: { maxAttempts: 100, initialDelayMs: 1, maxDelayMs: 2, maxAgeMs: 60000 }',
        ),
      // A gateway that cannot reach the target: an outage (a 503 is throttling and would not open it).
      () => ({ status: 502 }),
    );
    await ingest([adjustedEvent()]);
    const ready = await until(async () => {
      const body = (await hub!.app.inject({ method: 'GET', url: '/readyz' })).json() as {
        targets: { system: string; circuit: { state: string } }[];
      };
      return body.targets.find((t) => t.system === 'erp' && t.circuit.state === 'open') ? body : undefined;
    });
    expect(ready.targets).toContainEqual(expect.objectContaining({ system: 'erp' }));
    const sent = sink!.received.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(sink!.received.length).toBe(sent); // no traffic while open
    expect(sent).toBe(5);
  });

  it("uses the target's own circuit breaker: fewer failures open it, a shorter opening probes sooner", async () => {
    sink = await startSink((_request, index) => ({ status: index < 2 ? 504 : 200 }));
    const yaml = testConfigYaml({
      subscriptions: `subscriptions:\n${inventory(
        sink.url,
        'rateLimit: { perSecond: 1000, concurrency: 1 }',
      ).replace(
        FAST_RETRY,
        'retry: { maxAttempts: 100, initialDelayMs: 1, maxDelayMs: 2, maxAgeMs: 60000 }',
      )}`,
    }).replace(
      `erp: { kind: erp, key: ${KEYS.erp} }`,
      `erp: { kind: erp, key: ${KEYS.erp}, circuitBreaker: { failures: 2, openFor: 400ms, maxOpenFor: 2s } }`,
    );
    expect(yaml).toContain('circuitBreaker');
    hub = await buildTestApp({ yaml, delivery: { pollMs: 10 } });
    await ingest([adjustedEvent()]);
    const [, second, third] = await sink.waitFor(3, 5000);
    // Two failures opened it (the default needs five); the probe came after the 400 ms opening, not 30 s.
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(350);
    expect(third!.at - second!.at).toBeLessThan(3000);
  });

  it('respects a rate limit', async () => {
    await start((url) => inventory(url, 'rateLimit: { perSecond: 20, burst: 1, concurrency: 4 }'));
    const events = Array.from({ length: 10 }, () => adjustedEvent());
    const started = Date.now();
    await ingest(events);
    await sink!.waitFor(10);
    // 1 at once, then 20/s: the 10th goes no earlier than ~450 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('batch: true sends application/cloudevents-batch+json', async () => {
    await start((url) => inventory(url).replace('http: { url: ', 'http: { batch: true, url: '));
    const events = Array.from({ length: 5 }, (_, i) =>
      adjustedEvent({ data: { sku: `SKU-B${i}`, location: 'DC-EAST', delta: 1, reason: 'correction' } }),
    );
    await ingest(events);
    await until(() => sink!.received.reduce((n, r) => n + r.events.length, 0) >= 5 || undefined);
    expect(sink!.received[0]!.headers['content-type']).toMatch(/^application\/cloudevents-batch\+json/);
    const ids = events.map((e) => e.id as string);
    expect(sink!.received.flatMap((r) => r.events.map((e) => e.id)).sort()).toEqual(ids.sort());
  });
});
