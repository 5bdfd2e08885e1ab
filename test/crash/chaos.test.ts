/**
 * Chaos: the real hub (bin/manifold serve, embedded SQLite) is killed with SIGKILL every 2–5 s and
 * restarted while a storefront and a portal order and hold stock, the warehouses ship and receive, a
 * carrier delivers and a warehouse counts; it delivers to receivers that answer 503, reset connections,
 * hang and answer slowly. Every client resends until it gets a definite answer, with the same key or
 * event id. After a last restart and a drain, everything the clients were told must hold:
 *
 * - every call got a definite answer (none stuck at 409 `idempotency-key-in-flight`);
 * - every acknowledged order exists once, with the lines it was answered with; none applied twice;
 * - stock per SKU and location equals what the acknowledged answers add up to; positions equal their
 *   ledger; no step of the ledger left `available` or a bucket below zero (nothing oversold);
 * - every order event reached each subscriber at least once, and per key never before its predecessor
 *   was delivered.
 *
 * The workload is seeded (`CHAOS_SEED`); docs/durability.md describes the test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_SKUS, expectedFulfilment, expectedStock } from '../support/chaos-accounting.js';
import {
  admin,
  availableOf,
  eventually,
  type LoggedEvent,
  positions,
  ROUTES,
  readLedger,
  readLog,
  sleep,
  stablePort,
  subscriptions,
} from '../support/chaos-hub.js';
import {
  type AnsweredLine,
  LOCATIONS,
  ORDER_SKUS,
  type PlacedOrder,
  SEED_STOCK,
  Workload,
} from '../support/chaos-workload.js';
import { startFlakyReceiver } from '../support/flaky-receiver.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { call, settle } from '../support/retrying-client.js';
import { SeededRandom } from '../support/seeded-random.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const SEED = Number(process.env.CHAOS_SEED ?? 20261202);
/** How long the hub is killed and restarted under load. */
const CHAOS_MS = 30_000;
/** How long a client resends one call during the chaos before it moves on (it retries it at the end). */
const PATIENCE_MS = 8_000;
/** After the last restart: to answer what is left, to apply every acknowledged event; to deliver everything. */
const SETTLE_MS = 12_000;
const APPLY_MS = 10_000;
const DRAIN_MS = 28_000;

const dir = mkdtempSync(join(tmpdir(), 'manifold-chaos-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('chaos: SIGKILL every 2–5 s under a mixed workload, delivering to flaky receivers', () => {
  it('answers every call, loses and doubles nothing, never oversells, delivers every order event in key order', async () => {
    const startedAt = Date.now();
    const receiver = await startFlakyReceiver({ seed: SEED });
    const port = await stablePort();
    const base = `http://127.0.0.1:${port}`;
    const configFile = join(dir, 'manifold.yaml');
    writeFileSync(
      configFile,
      testConfigYaml({
        store: `{ sqlite: "${join(dir, 'hub.db')}" }`,
        port,
        subscriptions: subscriptions(receiver.url),
      }),
    );
    const problems: string[] = [];
    let hub: HubProcess = await startHubProcess(configFile).catch(async (error: unknown) => {
      await receiver.close();
      throw error;
    });
    const summary: Record<string, unknown> = { seed: SEED };
    const workload = new Workload(base, SEED, PATIENCE_MS);
    try {
      // Stock first: every order SKU counted at both locations.
      const seeding = ORDER_SKUS.flatMap((sku) =>
        LOCATIONS.map((location) =>
          call({
            label: `seed ${sku}@${location}`,
            method: 'POST',
            path: '/v1/events',
            token: location === 'DC-EAST' ? KEYS.wmsEast : KEYS.wmsWest,
            contentType: 'application/cloudevents+json',
            body: {
              specversion: '1.0',
              id: `seed-${sku}-${location}`,
              source: location === 'DC-EAST' ? '/wms-east' : '/wms-west',
              type: 'com.manifold.inventory.counted.v1',
              data: { sku, location, onHand: SEED_STOCK[location] },
            },
          }),
        ),
      );
      for (const c of seeding) expect(await settle(base, c, Date.now() + 10_000, () => 100)).toBe(true);
      const seeded = await eventually(async () => {
        const missing: string[] = [];
        for (const sku of ORDER_SKUS)
          if ((await positions(base, sku)).length < LOCATIONS.length) missing.push(sku);
        return missing;
      }, 10_000);
      expect(seeded).toEqual([]);

      // Chaos: the clients run while the hub is killed at random instants 2–5 s apart.
      const clients = workload.run();
      const random = new SeededRandom(SEED);
      const chaosEnd = Date.now() + CHAOS_MS;
      let kills = 0;
      const restartMs: number[] = [];
      for (;;) {
        await sleep(random.int(2000, 5000));
        // At a moment an order is being placed (it usually is): the crash then lands inside one.
        for (const giveUp = Date.now() + 500; !workload.placingOrder() && Date.now() < giveUp; )
          await sleep(1);
        await hub.kill('SIGKILL');
        kills += 1;
        const restarting = Date.now();
        hub = await startHubProcess(configFile);
        restartMs.push(Date.now() - restarting);
        if (Date.now() >= chaosEnd) break;
      }
      // The last restart: the hub comes back with its backlog and the clients' retries, and the receivers
      // are swamped for a moment. The clients go on for a little while, then stop.
      const finalStart = Date.now();
      receiver.overload(2500);
      await sleep(3000);
      workload.stop();
      summary.finalStartAfterMs = finalStart - startedAt;
      summary.kills = kills;
      summary.restartMs = restartMs;

      // After the last restart: the clients finish what they were sending, then retry what they gave up on.
      await clients;
      const settleBy = Date.now() + SETTLE_MS;
      await Promise.all(workload.unsettled.map((c) => settle(base, c, settleBy, () => 200)));
      const calls = workload.allCalls();
      summary.calls = calls.length;
      summary.resends = calls.reduce((n, c) => n + c.sends - 1, 0);
      summary.inFlightAnswers = calls.reduce((n, c) => n + c.inFlightAnswers, 0);
      // Calls sent again after an attempt got no answer, per kind: the crash windows the run went through.
      const resentAfterCrash: Record<string, number> = {};
      for (const c of calls.filter((c) => c.unanswered > 0)) {
        const kind = c.label.split(' ')[0] as string;
        resentAfterCrash[kind] = (resentAfterCrash[kind] ?? 0) + 1;
      }
      summary.resentAfterCrash = resentAfterCrash;

      // 1. Every call has a definite answer, and it is one a correct hub gives to this workload.
      for (const c of calls) {
        if (!c.answer) {
          problems.push(`${c.label}: no definite answer after ${c.sends} sends; last: ${c.last}`);
          continue;
        }
        const { status, body } = c.answer;
        const fine =
          c.path === '/v1/orders'
            ? status === 201
            : c.path === '/v1/reservations'
              ? status === 201 || (status === 409 && String(body.type).endsWith('/insufficient-stock'))
              : c.path === '/v1/events'
                ? status === 202 || status === 200
                : status === 200;
        if (!fine)
          problems.push(`${c.label}: unexpected answer ${status} ${body.type ?? ''} ${body.detail ?? ''}`);
      }

      // 2. Every order exists once, as answered; the hub has no order nobody placed.
      const views = new Map<string, { status: number; body: { lines: AnsweredLine[]; orderId: string } }>();
      await Promise.all(
        [...workload.orders.keys()].map(async (id) => {
          views.set(id, await admin(base, `/v1/orders/${id}`));
        }),
      );
      const linesOf = (order: PlacedOrder): AnsweredLine[] | undefined =>
        order.post.answer?.status === 201
          ? (order.post.answer.body.lines as AnsweredLine[])
          : views.get(order.orderId)?.status === 200
            ? views.get(order.orderId)?.body.lines
            : undefined;
      let acknowledgedOrders = 0;
      for (const order of workload.orders.values()) {
        const view = views.get(order.orderId);
        if (order.post.answer?.status !== 201) {
          if (view?.status === 200)
            problems.push(`order ${order.orderId} exists but its POST never got a 201`);
          continue;
        }
        acknowledgedOrders += 1;
        if (view?.status !== 200) {
          problems.push(`order ${order.orderId} was answered 201 but GET answers ${view?.status}`);
          continue;
        }
        // As answered, except that backordered units may since have been committed when stock arrived
        // (docs/orders.md#backorder-fill): never more than were backordered, and a line keeps its location.
        const answeredLines = order.post.answer.body.lines as AnsweredLine[];
        const answered = answeredLines.map((l) => [l.lineId, l.committed, l.location]);
        const now = view.body.lines.map((l) => [l.lineId, l.committed, l.location]);
        const same =
          answeredLines.length === view.body.lines.length &&
          answeredLines.every((a, i) => {
            const n = view.body.lines[i] as AnsweredLine;
            const filled = n.committed - a.committed;
            return (
              n.lineId === a.lineId &&
              filled >= 0 &&
              filled <= a.backordered &&
              (a.location === undefined || a.location === null || n.location === a.location)
            );
          });
        if (!same) {
          problems.push(
            `order ${order.orderId}: answered lines ${JSON.stringify(answered)}, now ${JSON.stringify(now)}`,
          );
        }
      }
      summary.orders = workload.orders.size;
      summary.acknowledgedOrders = acknowledgedOrders;
      for (const channel of ['web', 'b2b']) {
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await admin<{ items: { orderId: string }[]; next?: string }>(
            base,
            `/v1/orders?channel=${channel}&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
          );
          ids.push(...page.body.items.map((o) => o.orderId));
          cursor = page.body.next;
        } while (cursor);
        if (ids.length !== new Set(ids).size)
          problems.push(`GET /v1/orders?channel=${channel} lists an order twice`);
        for (const id of ids)
          if (!workload.orders.has(id)) problems.push(`the hub holds order ${id} nobody placed`);
      }

      // 3. Every acknowledged shipment and delivery was applied to its order, once.
      const applied = await eventually(async () => {
        const wrong: string[] = [];
        for (const order of workload.orders.values()) {
          const expected = expectedFulfilment(order);
          if (expected.size === 0) continue;
          const view = await admin<{ lines: AnsweredLine[] }>(base, `/v1/orders/${order.orderId}`);
          for (const [lineId, want] of expected) {
            const line = view.body.lines?.find((l) => l.lineId === lineId);
            if (line?.shipped !== want.shipped || line.delivered !== want.delivered) {
              wrong.push(
                `order ${order.orderId} line ${lineId}: shipped/delivered ${line?.shipped}/${line?.delivered}, acknowledged ${want.shipped}/${want.delivered}`,
              );
            }
          }
        }
        return wrong;
      }, APPLY_MS);
      problems.push(...applied);

      // 4. Stock adds up, per SKU and location, to what was acknowledged.
      const stockWrong = await eventually(async () => {
        // Read the orders again: backorders filled since count where the hub committed them.
        const current = new Map<string, AnsweredLine[]>();
        await Promise.all(
          [...workload.orders.keys()].map(async (id) => {
            const view = await admin<{ lines: AnsweredLine[] }>(base, `/v1/orders/${id}`);
            if (view.status === 200) current.set(id, view.body.lines);
          }),
        );
        const expected = expectedStock(workload, linesOf, (order) => current.get(order.orderId));
        const wrong: string[] = [];
        for (const sku of ALL_SKUS) {
          const held = await positions(base, sku);
          for (const [key, want] of expected) {
            if (!key.startsWith(`${sku}@`)) continue;
            const location = key.slice(sku.length + 1);
            const have = held.find((p) => p.location === location)?.buckets ?? {};
            const got = {
              on_hand: have.on_hand ?? 0,
              reserved: have.reserved ?? 0,
              committed: have.committed ?? 0,
              in_transit: have.in_transit ?? 0,
            };
            const others = Object.entries(have).filter(([b, n]) => !(b in got) && n !== 0);
            if (JSON.stringify(got) !== JSON.stringify(want) || others.length > 0) {
              wrong.push(`stock ${key}: hub ${JSON.stringify(have)}, acknowledged ${JSON.stringify(want)}`);
            }
          }
        }
        return wrong;
      }, APPLY_MS);
      problems.push(...stockWrong);

      // 5. The ledger: every step kept buckets and available ≥ 0, it sums to the positions, and no order or
      //    hold moved stock twice.
      for (const sku of ALL_SKUS) {
        const ledger = await readLedger(base, sku);
        const held = await positions(base, sku);
        for (const location of LOCATIONS) {
          const running: Record<string, number> = {};
          for (const entry of ledger
            .filter((e) => e.location === location)
            .sort((a, b) => a.version - b.version)) {
            for (const [bucket, delta] of Object.entries(entry.deltas))
              running[bucket] = (running[bucket] ?? 0) + delta;
            const negative = Object.entries(running).filter(([, n]) => n < 0);
            if (negative.length > 0 || availableOf(running) < 0) {
              problems.push(
                `oversold: ${sku}@${location} after ledger entry ${entry.id} (${entry.reason}): ${JSON.stringify(running)}`,
              );
              break;
            }
          }
          const position = held.find((p) => p.location === location);
          for (const [bucket, n] of Object.entries(position?.buckets ?? {})) {
            if ((running[bucket] ?? 0) !== n) {
              problems.push(
                `${sku}@${location}: position ${bucket} ${n}, ledger sums to ${running[bucket] ?? 0}`,
              );
            }
          }
          if (position && position.available < 0)
            problems.push(`${sku}@${location}: available ${position.available}`);
        }
        const moves = new Map<string, number>();
        for (const entry of ledger) {
          if (!entry.documentRef) continue;
          if (
            !['order_committed', 'reservation_created', 'reservation_committed', 'shipped'].includes(
              entry.reason,
            )
          ) {
            continue;
          }
          // Per causing event: a backorder is committed in steps, one per stock receipt that fills it.
          const cause = entry.reason === 'order_committed' ? ` ${entry.eventId ?? ''}` : '';
          const key = `${entry.reason} ${entry.documentRef} ${entry.location}${cause}`;
          moves.set(key, (moves.get(key) ?? 0) + 1);
        }
        for (const [key, n] of moves) {
          // An order of two lines of one SKU is not placed (lines are distinct SKUs): one entry each.
          if (n > 1) problems.push(`${sku}: ${n} ledger entries for ${key} (applied twice)`);
        }
      }
      const oversold = await admin<{ items: unknown[] }>(base, '/v1/exceptions?code=oversold');
      if (oversold.body.items.length > 0)
        problems.push(`${oversold.body.items.length} oversold exception(s)`);
      for (const code of [
        'order_processing_failed',
        'inventory_rejected',
        'inventory_mismatch',
        'duplicate_order',
        'delivery_failed',
        'delivery_rejected',
      ]) {
        const open = await admin<{ items: { subject?: string; detail?: string }[] }>(
          base,
          `/v1/exceptions?code=${code}`,
        );
        for (const e of open.body.items)
          problems.push(`exception ${code} ${e.subject ?? ''}: ${e.detail ?? ''}`);
      }

      // 6. Delivery: every order event to every subscriber at least once, in key order.
      const log = await readLog(base);
      summary.logged = log.length;
      for (const order of workload.orders.values()) {
        if (order.post.answer?.status !== 201) continue;
        const accepted = log.some(
          (e) =>
            e.event.type === 'com.manifold.order.milestone.v1' &&
            e.event.subject === order.orderId &&
            e.event.data?.milestone === 'accepted',
        );
        if (!accepted) problems.push(`no 'accepted' milestone event for order ${order.orderId}`);
      }
      const missing = (route: (typeof ROUTES)[number]) => {
        const got = receiver.firstSuccess(route.path);
        return log.filter((e) => route.wants(e) && !got.has(e.event.id));
      };
      // The hub has delivered since its last start; it has until DRAIN_MS after that start to finish.
      const undelivered = await eventually(
        async () => ROUTES.flatMap((r) => (missing(r).length > 0 ? [r.path] : [])),
        Math.max(1000, finalStart + DRAIN_MS - Date.now()),
      );
      summary.deliveredAfterRestartMs = Date.now() - finalStart;
      if (undelivered.length > 0) {
        const ready = await admin<{ targets?: unknown }>(base, '/readyz');
        for (const route of ROUTES) {
          const left = missing(route);
          if (left.length === 0) continue;
          problems.push(
            `${route.path}: ${left.length} of ${log.filter(route.wants).length} events not delivered ${DRAIN_MS} ms after the last restart (e.g. ${left
              .slice(0, 3)
              .map((e) => `${e.event.type.replace('com.manifold.', '')} ${e.event.subject}`)
              .join(', ')}); targets: ${JSON.stringify(ready.body.targets)}`,
          );
        }
      }
      for (const route of ROUTES) {
        const delivered = receiver.firstSuccess(route.path);
        const arrived = receiver.firstArrival(route.path);
        const byKey = new Map<string, LoggedEvent[]>();
        for (const e of log.filter(route.wants))
          byKey.set(e.event.subject, [...(byKey.get(e.event.subject) ?? []), e]);
        for (const [key, events] of byKey) {
          for (let i = 1; i < events.length; i += 1) {
            const before = delivered.get((events[i - 1] as LoggedEvent).event.id);
            const after = arrived.get((events[i] as LoggedEvent).event.id);
            if (before && after && after.at < (before.answeredAt as number)) {
              problems.push(
                `${route.path} key ${key}: ${(events[i] as LoggedEvent).event.id} (seq ${(events[i] as LoggedEvent).seq}) sent before ${(events[i - 1] as LoggedEvent).event.id} (seq ${(events[i - 1] as LoggedEvent).seq}) was delivered`,
              );
              break;
            }
          }
        }
      }
      summary.receiverAttempts = receiver.attempts.length;
      summary.totalMs = Date.now() - startedAt;
      if (process.env.CHAOS_DUMP) {
        writeFileSync(
          process.env.CHAOS_DUMP,
          JSON.stringify({ summary, startedAt, attempts: receiver.attempts, problems }),
        );
      }
    } finally {
      workload.stop(); // when a step above threw: no client goes on after the test
      await hub.kill('SIGTERM');
      await receiver.close();
    }
    expect(problems, `chaos run ${JSON.stringify(summary)}`).toEqual([]);
  }, 90_000);
});
