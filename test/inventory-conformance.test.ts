/**
 * Inventory conformance: the same tests against every store adapter (`STORES=` narrows). Conditional
 * movements, compare-and-set, the ledger as the source of positions, reservations and — the point of the
 * suite — zero oversell under hundreds of concurrent reservations from two channels on scarce stock.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledConfig } from '../src/config/compiled-config.js';
import { compileConfig } from '../src/config/load-config.js';
import type { InventoryEngine } from '../src/engine/inventory/inventory-engine.js';
import { composeHub } from '../src/main/compose.js';
import { ConditionNotMet } from '../src/store/condition-not-met.js';
import type { Movement } from '../src/store/inventory-port.js';
import type { Store } from '../src/store/store-port.js';
import { describeEachStore, openTestStore, type StoreKind, type TestStore } from './support/stores.js';
import { testConfigYaml } from './support/test-config.js';

function fact(sku: string, location: string, deltas: Movement['deltas'], expectVersion?: number): Movement {
  return {
    sku,
    location,
    deltas,
    reason: 'received',
    guard: 'fact',
    system: 'wms-east',
    eventId: randomUUID(),
    ...(expectVersion === undefined ? {} : { expectVersion }),
  };
}

function promise(sku: string, location: string, deltas: Movement['deltas']): Movement {
  return { sku, location, deltas, reason: 'reservation_created', guard: 'promise', system: 'shop' };
}

const freshSku = () => `SKU-${randomUUID().slice(0, 8)}`;

function conformance(kind: StoreKind) {
  let t: TestStore;
  let store: Store;
  let config: CompiledConfig;
  let inventory: InventoryEngine;

  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
    config = compileConfig(testConfigYaml(), 'test.yaml', {});
    ({ inventory } = composeHub(config, store, { logger: pino({ level: 'silent' }), delivery: false }));
  });
  afterAll(async () => {
    await inventory.stop();
    await t.cleanup();
  });

  it('applies a fact and records it in the ledger with its context', async () => {
    const sku = freshSku();
    await store.inventory.applyMovements([
      { ...fact(sku, 'DC-EAST', { on_hand: 10 }), correlationId: 'c-1', documentRef: 'PO-1' },
    ]);
    const [position] = await store.inventory.positions(sku);
    expect(position).toMatchObject({ sku, location: 'DC-EAST', available: 10, version: 1 });
    expect(position?.buckets.on_hand).toBe(10);
    const [entry] = await store.inventory.ledger({ sku, limit: 10 });
    expect(entry).toMatchObject({
      sku,
      location: 'DC-EAST',
      deltas: { on_hand: 10 },
      reason: 'received',
      system: 'wms-east',
      correlationId: 'c-1',
      documentRef: 'PO-1',
      version: 1,
    });
    expect(entry?.eventId).toBeTypeOf('string');
    expect(await store.inventory.knownSku(sku)).toBe(true);
    expect(await store.inventory.knownSku(freshSku())).toBe(false);
  });

  it('refuses a promise beyond free stock, and writes nothing of the unit', async () => {
    const sku = freshSku();
    await store.inventory.applyMovements([fact(sku, 'DC-EAST', { on_hand: 5, damaged: 1 })]);
    const refused = store.inventory.applyMovements([
      promise(sku, 'DC-EAST', { reserved: 2 }),
      promise(sku, 'DC-EAST', { reserved: 3 }),
    ]);
    await expect(refused).rejects.toBeInstanceOf(ConditionNotMet);
    await expect(refused).rejects.toMatchObject({ step: 1 });
    const [position] = await store.inventory.positions(sku);
    expect(position?.buckets.reserved).toBe(0);
    expect(await store.inventory.ledger({ sku, limit: 10 })).toHaveLength(1);
    await store.inventory.applyMovements([promise(sku, 'DC-EAST', { reserved: 4 })]);
    expect((await store.inventory.positions(sku))[0]?.available).toBe(0);
  });

  it('lets a physical fact push available below zero, but never a bucket', async () => {
    const sku = freshSku();
    await store.inventory.applyMovements([fact(sku, 'DC-EAST', { on_hand: 5 })]);
    await store.inventory.applyMovements([promise(sku, 'DC-EAST', { reserved: 4 })]);
    await store.inventory.applyMovements([fact(sku, 'DC-EAST', { on_hand: -3 })]);
    expect((await store.inventory.positions(sku))[0]?.available).toBe(-2);
    await expect(
      store.inventory.applyMovements([fact(sku, 'DC-EAST', { on_hand: -3 })]),
    ).rejects.toBeInstanceOf(ConditionNotMet);
    await expect(
      store.inventory.applyMovements([fact(sku, 'DC-EAST', { allocated: 1 })]),
    ).rejects.toBeInstanceOf(ConditionNotMet); // allocated ≤ committed
  });

  it('compares and sets on the version', async () => {
    const sku = freshSku();
    await store.inventory.applyMovements([fact(sku, 'DC-WEST', { on_hand: 1 }, 0)]);
    await expect(
      store.inventory.applyMovements([fact(sku, 'DC-WEST', { on_hand: 1 }, 0)]),
    ).rejects.toBeInstanceOf(ConditionNotMet);
    await store.inventory.applyMovements([
      fact(sku, 'DC-WEST', { on_hand: 1 }, 1),
      fact(sku, 'DC-WEST', { on_hand: 1 }, 2),
    ]);
    expect((await store.inventory.positions(sku))[0]).toMatchObject({ version: 3, available: 3 });
  });

  it('rebuilds every position from the ledger alone', async () => {
    const sku = freshSku();
    await store.inventory.applyMovements([fact(sku, 'DC-EAST', { on_hand: 20, quarantined: 2 })]);
    await store.inventory.applyMovements([promise(sku, 'DC-EAST', { reserved: 5 })]);
    await store.inventory.applyMovements([promise(sku, 'DC-EAST', { reserved: -2, committed: 2 })]);
    await store.inventory.applyMovements([fact(sku, 'DC-WEST', { on_hand: 7, incoming: 30 })]);
    await store.inventory.applyMovements([
      { ...promise(sku, 'DC-EAST', { on_hand: -1, committed: -1, in_transit: 1 }), reason: 'shipped' },
    ]);
    const materialized = await store.inventory.positions(sku);
    const rebuilt = await store.inventory.positionsFromLedger(sku);
    expect(rebuilt.map((p) => [p.location, p.buckets, p.version])).toEqual(
      materialized.map((p) => [p.location, p.buckets, p.version]),
    );
    // And over the whole store, every SKU of every test so far.
    const all = await store.inventory.positionsFromLedger();
    const stored = await store.inventory.positionsAt();
    expect(all.map((p) => [p.sku, p.location, p.buckets])).toEqual(
      stored.map((p) => [p.sku, p.location, p.buckets]),
    );
  });

  it('moves a cursor only from where it stands', async () => {
    const at = await store.log.cursor('inventory-publisher');
    expect(await store.log.moveCursor('inventory-publisher', at + 1, at + 2)).toBe(false);
    expect(await store.log.moveCursor('inventory-publisher', at, at)).toBe(true);
  });

  describe('reservations', () => {
    const shop = { kind: 'system' as const, name: 'shop' };
    const portal = { kind: 'system' as const, name: 'portal' };

    it('reserves, commits and releases with their ledger reasons', async () => {
      const sku = freshSku();
      await store.inventory.applyMovements([fact(sku, 'DC-EAST', { on_hand: 10 })]);
      const created = await inventory.reservations.reserve(shop, {
        channel: 'web',
        lines: [{ sku, quantity: 4 }],
        ttlSeconds: 60,
      });
      const body = created.body as { id: string; location: string; quantity: number };
      expect(body).toMatchObject({ location: 'DC-EAST', quantity: 4 });
      const committed = await inventory.reservations.commit(shop, body.id, 'ORD-1');
      expect(committed).toMatchObject({ status: 'committed', orderId: 'ORD-1' });
      const other = await inventory.reservations.reserve(shop, {
        channel: 'web',
        lines: [{ sku, quantity: 6 }],
        ttlSeconds: 60,
      });
      await inventory.reservations.release(shop, (other.body as { id: string }).id);
      const [p] = await store.inventory.positions(sku);
      expect(p?.buckets).toMatchObject({ on_hand: 10, reserved: 0, committed: 4 });
      const reasons = (await store.inventory.ledger({ sku, limit: 10 })).map((e) => e.reason);
      expect(reasons).toEqual([
        'reservation_released',
        'reservation_created',
        'reservation_committed',
        'reservation_created',
        'received',
      ]);
    });

    it('expires holds past their time, also those that expired while the hub was down', async () => {
      const sku = freshSku();
      await store.inventory.applyMovements([fact(sku, 'DC-EAST', { on_hand: 3 })]);
      const created = await inventory.reservations.reserve(shop, {
        channel: 'web',
        lines: [{ sku, quantity: 3 }],
        ttlSeconds: 1,
      });
      const id = (created.body as { id: string }).id;
      // "Down": nothing runs while the hold expires; a new store and engine start later.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const restarted = t.reopen();
      await restarted.migrate();
      const context = composeHub(config, restarted, { logger: pino({ level: 'silent' }), delivery: false });
      expect(await context.inventory.reservations.expire()).toBeGreaterThanOrEqual(1);
      expect((await restarted.inventory.getReservation(id))?.status).toBe('expired');
      expect((await restarted.inventory.positions(sku))[0]?.buckets.reserved).toBe(0);
      expect((await restarted.inventory.ledger({ sku, limit: 1 }))[0]?.reason).toBe('reservation_expired');
      await expect(inventory.reservations.commit(shop, id, 'ORD-late')).rejects.toMatchObject({
        status: 409,
      });
    });

    it('never oversells: 400 concurrent requests from two channels on 100 units', async () => {
      const sku = freshSku();
      // DC-EAST serves web and b2b; DC-WEST serves web only.
      await store.inventory.applyMovements([
        fact(sku, 'DC-EAST', { on_hand: 60 }),
        fact(sku, 'DC-WEST', { on_hand: 40 }),
      ]);
      const attempts = Array.from({ length: 400 }, (_, i) => {
        const web = i % 2 === 0;
        const quantity = 1 + (i % 3);
        return inventory.reservations
          .reserve(web ? shop : portal, {
            channel: web ? 'web' : 'b2b',
            lines: [{ sku, quantity }],
            ttlSeconds: 600,
          })
          .then(
            (r) => ({ ok: true as const, quantity, location: (r.body as { location: string }).location }),
            (error: { status?: number; extensions?: { available?: number } }) => {
              expect(error.status).toBe(409);
              return { ok: false as const, quantity };
            },
          );
      });
      const results = await Promise.all(attempts);
      const won = results.filter((r) => r.ok);
      const units = won.reduce((n, r) => n + r.quantity, 0);
      const positions = await store.inventory.positions(sku);
      for (const p of positions) {
        expect(p.available).toBeGreaterThanOrEqual(0);
        expect(p.buckets.reserved).toBe(
          won.filter((r) => r.ok && r.location === p.location).reduce((n, r) => n + r.quantity, 0),
        );
      }
      expect(units).toBeLessThanOrEqual(100);
      // Scarce stock is sold out, not left behind: nothing more than 2 units is free anywhere.
      expect(positions.reduce((n, p) => n + p.available, 0)).toBeLessThan(3);
      expect(results.filter((r) => !r.ok).length).toBeGreaterThan(0);
    });

    it('checks lines of one SKU in aggregate, all or nothing', async () => {
      const sku = freshSku();
      const other = freshSku();
      await store.inventory.applyMovements([
        fact(sku, 'DC-EAST', { on_hand: 5 }),
        fact(other, 'DC-EAST', { on_hand: 5 }),
      ]);
      await expect(
        inventory.reservations.reserve(portal, {
          channel: 'b2b',
          lines: [
            { sku: other, quantity: 2 },
            { sku, quantity: 3 },
            { sku, quantity: 3 },
          ],
          ttlSeconds: 60,
        }),
      ).rejects.toMatchObject({ status: 409, code: 'insufficient-stock' });
      expect((await store.inventory.positions(other))[0]?.buckets.reserved).toBe(0);
      const ok = await inventory.reservations.reserve(portal, {
        channel: 'b2b',
        lines: [
          { sku, quantity: 2 },
          { sku, quantity: 3 },
          { sku: other, quantity: 5 },
        ],
        ttlSeconds: 60,
      });
      expect((ok.body as { lines: unknown[] }).lines).toHaveLength(3);
      expect((await store.inventory.positions(sku))[0]?.available).toBe(0);
    });

    it('replays an Idempotency-Key: one reservation for ten concurrent retries', async () => {
      const sku = freshSku();
      await store.inventory.applyMovements([fact(sku, 'DC-EAST', { on_hand: 50 })]);
      const request = { channel: 'web', lines: [{ sku, quantity: 2 }], ttlSeconds: 60 };
      const key = randomUUID();
      const first = await inventory.reservations.reserve(shop, request, key);
      const retries = await Promise.all(
        Array.from({ length: 10 }, () => inventory.reservations.reserve(shop, request, key)),
      );
      for (const r of retries) expect(r).toEqual({ ...first, replayed: true });
      expect((await store.inventory.positions(sku))[0]?.buckets.reserved).toBe(2);
      await expect(
        inventory.reservations.reserve(shop, { ...request, lines: [{ sku, quantity: 3 }] }, key),
      ).rejects.toMatchObject({ status: 422 });
      // Kept until pruned: a cut-off before the key's creation keeps it, one after forgets it.
      expect(await store.log.pruneIdempotency('2000-01-01T00:00:00.000Z')).toBe(0);
      expect(await store.log.getIdempotent('reservations:shop', key)).toBeDefined();
      expect(await store.log.pruneIdempotency(new Date(Date.now() + 1000).toISOString())).toBeGreaterThan(0);
      expect(await store.log.getIdempotent('reservations:shop', key)).toBeUndefined();
    });
  });
}

await describeEachStore('inventory store', (_, kind) => conformance(kind));
