/**
 * The answers the console reads are typed by the API's own response schemas (src/contracts/views): the
 * routes serialize by them, so a schema that left out a field would silently drop it from the answer.
 * These tests check that `/openapi.json` publishes a precise schema for each of those routes (no open
 * object where the console expects fields), and that each route answers exactly what its service or the
 * store returns — every field, on a scenario where every optional field is present.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { shipTo } from '../support/orders.js';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { countedEvent, KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

let hub: TestApp | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  hub = undefined;
  sink = undefined;
});

/** The console's routes and the status of the answer it reads. */
const CONSOLE_ROUTES: [path: string, method: string, status: string][] = [
  ['/v1/overview', 'get', '200'],
  ['/v1/cluster', 'get', '200'],
  ['/v1/service-levels', 'get', '200'],
  ['/v1/orders', 'get', '200'],
  ['/v1/orders', 'post', '201'],
  ['/v1/orders/{id}', 'get', '200'],
  ['/v1/orders/{id}/timeline', 'get', '200'],
  ['/v1/inventory/{sku}', 'get', '200'],
  ['/v1/inventory/{sku}/ledger', 'get', '200'],
  ['/v1/inventory/{sku}/series', 'get', '200'],
  ['/v1/metrics/series', 'get', '200'],
  ['/v1/exceptions', 'get', '200'],
  ['/v1/exceptions/{id}', 'get', '200'],
  ['/v1/exceptions/{id}/retry', 'post', '200'],
  ['/v1/exceptions/{id}/resolve', 'post', '200'],
  ['/v1/replays', 'post', '201'],
  ['/v1/replays/{id}', 'get', '200'],
  ['/v1/xref-tables', 'get', '200'],
  ['/v1/xref-tables/{table}', 'get', '200'],
  ['/v1/xref/{table}', 'get', '200'],
];

/** Documents kept as their sender gave them: any JSON object, on purpose. */
const FREE_FORM = new Set(['customer', 'shipTo', 'enrichment', 'extensions']);

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  patternProperties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
};

/** Pointers of the object schemas under `schema` that declare no field (free-form ones excepted). */
function openObjects(schema: JsonSchema, pointer = ''): string[] {
  const found: string[] = [];
  const name = pointer.slice(pointer.lastIndexOf('/') + 1);
  if (schema.type === 'object' && !FREE_FORM.has(name)) {
    const declared =
      Object.keys(schema.properties ?? {}).length > 0 ||
      Object.keys(schema.patternProperties ?? {}).length > 0 ||
      typeof schema.additionalProperties === 'object';
    if (!declared) found.push(pointer || '/');
  }
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    found.push(...openObjects(child, `${pointer}/${key}`));
  }
  if (schema.items) found.push(...openObjects(schema.items, `${pointer}/items`));
  for (const [i, child] of (schema.anyOf ?? []).entries()) {
    found.push(...openObjects(child, `${pointer}/anyOf/${i}`));
  }
  return found;
}

describe('GET /openapi.json', () => {
  it('publishes a precise response schema for every route the console reads', async () => {
    hub = await buildTestApp();
    const document = (await hub.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }>
      >;
    };
    for (const [path, method, status] of CONSOLE_ROUTES) {
      const schema = document.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
      expect(schema, `${method} ${path} ${status}`).toBeDefined();
      expect(schema?.type, `${method} ${path} ${status}`).toBe('object');
      expect(openObjects(schema as JsonSchema), `${method} ${path} ${status}`).toEqual([]);
    }
    // The order and its timeline were open objects; they now say exactly what they hold.
    const order = document.paths['/v1/orders/{id}']?.get?.responses['200']?.content?.['application/json']
      ?.schema as JsonSchema;
    expect(order.additionalProperties).toBe(false);
    expect(Object.keys(order.properties ?? {})).toEqual(
      expect.arrayContaining(['orderId', 'milestone', 'status', 'lines', 'holds', 'exceptions', 'version']),
    );
    const timeline = document.paths['/v1/orders/{id}/timeline']?.get?.responses['200']?.content?.[
      'application/json'
    ]?.schema as JsonSchema;
    expect(timeline.properties?.entries?.items?.properties?.deliveries?.items?.properties).toHaveProperty(
      'x12',
    );
  });

  it('finds an open object where one is left', () => {
    expect(openObjects({ type: 'object', properties: { a: { type: 'object' } } })).toEqual(['/a']);
    expect(openObjects({ type: 'object', additionalProperties: true })).toEqual(['/']);
    expect(openObjects({ type: 'object', properties: { customer: { type: 'object' } } })).toEqual([]);
  });
});

/** The JSON a value becomes, as the answer would carry it without a schema. */
const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

async function get(app: TestApp, url: string) {
  const response = await app.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

describe('the console routes answer every field', () => {
  it('order, order list, timeline (attempts, X12 verdict), exception, audit and replay', async () => {
    // The receiver fails the first delivery and takes the rest: attempts with and without an HTTP error.
    sink = await startSink((_request, index) =>
      index === 0 ? { status: 500, body: 'down' } : { status: 200 },
    );
    hub = await buildTestApp({
      yaml: testConfigYaml({
        subscriptions: `subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: ${sink.url}/orders }
    retry: { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 5 }
`,
      }),
      delivery: { pollMs: 10 },
    });
    const app = hub;
    const sku = `SKU-${randomUUID().slice(0, 8)}`;
    expect((await postAs(app.app, '/v1/events', KEYS.wmsEast, countedEvent(sku))).statusCode).toBe(202);
    await app.inventory.settle();
    const orderId = `SO-${randomUUID().slice(0, 8)}`;
    const created = await app.app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { authorization: `Bearer ${KEYS.shop}`, 'idempotency-key': randomUUID() },
      payload: {
        orderId,
        channel: 'web',
        customer: { id: 'C-9', name: 'Grace', tier: 'gold' },
        lines: [{ lineId: '1', sku, quantity: 2, unitPrice: 4.25 }],
        shipTo,
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const shipped = await postAs(app.app, '/v1/events', KEYS.wmsEast, {
      specversion: '1.0',
      id: randomUUID(),
      source: '/wms-east',
      type: 'com.manifold.order.shipped.v1',
      correlationid: orderId,
      causationid: 'pick-1',
      data: { orderId, location: 'DC-EAST', lines: [{ lineId: '1', quantity: 1 }], tracking: '1Z42' },
    });
    expect(shipped.statusCode, shipped.body).toBe(202);
    await app.orders.settle();
    await app.inventory.settle();

    // An X12 document kept for the first hub event delivered to erp-orders, and the partner's rejection of it.
    const logged = await app.store.listEvents({ subject: orderId, limit: 100 });
    const milestone = logged.items.find((e) => e.event.type === 'com.manifold.order.milestone.v1');
    expect(milestone).toBeDefined();
    const at = new Date().toISOString();
    await app.store.edi.saveOutbound({
      subscription: 'erp-orders',
      eventSource: milestone?.event.source ?? '',
      eventId: milestone?.event.id ?? '',
      partner: 'acme',
      setId: '855',
      isa13: 701,
      gsControl: 702,
      stControl: 703,
      body: 'ISA*…',
      createdAt: at,
    });
    await app.store.edi.recordAcknowledgement({
      partner: 'acme',
      gsControl: 702,
      stControl: 703,
      setId: '855',
      status: 'rejected',
      codes: ['5'],
      at,
    });
    // An exception on the order with every optional field the store keeps.
    const exception = await app.store.delivery.createException({
      code: 'carrier_exception',
      detail: 'the carrier lost the parcel',
      subscription: 'erp-orders',
      system: 'erp',
      outboxId: 1,
      eventSeq: milestone?.seq ?? 1,
      eventId: milestone?.event.id ?? '',
      subject: orderId,
      lastStatus: 500,
      lastBody: 'down',
      lastError: 'HTTP 500',
      attempts: 3,
      firstAttemptAt: at,
      lastAttemptAt: at,
      payload: '{"raw":true}',
      at,
    });

    await until(async () => {
      const outbox = await app.store.listOutbox({ limit: 100 });
      return outbox.length > 0 && outbox.every((row) => row.status === 'delivered');
    }, 'every delivery of the order to succeed');

    const record = await app.store.orders.getOrder(orderId);
    if (!record) throw new Error(`order ${orderId} not stored`);
    const service = app.orders.service;

    const order = await get(app, `/v1/orders/${orderId}`);
    expect(order).toEqual(json(await service.view(record)));
    expect(order.lines[0]).toMatchObject({ committedAt: { 'DC-EAST': 1 }, inTransitAt: { 'DC-EAST': 1 } });
    expect(order.customer).toEqual({ id: 'C-9', name: 'Grace', tier: 'gold' });
    expect(order.exceptions).toHaveLength(1);

    const page = await get(app, '/v1/orders?limit=10');
    expect(page.items).toEqual([json(await service.view(record))]);

    const timeline = await get(app, `/v1/orders/${orderId}/timeline`);
    expect(timeline).toEqual(json(await service.timeline(record)));
    const entries = timeline.entries as Record<string, unknown>[];
    expect(entries.find((e) => e.causationid === 'pick-1')).toMatchObject({
      direction: 'in',
      tracking: '1Z42',
      location: 'DC-EAST',
      milestoneBefore: expect.any(String),
      late: false,
    });
    const deliveries = entries.flatMap((e) => e.deliveries as Record<string, unknown>[]);
    expect(deliveries.flatMap((d) => d.attempts as Record<string, unknown>[])).toContainEqual(
      expect.objectContaining({ httpStatus: 500, outcome: expect.any(String) }),
    );
    expect(deliveries.find((d) => d.x12)?.x12).toEqual({
      set: '855',
      interchange: 701,
      group: 702,
      transactionSet: 703,
      acknowledgement: 'rejected',
      acknowledgedAt: at,
      codes: ['5'],
    });
    expect(deliveries.some((d) => typeof d.latencyFromIngestMs === 'number')).toBe(true);

    expect(await get(app, `/v1/exceptions/${exception.id}`)).toEqual(json(exception));
    const resolved = await app.app.inject({
      method: 'POST',
      url: `/v1/exceptions/${exception.id}/resolve`,
      headers: { authorization: `Bearer ${KEYS.admin}` },
      payload: { note: 'found the parcel' },
    });
    expect(resolved.json()).toEqual(json(await app.store.delivery.getException(exception.id)));
    expect(resolved.json()).toMatchObject({ resolution: 'resolved', payload: '{"raw":true}', outboxId: 1 });
    const exceptions = await get(app, '/v1/exceptions?status=resolved');
    expect(exceptions.items).toEqual(
      json(await app.store.delivery.listExceptions({ status: 'resolved', limit: 10 })),
    );

    const replay = await app.app.inject({
      method: 'POST',
      url: '/v1/replays',
      headers: { authorization: `Bearer ${KEYS.admin}` },
      payload: {
        subscription: 'erp-orders',
        from: '2000-01-01T00:00:00Z',
        to: '2999-01-01T00:00:00Z',
        types: ['com.manifold.order.*'],
        subject: orderId,
        correlationid: orderId,
        note: 'resend',
      },
    });
    expect(replay.statusCode, replay.body).toBe(201);
    const replayId = replay.json().id as number;
    await until(
      async () => (await app.store.delivery.getReplay(replayId))?.status === 'completed',
      'the replay to complete',
    );
    const replayed = await app.store.delivery.getReplay(replayId);
    expect(replay.json().selection).toEqual(json(replayed?.selection));
    expect(await get(app, `/v1/replays/${replay.json().id}`)).toEqual(
      json(await app.store.delivery.getReplay(replay.json().id)),
    );

    const audit = await get(app, '/v1/audit');
    expect(audit.items).toEqual(json(await app.store.delivery.listAudit({ limit: 100 })));
    expect(
      audit.items.some((e: Record<string, unknown>) => e.note !== undefined && e.detail !== undefined),
    ).toBe(true);
  });
});
