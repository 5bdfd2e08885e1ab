/**
 * The AS2 recipe end to end (docs/recipes/as2-partner.md): the real hub process (`bin/manifold serve`)
 * started with examples/recipes/as2-partner.yaml as written, its `${…}` variables pointing at a fake
 * retailer (test/fakes/as2: node:http, every message read and built with `openssl cms`):
 * - the retailer's 850, signed and encrypted by openssl, becomes an order; the hub's receipt checks with
 *   openssl (signature, Message-ID, MIC);
 * - the order's 855 reaches the retailer over AS2 (openssl decrypts it and verifies the hub's signature);
 *   with `mdn: async` the interchange has no receipt until the retailer posts it, then it is recorded;
 * - the hub's 997 for the 850 goes back to the retailer as an AS2 message of its own (openssl decrypts and
 *   verifies it), and its receipt is taken without being mistaken for one of the 855's.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, identities, KEYS, PO_850, PO_SKUS, RECIPE, recipeEnv } from '../connectors/as2-support.js';
import { FakeAs2Partner } from '../fakes/as2/partner.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { until } from '../support/until.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-e2e-as2-'));
const ids = identities();
const partner = new FakeAs2Partner({
  ssl: ids.ssl,
  own: ids.retailer,
  hub: ids.hub,
  id: 'RETAILER',
  hubId: 'MANIFOLD',
});
let hub: HubProcess;

beforeAll(async () => {
  const partnerUrl = await partner.start();
  const port = await freePort();
  hub = await startHubProcess(RECIPE.pathname, recipeEnv({ dir, port, partnerUrl, ids, mdn: 'async' }));
}, 60_000);

afterAll(async () => {
  await hub?.kill('SIGTERM');
  await partner.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The 855s kept for the retailer and their receipt status, read from the hub's SQLite file. */
function interchanges(): Array<{ set_id: string; ack_status: string | null; ack_codes: string | null }> {
  const db = new Database(join(dir, 'hub.db'), { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare("SELECT set_id, ack_status, ack_codes FROM edi_outbound WHERE partner = 'retailer'")
      .all() as Array<{ set_id: string; ack_status: string | null; ack_codes: string | null }>;
  } finally {
    db.close();
  }
}

describe('the AS2 recipe in the real process', { timeout: 60_000 }, () => {
  it('takes the retailer’s 850 over AS2 and sends the 855 back, pending until its receipt arrives', async () => {
    for (const sku of PO_SKUS) {
      const stocked = await fetch(`${hub.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wms}` },
        body: JSON.stringify({
          specversion: '1.0',
          id: randomUUID(),
          source: '/wms',
          type: 'com.manifold.inventory.counted.v1',
          data: { sku, location: 'DC-1', onHand: 1000 },
        }),
      });
      expect(stocked.status).toBe(202);
    }
    partner.holdReceipts = true;
    // Stock is applied by the inventory loop: send the PO once it is.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const sent = await partner.send(`${hub.url}/v1/as2/retailer`, PO_850);
    expect(sent.status).toBe(200);
    const fields = partner.readReceipt(sent.headers.get('content-type') ?? '', sent.body);
    expect(fields).toMatchObject({
      'original-message-id': sent.messageId,
      'received-content-mic': `${FakeAs2Partner.micOf(PO_850)}, sha-256`,
    });
    expect(fields.disposition).toMatch(/; processed$/);
    await until(
      async () =>
        (
          await fetch(`${hub.url}/v1/orders/retailer-08292233294`, {
            headers: { authorization: `Bearer ${KEYS.admin}` },
          })
        ).status === 200,
      'the order',
    );
    const holding = (set: string) => partner.received.find((m) => m.x12.includes(`ST*${set}*`));
    await until(() => holding('855') !== undefined, 'the 855 at the retailer', 20_000);
    // The 997 for the 850 (AK1*PO, its group accepted), sent back by the hub's AS2 acknowledgement source.
    await until(() => holding('997') !== undefined, 'the 997 at the retailer', 20_000);
    expect(holding('997')?.x12).toMatch(/AK1\*PO\*\d+/);
    expect(holding('997')?.x12).toMatch(/AK9\*A\*1\*1\*1/);
    expect(holding('997')?.receiptMode).toBe('async');
    expect(partner.refused).toEqual([]);
    await until(() => interchanges().length > 0, 'the 855 kept');
    expect(interchanges()[0]).toMatchObject({ set_id: '855', ack_status: null });
    await partner.releaseReceipts();
    // One receipt for the 855, one for the 997: both taken.
    expect(partner.receiptAnswers).toEqual(['200 receipt accepted\n', '200 receipt accepted\n']);
    expect(interchanges()[0]).toMatchObject({ set_id: '855', ack_status: 'accepted' });
  });
});
