/**
 * The hub's 997 for what a partner sent over AS2 goes back over AS2 (docs/recipes/as2-partner.md), in-process
 * on the recipe's configuration against the fake retailer (test/fakes/as2, `openssl cms` only):
 * - taking the 850 queues the 997; the source `as2-acks:retailer` sends it signed and encrypted, openssl
 *   decrypts and verifies it, and the retailer's signed receipt (sync) is checked: the queue is empty;
 * - the retailer unreachable: the 997 stays queued and the source shows failing; once it is back the 997
 *   is sent;
 * - a refusal (the retailer answers 400): an `as2_ack_unsent` exception holding the 997.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { as2Instance } from '../../src/connectors/edi/as2.js';
import { queuedAcks } from '../../src/connectors/edi/as2-acks.js';
import { until } from '../support/until.js';
import { type As2Hub, KEYS, PO_850, startAs2Hub, stockPoItems } from './as2-support.js';

let hub: As2Hub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

const queue = (h: As2Hub) =>
  queuedAcks({
    get: (key) => h.store.connectorState.get(as2Instance('retailer'), key),
    put: async () => undefined,
    delete: async () => undefined,
  } as Parameters<typeof queuedAcks>[0]);

const ackSource = async (h: As2Hub) =>
  (await h.context.sources.status()).find((s) => s.name === 'as2-acks:retailer');

describe('the 997 for an AS2 message goes back over AS2', { timeout: 30_000 }, () => {
  it('is queued when the 850 is taken and sent by the acknowledgement source; its receipt is checked', async () => {
    hub = await startAs2Hub({ mdn: 'sync' });
    const h = hub;
    await stockPoItems(h);
    const sent = await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850);
    expect(sent.status).toBe(200);
    const fields = h.partner.readReceipt(sent.headers.get('content-type') ?? '', sent.body);
    expect(fields.disposition).toMatch(/; processed$/);
    expect(await queue(h)).toHaveLength(1);
    await h.context.sources.settle();
    const ack = h.partner.received.find((m) => m.x12.includes('ST*997*'));
    expect(ack?.x12).toMatch(/AK1\*PO\*\d+/);
    expect(ack?.x12).toMatch(/AK9\*A\*1\*1\*1/);
    expect(ack?.receiptMode).toBe('sync');
    expect(h.partner.refused).toEqual([]);
    expect(await queue(h)).toEqual([]);
    expect((await ackSource(h))?.state).not.toBe('failing');
    // The receipt of the 997 settles no interchange the hub sent (there is no 997 for a 997).
    const outbound = await h.store.edi.listOutbound({ partner: 'retailer', limit: 10 });
    expect(outbound.every((row) => row.setId !== '997')).toBe(true);
  });

  it('stays queued while the retailer is unreachable, and is sent once it is back', async () => {
    hub = await startAs2Hub({ mdn: 'sync' });
    const h = hub;
    await stockPoItems(h);
    const port = Number(new URL(h.partner.url).port);
    expect((await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850)).status).toBe(200);
    await h.partner.stop();
    await h.context.sources.settle();
    expect(await queue(h)).toHaveLength(1);
    const failing = await ackSource(h);
    expect(failing).toMatchObject({ failures: 1, lastError: expect.stringContaining('could not be sent') });
    await h.partner.start(port);
    // Backing off: the next pull is due after the back-off; wait for it.
    await until(
      async () => {
        await h.context.sources.settle();
        return h.partner.received.some((m) => m.x12.includes('ST*997*'));
      },
      'the 997 once the retailer is back',
      20_000,
    );
    expect(await queue(h)).toEqual([]);
  });

  it('refused by the retailer: an as2_ack_unsent exception holding the 997', async () => {
    hub = await startAs2Hub({ mdn: 'sync' });
    const h = hub;
    await stockPoItems(h);
    expect((await h.partner.send(`${h.url}/v1/as2/retailer`, PO_850)).status).toBe(200);
    // The retailer no longer trusts the hub's name: it refuses the message (400), a permanent failure.
    (h.partner as unknown as { options: { hubId: string } }).options.hubId = 'SOMEONE-ELSE';
    await h.context.sources.settle();
    expect(h.partner.refused.length).toBeGreaterThan(0);
    expect(await queue(h)).toEqual([]);
    const response = await h.app.inject({
      method: 'GET',
      url: '/v1/exceptions?code=as2_ack_unsent',
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    const items = (response.json() as { items: { detail: string; payload: string }[] }).items;
    expect(items).toHaveLength(1);
    expect(items[0]?.detail).toContain('answered 400');
    expect(items[0]?.payload).toContain('ST*997*');
  });
});
