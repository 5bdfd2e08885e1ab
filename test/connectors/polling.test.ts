/**
 * Pollers (`systems.<n>.poll`) through the real hub on both stores, against a real paged API over HTTP:
 * every item of three pages once (cursor and `next`), only new items from the stored cursor after a
 * restart, a `next` to another origin refused, a failing API backing off and shown in `/readyz` (still
 * 200), and one poller at a time for two hub engines on one store (the lease).
 */
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { compileConfig } from '../../src/config/load-config.js';
import { composeHub, type Hub } from '../../src/main/compose.js';
import type { Store } from '../../src/store/store-port.js';
import { type PagedApi, pollerConfigYaml, startPagedApi } from '../support/paged-api.js';
import { describeEachStore, type TestStore } from '../support/stores.js';

const POLLER = 'poll:wms-east:adjustments';

function conformance(t: TestStore) {
  let api: PagedApi;
  const hubs: Hub[] = [];
  const apis: PagedApi[] = [];

  beforeEach(async () => {
    api = await startPagedApi();
    apis.push(api);
  });
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((hub) => hub.stop(1000)));
    await Promise.all(apis.splice(0).map((a) => a.close()));
  });

  function hubOn(store: Store, yaml = pollerConfigYaml(api.url)): Hub {
    const config = compileConfig(yaml, 'poll.yaml', {});
    const hub = composeHub(config, store, {
      logger: pino({ level: process.env.POLL_LOG ?? 'silent' }),
      delivery: false,
    });
    hubs.push(hub);
    return hub;
  }

  /** Waits until the poller of `hub` is due (its stored `nextRunAt`). */
  async function untilDue(hub: Hub): Promise<void> {
    const due = Date.parse((await hub.sources.status())[0]?.nextRunAt as string);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now()) + 20));
  }

  async function eventIds(store: Store): Promise<string[]> {
    const page = await store.listEvents({ source: '/wms-east', limit: 1000 });
    return page.items.map((e) => e.event.id);
  }

  it('ingests every item of three pages once, then only what changed since the stored cursor', async () => {
    for (const [id, delta] of [
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
      ['e', 5],
    ] as const)
      api.put(id, delta);
    const yaml = pollerConfigYaml(api.url, { every: '1s' });
    const first = hubOn(t.store, yaml);
    await first.sources.settle();
    expect(api.requests).toEqual([
      '/adjustments?since=',
      '/adjustments?since=&page=2',
      '/adjustments?since=&page=3',
    ]);
    const ids = await eventIds(t.store);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect(ids[0]).toBe(`adj-a-${api.records[0]?.updated_at}`);
    const last = api.records.at(-1)?.updated_at as string;
    expect(await t.store.connectorState.get(POLLER, 'cursor')).toBe(last);
    expect(await t.store.connectorState.get(POLLER, 'next')).toBeNull();
    const [event] = (await t.store.listEvents({ source: '/wms-east', limit: 1 })).items;
    expect(event?.event.type).toBe('com.manifold.inventory.adjusted.v1');
    expect(event?.event.data).toEqual({ sku: 'SKU-a', location: 'DC-EAST', delta: 1, reason: 'cycle_count' });
    expect((await first.sources.status())[0]).toMatchObject({
      state: 'ok',
      failures: 0,
      poll: 'adjustments',
    });

    // A restart: a new hub on the same store goes on from the stored cursor.
    await first.stop(1000);
    api.requests.length = 0;
    api.put('f', 6);
    api.put('b', 7); // b's second change: a new version, so a new event (not a duplicate of the first)
    const second = hubOn(t.store, yaml);
    await second.sources.settle(); // on the schedule the first left: not due yet
    expect(api.requests).toEqual([]);
    await untilDue(second);
    await second.sources.settle();
    expect(api.requests).toEqual([`/adjustments?since=${encodeURIComponent(last)}`]);
    const after = await eventIds(t.store);
    expect(after).toHaveLength(7);
    expect(new Set(after).size).toBe(7);
    expect(after.slice(5)).toEqual([
      `adj-f-${api.records.find((r) => r.id === 'f')?.updated_at}`,
      `adj-b-${api.records.find((r) => r.id === 'b')?.updated_at}`,
    ]);
  });

  it('keeps a refused item as an exception, goes on with the others, and applies it again on retry', async () => {
    api.put('a', 1);
    api.put('b', 2, 'DC-WEST'); // wms-east serves DC-EAST only: the hub refuses this fact from it
    api.put('c', 0); // a zero delta breaks the event's contract
    api.put('d', 4);
    const hub = hubOn(t.store);
    await hub.sources.settle();
    const ids = await eventIds(t.store);
    expect(ids).toEqual([`adj-a-${api.records[0]?.updated_at}`, `adj-d-${api.records[3]?.updated_at}`]);
    expect(await t.store.connectorState.get(POLLER, 'cursor')).toBe(api.records[3]?.updated_at);
    expect((await hub.sources.status())[0]?.state).toBe('ok');
    const rejected = await t.store.delivery.listExceptions({
      status: 'open',
      code: 'poll_rejected',
      limit: 10,
    });
    expect(rejected.map((e) => e.subject).sort()).toEqual([
      `adj-b-${api.records[1]?.updated_at}`,
      `adj-c-${api.records[2]?.updated_at}`,
    ]);
    const west = rejected.find((e) => e.subject?.startsWith('adj-b-'));
    expect(west?.detail).toMatch(
      /^poller wms-east\/adjustments: event adj-b-\S+ \(com\.manifold\.inventory\.adjusted\.v1\) refused: /,
    );
    expect(rejected.find((e) => e.subject?.startsWith('adj-c-'))?.detail).toMatch(
      /\/data\/delta must not be 0/,
    );

    // The cause fixed (wms-east now serves DC-WEST too): the retry applies the event the exception holds.
    await hub.stop(1000);
    const fixed = hubOn(t.store, pollerConfigYaml(api.url, { locations: 'DC-EAST, DC-WEST' }));
    expect(fixed.inbound.replays('poll_rejected')).toBe(true);
    await fixed.inbound.replay(west as NonNullable<typeof west>);
    expect(await eventIds(t.store)).toContain(west?.subject);
  });

  it('authenticates with OAuth2 client credentials: one token for every page and run', async () => {
    for (const id of ['a', 'b', 'c']) api.put(id, 1);
    const auth = `{ oauth2: { tokenUrl: "${api.url}/oauth/token", clientId: hub, clientSecret: hub-secret, scope: stock.read } }`;
    const hub = hubOn(t.store, pollerConfigYaml(api.url, { auth }));
    await hub.sources.settle();
    expect(api.tokenRequests.map((form) => Object.fromEntries(form))).toEqual([
      { grant_type: 'client_credentials', scope: 'stock.read' },
    ]);
    expect(api.requests.filter((r) => r.startsWith('/adjustments'))).toHaveLength(2);
    expect(await eventIds(t.store)).toHaveLength(3);
  });

  it('refuses a next page on another origin, keeps the page it read, and shows why', async () => {
    const other = await startPagedApi();
    apis.push(other);
    api.nextOrigin = other.url;
    for (const id of ['a', 'b', 'c']) api.put(id, 1);
    const hub = hubOn(t.store);
    const config = hub.config;
    await hub.sources.settle();
    expect(other.requests).toEqual([]);
    expect(api.requests).toHaveLength(1);
    expect(await eventIds(t.store)).toHaveLength(2);
    expect(await t.store.connectorState.get(POLLER, 'next')).toBeNull();
    const [status] = await hub.sources.status();
    expect(status?.state).toBe('failing');
    expect(status?.lastError).toMatch(
      /next: refused http:\/\/127\.0\.0\.1:\d+ \(not the origin of request\.url/,
    );
    const metrics = await hub.telemetry.registry.metrics();
    expect(metrics).toMatch(
      /manifold_poll_runs_total\{system="wms-east",poll="adjustments",outcome="refused"\} 1/,
    );
    expect(config.systems.get('wms-east')?.sections?.poll).toBeDefined();
  });

  it('drops a stored next page whose origin is no longer that of request.url', async () => {
    const other = await startPagedApi();
    apis.push(other);
    other.put('x', 1);
    // Stored by a run under a configuration that polled `other`; the poller now polls `api`.
    await t.store.connectorState.put(
      POLLER,
      'next',
      `${other.url}/adjustments?since=&page=2`,
      new Date().toISOString(),
    );
    const hub = hubOn(t.store);
    await hub.sources.settle();
    expect(other.requests).toEqual([]);
    expect(api.requests).toEqual([]);
    const [status] = await hub.sources.status();
    expect(status?.state).toBe('failing');
    expect(status?.lastError).toBe(`stored next URL ${other.url} is not ${api.url}; dropped`);
    // Dropped: the next run starts from the cursor, on `api`.
    expect(await t.store.connectorState.get(POLLER, 'next')).toBeNull();
  });

  it('backs off when the API fails, shows it in /readyz, and /readyz stays 200', async () => {
    api.failWith = 503;
    api.put('a', 1);
    const hub = hubOn(t.store);
    const { app } = await buildApp({ services: hub, logger: pino({ level: 'silent' }) });
    try {
      await hub.sources.settle();
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      const body = ready.json() as { status: string; pollers: Record<string, unknown>[] };
      expect(body.status).toBe('ready');
      expect(body.pollers).toHaveLength(1);
      const poller = body.pollers[0] as {
        state: string;
        failures: number;
        lastError: string;
        lastRunAt: string;
        nextRunAt: string;
      };
      expect(poller).toMatchObject({
        name: POLLER,
        system: 'wms-east',
        poll: 'adjustments',
        state: 'failing',
        failures: 1,
      });
      expect(poller.lastError).toMatch(/HTTP 503/);
      // The first back-off is one period (1 h); the run is not due again before then.
      expect(Date.parse(poller.nextRunAt) - Date.parse(poller.lastRunAt)).toBeGreaterThanOrEqual(3600_000);
      // The console's overview shows the same (its Pollers panel).
      const overview = await app.inject({
        method: 'GET',
        url: '/v1/overview',
        headers: { authorization: 'Bearer test-admin-key-0000000001' },
      });
      expect(overview.statusCode).toBe(200);
      expect((overview.json() as { pollers: unknown[] }).pollers).toEqual([poller]);
      await hub.sources.settle();
      expect(api.requests).toHaveLength(1);
      const metrics = await hub.telemetry.registry.metrics();
      expect(metrics).toMatch(
        /manifold_poll_runs_total\{system="wms-east",poll="adjustments",outcome="failed"\} 1/,
      );
      expect(metrics).toMatch(/manifold_poll_consecutive_failures\{system="wms-east",poll="adjustments"\} 1/);
      expect(await eventIds(t.store)).toEqual([]);
      expect(await t.store.connectorState.get(POLLER, 'cursor')).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('polls once when two hub engines share the store (the lease), and the other takes over', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e']) api.put(id, 1);
    const yaml = pollerConfigYaml(api.url, { every: '1s' });
    const one = hubOn(t.store, yaml);
    const other = t.reopen();
    await other.migrate();
    const two = hubOn(other, yaml);
    // `one` takes the lease first; then both tick together, twice: `two` never polls while `one` holds it.
    await one.sources.settle();
    await Promise.all([one.sources.settle(), two.sources.settle()]);
    await Promise.all([two.sources.settle(), one.sources.settle()]);
    expect(api.requests).toHaveLength(3);
    expect(await eventIds(t.store)).toHaveLength(5);
    // Both show the same status, whichever ran it.
    expect((await two.sources.status())[0]?.state).toBe('ok');
    // The holder stops (its lease is released): the other takes over, on the schedule `one` left (no
    // extra poll), and goes on from the stored cursor when the run is due.
    await one.stop(1000);
    api.requests.length = 0;
    api.put('f', 1);
    await two.sources.settle();
    expect(api.requests).toHaveLength(0);
    await untilDue(two);
    await two.sources.settle();
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatch(/^\/adjustments\?since=2026/);
    expect(await eventIds(t.store)).toHaveLength(6);
  });
}

await describeEachStore('pollers through the hub', conformance, { fresh: 'each' });
