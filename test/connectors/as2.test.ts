/**
 * X12 over AS2 through the hub (docs/recipes/as2-partner.md), in-process on the recipe's configuration,
 * against the fake retailer (test/fakes/as2), which reads and builds every message with `openssl cms`:
 * - an 850 signed and encrypted by openssl is decrypted, verified, applied, and answered with a receipt
 *   that openssl verifies (the hub's signature, our Message-ID, the MIC of what was signed); the order's
 *   855 goes back over AS2, which openssl decrypts and verifies, and the retailer's signed receipt
 *   (sync) completes it;
 * - with `mdn: async`, the 855 stays "acknowledgement pending" until the receipt is posted to the hub;
 * - a receipt with another MIC, or a negative one, is an exception;
 * - a message signed by an unknown certificate gets a negative receipt, nothing is applied, and it is
 *   kept as an `as2_rejected` exception; a resend (same Message-ID) gets the same receipt, applied once;
 * - during a certificate rollover, a message signed with the old certificate is still accepted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeAs2Partner } from '../fakes/as2/partner.js';
import { until } from '../support/until.js';
import { type As2Hub, KEYS, PO_850, startAs2Hub, stockPoItems } from './as2-support.js';

let hub: As2Hub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

const ORDER = '/v1/orders/retailer-08292233294';

async function get(h: As2Hub, url: string) {
  const response = await h.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return { status: response.statusCode, json: response.json() as Record<string, unknown> };
}

async function outbound(h: As2Hub) {
  return h.store.edi.listOutbound({ partner: 'retailer', limit: 10 });
}

async function exceptions(h: As2Hub, code: string) {
  return JSON.stringify((await get(h, `/v1/exceptions?code=${code}`)).json);
}

describe('X12 over AS2', { timeout: 30_000 }, () => {
  it('takes an openssl-built 850 and answers a signed receipt; sends the 855 signed and encrypted; a sync receipt completes it', async () => {
    hub = await startAs2Hub({ mdn: 'sync' });
    const h = hub;
    await stockPoItems(h);
    const sent = await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850);
    expect(sent.status).toBe(200);
    expect(sent.headers.get('as2-from')).toBe('MANIFOLD');
    expect(sent.headers.get('as2-to')).toBe('RETAILER');
    const fields = h.partner.readReceipt(sent.headers.get('content-type') ?? '', sent.body);
    expect(fields['original-message-id']).toBe(sent.messageId);
    expect(fields.disposition).toMatch(/automatic-action\/MDN-sent-automatically; processed$/);
    expect(fields['received-content-mic']).toBe(`${FakeAs2Partner.micOf(PO_850)}, sha-256`);
    await h.context.orders.settle();
    expect((await get(h, ORDER)).json).toMatchObject({ channel: 'edi-retailer', system: 'retailer' });
    // The 855 for the committed order went out over AS2; openssl decrypted and verified it.
    await until(() => h.partner.received.length > 0, 'the 855 at the retailer');
    const [message] = h.partner.received;
    expect(message?.x12).toContain('ST*855*');
    expect(message?.receiptMode).toBe('sync');
    expect(h.partner.refused).toEqual([]);
    await until(async () => (await outbound(h)).length > 0, 'the 855 kept');
    expect(await exceptions(h, 'delivery_rejected')).not.toContain('retailer-edi');
  });

  it('with mdn: async, keeps the 855 pending until the retailer posts its receipt, then records it', async () => {
    hub = await startAs2Hub({ mdn: 'async' });
    const h = hub;
    h.partner.holdReceipts = true;
    await stockPoItems(h);
    expect((await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850)).status).toBe(200);
    await h.context.orders.settle();
    await until(() => h.partner.received.length > 0, 'the 855 at the retailer');
    expect(h.partner.received[0]?.receiptMode).toBe('async');
    // Sent, acknowledgement pending: the delivery is done, the interchange has no receipt yet.
    await until(async () => (await outbound(h)).length > 0, 'the 855 kept');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await outbound(h))[0]?.ackStatus).toBeUndefined();
    await h.partner.releaseReceipts();
    expect(h.partner.receiptAnswers).toEqual(['200 receipt accepted\n']);
    await until(
      async () => (await outbound(h))[0]?.ackStatus === 'accepted',
      'the receipt recorded on the 855',
    );
    expect((await outbound(h))[0]?.ackCodes).toEqual(['MDN']);
  });

  it('a receipt with another MIC, or a negative one, is an exception', async () => {
    hub = await startAs2Hub({ mdn: 'sync' });
    const h = hub;
    h.partner.wrongMic = true;
    await stockPoItems(h);
    await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850);
    await h.context.orders.settle();
    await until(
      async () => (await exceptions(h, 'delivery_rejected')).includes('MIC'),
      'the MIC mismatch in the queue',
      15_000,
    );
    expect(await exceptions(h, 'delivery_rejected')).toContain('what it received is not what was sent');
  });

  it('a negative receipt is an exception naming the disposition', async () => {
    hub = await startAs2Hub({ mdn: 'sync' });
    const h = hub;
    h.partner.negative = true;
    await stockPoItems(h);
    await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850);
    await h.context.orders.settle();
    await until(
      async () =>
        (await exceptions(h, 'delivery_rejected')).includes('processed/error: unexpected-processing-error'),
      'the negative receipt in the queue',
      15_000,
    );
  });

  it('a message signed by an unknown certificate gets a negative receipt; nothing is applied; it is kept for an operator', async () => {
    hub = await startAs2Hub({ mdn: 'sync' });
    const h = hub;
    const stranger = h.ids.ssl.identity('stranger');
    const sent = await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850, { signer: stranger });
    expect(sent.status).toBe(200);
    const fields = h.partner.readReceipt(sent.headers.get('content-type') ?? '', sent.body);
    expect(fields.disposition).toMatch(/processed\/error: authentication-failed$/);
    expect(fields['received-content-mic']).toBeUndefined();
    await h.context.orders.settle();
    expect((await get(h, ORDER)).status).toBe(404);
    const kept = await exceptions(h, 'as2_rejected');
    expect(kept).toContain(sent.messageId);
    expect(kept).toContain('authentication-failed');
    // Encrypted to another certificate than the hub's: decryption-failed, nothing applied either.
    const lost = await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850, { to: stranger });
    expect(h.partner.readReceipt(lost.headers.get('content-type') ?? '', lost.body).disposition).toMatch(
      /processed\/error: decryption-failed$/,
    );
    expect((await get(h, ORDER)).status).toBe(404);
  });

  it('a resend with the same Message-ID gets the same receipt and is not applied twice', async () => {
    hub = await startAs2Hub({ mdn: 'sync' });
    const h = hub;
    await stockPoItems(h);
    const first = await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850);
    await h.context.orders.settle();
    const again = await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850, { messageId: first.messageId });
    expect(again.status).toBe(200);
    expect(again.headers.get('x-manifold-resent')).toBe('true');
    expect(again.body.equals(first.body)).toBe(true);
    await h.context.orders.settle();
    const accepted = await get(h, '/v1/events?type=com.manifold.order.accepted.v1&source=/retailer');
    expect(JSON.stringify(accepted.json).match(/"type":"com.manifold.order.accepted.v1"/g)).toHaveLength(1);
  });

  it('during a certificate rollover accepts messages signed with the old and the new certificate, and encrypts to the newest', async () => {
    hub = await startAs2Hub({ mdn: 'sync', rollover: true });
    const h = hub;
    await stockPoItems(h);
    const old = await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850);
    expect(h.partner.readReceipt(old.headers.get('content-type') ?? '', old.body).disposition).toMatch(
      /processed$/,
    );
    const next = await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850.replace('000003438', '000003439'), {
      signer: h.ids.retailerNext,
    });
    expect(h.partner.readReceipt(next.headers.get('content-type') ?? '', next.body).disposition).toMatch(
      /processed$/,
    );
    await h.context.orders.settle();
    // The 855 is encrypted to the newest certificate: the partner's old key cannot open it.
    await until(() => h.partner.refused.length > 0, 'the 855 at the retailer');
    expect(h.partner.refused[0]).toContain('decryption-failed');
  });

  it('posts the receipt of a message that asks for it asynchronously to its Receipt-Delivery-Option', async () => {
    hub = await startAs2Hub({ mdn: 'sync' });
    const h = hub;
    await stockPoItems(h);
    const sent = await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850, {
      receiptUrl: `${h.partner.url}/mdn`,
    });
    expect(sent.status).toBe(200);
    expect(sent.body.length).toBe(0);
    await until(() => h.partner.receipts.length > 0, 'the receipt posted to the retailer');
    const [posted] = h.partner.receipts;
    expect(posted?.headers['as2-from']).toBe('MANIFOLD');
    const fields = h.partner.readReceipt(
      posted?.headers['content-type'] ?? '',
      posted?.body ?? Buffer.alloc(0),
    );
    expect(fields).toMatchObject({
      'original-message-id': sent.messageId,
      'received-content-mic': `${FakeAs2Partner.micOf(PO_850)}, sha-256`,
    });
    expect(fields.disposition).toMatch(/; processed$/);
  });
});
