/**
 * A partner that reuses or resets its interchange control numbers (`POST /v1/edi/{partner}`; the SFTP and
 * folder sources go through the same inbound role): the same ISA13 with the same content is a resend
 * (answered with the kept answer, applied once); with other content it is rejected whole with a TA1 `R`
 * `025` (duplicate interchange control number) and an `edi_control_number_reused` exception, never taken
 * for a resend. A receipt kept before content digests (hash `x12`) still answers a resend.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { interchangeDigest } from '../../src/connectors/edi/inbound.js';
import { parseX12, valueAt } from '../../src/connectors/edi/x12/index.js';
import { IdempotencyKeys, keyInFlight } from '../../src/engine/idempotency-keys.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';
import { sample } from './support.js';

const PO = sample('850-vics-nodex12.edi');
/** Another purchase order under the same ISA13 (the partner's counter was reset). */
const OTHER_PO = PO.replace('08292233294', '08292233295');

let hub: TestApp;
beforeEach(async () => {
  hub = await buildTestApp();
});
afterEach(async () => {
  await hub.close();
});

async function send(body: string) {
  const response = await hub.app.inject({
    method: 'POST',
    url: '/v1/edi/acme',
    headers: { authorization: `Bearer ${KEYS.acme}`, 'content-type': 'application/edi-x12' },
    payload: body,
  });
  await hub.orders.settle();
  return response;
}

async function get(url: string) {
  const response = await hub.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return response.json() as { items: Array<Record<string, unknown>> };
}

const ta1Of = (x12: string) => {
  const ta1 = parseX12(x12).interchanges[0]?.acknowledgements[0];
  return ta1 && [valueAt(ta1, 4), valueAt(ta1, 5)];
};

describe('interchange control numbers reused by a partner', () => {
  it('keeps a digest of the content: line breaks between segments do not change it, content does', () => {
    const digest = (text: string) => interchangeDigest(text, parseX12(text).interchanges[0]!);
    expect(digest(PO)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(digest(PO.replace(/~\r?\n/g, '~'))).toBe(digest(PO));
    expect(digest(OTHER_PO)).not.toBe(digest(PO));
  });

  it('answers the same ISA13 with other content with TA1 R 025 and an exception, applying nothing', async () => {
    expect(OTHER_PO).not.toBe(PO);
    const first = await send(PO);
    expect(first.statusCode).toBe(200);
    const reused = await send(OTHER_PO);
    expect(reused.statusCode).toBe(200);
    expect(reused.headers['x-manifold-resent']).toBeUndefined();
    expect(ta1Of(reused.body)).toEqual(['R', '025']);
    expect(JSON.parse(String(reused.headers['x-manifold-sets']))).toMatchObject({ rejected: 1, applied: 0 });
    const exceptions = (await get('/v1/exceptions?code=edi_control_number_reused')).items;
    expect(exceptions).toHaveLength(1);
    expect(exceptions[0]).toMatchObject({ system: 'acme', subject: 'x12:acme:3438' });
    expect(String(exceptions[0]?.detail)).toContain('was used before for an interchange with other content');
    const orders = (await get('/v1/events?type=com.manifold.order.accepted.v1&source=/acme')).items;
    expect(orders).toHaveLength(1);
    // The first interchange sent again is still a resend, answered as the first time.
    const again = await send(PO);
    expect(again.headers['x-manifold-resent']).toBe('true');
    expect(again.body).toBe(first.body);
  });

  it('reads a receipt kept before content digests (hash x12) as the same content', async () => {
    const control = String(Number(valueAt(parseX12(PO).interchanges[0]!.header, 13)));
    const keys = new IdempotencyKeys(hub.store, hub.context.processes);
    expect(await keys.claim('edi:acme', control, 'x12', keyInFlight)).toEqual({ kind: 'claimed' });
    await keys.finish('edi:acme', control, 200, 'THE KEPT ANSWER');
    const resent = await send(PO);
    expect(resent.headers['x-manifold-resent']).toBe('true');
    expect(resent.body).toBe('THE KEPT ANSWER');
    expect((await get('/v1/exceptions?code=edi_control_number_reused')).items).toHaveLength(0);
  });
});
