/** Every ingest rule of `POST /v1/events`, through HTTP in-process. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';

let hub: TestApp;
beforeEach(async () => {
  hub = await buildTestApp({ bodyLimit: '64kb' });
});
afterEach(async () => {
  await hub.close();
});

const STRUCTURED = 'application/cloudevents+json';
const BATCH = 'application/cloudevents-batch+json';

function postEvents(
  body: unknown,
  options: { key?: string; contentType?: string; headers?: Record<string, string> } = {},
) {
  return hub.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: {
      'content-type': options.contentType ?? STRUCTURED,
      ...(options.key === '' ? {} : { authorization: `Bearer ${options.key ?? KEYS.wmsEast}` }),
      ...options.headers,
    },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The log without the hub's own events (positions and availability it emits after inventory facts). */
async function logged() {
  return (await hub.store.listEvents({ limit: 1000 })).items.filter((i) => i.system !== 'manifold');
}

function expectProblem(
  response: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  code: string,
) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = response.json() as { type: string; status: number; title: string; detail: string };
  expect(problem.type).toBe(`https://manifold.dev/problems/${code}`);
  expect(problem.status).toBe(status);
  expect(problem.title).toBeTruthy();
  expect(problem.detail).toBeTruthy();
  return problem as {
    type: string;
    detail: string;
    errors?: { pointer: string; detail: string; index?: number }[];
    owners?: string[];
  };
}

describe('POST /v1/events: structured mode', () => {
  it('accepts a valid event with 202 after the commit, with outbox rows for matching subscriptions', async () => {
    const event = adjustedEvent();
    const response = await postEvents(event);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ status: 'accepted', id: event.id });
    const [row] = await logged();
    expect(row?.event).toMatchObject({
      id: event.id,
      source: '/wms-east',
      subject: 'SKU-1@DC-EAST',
      partitionkey: 'SKU-1@DC-EAST',
    });
    const outbox = await hub.store.listOutbox({ eventSeq: row!.seq, limit: 10 });
    expect(outbox.map((o) => o.subscription)).toEqual(['erp-inventory']);
    expect(outbox[0]?.partitionKey).toBe('SKU-1@DC-EAST');
  });

  it('answers a repeat of (source, id) with 200 duplicate and applies nothing twice', async () => {
    const event = adjustedEvent();
    expect((await postEvents(event)).statusCode).toBe(202);
    const again = await postEvents({
      ...event,
      data: { sku: 'SKU-1', location: 'DC-EAST', delta: 99, reason: 'correction' },
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'duplicate', id: event.id });
    const rows = await logged();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.event.data).toMatchObject({ delta: 5 });
    expect(await hub.store.listOutbox({ limit: 10 })).toHaveLength(1);
  });

  it('keeps extensions (correlationid, causationid, sequence, traceparent, custom)', async () => {
    const event = adjustedEvent({
      causationid: 'cause-1',
      sequence: '42',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      warehouseshift: 'night',
    });
    expect((await postEvents(event)).statusCode).toBe(202);
    expect((await logged())[0]?.event).toMatchObject({
      correlationid: event.correlationid,
      causationid: 'cause-1',
      sequence: '42',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      warehouseshift: 'night',
    });
  });

  it('echo suppression: an order event from the shop is not queued back to the shop', async () => {
    const response = await postEvents(
      {
        specversion: '1.0',
        id: 'ord-1-accepted',
        source: '/shop',
        type: 'com.manifold.order.accepted.v1',
        data: {
          orderId: 'ORD-1',
          channel: 'web',
          customer: { id: 'C-1' },
          lines: [{ lineId: '1', sku: 'SKU-1', quantity: 2, unitPrice: 9.5 }],
          shipTo: {
            name: 'A. Buyer',
            line1: '1 Main St',
            city: 'Springfield',
            postalCode: '12345',
            country: 'US',
          },
        },
      },
      { key: KEYS.shop },
    );
    expect(response.statusCode).toBe(202);
    const [row] = await logged();
    const outbox = await hub.store.listOutbox({ eventSeq: row!.seq, limit: 10 });
    expect(outbox.map((o) => o.subscription)).toEqual(['erp-orders']);
  });
});

describe('POST /v1/events: authentication and ownership', () => {
  it('401 without a key', async () => {
    expectProblem(await postEvents(adjustedEvent(), { key: '' }), 401, 'unauthenticated');
  });

  it('401 with a wrong key', async () => {
    expectProblem(
      await postEvents(adjustedEvent(), { key: 'not-a-key-of-anyone-123' }),
      401,
      'unauthenticated',
    );
  });

  it('403 when the source is not the caller', async () => {
    const problem = expectProblem(
      await postEvents(adjustedEvent({ source: '/wms-west' })),
      403,
      'source-mismatch',
    );
    expect(problem.errors?.[0]?.pointer).toBe('/source');
    expect(await logged()).toHaveLength(0);
  });

  it('403 ownership-violation naming the owner when the caller does not own the fact', async () => {
    const event = {
      specversion: '1.0',
      id: 'inv-1',
      source: '/erp',
      type: 'com.manifold.order.invoiced.v1',
      data: {
        orderId: 'ORD-1',
        invoiceNumber: 'INV-1',
        lines: [{ lineId: '1', quantity: 1, unitPrice: 5 }],
        total: 5,
      },
    };
    expect((await postEvents(event, { key: KEYS.erp })).statusCode).toBe(202);
    const shipped = {
      specversion: '1.0',
      id: 'ship-1',
      source: '/erp',
      type: 'com.manifold.order.shipped.v1',
      data: { orderId: 'ORD-1', location: 'DC-EAST', lines: [{ lineId: '1', quantity: 1 }] },
    };
    const problem = expectProblem(await postEvents(shipped, { key: KEYS.erp }), 403, 'ownership-violation');
    expect(problem.owners).toEqual(['wms-east']);
    expect(problem.detail).toContain('wms-east');
    expect(await logged()).toHaveLength(1);
  });

  it('a WMS owns on-hand only at its own location', async () => {
    const event = adjustedEvent({
      data: { sku: 'SKU-1', location: 'DC-WEST', delta: 1, reason: 'correction' },
    });
    const problem = expectProblem(await postEvents(event), 403, 'ownership-violation');
    expect(problem.owners).toEqual(['wms-west']);
  });

  it('status-reported is owned by whoever owns the milestone the status maps to', async () => {
    const report = (id: string, status: string) => ({
      specversion: '1.0',
      id,
      source: '/wms-east',
      type: 'com.manifold.order.status-reported.v1',
      data: { orderId: 'ORD-9', status },
    });
    expect((await postEvents(report('s1', 'PCK'))).statusCode).toBe(202);
    // Unmapped codes are logged; the order lifecycle raises unknown_status for them.
    expect((await postEvents(report('s2', 'ZZZ'))).statusCode).toBe(202);
  });

  it('hub-emitted types cannot be asserted by a system', async () => {
    const event = {
      specversion: '1.0',
      id: 'av-1',
      source: '/wms-east',
      type: 'com.manifold.inventory.availability.v1',
      data: { sku: 'SKU-1', channel: 'web', available: 3 },
    };
    const problem = expectProblem(await postEvents(event), 403, 'ownership-violation');
    expect(problem.owners).toEqual(['manifold']);
  });

  it('the admin key cannot assert facts', async () => {
    expectProblem(await postEvents(adjustedEvent(), { key: KEYS.admin }), 403, 'forbidden');
  });
});

describe('POST /v1/events: bad input', () => {
  it('400 with a JSON pointer naming the field for a schema violation', async () => {
    const event = adjustedEvent({ data: { location: 'DC-EAST', delta: 'five', reason: 'cycle_count' } });
    const problem = expectProblem(await postEvents(event), 400, 'validation-failed');
    const pointers = problem.errors?.map((e) => e.pointer) ?? [];
    expect(pointers).toContain('/data/sku');
    expect(pointers).toContain('/data/delta');
    expect(await logged()).toHaveLength(0);
  });

  it('400 for an envelope without id or specversion', async () => {
    const { id: _id, specversion: _v, ...rest } = adjustedEvent();
    const problem = expectProblem(await postEvents(rest), 400, 'validation-failed');
    expect(problem.errors?.map((e) => e.pointer)).toEqual(expect.arrayContaining(['/id', '/specversion']));
  });

  it('400 for a type outside the v1 catalogue', async () => {
    const problem = expectProblem(
      await postEvents(adjustedEvent({ type: 'com.example.unknown.v1' })),
      400,
      'validation-failed',
    );
    expect(problem.errors?.[0]?.pointer).toBe('/type');
  });

  it('400 when the subject is not the partition key of the data', async () => {
    const problem = expectProblem(
      await postEvents(adjustedEvent({ subject: 'SKU-2@DC-EAST' })),
      400,
      'validation-failed',
    );
    expect(problem.errors?.[0]?.pointer).toBe('/subject');
  });

  it('400 when the partitionkey is not the key derived from data (it would reorder deliveries)', async () => {
    const problem = expectProblem(
      await postEvents(adjustedEvent({ partitionkey: 'batch-7' })),
      400,
      'validation-failed',
    );
    expect(problem.errors?.[0]?.pointer).toBe('/partitionkey');
    expect((await postEvents(adjustedEvent({ partitionkey: 'SKU-1@DC-EAST' }))).statusCode).toBe(202);
  });

  it('400 for malformed JSON', async () => {
    expectProblem(await postEvents('{"specversion": "1.0", '), 400, 'malformed-json');
  });

  it('400 for a structured body that is not an object', async () => {
    expectProblem(await postEvents('"just a string"'), 400, 'validation-failed');
  });

  it('413 for a body over the configured limit', async () => {
    const big = adjustedEvent({ padding: 'x'.repeat(70 * 1024) });
    expectProblem(await postEvents(big), 413, 'payload-too-large');
  });

  it('unsupported media type without ce- headers', async () => {
    const response = await postEvents('sku=1', { contentType: 'application/x-www-form-urlencoded' });
    expectProblem(response, 400, 'unsupported-media-type');
  });
});

describe('POST /v1/events: binary mode', () => {
  it('reads the envelope from ce- headers and data from the body', async () => {
    const response = await postEvents(
      { sku: 'SKU-7', location: 'DC-EAST', onHand: 12 },
      {
        contentType: 'application/json',
        headers: {
          'ce-specversion': '1.0',
          'ce-id': 'count-1',
          'ce-source': '/wms-east',
          'ce-type': 'com.manifold.inventory.counted.v1',
          'ce-correlationid': 'stocktake%202026',
        },
      },
    );
    expect(response.statusCode).toBe(202);
    expect((await logged())[0]?.event).toMatchObject({
      id: 'count-1',
      datacontenttype: 'application/json',
      correlationid: 'stocktake 2026',
      subject: 'SKU-7@DC-EAST',
      data: { sku: 'SKU-7', location: 'DC-EAST', onHand: 12 },
    });
  });

  it('400 naming the field when a binary event lacks ce-id', async () => {
    const response = await postEvents(
      { sku: 'SKU-7', location: 'DC-EAST', onHand: 12 },
      {
        contentType: 'application/json',
        headers: {
          'ce-specversion': '1.0',
          'ce-source': '/wms-east',
          'ce-type': 'com.manifold.inventory.counted.v1',
        },
      },
    );
    const problem = expectProblem(response, 400, 'validation-failed');
    expect(problem.errors?.map((e) => e.pointer)).toContain('/id');
  });
});

describe('POST /v1/events: batch mode', () => {
  it('accepts a batch, reporting each item; duplicates inside and across batches are not applied twice', async () => {
    const events = [adjustedEvent(), adjustedEvent(), adjustedEvent()];
    const first = await postEvents([...events, events[0]], { contentType: BATCH });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toMatchObject({
      status: 'accepted',
      accepted: 3,
      duplicates: 1,
      results: [
        { id: events[0]?.id, status: 'accepted' },
        { id: events[1]?.id, status: 'accepted' },
        { id: events[2]?.id, status: 'accepted' },
        { id: events[0]?.id, status: 'duplicate' },
      ],
    });
    const again = await postEvents(events, { contentType: BATCH });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'duplicate', accepted: 0, duplicates: 3 });
    expect(await logged()).toHaveLength(3);
  });

  it('is all or nothing: one bad item rejects the batch, with its index in every error', async () => {
    const events = [
      adjustedEvent(),
      adjustedEvent({ data: { sku: 'SKU-1', location: 'DC-EAST', reason: 'x' } }),
      adjustedEvent(),
    ];
    const problem = expectProblem(await postEvents(events, { contentType: BATCH }), 400, 'validation-failed');
    expect(problem.errors?.every((e) => e.index === 1)).toBe(true);
    expect(problem.errors?.map((e) => e.pointer)).toContain('/1/data/delta');
    expect(await logged()).toHaveLength(0);
  });

  it('rejects a batch in which one item is not owned by the caller', async () => {
    const events = [
      adjustedEvent(),
      adjustedEvent({ data: { sku: 'S', location: 'DC-WEST', delta: 1, reason: 'correction' } }),
    ];
    const problem = expectProblem(
      await postEvents(events, { contentType: BATCH }),
      403,
      'ownership-violation',
    );
    expect(problem.errors?.[0]?.index).toBe(1);
    expect(await logged()).toHaveLength(0);
  });

  it('400 for a batch body that is not an array, and for an empty batch', async () => {
    expectProblem(await postEvents(adjustedEvent(), { contentType: BATCH }), 400, 'validation-failed');
    expectProblem(await postEvents([], { contentType: BATCH }), 400, 'validation-failed');
  });

  it('accepts application/json arrays as batches', async () => {
    const response = await postEvents([adjustedEvent(), adjustedEvent()], {
      contentType: 'application/json',
    });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ accepted: 2 });
  });
});

describe('POST /v1/events: text every store can keep', () => {
  it('400 with the pointer of a string holding NUL, so no store sees it', async () => {
    const event = adjustedEvent({
      data: { sku: 'SKU\u00001', location: 'DC-EAST', delta: 1, reason: 'correction' },
    });
    const problem = expectProblem(await postEvents(event), 400, 'validation-failed');
    expect(problem.errors?.[0]?.pointer).toBe('/data/sku');
    expect(await logged()).toHaveLength(0);
  });
});

describe('POST /v1/events: subscription filters', () => {
  it('queues an event only for subscriptions whose filter matches its subject and data', async () => {
    await hub.close();
    hub = await buildTestApp({
      yaml: testConfigYaml({
        subscriptions: `subscriptions:
  - { name: east-only, target: erp, types: [com.manifold.inventory.*], filter: { data: { location: DC-EAST } }, http: { url: http://127.0.0.1:9/a } }
  - { name: sku-2, target: erp, types: [com.manifold.inventory.*], filter: { subject: 'SKU-2@*' }, http: { url: http://127.0.0.1:9/b } }
  - { name: all, target: erp, types: [com.manifold.inventory.*], http: { url: http://127.0.0.1:9/c } }`,
      }),
    });
    await postEvents(adjustedEvent());
    await postEvents(
      adjustedEvent({
        source: '/wms-west',
        data: { sku: 'SKU-2', location: 'DC-WEST', delta: 1, reason: 'correction' },
      }),
      { key: KEYS.wmsWest },
    );
    const rows = await logged();
    const subscriptionsOf = async (seq: number) =>
      (await hub.store.listOutbox({ eventSeq: seq, limit: 10 })).map((o) => o.subscription).sort();
    expect(await subscriptionsOf(rows[0]!.seq)).toEqual(['all', 'east-only']);
    expect(await subscriptionsOf(rows[1]!.seq)).toEqual(['all', 'sku-2']);
  });
});
