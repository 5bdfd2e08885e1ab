/**
 * Inventory through HTTP in-process (docs/inventory.md): facts from the owners applied to positions, the reads,
 * reservations and their errors, oversold and rejected facts, availability events, reconciliation.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';

let hub: TestApp;
beforeEach(async () => {
  hub = await buildTestApp();
});
afterEach(async () => {
  await hub.close();
});

const sku = () => `SKU-${randomUUID().slice(0, 8)}`;
const WMS = {
  'DC-EAST': { key: KEYS.wmsEast, source: '/wms-east' },
  'DC-WEST': { key: KEYS.wmsWest, source: '/wms-west' },
};

/** Sends an inventory fact from the location's WMS and waits until it is applied. */
async function fact(type: string, data: Record<string, unknown> & { location: 'DC-EAST' | 'DC-WEST' }) {
  const wms = WMS[data.location];
  const response = await hub.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${wms.key}` },
    payload: {
      specversion: '1.0',
      id: randomUUID(),
      source: wms.source,
      type: `com.manifold.inventory.${type}.v1`,
      correlationid: `corr-${type}`,
      data,
    },
  });
  expect(response.statusCode).toBe(202);
  await hub.inventory.settle();
}

async function call(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  key: string,
  payload?: unknown,
  headers = {},
) {
  const response = await hub.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...headers },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return { status: response.statusCode, body: response.json(), headers: response.headers };
}

const reserve = (body: Record<string, unknown>, key: string = KEYS.shop, headers = {}) =>
  call('POST', '/v1/reservations', key, { ttlSeconds: 600, ...body }, headers);

describe('positions from the owners’ facts', () => {
  it('applies received, counted, adjusted, moved and incoming, with the ATP per channel', async () => {
    const s = sku();
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 20 });
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 4, quarantine: true });
    await fact('adjusted', { sku: s, location: 'DC-EAST', delta: -2, reason: 'shrinkage' });
    await fact('moved', {
      sku: s,
      location: 'DC-EAST',
      from: 'available',
      to: 'damaged',
      quantity: 1,
      reason: 'damaged',
    });
    await fact('counted', { sku: s, location: 'DC-WEST', onHand: 9 });
    const incoming = { sku: s, location: 'DC-WEST', quantity: 50, expectedAt: '2026-12-01T00:00:00Z' };
    const erp = await hub.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.erp}` },
      payload: {
        specversion: '1.0',
        id: randomUUID(),
        source: '/erp',
        type: 'com.manifold.inventory.incoming.v1',
        data: incoming,
      },
    });
    expect(erp.statusCode).toBe(202);
    await hub.inventory.settle();

    const { status, body } = await call('GET', `/v1/inventory/${s}`, KEYS.erp);
    expect(status).toBe(200);
    const east = body.positions.find((p: { location: string }) => p.location === 'DC-EAST');
    expect(east.buckets).toMatchObject({ on_hand: 22, quarantined: 4, damaged: 1 });
    expect(east.available).toBe(17);
    const west = body.positions.find((p: { location: string }) => p.location === 'DC-WEST');
    expect(west.buckets).toMatchObject({ on_hand: 9, incoming: 50 });
    // web: both DCs − safety stock 2; b2b: DC-EAST only, no safety stock.
    expect(body.channels).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channel: 'web', available: 17 + 9 - 2 }),
        expect.objectContaining({ channel: 'b2b', available: 17 }),
      ]),
    );
    const availability = await call('GET', `/v1/availability?sku=${s}&channel=web`, KEYS.shop);
    expect(availability.body).toEqual({ sku: s, channel: 'web', available: 24 });
    const atWest = await call('GET', `/v1/availability?sku=${s}&channel=web&location=DC-WEST`, KEYS.shop);
    expect(atWest.body.available).toBe(7);
  });

  it('pages the ledger newest first with reasons and sources', async () => {
    const s = sku();
    for (let i = 1; i <= 5; i += 1) await fact('received', { sku: s, location: 'DC-EAST', quantity: i });
    const first = await call('GET', `/v1/inventory/${s}/ledger?limit=3`, KEYS.admin);
    expect(first.body.items.map((e: { deltas: { on_hand: number } }) => e.deltas.on_hand)).toEqual([5, 4, 3]);
    expect(first.body.items[0]).toMatchObject({
      reason: 'received',
      system: 'wms-east',
      correlationId: 'corr-received',
    });
    const second = await call(
      'GET',
      `/v1/inventory/${s}/ledger?limit=3&before=${first.body.nextBefore}`,
      KEYS.admin,
    );
    expect(second.body.items.map((e: { deltas: { on_hand: number } }) => e.deltas.on_hand)).toEqual([2, 1]);
    expect(second.body.nextBefore).toBeUndefined();
    expect((await call('GET', `/v1/inventory/${sku()}/ledger`, KEYS.admin)).status).toBe(404);
  });

  it('keeps ATP at zero or more, and rejects unknown channels and locations by name', async () => {
    const s = sku();
    await fact('received', { sku: s, location: 'DC-WEST', quantity: 1 });
    expect((await call('GET', `/v1/availability?sku=${s}&channel=web`, KEYS.shop)).body.available).toBe(0);
    const unknown = await call('GET', `/v1/availability?sku=${s}&channel=phone`, KEYS.shop);
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toContain("'phone'");
    const notServing = await call('GET', `/v1/availability?sku=${s}&channel=b2b&location=DC-WEST`, KEYS.erp);
    expect(notServing.status).toBe(400);
    expect(notServing.body.detail).toContain('does not serve');
  });
});

describe('reservations', () => {
  it('holds stock at the first location of the channel that can fill it, then the next', async () => {
    const s = sku();
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 3 });
    await fact('received', { sku: s, location: 'DC-WEST', quantity: 10 });
    const first = await reserve({ sku: s, channel: 'web', quantity: 3, reference: 'cart-1' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      sku: s,
      location: 'DC-EAST',
      quantity: 3,
      status: 'open',
      reference: 'cart-1',
    });
    expect(Date.parse(first.body.expiresAt) - Date.now()).toBeGreaterThan(590_000);
    const second = await reserve({ sku: s, channel: 'web', quantity: 4 });
    expect(second.body.location).toBe('DC-WEST');
    const named = await reserve({ sku: s, channel: 'web', quantity: 1, location: 'DC-WEST' });
    expect(named.body.location).toBe('DC-WEST');
    const short = await reserve({ sku: s, channel: 'web', quantity: 6 });
    expect(short.status).toBe(409);
    expect(short.headers['content-type']).toContain('application/problem+json');
    expect(short.body.type).toMatch(/\/insufficient-stock$/);
    expect(short.body).toMatchObject({ sku: s, requested: 6, available: 5 });
    expect(short.body.detail).toContain('5 available');
  });

  it('answers each kind of bad request with its problem', async () => {
    const s = sku();
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 3 });
    expect((await reserve({ sku: sku(), channel: 'web', quantity: 1 })).status).toBe(404);
    for (const quantity of [0, -1, 1.5, 'two']) {
      const bad = await reserve({ sku: s, channel: 'web', quantity });
      expect(bad.status).toBe(400);
      expect(bad.body.type).toMatch(/\/validation-failed$/);
    }
    const channel = await reserve({ sku: s, channel: 'phone', quantity: 1 }, KEYS.admin);
    expect(channel.status).toBe(400);
    expect(channel.body.detail).toContain("'phone'");
    const location = await reserve({ sku: s, channel: 'web', quantity: 1, location: 'DC-NORTH' });
    expect(location.status).toBe(400);
    expect(location.body.detail).toContain("'DC-NORTH'");
    const foreign = await reserve({ sku: s, channel: 'b2b', quantity: 1 }, KEYS.shop);
    expect(foreign.status).toBe(403);
    expect((await reserve({ sku: s, channel: 'web', quantity: 1 }, KEYS.wmsEast)).status).toBe(403);
    expect((await reserve({ sku: s, channel: 'b2b', quantity: 1 }, KEYS.admin)).status).toBe(201);
    expect((await reserve({ channel: 'web', quantity: 1 })).status).toBe(400);
  });

  it('releases and commits; a released hold cannot be committed', async () => {
    const s = sku();
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 10 });
    const a = (await reserve({ sku: s, channel: 'web', quantity: 4 })).body;
    const b = (await reserve({ sku: s, channel: 'web', quantity: 3 })).body;
    const released = await call('DELETE', `/v1/reservations/${a.id}`, KEYS.shop);
    expect(released.body.status).toBe('released');
    expect((await call('DELETE', `/v1/reservations/${a.id}`, KEYS.shop)).body.status).toBe('released');
    expect(
      (await call('POST', `/v1/reservations/${a.id}/commit`, KEYS.shop, { orderId: 'O-1' })).status,
    ).toBe(409);
    // Another channel's system does not see the hold (404); the ERP sees it but cannot release it (403).
    expect((await call('DELETE', `/v1/reservations/${b.id}`, KEYS.portal)).status).toBe(404);
    expect((await call('DELETE', `/v1/reservations/${b.id}`, KEYS.erp)).status).toBe(403);
    const committed = await call('POST', `/v1/reservations/${b.id}/commit`, KEYS.shop, { orderId: 'O-2' });
    expect(committed.body).toMatchObject({ status: 'committed', orderId: 'O-2' });
    expect((await call('DELETE', `/v1/reservations/${b.id}`, KEYS.shop)).status).toBe(409);
    const position = (await call('GET', `/v1/inventory/${s}`, KEYS.erp)).body.positions[0];
    expect(position.buckets).toMatchObject({ on_hand: 10, reserved: 0, committed: 3 });
    expect((await call('GET', '/v1/reservations/rsv_nope', KEYS.shop)).status).toBe(404);
  });

  it('honours Idempotency-Key: same body replayed, another body 422', async () => {
    const s = sku();
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 10 });
    const key = { 'idempotency-key': randomUUID() };
    const first = await reserve({ sku: s, channel: 'web', quantity: 2 }, KEYS.shop, key);
    const again = await reserve({ sku: s, channel: 'web', quantity: 2 }, KEYS.shop, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await reserve({ sku: s, channel: 'web', quantity: 3 }, KEYS.shop, key);
    expect(other.status).toBe(422);
    expect((await call('GET', `/v1/inventory/${s}`, KEYS.erp)).body.positions[0].buckets.reserved).toBe(2);
  });
});

describe('oversold and rejected facts', () => {
  it('opens one oversold exception and emits the position when a count breaks promises; resolves it on recovery', async () => {
    const s = sku();
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 10 });
    expect((await reserve({ sku: s, channel: 'web', quantity: 8 })).status).toBe(201);
    await fact('counted', { sku: s, location: 'DC-EAST', onHand: 5 });
    await fact('adjusted', { sku: s, location: 'DC-EAST', delta: -1, reason: 'shrinkage' });
    const exceptions = await call('GET', '/v1/exceptions?code=oversold&status=open', KEYS.admin);
    const mine = exceptions.body.items.filter((e: { subject: string }) => e.subject === `${s}@DC-EAST`);
    expect(mine).toHaveLength(1);
    expect(mine[0].detail).toContain('oversold by 3');
    const positions = await call(
      'GET',
      `/v1/events?type=com.manifold.inventory.position.v1&subject=${s}@DC-EAST`,
      KEYS.admin,
    );
    const last = positions.body.items.at(-1).event.data;
    expect(last).toMatchObject({ sku: s, location: 'DC-EAST', available: -4 });
    expect(last.buckets).toMatchObject({ on_hand: 4, reserved: 8 });
    // Reservations cannot dig deeper.
    expect((await reserve({ sku: s, channel: 'web', quantity: 1 })).status).toBe(409);
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 4 });
    const after = await call('GET', '/v1/exceptions?code=oversold', KEYS.admin);
    const closed = after.body.items.find((e: { subject: string }) => e.subject === `${s}@DC-EAST`);
    expect(closed.status).toBe('resolved');
  });

  it('keeps a fact that cannot apply as an inventory_rejected exception with the event', async () => {
    const s = sku();
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 2 });
    await fact('adjusted', { sku: s, location: 'DC-EAST', delta: -5, reason: 'shrinkage' });
    const list = await call('GET', '/v1/exceptions?code=inventory_rejected', KEYS.admin);
    const mine = list.body.items.find((e: { subject: string }) => e.subject === `${s}@DC-EAST`);
    expect(mine.detail).toContain('only 2 in on_hand');
    expect(JSON.parse(mine.payload).data).toMatchObject({ sku: s, delta: -5 });
    expect((await call('GET', `/v1/inventory/${s}`, KEYS.erp)).body.positions[0].buckets.on_hand).toBe(2);
    // The applier went on past it.
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 1 });
    expect((await call('GET', `/v1/inventory/${s}`, KEYS.erp)).body.positions[0].buckets.on_hand).toBe(3);
    // Retry applies it against today's position: still short → 409, the exception stays open.
    const still = await call('POST', `/v1/exceptions/${mine.id}/retry`, KEYS.admin, {});
    expect(still.status).toBe(409);
    expect(still.body.detail).toContain('only 3 in on_hand');
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 7 });
    const retried = await call('POST', `/v1/exceptions/${mine.id}/retry`, KEYS.admin, {
      note: 'stock found',
    });
    expect(retried.body).toMatchObject({ status: 'resolved', resolution: 'retried' });
    const position = (await call('GET', `/v1/inventory/${s}`, KEYS.erp)).body.positions[0];
    expect(position.buckets.on_hand).toBe(5);
    const [entry] = (await call('GET', `/v1/inventory/${s}/ledger?limit=1`, KEYS.admin)).body.items;
    expect(entry).toMatchObject({
      reason: 'shrinkage',
      deltas: { on_hand: -5 },
      eventId: JSON.parse(mine.payload).id,
    });
    // An oversold or drift exception has nothing to redo.
    await fact('counted', { sku: s, location: 'DC-EAST', onHand: 5 });
    expect((await reserve({ sku: s, channel: 'web', quantity: 5 })).status).toBe(201);
    await fact('counted', { sku: s, location: 'DC-EAST', onHand: 1 });
    const oversold = (
      await call('GET', '/v1/exceptions?code=oversold&status=open', KEYS.admin)
    ).body.items.find((e: { subject: string }) => e.subject === `${s}@DC-EAST`);
    expect((await call('POST', `/v1/exceptions/${oversold.id}/retry`, KEYS.admin, {})).status).toBe(409);
  });
});

describe('availability to channels', () => {
  it('emits the ATP of every affected channel, only when it changes, converging to the true figure', async () => {
    const s = sku();
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 30 });
    const holds = await Promise.all(
      Array.from({ length: 20 }, () => reserve({ sku: s, channel: 'web', quantity: 1 })),
    );
    expect(holds.every((h) => h.status === 201)).toBe(true);
    await hub.inventory.settle();
    const events = await call(
      'GET',
      `/v1/events?type=com.manifold.inventory.availability.v1&limit=1000`,
      KEYS.admin,
    );
    const mine = events.body.items
      .map((i: { event: { data: { sku: string; channel: string; available: number } } }) => i.event.data)
      .filter((d: { sku: string }) => d.sku === s);
    const web = mine.filter((d: { channel: string }) => d.channel === 'web');
    const b2b = mine.filter((d: { channel: string }) => d.channel === 'b2b');
    expect(web[0].available).toBe(28);
    expect(web.at(-1).available).toBe(8);
    expect(b2b.at(-1).available).toBe(10);
    // Fewer events than changes, and never the same figure twice in a row.
    expect(web.length).toBeLessThan(21);
    for (let i = 1; i < web.length; i += 1) expect(web[i].available).not.toBe(web[i - 1].available);
    expect((await call('GET', `/v1/availability?sku=${s}&channel=web`, KEYS.shop)).body.available).toBe(8);
    // The partition key is sku@channel (what delivery coalesces on).
    const item = events.body.items.find((i: { event: { data: { sku: string } } }) => i.event.data.sku === s);
    expect(item.event.partitionkey).toBe(`${s}@${item.event.data.channel}`);
    expect(item.event.source).toBe('/manifold');
  });
});

describe('reconciliation', () => {
  it('reports drift of a partial snapshot without changing positions, with an exception above the threshold', async () => {
    const s = sku();
    const t = sku();
    await fact('received', { sku: s, location: 'DC-EAST', quantity: 10 });
    await fact('received', { sku: t, location: 'DC-EAST', quantity: 4 });
    const report = await call('POST', '/v1/inventory/snapshots', KEYS.wmsEast, {
      counts: [
        { sku: s, location: 'DC-EAST', onHand: 7 },
        { sku: t, location: 'DC-EAST', onHand: 4 },
      ],
    });
    expect(report.status).toBe(201);
    expect(report.body).toMatchObject({ mode: 'report', counted: 2, drifting: 1, units: 3 });
    expect(report.body.lines).toEqual([{ sku: s, location: 'DC-EAST', theirs: 7, ours: 10, difference: -3 }]);
    expect((await call('GET', `/v1/inventory/${s}`, KEYS.erp)).body.positions[0].buckets.on_hand).toBe(10);
    const drift = await call('GET', `/v1/inventory/drift?sku=${s}`, KEYS.admin);
    expect(drift.body.reports[0].lines).toEqual(report.body.lines);
    const exceptions = await call('GET', '/v1/exceptions?code=inventory_drift', KEYS.admin);
    expect(exceptions.body.items[0].detail).toContain('drift by 3 units');
  });

  it('adopts a full snapshot from a system set to adopt: reconciliation entries, unlisted SKUs to zero', async () => {
    const s = sku();
    const gone = sku();
    await fact('received', { sku: s, location: 'DC-WEST', quantity: 10 });
    await fact('received', { sku: gone, location: 'DC-WEST', quantity: 2 });
    const report = await call('POST', '/v1/inventory/snapshots', KEYS.wmsWest, {
      full: true,
      counts: [{ sku: s, location: 'DC-WEST', onHand: 12 }],
    });
    expect(report.body).toMatchObject({ mode: 'adopt', full: true });
    expect(report.body.lines).toEqual(
      expect.arrayContaining([
        { sku: s, location: 'DC-WEST', theirs: 12, ours: 10, difference: 2 },
        { sku: gone, location: 'DC-WEST', theirs: 0, ours: 2, difference: -2 },
      ]),
    );
    const position = (await call('GET', `/v1/inventory/${s}`, KEYS.erp)).body.positions[0];
    expect(position.buckets.on_hand).toBe(12);
    expect((await call('GET', `/v1/inventory/${gone}`, KEYS.erp)).body.positions[0].buckets.on_hand).toBe(0);
    const ledger = await call('GET', `/v1/inventory/${s}/ledger?limit=1`, KEYS.admin);
    expect(ledger.body.items[0]).toMatchObject({
      reason: 'reconciliation',
      system: 'wms-west',
      deltas: { on_hand: 2 },
    });
  });

  it('refuses a snapshot of a location the caller does not own', async () => {
    const refused = await call('POST', '/v1/inventory/snapshots', KEYS.wmsEast, {
      counts: [{ sku: sku(), location: 'DC-WEST', onHand: 1 }],
    });
    expect(refused.status).toBe(403);
    expect((await call('POST', '/v1/inventory/snapshots', KEYS.admin, { counts: [] })).status).toBe(403);
  });
});
