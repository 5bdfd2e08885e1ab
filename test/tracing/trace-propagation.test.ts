/**
 * Trace context with tracing off (no `tracing.otlp`): the W3C `traceparent` of a request or of an event
 * travels, as a string, into the log, into the hub events it causes (orders, EDI) and onto every delivery
 * a real local receiver gets.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { traceIdOf } from '../../src/engine/observability/trace-context.js';
import { sample } from '../edi/support.js';
import { freshOrderId, freshSku, shipTo } from '../support/orders.js';
import { type ReceivedRequest, type Sink, startSink } from '../support/sink.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const INCOMING = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const OWN = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;

let hub: TestApp | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  hub = undefined;
  sink = undefined;
});

async function start(extra = '') {
  sink = await startSink();
  hub = await buildTestApp({
    yaml: testConfigYaml({
      subscriptions: `subscriptions:
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    http: { url: ${sink.url}/inventory ${extra} }
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: ${sink.url}/orders }
`,
    }),
    delivery: { pollMs: 10 },
  });
  return hub;
}

async function post(url: string, key: string, payload: unknown, headers: Record<string, string> = {}) {
  const response = await hub!.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/cloudevents+json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response;
}

/** The stored `traceparent` of the logged event `id`. */
async function storedTraceparent(id: string): Promise<string | undefined> {
  const response = await hub!.app.inject({
    method: 'GET',
    url: '/v1/events?limit=5000',
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  const item = (response.json().items as { event: { id: string; traceparent?: string } }[]).find(
    (i) => i.event.id === id,
  );
  return item?.event.traceparent;
}

const spanIdOf = (traceparent: unknown) => String(traceparent).slice(36, 52);
const header = (request: ReceivedRequest, name: string) => request.headers[name] as string | undefined;

describe('trace context with tracing off', () => {
  it("carries the request's traceparent into the log and onto the delivery, as a child", async () => {
    await start();
    const event = adjustedEvent();
    await post('/v1/events', KEYS.wmsEast, event, { traceparent: INCOMING, tracestate: 'vendor=abc' });
    const [request] = await sink!.waitFor(1);
    expect(await storedTraceparent(event.id as string)).toBe(INCOMING);
    const sent = header(request!, 'traceparent');
    expect(sent).toMatch(TRACEPARENT);
    expect(traceIdOf(sent)).toBe(TRACE_ID);
    expect(spanIdOf(sent)).not.toBe(spanIdOf(INCOMING));
    expect(header(request!, 'tracestate')).toBe('vendor=abc');
    // The body is the event as stored: its own traceparent attribute.
    expect((request!.events[0] as { traceparent?: string }).traceparent).toBe(INCOMING);
  });

  it("keeps an event's own traceparent over the request's; gives one to an event that has none", async () => {
    await start();
    const own = adjustedEvent({ traceparent: OWN });
    const none = adjustedEvent();
    await post('/v1/events', KEYS.wmsEast, own, { traceparent: INCOMING });
    await post('/v1/events', KEYS.wmsEast, none, { traceparent: 'not-a-traceparent' });
    const requests = await sink!.waitFor(2);
    expect(await storedTraceparent(own.id as string)).toBe(OWN);
    const fresh = await storedTraceparent(none.id as string);
    expect(fresh).toMatch(TRACEPARENT);
    expect(traceIdOf(fresh)).not.toBe(TRACE_ID);
    const byId = new Map(requests.map((r) => [r.events[0]?.id, header(r, 'traceparent')]));
    expect(traceIdOf(byId.get(own.id as string))).toBe(traceIdOf(OWN));
    expect(traceIdOf(byId.get(none.id as string))).toBe(traceIdOf(fresh));
  });

  it("sends a batch in its first event's trace", async () => {
    await start(', batch: true');
    // Two keys, committed together: claimed and sent as one batch.
    const events = [
      adjustedEvent({
        traceparent: OWN,
        data: { sku: 'SKU-A', location: 'DC-EAST', delta: 1, reason: 'cycle_count' },
      }),
      adjustedEvent({ data: { sku: 'SKU-B', location: 'DC-EAST', delta: 1, reason: 'cycle_count' } }),
    ];
    await post('/v1/events', KEYS.wmsEast, events, {
      'content-type': 'application/cloudevents-batch+json',
      traceparent: INCOMING,
    });
    const [request] = await sink!.waitFor(1);
    expect(request!.events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(traceIdOf(header(request!, 'traceparent'))).toBe(traceIdOf(OWN));
    // Each event in the body keeps its own trace.
    expect(traceIdOf((request!.events[1] as { traceparent?: string }).traceparent)).toBe(TRACE_ID);
  });

  it("delivers an order's hub events (milestones, release) in the order's trace", async () => {
    await start();
    const sku = freshSku();
    await post('/v1/events', KEYS.wmsEast, {
      specversion: '1.0',
      id: randomUUID(),
      source: '/wms-east',
      type: 'com.manifold.inventory.counted.v1',
      data: { sku, location: 'DC-EAST', onHand: 10 },
    });
    await hub!.inventory.settle();
    const orderId = freshOrderId();
    const created = await post(
      '/v1/orders',
      KEYS.shop,
      {
        orderId,
        channel: 'web',
        customer: { id: 'C-1', name: 'Ada' },
        lines: [{ lineId: '1', sku, quantity: 2, unitPrice: 9.5 }],
        shipTo,
      },
      { 'content-type': 'application/json', 'idempotency-key': randomUUID(), traceparent: INCOMING },
    );
    expect(created.statusCode).toBe(201);
    // accepted (the shop's, sent to the ERP), milestones accepted/committed/released, the release.
    const requests = await sink!.waitFor(5);
    const orderRequests = requests.filter((r) => r.path === '/orders');
    const types = orderRequests.map((r) => r.events[0]?.type);
    expect(types).toContain('com.manifold.order.released.v1');
    expect(types).toContain('com.manifold.order.milestone.v1');
    for (const request of orderRequests) {
      const event = request.events[0] as { type: string; traceparent?: string };
      expect(traceIdOf(header(request, 'traceparent')), event.type).toBe(TRACE_ID);
      expect(traceIdOf(event.traceparent), event.type).toBe(TRACE_ID);
      if (event.type !== 'com.manifold.order.accepted.v1') {
        // A hub event is a child of the order's event: same trace, a span id of its own.
        expect(event.traceparent).not.toBe(INCOMING);
      }
    }
  });

  it("puts the events of an X12 interchange in the request's trace, with a span id of their own", async () => {
    await start();
    const response = await hub!.app.inject({
      method: 'POST',
      url: '/v1/edi/acme',
      headers: {
        authorization: `Bearer ${KEYS.acme}`,
        'content-type': 'application/edi-x12',
        traceparent: INCOMING,
      },
      payload: sample('850-vics-nodex12.edi'),
    });
    expect(response.statusCode).toBe(200);
    const log = await hub!.app.inject({
      method: 'GET',
      url: '/v1/events?type=com.manifold.order.accepted.v1&source=/acme',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    const [item] = log.json().items as { event: { traceparent?: string } }[];
    expect(traceIdOf(item?.event.traceparent)).toBe(TRACE_ID);
    expect(item?.event.traceparent).not.toBe(INCOMING);
  });
});
