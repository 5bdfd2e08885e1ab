/**
 * `POST /v1/edi/{partner}` in-process: an 850 becomes an order through the order path and is answered
 * with a 997; a resend is acknowledged again and not applied twice; a wrong sender or receiver is
 * refused with a TA1 and nothing is applied; a broken interchange is rejected with its codes and kept.
 */

import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseX12, valueAt } from '../../src/connectors/edi/x12/index.js';
import { IdempotencyKeys, keyInFlight } from '../../src/engine/idempotency-keys.js';
import { ProcessRegistry } from '../../src/engine/process-registry.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';
import { sample } from './support.js';

const fixture = sample;
const PO = fixture('850-vics-nodex12.edi');

let hub: TestApp;
beforeEach(async () => {
  hub = await buildTestApp();
});
afterEach(async () => {
  await hub.close();
});

async function send(body: string, partner = 'acme', key: string = KEYS.acme) {
  const response = await hub.app.inject({
    method: 'POST',
    url: `/v1/edi/${partner}`,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/edi-x12' },
    payload: body,
  });
  await hub.orders.settle();
  return response;
}

async function stockAll() {
  for (const sku of ['AB3542', 'RD5322', 'XY5266', 'VX2332', 'RV0524', 'DX1875']) {
    const response = await hub.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
      payload: {
        specversion: '1.0',
        id: randomUUID(),
        source: '/wms-east',
        type: 'com.manifold.inventory.counted.v1',
        data: { sku, location: 'DC-EAST', onHand: 1000 },
      },
    });
    expect(response.statusCode).toBe(202);
  }
  await hub.inventory.settle();
}

/** The segments of an answer, by id, with their elements. */
function segments(x12: string) {
  const doc = parseX12(x12);
  return doc.interchanges.flatMap((i) => [
    ...i.acknowledgements,
    ...i.groups.flatMap((g) => [g.header, ...g.sets.flatMap((s) => [s.header, ...s.segments])]),
  ]);
}

describe('POST /v1/edi/{partner}', () => {
  it('turns an 850 into an order, committed and released, and answers a 997 accepting it', async () => {
    await stockAll();
    const response = await send(PO);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/edi-x12');
    const ack = segments(response.body);
    const st = ack.find((s) => s.id === 'ST');
    expect(st && valueAt(st, 1)).toBe('997');
    const ak5 = ack.find((s) => s.id === 'AK5');
    expect(ak5 && valueAt(ak5, 1)).toBe('A');
    const ak9 = ack.find((s) => s.id === 'AK9');
    expect(ak9 && valueAt(ak9, 1)).toBe('A');
    const order = await hub.app.inject({
      method: 'GET',
      url: '/v1/orders/acme-08292233294',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    expect(order.statusCode).toBe(200);
    expect(order.json()).toMatchObject({ channel: 'edi-acme', milestone: 'released', system: 'acme' });
    expect(order.json().lines).toHaveLength(6);
    expect(order.json().shipTo).toMatchObject({ city: 'SOLON', postalCode: '44139', country: 'US' });
  });

  it('an interchange left in flight by a process that died is applied at its first resend', async () => {
    await stockAll();
    const isa = parseX12(PO).interchanges[0]?.header;
    const control = String(Number(isa && valueAt(isa, 13)));
    // In flight in this process: 409, send it again later.
    const live = new IdempotencyKeys(hub.store, hub.context.processes);
    expect(await live.claim('edi:acme', control, 'x12', keyInFlight)).toEqual({ kind: 'claimed' });
    const busy = await send(PO);
    expect(busy.statusCode).toBe(409);
    expect(busy.json().type).toMatch(/interchange-in-flight$/);
    await live.abandon('edi:acme', control);
    // In flight by an incarnation that is gone (killed mid-request): the resend applies it at once.
    const dead = new IdempotencyKeys(hub.store, new ProcessRegistry(hub.store));
    expect(await dead.claim('edi:acme', control, 'x12', keyInFlight)).toEqual({ kind: 'claimed' });
    const resent = await send(PO);
    expect(resent.statusCode).toBe(200);
    expect(resent.headers['x-manifold-resent']).toBeUndefined();
    const ak5 = segments(resent.body).find((s) => s.id === 'AK5');
    expect(ak5 && valueAt(ak5, 1)).toBe('A');
    const order = await hub.app.inject({
      method: 'GET',
      url: '/v1/orders/acme-08292233294',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    expect(order.statusCode).toBe(200);
  });

  it('acknowledges a resent interchange again without applying it twice', async () => {
    await stockAll();
    const first = await send(PO);
    const again = await send(PO);
    expect(again.statusCode).toBe(200);
    expect(again.headers['x-manifold-resent']).toBe('true');
    expect(again.body).toBe(first.body);
    const events = await hub.app.inject({
      method: 'GET',
      url: '/v1/events?type=com.manifold.order.accepted.v1&source=/acme',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    expect(events.json().items).toHaveLength(1);
  });

  it('refuses an interchange not from the partner or not to the hub with a TA1 R, applying nothing', async () => {
    const wrongSender = PO.replace('4405197800     ', '4405197899     ');
    const response = await send(wrongSender);
    expect(response.statusCode).toBe(200);
    const ta1 = segments(response.body).find((s) => s.id === 'TA1');
    expect(ta1 && valueAt(ta1, 4)).toBe('R');
    expect(ta1 && valueAt(ta1, 5)).toBe('006');
    const order = await hub.app.inject({
      method: 'GET',
      url: '/v1/orders/acme-08292233294',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    expect(order.statusCode).toBe(404);
    expect((await send(PO, 'acme', KEYS.shop)).statusCode).toBe(403);
    expect((await send(PO, 'nobody', KEYS.acme)).statusCode).toBe(404);
  });

  it('rejects a set with a wrong count (AK5 R, code 4) and keeps it as an edi_rejected exception', async () => {
    const broken = PO.replace(/SE\*(\d+)\*/, (_m, n: string) => `SE*${Number(n) + 1}*`);
    const response = await send(broken);
    const ack = segments(response.body);
    const ak5 = ack.find((s) => s.id === 'AK5');
    expect(ak5 && valueAt(ak5, 1)).toBe('R');
    expect(ak5?.elements).toContain('4');
    const exceptions = await hub.app.inject({
      method: 'GET',
      url: '/v1/exceptions?code=edi_rejected',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    const [kept] = exceptions.json().items;
    expect(kept.system).toBe('acme');
    expect(kept.payload).toContain('BEG*00*SA*08292233294');
    expect(kept.detail).toContain('AK502 4');
  });

  it('rejects an 850 whose lines map to no SKU, naming the segment', async () => {
    const noItems = PO.replace(/\*VN\*[A-Z0-9]+/g, '');
    const response = await send(noItems);
    const ack = segments(response.body);
    expect(ack.find((s) => s.id === 'AK3')).toBeDefined();
    const ak5 = ack.find((s) => s.id === 'AK5');
    expect(ak5 && valueAt(ak5, 1)).toBe('R');
  });
});
