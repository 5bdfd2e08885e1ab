/**
 * The Business Central recipe end to end (docs/recipes/business-central.md): the REAL hub process started
 * with examples/recipes/business-central.yaml, its environment pointing at a fake Business Central built
 * from Microsoft's documentation (test/fakes/business-central/), and nothing but HTTP in between.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeBusinessCentral } from '../fakes/business-central/server.js';
import { handshakes } from '../fakes/business-central/subscriptions.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { shipTo } from '../support/orders.js';
import { until } from '../support/until.js';

const RECIPE = new URL('../../examples/recipes/business-central.yaml', import.meta.url).pathname;
const ADMIN = 'bc-recipe-admin-key-0001';
const SHOP = 'bc-recipe-shop-key-00001';
const CLIENT_STATE = `cs${randomUUID().replaceAll('-', '')}`;

const dir = mkdtempSync(join(tmpdir(), 'manifold-e2e-bc-'));
const fake = new FakeBusinessCentral({ subscriptionLifetimeMs: 60_000 });
let hub: HubProcess;
let env: Record<string, string>;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Places an order from the shop (its key), under an Idempotency-Key of its own. */
function placeOrder(
  orderId: string,
  customer: { id: string; name: string },
  lines: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
) {
  return api('/v1/orders', {
    method: 'POST',
    key: SHOP,
    headers: { 'idempotency-key': `k-${orderId}` },
    body: { orderId, channel: 'web', customer, lines, shipTo, ...extra },
  });
}

async function api(
  path: string,
  init: { method?: string; key?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${hub.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${init.key ?? ADMIN}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function onHand(sku: string): Promise<number> {
  const { status, body } = await api(`/v1/inventory/${sku}`);
  if (status !== 200) return Number.NaN;
  const main = (body.positions as { location: string; buckets: { on_hand: number } }[]).find(
    (p) => p.location === 'MAIN',
  );
  return main?.buckets.on_hand ?? 0;
}

const ledgerRequests = () => fake.log.filter((r) => r.path.includes('/itemLedgerEntries'));
const bcOrder = (orderId: string) =>
  [...fake.store.salesOrders.values()].find((o) => o.header.externalDocumentNumber === orderId);

beforeAll(async () => {
  await fake.start();
  fake.store.customers.push(
    {
      id: randomUUID(),
      number: 'C-10000',
      displayName: 'Adatum Corporation',
      creditLimit: 10_000,
      balanceDue: 0,
    },
    {
      id: randomUUID(),
      number: 'C-20000',
      displayName: 'Trey Research',
      creditLimit: 1_000,
      balanceDue: 950,
    },
  );
  fake.store.items.push({ id: randomUUID(), number: 'WIDGET-1', displayName: 'Widget' });
  const port = await freePort();
  env = {
    MANIFOLD_DB: join(dir, 'hub.db'),
    MANIFOLD_PORT: String(port),
    MANIFOLD_ADMIN_KEY: ADMIN,
    MANIFOLD_PUBLIC_URL: `http://127.0.0.1:${port}`,
    BC_HUB_KEY: 'bc-recipe-erp-key-000001',
    SHOP_KEY: SHOP,
    BC_API_URL: fake.apiUrl,
    BC_COMPANY_ID: fake.companyId,
    BC_TOKEN_URL: fake.tokenUrl,
    BC_CLIENT_ID: fake.clientId,
    BC_CLIENT_SECRET: fake.clientSecret,
    BC_CLIENT_STATE: CLIENT_STATE,
    BC_CREDIT_CHECK_URL: `${fake.url}/adapter/credit-check`,
    BC_POLL_EVERY: '1s',
    BC_SUBSCRIPTION_CHECK: '2s',
    // Longer than the fake's 60 s lifetime: every check renews, so the test sees renewals.
    BC_SUBSCRIPTION_RENEW_BEFORE: '24h',
  };
  hub = await startHubProcess(RECIPE, env);
}, 30_000);

afterAll(async () => {
  try {
    if (hub) await hub.kill('SIGTERM');
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

describe('Business Central recipe', () => {
  it('registers the webhook subscription through the validation handshake, then renews it with If-Match', async () => {
    await until(() => fake.subscriptions.size === 1, 'the subscription');
    const [sub] = [...fake.subscriptions.values()];
    expect(sub?.notificationUrl).toBe(`${env.MANIFOLD_PUBLIC_URL}/v1/inbound/bc/notifications`);
    expect(sub?.resource).toBe(`/api/v2.0/companies(${fake.companyId})/salesOrders`);
    expect(sub?.clientState).toBe(CLIENT_STATE);
    expect(handshakes.filter((h) => h.url === sub?.notificationUrl).every((h) => h.ok)).toBe(true);
    await until(
      () =>
        fake.log.some((r) => r.method === 'PATCH' && r.path.includes('/subscriptions(') && r.status === 200),
      'a renewal',
    );
    const renewal = fake.log.find((r) => r.method === 'PATCH' && r.path.includes('/subscriptions('));
    expect(renewal?.headers['if-match']).toMatch(/^W\/"/);
    expect(fake.subscriptions.size).toBe(1); // renewed, not registered twice
    expect(fake.log.filter((r) => r.method === 'POST' && r.path.endsWith('/subscriptions'))).toHaveLength(1);
  }, 20_000);

  it('parks a notification of an order BC no longer has (fetch_failed) and refuses a foreign clientState', async () => {
    // An order BC no longer has: the read answers 404 and the notification is kept as fetch_failed.
    const gone = randomUUID();
    expect(await fake.notify('salesOrders', gone, 'updated')).toEqual([202]);
    const failed = await api('/v1/exceptions?code=fetch_failed&status=open');
    expect(JSON.stringify(failed.body.items)).toContain(`salesOrders(${gone}): HTTP 404`);
    expect(fake.log.some((r) => r.path.endsWith(`/salesOrders(${gone})`) && r.status === 404)).toBe(true);
    const forged = await fetch(`${hub.url}/v1/inbound/bc/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        value: [
          { subscriptionId: 'x', clientState: CLIENT_STATE, resource: 'a', changeType: 'updated' },
          { subscriptionId: 'x', clientState: 'not-ours', resource: 'b', changeType: 'deleted' },
        ],
      }),
    });
    expect(forged.status).toBe(401);
    const kept = await api('/v1/inbound-requests?system=bc');
    expect(kept.status).toBe(200);
    expect(JSON.stringify(kept.body)).toContain('"changeType\\":\\"updated');
    expect(JSON.stringify(kept.body)).not.toContain('not-ours');
  });

  it('books ledger entries as on-hand by polling entryNumber, 429 with Retry-After included', async () => {
    fake.postLedgerEntry({ itemNumber: 'WIDGET-1', quantity: 100, entryType: 'Positive_x0020_Adjmt_x002E_' });
    fake.postLedgerEntry({ itemNumber: 'WIDGET-1', quantity: 20, entryType: 'Purchase' });
    await until(async () => (await onHand('WIDGET-1')) === 120, 'on-hand 120');
    fake.throttleNext(2);
    fake.postLedgerEntry({ itemNumber: 'WIDGET-1', quantity: -5, entryType: 'Negative_x0020_Adjmt_x002E_' });
    await until(
      async () => (await onHand('WIDGET-1')) === 115,
      'on-hand 115 after the throttled polls',
      15_000,
    );
    expect(fake.log.some((r) => r.status === 429)).toBe(true);
    // The cursor advanced: later pages asked only for entries after the last one read.
    expect(ledgerRequests().some((r) => r.path.includes('entryNumber%20gt%202'))).toBe(true);
    expect(ledgerRequests().every((r) => r.path.includes('$orderby=entryNumber'))).toBe(true);
  }, 25_000);

  it('creates an accepted order as a sales order with its lines, then PATCHes a change with the captured ETag', async () => {
    const orderId = `SO-${randomUUID().slice(0, 8)}`;
    fake.throttleNext(1, '/salesOrders'); // BC's first answer is 429 Retry-After: 1; the hub tries again
    const created = await placeOrder(
      orderId,
      { id: 'C-10000', name: 'Adatum' },
      [
        { lineId: '1', sku: 'WIDGET-1', quantity: 2, unitPrice: 10 },
        { lineId: '2', sku: 'WIDGET-1', quantity: 1, uom: 'CA', unitPrice: 110 },
      ],
      { currency: 'EUR', orderedAt: '2026-11-30T09:15:00Z', requestedDeliveryDate: '2026-12-12' },
    );
    expect(created.status).toBe(201);
    await until(() => bcOrder(orderId) !== undefined, 'the BC sales order');
    const order = bcOrder(orderId);
    expect(order?.header.customerNumber).toBe('C-10000');
    expect(order?.header).toMatchObject({
      currencyCode: 'EUR',
      orderDate: '2026-11-30',
      requestedDeliveryDate: '2026-12-12',
    });
    // The case line goes in cases at the case price, not in 12 eaches at the case price.
    expect(order?.lines).toEqual([
      expect.objectContaining({ lineType: 'Item', lineObjectNumber: 'WIDGET-1', quantity: 2, unitPrice: 10 }),
      expect.objectContaining({
        lineObjectNumber: 'WIDGET-1',
        unitOfMeasureCode: 'CA',
        quantity: 1,
        unitPrice: 110,
      }),
    ]);
    // The throttled request was the attempt's lookup (GET salesOrders?$filter=externalDocumentNumber…).
    expect(fake.log.some((r) => r.path.includes('/salesOrders') && r.status === 429)).toBe(true);
    expect(order?.lines[0]).not.toHaveProperty('unitOfMeasureCode');
    expect(fake.store.salesOrders.size).toBe(1); // the throttled attempt created nothing
    const id = order?.header.id as string;
    await until(
      async () => (await api(`/v1/xref/bc-sales-order/${orderId}`)).status === 200,
      'the captured etag',
    );
    const captured = (await api(`/v1/xref/bc-sales-order/${orderId}`)).body.value;
    expect(captured.id).toBe(id);
    expect(captured.etag).toMatch(/^W\/"/);

    const change = (date: string) =>
      api('/v1/events', {
        method: 'POST',
        key: SHOP,
        headers: { 'content-type': 'application/cloudevents+json' },
        body: {
          specversion: '1.0',
          id: `chg-${randomUUID()}`,
          source: '/shop',
          type: 'com.manifold.order.changed.v1',
          data: { orderId, requestedDeliveryDate: date },
        },
      });
    expect((await change('2027-01-15')).status).toBeLessThan(300);
    await until(() => bcOrder(orderId)?.header.requestedDeliveryDate === '2027-01-15', 'the PATCH');
    const patch = fake.log.find((r) => r.method === 'PATCH' && r.path.includes(`/salesOrders(${id})`));
    expect(patch?.headers['if-match']).toBe(captured.etag);
    await until(
      async () => (await api(`/v1/xref/bc-sales-order/${orderId}`)).body.value.etag !== captured.etag,
      'the new etag captured',
    );

    // Someone edits the order in BC: the hub's ETag is stale, BC answers 412 and the change is parked.
    const bc = bcOrder(orderId);
    if (bc) bc.version += 1;
    expect((await change('2027-02-01')).status).toBeLessThan(300);
    let parked: { id: number; detail?: string; error?: string } | undefined;
    await until(async () => {
      const list = await api('/v1/exceptions?subscription=bc-sales-order-changes&status=open');
      parked = list.body?.items?.[0];
      return parked !== undefined;
    }, 'the 412 parked as an exception');
    expect(JSON.stringify(parked)).toContain('Request_EntityChanged');
    const exceptionId = parked?.id;
    expect(fake.log.some((r) => r.status === 412)).toBe(true);
    expect(bcOrder(orderId)?.header.requestedDeliveryDate).toBe('2027-01-15');
    // The operator takes BC's current ETag into the table and retries: the change goes through.
    const current = await fetch(`${fake.companyUrl}/salesOrders(${id})`, {
      headers: { authorization: `Bearer ${[...fake.tokens.keys()].at(-1)}` },
    });
    const etag = ((await current.json()) as Record<string, string>)['@odata.etag'];
    expect(
      (await api(`/v1/xref/bc-sales-order/${orderId}`, { method: 'PUT', body: { id, etag } })).status,
    ).toBeLessThan(300);
    expect(
      (await api(`/v1/exceptions/${exceptionId}/retry`, { method: 'POST', body: {} })).status,
    ).toBeLessThan(300);
    await until(() => bcOrder(orderId)?.header.requestedDeliveryDate === '2027-02-01', 'the retried PATCH');
  }, 30_000);

  it('reads back a sales order BC notifies as changed and reports it shipped once BC ships it in full', async () => {
    const orderId = `SO-${randomUUID().slice(0, 8)}`;
    const created = await placeOrder(orderId, { id: 'C-10000', name: 'Adatum' }, [
      { lineId: '1', sku: 'WIDGET-1', quantity: 3, unitPrice: 10 },
    ]);
    expect(created.status).toBe(201);
    await until(() => bcOrder(orderId) !== undefined, 'the BC sales order');
    const id = bcOrder(orderId)?.header.id as string;
    const reads = () => fake.log.filter((r) => r.method === 'GET' && r.path.endsWith(`/salesOrders(${id})`));

    // A change of lines only is not sent to BC (skipIf; see the recipe page's limits), a date change is:
    // changes of one order go out in order, so the date's PATCH is the first and only one.
    const change = async (data: Record<string, unknown>) =>
      api('/v1/events', {
        method: 'POST',
        key: SHOP,
        headers: { 'content-type': 'application/cloudevents+json' },
        body: {
          specversion: '1.0',
          id: `chg-${randomUUID()}`,
          source: '/shop',
          type: 'com.manifold.order.changed.v1',
          data: { orderId, ...data },
        },
      });
    await until(
      async () => (await api(`/v1/xref/bc-sales-order/${orderId}`)).status === 200,
      'the captured etag',
    );
    expect((await change({ lines: [{ lineId: '1', action: 'update', quantity: 2 }] })).status).toBeLessThan(
      300,
    );
    expect((await change({ requestedDeliveryDate: '2027-03-01' })).status).toBeLessThan(300);
    await until(() => bcOrder(orderId)?.header.requestedDeliveryDate === '2027-03-01', 'the date PATCH');
    const patches = fake.log.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/salesOrders(${id})`));
    expect(patches.map((r) => r.body)).toEqual([{ requestedDeliveryDate: '2027-03-01' }]);
    expect(bcOrder(orderId)?.lines[0]?.quantity).toBe(3);

    // A change that is no shipment (BC's user edits the order): read, no event.
    expect(await fake.notify('salesOrders', id, 'updated')).toEqual([200]);
    expect(reads()).toHaveLength(1);
    expect(reads()[0]?.status).toBe(200);
    expect(reads()[0]?.headers.authorization).toMatch(/^Bearer /);

    // BC ships it, but its API answers the read 429: the notification is parked, then retried by hand.
    fake.throttleNext(1, `/salesOrders(${id})`);
    expect(await fake.shipOrder(id)).toEqual([202]);
    const parked = await api('/v1/exceptions?code=fetch_failed&status=open');
    const exception = (parked.body.items as { id: number; detail: string }[]).find((e) =>
      e.detail.includes(`salesOrders(${id})`),
    );
    expect(exception?.detail).toContain('HTTP 429');
    expect((await api(`/v1/orders/${orderId}`)).body.status).not.toBe('shipped');
    expect(
      (await api(`/v1/exceptions/${exception?.id}/retry`, { method: 'POST', body: {} })).status,
    ).toBeLessThan(300);
    await until(
      async () => (await api(`/v1/orders/${orderId}`)).body.lines[0].shipped === 2,
      'shipped from BC',
    );
    const timeline = await api(`/v1/orders/${orderId}/timeline`);
    expect(JSON.stringify(timeline.body)).toContain(`bc-shipped-${id}`);

    // BC notifies again (another edit): the same event id, a duplicate, nothing shipped twice.
    expect(await fake.notify('salesOrders', id, 'updated')).toEqual([200]);
    expect((await api(`/v1/orders/${orderId}`)).body.lines[0].shipped).toBe(2);
  }, 30_000);

  it('finds the sales order of a create whose answer was lost (lookup by externalDocumentNumber): one order in BC', async () => {
    const orderId = `SO-${randomUUID().slice(0, 8)}`;
    const before = fake.store.salesOrders.size;
    fake.store.dropCreateAnswers = 1; // BC creates the order, then the connection is reset
    const created = await placeOrder(orderId, { id: 'C-10000', name: 'Adatum' }, [
      { lineId: '1', sku: 'WIDGET-1', quantity: 1, unitPrice: 10 },
    ]);
    expect(created.status).toBe(201);
    await until(
      async () => (await api(`/v1/xref/bc-sales-order/${orderId}`)).status === 200,
      'the order captured after the retry',
      15_000,
    );
    const orders = [...fake.store.salesOrders.values()].filter(
      (o) => o.header.externalDocumentNumber === orderId,
    );
    expect(orders).toHaveLength(1);
    expect(fake.store.salesOrders.size).toBe(before + 1);
    const creates = fake.log.filter(
      (r) =>
        r.method === 'POST' && r.path.endsWith('/salesOrders') && JSON.stringify(r.body).includes(orderId),
    );
    expect(creates).toHaveLength(1); // the retry found it and sent no second create
    const lookups = fake.log.filter(
      (r) =>
        r.method === 'GET' && decodeURIComponent(r.path).includes(`externalDocumentNumber eq '${orderId}'`),
    );
    expect(lookups.map((r) => r.status)).toEqual([200, 200]); // before the create, and before the retry
    const captured = (await api(`/v1/xref/bc-sales-order/${orderId}`)).body.value;
    expect(captured).toEqual({
      id: orders[0]?.header.id,
      number: orders[0]?.header.number,
      etag: expect.stringMatching(/^W\/"/),
    });
    expect(
      ((await api('/v1/exceptions?subscription=bc-sales-orders&status=open')).body?.items ?? []).length,
    ).toBe(0);
  }, 30_000);

  it('deletes the BC sales order of a cancelled order with If-Match; a 412 parks it, a 404 is done', async () => {
    const place = async () => {
      const orderId = `SO-${randomUUID().slice(0, 8)}`;
      const created = await placeOrder(orderId, { id: 'C-10000', name: 'Adatum' }, [
        { lineId: '1', sku: 'WIDGET-1', quantity: 1, unitPrice: 10 },
      ]);
      expect(created.status).toBe(201);
      await until(
        async () => (await api(`/v1/xref/bc-sales-order/${orderId}`)).status === 200,
        'the captured etag',
      );
      return { orderId, id: bcOrder(orderId)?.header.id as string };
    };
    const cancel = async (orderId: string) =>
      api('/v1/events', {
        method: 'POST',
        key: SHOP,
        headers: { 'content-type': 'application/cloudevents+json' },
        body: {
          specversion: '1.0',
          id: `cxl-${randomUUID()}`,
          source: '/shop',
          type: 'com.manifold.order.cancelled.v1',
          data: { orderId, reason: 'customer changed mind' },
        },
      });
    const deletes = (id: string) =>
      fake.log.filter((r) => r.method === 'DELETE' && r.path.endsWith(`/salesOrders(${id})`));

    // Cancelled: DELETE with the captured ETag and no body; BC answers 204 and the order is gone.
    const first = await place();
    const etag = (await api(`/v1/xref/bc-sales-order/${first.orderId}`)).body.value.etag as string;
    expect((await cancel(first.orderId)).status).toBeLessThan(300);
    await until(() => bcOrder(first.orderId) === undefined, 'the BC sales order deleted');
    expect(deletes(first.id).map((r) => [r.status, r.headers['if-match'], r.headers.authorization])).toEqual([
      [204, etag, expect.stringMatching(/^Bearer /)],
    ]);
    expect(deletes(first.id)[0]?.headers['content-length'] ?? '0').toBe('0');

    // Changed in BC since the hub's ETag: 412, parked as an exception, the BC order left alone.
    const second = await place();
    const bc = bcOrder(second.orderId);
    if (bc) bc.version += 1;
    expect((await cancel(second.orderId)).status).toBeLessThan(300);
    let parked: { id: number } | undefined;
    await until(async () => {
      const list = await api('/v1/exceptions?subscription=bc-sales-order-cancellations&status=open');
      parked = list.body?.items?.[0];
      return parked !== undefined;
    }, 'the 412 parked');
    expect(JSON.stringify(parked)).toContain('Request_EntityChanged');
    expect(deletes(second.id).map((r) => r.status)).toEqual([412]);
    expect(bcOrder(second.orderId)).toBeDefined();

    // Meanwhile someone deleted it in BC: the retry answers 404 Internal_RecordNotFound, which is done.
    fake.store.salesOrders.delete(second.id);
    expect(
      (await api(`/v1/exceptions/${parked?.id}/retry`, { method: 'POST', body: {} })).status,
    ).toBeLessThan(300);
    await until(() => deletes(second.id).length === 2, 'the retried DELETE');
    expect(deletes(second.id).map((r) => r.status)).toEqual([412, 404]);
    await until(
      async () =>
        (
          (await api('/v1/exceptions?subscription=bc-sales-order-cancellations&status=open')).body?.items ??
          []
        ).length === 0,
      'no open exception',
    );
  }, 30_000);

  it('puts an order over the customer credit limit on credit hold through orders.validate', async () => {
    const orderId = `SO-${randomUUID().slice(0, 8)}`;
    const created = await placeOrder(orderId, { id: 'C-20000', name: 'Trey' }, [
      { lineId: '1', sku: 'WIDGET-1', quantity: 10, unitPrice: 10 },
    ]);
    expect(created.status).toBe(201);
    expect(created.body.holds).toContain('credit_hold');
    expect(created.body.lines[0].committed).toBe(0);
  });

  it('fetched one token for everything, and a new one once BC stopped taking it (401)', async () => {
    expect(fake.tokenRequests).toBe(1);
    fake.expireTokens();
    fake.postLedgerEntry({ itemNumber: 'WIDGET-1', quantity: 7, entryType: 'Purchase' });
    const before = await onHand('WIDGET-1');
    await until(
      async () => (await onHand('WIDGET-1')) === before + 7,
      'the entry read with a new token',
      15_000,
    );
    expect(fake.log.some((r) => r.status === 401)).toBe(true);
    expect(fake.tokenRequests).toBe(2);
  }, 20_000);

  it('after a restart, goes on from the stored cursor and subscription: nothing booked twice', async () => {
    const before = await onHand('WIDGET-1');
    const lastEntry = fake.ledger.next - 1;
    await hub.kill('SIGTERM');
    fake.postLedgerEntry({ itemNumber: 'WIDGET-1', quantity: 3, entryType: 'Purchase' });
    const seen = fake.log.length;
    hub = await startHubProcess(RECIPE, env);
    await until(async () => (await onHand('WIDGET-1')) === before + 3, 'the entry posted while down');
    const after = fake.log.slice(seen).filter((r) => r.path.includes('/itemLedgerEntries'));
    expect(after[0]?.path).toContain(`entryNumber%20gt%20${lastEntry}`);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await onHand('WIDGET-1')).toBe(before + 3);
    expect(fake.log.slice(seen).some((r) => r.method === 'POST' && r.path.endsWith('/subscriptions'))).toBe(
      false,
    );
    expect(fake.subscriptions.size).toBe(1);
  }, 30_000);
});
