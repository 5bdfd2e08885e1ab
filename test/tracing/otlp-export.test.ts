/**
 * Tracing on (`tracing.otlp`): a local HTTP server stands in for the OpenTelemetry Collector. An event
 * posted with a `traceparent` gives an `ingest` span (its child) and a `deliver` span (the ingest span's
 * child), exported over OTLP/HTTP JSON; the receiver's `traceparent` is the deliver span's.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { tracingFor } from '../../src/engine/observability/tracing.js';
import { freshOrderId, freshSku, shipTo } from '../support/orders.js';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';
const INCOMING = `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`;

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  status: { code?: number };
  serviceName: unknown;
}

interface Collector {
  url: string;
  spans: ExportedSpan[];
  contentTypes: string[];
  /** The `x-collector-key` header of each export request (the configured `otlp.headers`). */
  keys: string[];
  close(): Promise<void>;
}

/** OTLP JSON ids are hex (the spec); base64 is accepted too, as some exporters send it. */
function hexId(id: unknown): string {
  const text = String(id ?? '');
  return /^[0-9a-f]*$/.test(text) ? text : Buffer.from(text, 'base64').toString('hex');
}

/** `[{key, value: {stringValue | intValue | …}}]` → a plain record. */
function attributesOf(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of (list ?? []) as { key: string; value: Record<string, unknown> }[]) {
    const [raw] = Object.values(value);
    out[key] = value.intValue !== undefined ? Number(value.intValue) : raw;
  }
  return out;
}

async function startCollector(): Promise<Collector> {
  const spans: ExportedSpan[] = [];
  const contentTypes: string[] = [];
  const keys: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      contentTypes.push(String(req.headers['content-type']));
      keys.push(String(req.headers['x-collector-key']));
      const request = JSON.parse(body.toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: unknown };
          scopeSpans: { spans: Record<string, unknown>[] }[];
        }[];
      };
      for (const resourceSpans of request.resourceSpans) {
        const serviceName = attributesOf(resourceSpans.resource.attributes)['service.name'];
        for (const scope of resourceSpans.scopeSpans) {
          for (const span of scope.spans) {
            spans.push({
              traceId: hexId(span.traceId),
              spanId: hexId(span.spanId),
              ...(span.parentSpanId ? { parentSpanId: hexId(span.parentSpanId) } : {}),
              name: String(span.name),
              kind: Number(span.kind),
              attributes: attributesOf(span.attributes),
              links: ((span.links ?? []) as { traceId: string; spanId: string }[]).map((l) => ({
                traceId: hexId(l.traceId),
                spanId: hexId(l.spanId),
              })),
              status: (span.status ?? {}) as { code?: number },
              serviceName,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    contentTypes,
    keys,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let hub: TestApp | undefined;
let sink: Sink | undefined;
let collector: Collector | undefined;
afterEach(async () => {
  if (hub) await tracingFor(hub.config).shutdown();
  await hub?.close();
  await sink?.close();
  await collector?.close();
  hub = undefined;
  sink = undefined;
  collector = undefined;
});

async function start(httpExtra = '', status = 200) {
  sink = await startSink(() => ({ status }));
  collector = await startCollector();
  hub = await buildTestApp({
    yaml: `${testConfigYaml({
      subscriptions: `subscriptions:
  - name: erp-inventory
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    http: { url: ${sink.url}/inventory ${httpExtra} }
    retry: { maxAttempts: 1 }
  - name: erp-orders
    target: erp
    types: [com.manifold.order.released.v1]
    http: { url: ${sink.url}/orders }
`,
    })}
tracing:
  serviceName: manifold-test
  otlp: { url: ${collector.url}, headers: { x-collector-key: secret } }
`,
    delivery: { pollMs: 10 },
  });
  expect(tracingFor(hub.config).enabled).toBe(true);
  return hub;
}

async function post(
  events: unknown,
  contentType = 'application/cloudevents+json',
  url = '/v1/events',
  headers: Record<string, string> = {},
  key: string = KEYS.wmsEast,
) {
  const response = await hub!.app.inject({
    method: 'POST',
    url,
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': contentType,
      traceparent: INCOMING,
      ...headers,
    },
    payload: JSON.stringify(events),
  });
  expect(response.statusCode, response.body).toBeLessThan(300);
}

/** Waits until the attempts are recorded (so their spans have ended), then exports. */
async function exported(name: string, count: number): Promise<ExportedSpan[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    await tracingFor(hub!.config).flush();
    const found = collector!.spans.filter((s) => s.name === name);
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('tracing with an OTLP exporter', () => {
  it('exports ingest and deliver spans in the incoming trace; the receiver gets the deliver span', async () => {
    await start();
    const event = adjustedEvent();
    await post(event);
    const [request] = await sink!.waitFor(1);

    const [ingest] = await exported('ingest', 1);
    const [deliver] = await exported('deliver erp-inventory', 1);
    expect(collector!.contentTypes[0]).toContain('application/json');
    expect(collector!.keys[0]).toBe('secret');
    expect(ingest).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: PARENT_SPAN_ID,
      kind: 2, // SERVER
      serviceName: 'manifold-test',
      attributes: {
        'cloudevents.event_id': event.id,
        'cloudevents.event_type': 'com.manifold.inventory.adjusted.v1',
        'cloudevents.event_source': '/wms-east',
        'manifold.system': 'wms-east',
        'manifold.ingest.status': 'accepted',
      },
    });
    expect(deliver).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: ingest!.spanId,
      kind: 3, // CLIENT
      attributes: {
        'manifold.subscription': 'erp-inventory',
        'manifold.target': 'erp',
        'manifold.attempt': 1,
        'http.response.status_code': 200,
        outcome: 'delivered',
      },
    });
    expect(deliver!.status.code ?? 0).not.toBe(2);
    // The receiver's traceparent is the deliver span; the body keeps the event as stored (the ingest span).
    expect(request!.headers.traceparent).toBe(`00-${TRACE_ID}-${deliver!.spanId}-01`);
    expect((request!.events[0] as { traceparent?: string }).traceparent).toBe(
      `00-${TRACE_ID}-${ingest!.spanId}-01`,
    );
  });

  it('marks a refused attempt as an error', async () => {
    await start('', 400);
    await post(adjustedEvent());
    await sink!.waitFor(1);
    const [deliver] = await exported('deliver erp-inventory', 1);
    expect(deliver).toMatchObject({
      attributes: { 'http.response.status_code': 400, outcome: 'permanent' },
      status: { code: 2 }, // ERROR
    });
  });

  it('sends a batch as one deliver span linked to every event', async () => {
    await start(', batch: true');
    // Two keys: a key's rows are sent one at a time, different keys' rows go in one batch.
    const events = ['SKU-A', 'SKU-B'].map((sku) =>
      adjustedEvent({ data: { sku, location: 'DC-EAST', delta: 5, reason: 'cycle_count' } }),
    );
    await post(events, 'application/cloudevents-batch+json');
    const received = await sink!.waitFor(1);
    const ingests = await exported('ingest', 2);
    const delivers = await exported('deliver erp-inventory', 1);
    // Both rows are committed together, so the runner claims them in one batch.
    const both = received.find((r) => r.events.length === 2);
    expect(both).toBeDefined();
    const deliver = delivers.find((d) => d.attributes['manifold.events'] === 2);
    expect(deliver?.links.map((l) => l.spanId).sort()).toEqual(ingests.map((s) => s.spanId).sort());
    expect(both!.headers.traceparent).toBe(`00-${TRACE_ID}-${deliver?.spanId}-01`);
  });

  it("records the order's release as a `process` span under the order's ingest span", async () => {
    await start();
    const sku = freshSku();
    await post(
      {
        specversion: '1.0',
        id: randomUUID(),
        source: '/wms-east',
        type: 'com.manifold.inventory.counted.v1',
        data: { sku, location: 'DC-EAST', onHand: 10 },
      },
      'application/cloudevents+json',
      '/v1/events',
      { traceparent: '' },
    );
    await hub!.inventory.settle();
    const orderId = freshOrderId();
    await post(
      {
        orderId,
        channel: 'web',
        customer: { id: 'C-1', name: 'Ada' },
        lines: [{ lineId: '1', sku, quantity: 2, unitPrice: 9.5 }],
        shipTo,
      },
      'application/json',
      '/v1/orders',
      { 'idempotency-key': randomUUID() },
      KEYS.shop,
    );
    const [request] = (await sink!.waitFor(1)).filter((r) => r.path === '/orders');
    const ingests = await exported('ingest', 2);
    const accepted = ingests.find(
      (s) => s.attributes['cloudevents.event_type'] === 'com.manifold.order.accepted.v1',
    );
    const [process] = await exported('process com.manifold.order.released.v1', 1);
    const [deliver] = await exported('deliver erp-orders', 1);
    expect(accepted).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID });
    expect(process).toMatchObject({ traceId: TRACE_ID, parentSpanId: accepted!.spanId, kind: 1 }); // INTERNAL
    expect(deliver).toMatchObject({ traceId: TRACE_ID, parentSpanId: process!.spanId });
    expect(request!.headers.traceparent).toBe(`00-${TRACE_ID}-${deliver!.spanId}-01`);
  });
});
