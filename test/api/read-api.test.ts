/** Admin log reads, contracts, OpenAPI and health, through HTTP in-process. */
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/domain/event-catalogue.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS } from '../support/test-config.js';

let hub: TestApp;
beforeEach(async () => {
  hub = await buildTestApp();
});
afterEach(async () => {
  await hub.close();
});

async function ingest(events: Record<string, unknown>[], key: string = KEYS.wmsEast) {
  const response = await hub.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents-batch+json', authorization: `Bearer ${key}` },
    payload: JSON.stringify(events),
  });
  expect(response.statusCode).toBe(202);
}

function getEvents(query: string, key: string = KEYS.admin) {
  return hub.app.inject({
    method: 'GET',
    url: `/v1/events${query}`,
    headers: { authorization: `Bearer ${key}` },
  });
}

type Page = {
  items: { seq: number; system: string; ingestedAt: string; event: { id: string; type: string } }[];
  next?: string;
};

describe('GET /v1/events', () => {
  it('needs the admin key', async () => {
    expect((await getEvents('', KEYS.wmsEast)).statusCode).toBe(403);
    expect((await hub.app.inject({ method: 'GET', url: '/v1/events' })).statusCode).toBe(401);
  });

  it('filters by type, subject, source and correlationid', async () => {
    await ingest([
      adjustedEvent({ correlationid: 'c-a' }),
      adjustedEvent({
        correlationid: 'c-b',
        data: { sku: 'SKU-2', location: 'DC-EAST', delta: 1, reason: 'correction' },
      }),
      {
        specversion: '1.0',
        id: 'count-x',
        source: '/wms-east',
        type: 'com.manifold.inventory.counted.v1',
        correlationid: 'c-a',
        data: { sku: 'SKU-2', location: 'DC-EAST', onHand: 4 },
      },
    ]);
    await ingest(
      [
        adjustedEvent({
          source: '/wms-west',
          data: { sku: 'SKU-2', location: 'DC-WEST', delta: 1, reason: 'correction' },
        }),
      ],
      KEYS.wmsWest,
    );
    const ids = async (query: string) =>
      ((await getEvents(query)).json() as Page).items.map((i) => i.event.id);
    expect(await ids('?type=com.manifold.inventory.counted.v1')).toEqual(['count-x']);
    expect(await ids('?subject=SKU-2@DC-EAST&source=/wms-east')).toHaveLength(2);
    expect(await ids('?source=/wms-west')).toHaveLength(1);
    expect(await ids('?correlationid=c-a&source=/wms-east')).toHaveLength(2);
    expect(await ids('?correlationid=c-a&type=com.manifold.inventory.adjusted.v1')).toHaveLength(1);
  });

  it('filters by ingest time (since inclusive, until exclusive)', async () => {
    await ingest([adjustedEvent()]);
    const page = (await getEvents('')).json() as Page;
    const at = page.items[0]!.ingestedAt;
    expect(((await getEvents(`?since=${at}`)).json() as Page).items).toHaveLength(1);
    expect(((await getEvents(`?until=${at}`)).json() as Page).items).toHaveLength(0);
    const later = new Date(Date.parse(at) + 1000).toISOString();
    expect(((await getEvents(`?since=${later}`)).json() as Page).items).toHaveLength(0);
  });

  it('pages with a cursor, in log order, with no gap or repeat', async () => {
    const events = Array.from({ length: 25 }, () => adjustedEvent());
    await ingest(events);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = (await getEvents(`?limit=10${cursor ? `&cursor=${cursor}` : ''}`)).json() as Page;
      seen.push(...page.items.map((i) => i.event.id));
      cursor = page.next;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(events.map((e) => e.id));
  });

  it('rejects a limit over 5,000 and unknown parameters as problems with pointers', async () => {
    const tooMany = await getEvents('?limit=5001');
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.headers['content-type']).toMatch(/problem\+json/);
    expect((tooMany.json() as { errors: { pointer: string }[] }).errors[0]?.pointer).toBe('/limit');
    const typo = await getEvents('?tpye=x');
    expect(typo.statusCode).toBe(400);
    expect((typo.json() as { errors: { pointer: string }[] }).errors[0]?.pointer).toBe('/tpye');
    expect((await getEvents('?since=yesterday')).statusCode).toBe(400);
  });
});

describe('contracts', () => {
  it('lists every v1 type at GET /v1/schemas', async () => {
    const response = await hub.app.inject({ method: 'GET', url: '/v1/schemas' });
    expect(response.statusCode).toBe(200);
    const types = (response.json() as { items: { type: string }[] }).items.map((i) => i.type);
    expect(types.sort()).toEqual(CATALOGUE.map((c) => c.type).sort());
  });

  it('serves each type schema, and 404 problem for an unknown one', async () => {
    for (const { type } of CATALOGUE) {
      const response = await hub.app.inject({ method: 'GET', url: `/v1/schemas/${type}` });
      expect(response.statusCode).toBe(200);
      const schema = response.json() as { properties: { data: unknown }; required: string[] };
      expect(schema.properties.data).toBeTruthy();
      expect(schema.required).toContain('data');
    }
    const missing = await hub.app.inject({ method: 'GET', url: '/v1/schemas/com.example.nope.v1' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/problem\+json/);
  });

  it('GET /openapi.json is a valid OpenAPI 3 document covering every route', async () => {
    const response = await hub.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toMatch(/^3\./);
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const routes = hub.app.printRoutes({ commonPrefix: false });
    for (const path of [
      '/v1/events',
      '/v1/schemas',
      '/v1/schemas/{type}',
      '/openapi.json',
      '/healthz',
      '/readyz',
    ]) {
      expect(Object.keys(document.paths)).toContain(path);
    }
    expect(document.paths['/v1/events']).toHaveProperty('post');
    expect(document.paths['/v1/events']).toHaveProperty('get');
    expect(routes).toContain('events');
  });
});

describe('health', () => {
  it('healthz is alive and readyz reports migrations applied', async () => {
    expect((await hub.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await hub.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', store: { kind: 'sqlite', ok: true } });
  });

  it('readyz is 503 when the store is gone', async () => {
    await hub.store.close();
    const ready = await hub.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ status: 'not_ready' });
  });

  it('unknown routes are 404 problems', async () => {
    const response = await hub.app.inject({ method: 'GET', url: '/v1/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
  });
});
