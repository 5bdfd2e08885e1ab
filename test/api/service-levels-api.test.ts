/**
 * Business service levels (docs/operations.md#service-levels) through the real app with a clock the test
 * moves: an order released and not shipped, one backordered past its requested ship date, an EDI
 * partner's order without an 855, an interchange without a 997 — counted by customer, partner and
 * warehouse at `GET /v1/service-levels`, and fired as alerts scoped by warehouse or partner.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceLevelReport } from '../../src/contracts/views/service-level-views.js';
import { shipTo } from '../support/orders.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { countedEvent, KEYS, testConfigYaml } from '../support/test-config.js';

const HOUR = 3_600_000;
let hub: TestApp | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

const YAML = testConfigYaml({
  subscriptions: `subscriptions:
  - name: acme-855
    target: acme
    edi: { sets: ['855'] }
    http: { url: http://127.0.0.1:9/acme }
  - name: acme-856
    target: acme
    edi: { sets: ['856'] }
    http: { url: http://127.0.0.1:9/acme-asn }
alerts:
  - { name: stuck-releases, notShipped: { after: 24h } }
  - { name: late-backorders, backorderedPast: {}, severity: critical }
  - { name: late-855, ackLate: { within: 4h } }
  - { name: missing-997, unacknowledged: { after: 2h, partner: acme } }
  - { name: missing-856, asnLate: {} }
`,
});

async function order(app: TestApp, key: string, body: Record<string, unknown>) {
  const response = await app.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { authorization: `Bearer ${key}`, 'idempotency-key': randomUUID() },
    payload: { shipTo, ...body },
  });
  expect(response.statusCode, response.body).toBe(201);
}

async function report(app: TestApp): Promise<ServiceLevelReport> {
  const response = await app.app.inject({
    method: 'GET',
    url: '/v1/service-levels',
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json();
}

const level = (r: ServiceLevelReport, rule: string) => r.levels.find((l) => l.rule === rule);

describe('business service levels', () => {
  it('counts the orders breaching each level by customer, partner and warehouse as the clock moves', async () => {
    let nowMs = Date.now();
    hub = await buildTestApp({ yaml: YAML, now: () => new Date(nowMs) });
    expect(
      (await postAs(hub.app, '/v1/events', KEYS.wmsEast, countedEvent('SKU-SL', 'DC-EAST', 10))).statusCode,
    ).toBe(202);
    await hub.inventory.settle();
    await order(hub, KEYS.shop, {
      orderId: 'SO-SL-1',
      channel: 'web',
      customer: { id: 'C-1' },
      lines: [{ lineId: '1', sku: 'SKU-SL', quantity: 2, unitPrice: 5 }],
    });
    const yesterday = new Date(nowMs - 86_400_000).toISOString().slice(0, 10);
    await order(hub, KEYS.shop, {
      orderId: 'SO-SL-2',
      channel: 'web',
      customer: { id: 'C-2' },
      requestedShipDate: yesterday,
      lines: [{ lineId: '1', sku: 'SKU-NONE', quantity: 1, unitPrice: 5 }],
    });
    await order(hub, KEYS.acme, {
      orderId: 'PO-SL-3',
      channel: 'edi-acme',
      customer: { id: 'ACME' },
      lines: [{ lineId: '1', sku: 'SKU-SL', quantity: 1, unitPrice: 5 }],
    });
    await hub.orders.settle();

    let now = await report(hub);
    expect(level(now, 'stuck-releases')).toMatchObject({
      breaching: 0,
      description: 'released, not shipped after 1d',
    });
    expect(level(now, 'late-backorders')).toMatchObject({
      breaching: 1,
      byCustomer: [{ customer: 'C-2', count: 1 }],
      sample: [{ subject: 'SO-SL-2' }],
    });
    expect(level(now, 'late-855')).toMatchObject({
      breaching: 0,
      description: '855 not sent 4h after the order',
    });

    nowMs += 25 * HOUR;
    now = await report(hub);
    expect(level(now, 'stuck-releases')).toMatchObject({
      breaching: 2,
      byCustomer: [
        { customer: 'ACME', count: 1 },
        { customer: 'C-1', count: 1 },
      ],
      byPartner: [{ partner: 'acme', count: 1 }],
      byLocation: [{ location: 'DC-EAST', count: 2 }],
    });
    expect(level(now, 'late-855')).toMatchObject({
      breaching: 1,
      byPartner: [{ partner: 'acme', count: 1 }],
      sample: [{ subject: 'PO-SL-3' }],
    });

    // The alerts: one per warehouse or partner, fired on the same facts.
    await hub.context.alerts.evaluate();
    const firing = (await hub.context.alerts.list()).alerts.filter((a) => a.status === 'firing');
    expect(firing.map((a) => [a.rule, a.scope, a.value])).toEqual([
      ['late-855', 'acme', 1],
      ['late-backorders', undefined, 1],
      ['stuck-releases', 'DC-EAST', 2],
    ]);

    // An 855 sent about the order (its milestone event, as the EDI connector keeps it) ends that breach.
    const events = await hub.store.listEvents({ subject: 'PO-SL-3', limit: 50 });
    const milestone = events.items.find((e) => e.event.type === 'com.manifold.order.milestone.v1');
    expect(milestone).toBeDefined();
    const sentAt = new Date(nowMs).toISOString();
    await hub.store.edi.saveOutbound({
      subscription: 'acme-855',
      eventSource: milestone?.event.source ?? '',
      eventId: milestone?.event.id ?? '',
      partner: 'acme',
      setId: '855',
      isa13: 42,
      gsControl: 42,
      stControl: 1,
      body: 'ISA*…',
      createdAt: sentAt,
    });
    expect(level(await report(hub), 'late-855')?.breaching).toBe(0);
    // …and the interchange, without a 997 two hours later, breaches the acknowledgement level.
    expect(level(await report(hub), 'missing-997')?.breaching).toBe(0);
    nowMs += 2 * HOUR + 1000;
    expect(level(await report(hub), 'missing-997')).toMatchObject({
      breaching: 1,
      byPartner: [{ partner: 'acme', count: 1 }],
      sample: [{ subject: 'x12:acme:000000042' }],
    });

    // The partner's order ships: it no longer waits in the warehouse, but no 856 went to acme.
    expect(level(await report(hub), 'missing-856')?.breaching).toBe(0);
    const shipped = await postAs(hub.app, '/v1/events', KEYS.wmsEast, {
      specversion: '1.0',
      id: randomUUID(),
      source: '/wms-east',
      type: 'com.manifold.order.shipped.v1',
      data: { orderId: 'PO-SL-3', location: 'DC-EAST', lines: [{ lineId: '1', quantity: 1 }] },
    });
    expect(shipped.statusCode, shipped.body).toBe(202);
    await hub.orders.settle();
    const after = await report(hub);
    expect(level(after, 'missing-856')).toMatchObject({
      breaching: 1,
      byPartner: [{ partner: 'acme', count: 1 }],
      sample: [{ subject: 'PO-SL-3' }],
      description: '856 not sent by ship time',
    });
    expect(level(after, 'stuck-releases')).toMatchObject({
      breaching: 1,
      byCustomer: [{ customer: 'C-1', count: 1 }],
    });
  });

  it('is for the admin only, refused as problem+json', async () => {
    hub = await buildTestApp({ yaml: YAML });
    const response = await hub.app.inject({
      method: 'GET',
      url: '/v1/service-levels',
      headers: { authorization: `Bearer ${KEYS.shop}` },
    });
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });
});
