// The stores of the volume benchmark (bench/volume.js, docs/benchmarks.md), cached in bench/.volume:
//
// - template.db: what the real hub writes for one "block" of business, made through HTTP on an empty
//   store: a WMS cycle count, four orders through their whole lifecycle (accepted → committed → released
//   → picked → shipped → delivered → invoiced) with their releases, milestones and deliveries to three
//   sinks, and one delivery the ERP refuses (a delivery_rejected exception about an order). Names of the
//   block carry the marker VOLBLK.
// - small-6.db: six blocks made as below, every exception left open (the "empty" store: 24 orders, 84
//   open exceptions, so that the queue's first page holds 50 as in the full store).
// - full-<events>.db: the template's rows of the log, outbox, delivery attempts, exceptions, orders and
//   order timeline copied by SQL, block after block, until the log holds <events> events, with the
//   marker replaced by the block number (SO-VOLBLK-1 → SO-0000042-1) and the times moved back so that the
//   blocks span 90 days, oldest first. The last block is the template itself, unchanged, so its
//   inventory positions and ledger still agree with it. 99 of 100 copied exceptions are resolved (their
//   parked row skipped), as an operator would have done; the rest stay open. The hub's cursors over the
//   log are moved to its end: every copied event counts as processed, as it was in the template.
//   Secondary indexes are dropped during the copy and built again after it. No ANALYZE: the hub never runs
//   it, so its stores have no statistics and the planner must do without.
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startHub, stop } from './support.js';

export const MARKER = 'VOLBLK';
export const ROOT = new URL('.volume/', import.meta.url).pathname;
export const KEYS = {
  admin: 'bench-admin-key-00000000001',
  shop: 'bench-shop-key-000000000001',
  wms: 'bench-wms-key-0000000000001',
  tms: 'bench-tms-key-0000000000001',
  erp: 'bench-erp-key-0000000000001',
};
/** Orders per block; the last one's order events are refused by the ERP sink. */
export const ORDERS_PER_BLOCK = 4;
export const REFUSED_ORDER = `SO-${MARKER}-${ORDERS_PER_BLOCK}`;
const SPAN_DAYS = 90;
/** The tables numbered by an AUTOINCREMENT key, and that key: renumbered per copied block. */
const NUMBERED_TABLES = [
  ['events', 'seq'],
  ['outbox', 'id'],
  ['delivery_attempts', 'id'],
  ['exceptions', 'id'],
  ['order_timeline', 'id'],
];

/** The hub's configuration for a store at `dbPath`, with the sinks at `sinkUrl`. */
export function hubConfig(dbPath, sinkUrl) {
  return `
store: { sqlite: "${dbPath}" }
server: { host: 127.0.0.1, port: 0, adminKey: ${KEYS.admin}, bodyLimit: 4mb }
systems:
  erp: { kind: erp, key: ${KEYS.erp} }
  wms-east: { kind: wms, key: ${KEYS.wms}, locations: [DC-EAST] }
  tms: { kind: tms, key: ${KEYS.tms} }
  shop: { kind: commerce, key: ${KEYS.shop}, channel: web }
locations: { DC-EAST: { channels: [web] } }
channels: { web: { safetyStock: 0 } }
ownership:
  order.accepted: [shop, erp]
  order.picked: [wms-east]
  order.packed: [wms-east]
  order.shipped: [wms-east]
  order.delivered: [tms]
  order.invoiced: [erp]
  inventory.on_hand: [wms-east]
subscriptions:
  - { name: wms-releases, target: wms-east, types: [com.manifold.order.released.v1, com.manifold.order.release-cancelled.v1], http: { url: "${sinkUrl}/wms" } }
  - { name: shop-milestones, target: shop, types: [com.manifold.order.milestone.v1], http: { url: "${sinkUrl}/shop" } }
  - { name: erp-orders, target: erp, types: [com.manifold.order.*], onFailure: skip, http: { url: "${sinkUrl}/erp" } }
  - { name: erp-inventory, target: erp, types: [com.manifold.inventory.*], http: { url: "${sinkUrl}/erp-inventory" } }
`;
}

/** A sink answering 200, except 422 to the ERP for the refused order. */
export function startSink() {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const refuse = req.url === '/erp' && body.includes(REFUSED_ORDER);
        res.writeHead(refuse ? 422 : 200, { 'content-type': 'application/json' });
        res.end(refuse ? '{"error":"unknown customer"}' : '{}');
      });
    });
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${server.address().port}` }),
    );
  });
}

async function call(url, method, path, key, body, contentType = 'application/json', extra = {}) {
  const response = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...extra,
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function until(what, check, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One block of business through the real hub, on an empty store at `dbPath`. */
async function makeTemplate(dbPath) {
  const sink = await startSink();
  const configFile = join(ROOT, 'template.yaml');
  writeFileSync(configFile, hubConfig(dbPath, sink.url));
  const hub = await startHub(ROOT, configFile);
  try {
    const send = (key, source, type, data) =>
      call(
        hub.url,
        'POST',
        '/v1/events',
        key,
        {
          specversion: '1.0',
          id: `${source.slice(1)}-${type.split('.').at(-2)}-${data.orderId ?? data.sku}-${MARKER}`,
          source,
          type,
          ...(data.orderId ? { correlationid: data.orderId } : {}),
          data,
        },
        'application/cloudevents+json',
      );
    const sku = `WIDGET-${MARKER}`;
    await send(KEYS.wms, '/wms-east', 'com.manifold.inventory.counted.v1', {
      sku,
      location: 'DC-EAST',
      onHand: 100,
    });
    await until('the count', async () => {
      const inv = await call(hub.url, 'GET', `/v1/inventory/${sku}`, KEYS.admin).catch(() => undefined);
      return inv?.positions?.[0]?.buckets?.on_hand === 100;
    });
    for (let k = 1; k <= ORDERS_PER_BLOCK; k++) {
      const orderId = `SO-${MARKER}-${k}`;
      await call(
        hub.url,
        'POST',
        '/v1/orders',
        KEYS.shop,
        {
          orderId,
          channel: 'web',
          customer: { id: `C-${MARKER}-${k}`, name: 'Ada Lovelace', email: 'ada@example.com' },
          lines: [
            { lineId: '1', sku, quantity: 2, unitPrice: 12.5 },
            { lineId: '2', sku, quantity: 1, unitPrice: 12.5 },
          ],
          shipTo: {
            name: 'Ada Shop',
            line1: '1 Main St',
            city: 'Springfield',
            postalCode: '12345',
            country: 'US',
          },
        },
        'application/json',
        { 'idempotency-key': `checkout-${orderId}` },
      );
      const lines = [
        { lineId: '1', quantity: 2 },
        { lineId: '2', quantity: 1 },
      ];
      const steps = [
        [KEYS.wms, '/wms-east', 'picked', { orderId, location: 'DC-EAST', lines }],
        [KEYS.wms, '/wms-east', 'packed', { orderId, location: 'DC-EAST', lines }],
        [
          KEYS.wms,
          '/wms-east',
          'shipped',
          { orderId, location: 'DC-EAST', lines, carrier: 'UPSN', tracking: `1Z${MARKER}${k}` },
        ],
        [KEYS.tms, '/tms', 'delivered', { orderId, signedBy: 'A. Lovelace' }],
        [
          KEYS.erp,
          '/erp',
          'invoiced',
          {
            orderId,
            invoiceNumber: `INV-${orderId}`,
            lines: lines.map((l) => ({ ...l, unitPrice: 12.5 })),
            total: 37.5,
            currency: 'USD',
          },
        ],
      ];
      for (const [key, source, step, data] of steps) {
        await send(key, source, `com.manifold.order.${step}.v1`, data);
        await until(`${orderId} ${step}`, async () => {
          const order = await call(hub.url, 'GET', `/v1/orders/${orderId}`, KEYS.admin);
          return order.reached.includes(step);
        });
      }
    }
    // Every delivery done: nothing pending, the refused one parked as an exception.
    await until(
      'every delivery',
      async () => {
        const backlog = await call(hub.url, 'GET', '/v1/backlog', KEYS.admin);
        const rows = backlog.subscriptions ?? backlog.items ?? backlog;
        return Array.isArray(rows) && rows.every((s) => (s.pending ?? 0) === 0);
      },
      60_000,
    );
    const exceptions = await call(hub.url, 'GET', '/v1/exceptions?status=open', KEYS.admin);
    if (!exceptions.items.some((e) => e.subject === REFUSED_ORDER))
      throw new Error(`no exception about ${REFUSED_ORDER}: ${JSON.stringify(exceptions.items)}`);
  } finally {
    await stop(hub.child);
    sink.server.close();
  }
  const db = new Database(dbPath);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/** Tables copied block after block, with the columns the copy rewrites. */
const COPIED = ['events', 'outbox', 'delivery_attempts', 'exceptions', 'orders', 'order_timeline'];

function columnsOf(db, table) {
  return db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all();
}

/**
 * Fills `target` (a copy of the template) up to `events` events, leaving the exceptions of one block in
 * `openEvery` open; logs progress.
 */
function fill(template, target, events, openEvery) {
  const db = new Database(target);
  db.pragma('journal_mode = DELETE');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  db.pragma('temp_store = FILE');
  db.pragma('foreign_keys = OFF');
  db.prepare('ATTACH DATABASE ? AS tpl').run(template);
  const tplEvents = db.prepare('SELECT count(*) FROM tpl.events').pluck().get();
  const blocks = Math.ceil(events / tplEvents);
  const stepSeconds = (SPAN_DAYS * 86_400) / blocks;
  const span = {};
  for (const [table, key] of NUMBERED_TABLES)
    span[table] = db.prepare(`SELECT coalesce(max(${key}), 0) FROM tpl.${table}`).pluck().get();
  const pad = (n) => String(n).padStart(7, '0');
  // Names: the marker becomes the block number (the last block keeps the template's names).
  db.function('ren', { deterministic: true }, (text, n) =>
    text === null || n === blocks ? text : String(text).replaceAll(MARKER, pad(n)),
  );
  // The hub's own event ids carry no marker: a suffix keeps them unique.
  db.function('rid', { deterministic: true }, (id, n) => {
    if (id === null || n === blocks) return id;
    return String(id).includes(MARKER) ? String(id).replaceAll(MARKER, pad(n)) : `${id}.${n}`;
  });
  db.function('renv', { deterministic: true }, (envelope, id, n) => {
    if (n === blocks) return envelope;
    const renamed = String(envelope).replaceAll(MARKER, pad(n));
    return String(id).includes(MARKER) ? renamed : renamed.replace(`"id":"${id}"`, `"id":"${id}.${n}"`);
  });
  // Times: block n is (blocks - n) steps older than the template.
  db.function('ago', { deterministic: true }, (ts, n) =>
    ts === null || n === blocks
      ? ts
      : new Date(Date.parse(ts) - (blocks - n) * stepSeconds * 1000).toISOString(),
  );
  const off = (table) => `(b.n - 1) * ${span[table]}`;
  const selects = {
    events: () => `SELECT seq + ${off('events')}, source, rid(id, b.n), type, ren(subject, b.n),
        ren(correlationid, b.n), system, ago(ingested_at, b.n), renv(envelope, id, b.n), NULL FROM nums b CROSS JOIN tpl.events
        ORDER BY b.n, seq`,
    outbox: () => `SELECT id + ${off('outbox')}, subscription, target, event_seq + ${off('events')},
        ren(partition_key, b.n),
        CASE WHEN status = 'parked' AND b.n % ${openEvery} <> 0 AND b.n <> ${blocks} THEN 'skipped' ELSE status END,
        attempts, ago(created_at, b.n), ago(next_attempt_at, b.n), ago(first_attempt_at, b.n),
        ago(last_attempt_at, b.n), ago(delivered_at, b.n), NULL, NULL, blocks_key, NULL,
        CASE WHEN superseded_by IS NULL THEN NULL ELSE superseded_by + ${off('outbox')} END, throttled_attempts
        FROM nums b CROSS JOIN tpl.outbox ORDER BY b.n, id`,
    delivery_attempts: () => `SELECT id + ${off('delivery_attempts')}, outbox_id + ${off('outbox')},
        event_seq + ${off('events')}, subscription, attempt, ago(started_at, b.n), ago(finished_at, b.n),
        outcome, status, error, latency_ms FROM nums b CROSS JOIN tpl.delivery_attempts ORDER BY b.n, id`,
    exceptions: () => {
      const resolved = `(status = 'open' AND b.n % ${openEvery} <> 0 AND b.n <> ${blocks})`;
      return `SELECT id + ${off('exceptions')}, code,
        CASE WHEN ${resolved} THEN 'resolved' ELSE status END, ren(detail, b.n), subscription, system,
        outbox_id + ${off('outbox')}, event_seq + ${off('events')}, rid(event_id, b.n), ren(subject, b.n),
        last_status, last_body, last_error, attempts, ago(first_attempt_at, b.n), ago(last_attempt_at, b.n),
        ren(payload, b.n), ago(created_at, b.n),
        CASE WHEN ${resolved} THEN ago(created_at, b.n) ELSE resolved_at END,
        CASE WHEN ${resolved} THEN 'bench' ELSE resolved_by END,
        CASE WHEN ${resolved} THEN 'resolved' ELSE resolution END,
        CASE WHEN ${resolved} THEN 'resolved by the volume fill' ELSE note END
        FROM nums b CROSS JOIN tpl.exceptions ORDER BY b.n, id`;
    },
    orders: () => `SELECT ren(order_id, b.n), channel, system, milestone, status, ren(holds, b.n),
        ren(state, b.n), ren(document, b.n), version, ago(created_at, b.n), ago(updated_at, b.n)
        FROM nums b CROSS JOIN tpl.orders`,
    order_timeline: () => `SELECT id + ${off('order_timeline')}, ren(order_id, b.n),
        CASE WHEN event_seq = 0 THEN 0 ELSE event_seq + ${off('events')} END, milestone_before,
        milestone_after, status, inferred, late, ren(note, b.n), ago(at, b.n) FROM nums b CROSS JOIN tpl.order_timeline ORDER BY b.n, id`,
  };
  const expected = {
    events: 'seq,source,id,type,subject,correlationid,system,ingested_at,envelope,pruned_at',
    outbox:
      'id,subscription,target,event_seq,partition_key,status,attempts,created_at,next_attempt_at,first_attempt_at,last_attempt_at,delivered_at,lease_until,lease_owner,blocks_key,replay_id,superseded_by,throttled_attempts',
    delivery_attempts:
      'id,outbox_id,event_seq,subscription,attempt,started_at,finished_at,outcome,status,error,latency_ms',
    exceptions:
      'id,code,status,detail,subscription,system,outbox_id,event_seq,event_id,subject,last_status,last_body,last_error,attempts,first_attempt_at,last_attempt_at,payload,created_at,resolved_at,resolved_by,resolution,note',
    orders: 'order_id,channel,system,milestone,status,holds,state,document,version,created_at,updated_at',
    order_timeline: 'id,order_id,event_seq,milestone_before,milestone_after,status,inferred,late,note,at',
  };
  for (const table of COPIED) {
    const actual = columnsOf(db, table).join(',');
    if (actual !== expected[table])
      throw new Error(`the schema of ${table} changed (${actual}): update bench/volume-fill.js`);
  }
  // Secondary indexes go during the copy and come back after it (one sort each instead of 10 M inserts).
  const indexes = db
    .prepare(
      `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
       AND tbl_name IN (${COPIED.map((t) => `'${t}'`).join(', ')})`,
    )
    .all();
  for (const { name } of indexes) db.exec(`DROP INDEX ${name}`);
  // The template's own rows go; it comes back as the last block.
  for (const table of COPIED) db.exec(`DELETE FROM main.${table}`);
  const started = Date.now();
  const perTransaction = Math.max(1, Math.floor(200_000 / tplEvents));
  db.exec('CREATE TEMP TABLE nums (n INTEGER PRIMARY KEY)');
  const inserts = COPIED.map((table) => db.prepare(`INSERT INTO main.${table} ${selects[table]()}`));
  const insertBlocks = db.transaction((from, to) => {
    db.exec('DELETE FROM nums');
    const fillNums = db.prepare('INSERT INTO nums (n) VALUES (?)');
    for (let n = from; n <= to; n++) fillNums.run(n);
    for (const insert of inserts) insert.run();
  });
  for (let from = 1; from <= blocks; from += perTransaction) {
    const to = Math.min(blocks, from + perTransaction - 1);
    insertBlocks(from, to);
    const done = to * tplEvents;
    const seconds = (Date.now() - started) / 1000;
    if (to === blocks || Math.floor(from / perTransaction) % 10 === 0)
      console.error(`fill: ${done.toLocaleString('en-US')} events, ${seconds.toFixed(0)} s`);
  }
  for (const { name, sql } of indexes) {
    const t = Date.now();
    db.exec(sql);
    console.error(`fill: index ${name} ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
  // The AUTOINCREMENT counters and the hub's cursors over the log: at its end.
  for (const [table, key] of NUMBERED_TABLES) {
    db.prepare(`UPDATE sqlite_sequence SET seq = (SELECT max(${key}) FROM ${table}) WHERE name = ?`).run(
      table,
    );
  }
  const logCursors = db
    .prepare("SELECT name FROM hub_cursors WHERE name <> 'inventory-publisher'")
    .pluck()
    .all();
  const shift = (blocks - 1) * span.events;
  for (const name of logCursors)
    db.prepare('UPDATE hub_cursors SET position = position + ? WHERE name = ? AND position > 0').run(
      shift,
      name,
    );
  db.pragma('journal_mode = WAL');
  db.close();
  console.error(`fill: done in ${((Date.now() - started) / 1000).toFixed(0)} s (${blocks} blocks)`);
  return { blocks };
}

/** Blocks of the "empty" store: enough open exceptions (14 a block) for a full page of the queue. */
export const SMALL_BLOCKS = 6;

/**
 * The two stores, made if not cached: `{ small, full, blocks, tplEvents }` — paths, and the number of
 * copies of the template in `full`, numbered 1..blocks, the last one with the template's names. `small`
 * (the "empty" store) is SMALL_BLOCKS blocks made the same way, every exception left open, so that the
 * exception queue's first page is as full as in `full` and the two compare like for like.
 */
export async function volumeStores(events) {
  mkdirSync(ROOT, { recursive: true });
  const template = join(ROOT, 'template.db');
  if (!existsSync(template)) {
    const making = join(ROOT, 'template-making.db');
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(making + suffix, { force: true });
    await makeTemplate(making);
    renameSync(making, template);
  }
  const tplEvents = new Database(template, { readonly: true })
    .prepare('SELECT count(*) FROM events')
    .pluck()
    .get();
  const made = (path, count, openEvery) => {
    if (existsSync(path)) return;
    const making = `${path}.making`;
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(making + suffix, { force: true });
    copyFileSync(template, making);
    fill(template, making, count, openEvery);
    renameSync(making, path);
  };
  const small = join(ROOT, `small-${SMALL_BLOCKS}.db`);
  made(small, SMALL_BLOCKS * tplEvents, 1);
  const full = join(ROOT, `full-${events}.db`);
  made(full, events, 100);
  return { small, full, blocks: Math.ceil(events / tplEvents), tplEvents };
}
