/**
 * An in-process hub on the AS2 recipe (examples/recipes/as2-partner.yaml) with certificates made by
 * `openssl req -x509`, listening on a real port (the fake partner posts asynchronous receipts to it), and
 * the fake retailer (test/fakes/as2) it talks to.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/api/app.js';
import { compileConfig } from '../../src/config/load-config.js';
import { composeHub, type Hub } from '../../src/main/compose.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { OpenSsl, type TestIdentity } from '../fakes/as2/openssl.js';
import { FakeAs2Partner } from '../fakes/as2/partner.js';

export const RECIPE = new URL('../../examples/recipes/as2-partner.yaml', import.meta.url);
export const PO_850 = readFileSync(new URL('../fixtures/edi/850-vics-nodex12.edi', import.meta.url), 'utf8');
export const PO_SKUS = ['AB3542', 'RD5322', 'XY5266', 'VX2332', 'RV0524', 'DX1875'];

export const KEYS = {
  admin: 'as2-admin-key-000000001',
  erp: 'as2-erp-key-0000000001',
  wms: 'as2-wms-key-0000000001',
  retailer: 'as2-retailer-key-00001',
};

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface Identities {
  ssl: OpenSsl;
  hub: TestIdentity;
  retailer: TestIdentity;
  /** The retailer's next certificate (a rollover). */
  retailerNext: TestIdentity;
}

export function identities(): Identities {
  const ssl = new OpenSsl();
  return {
    ssl,
    hub: ssl.identity('manifold-hub'),
    retailer: ssl.identity('retailer-2026'),
    retailerNext: ssl.identity('retailer-2027'),
  };
}

/** The env the recipe needs, for a hub on `port`, the fake at `partnerUrl`, with `certificates` of the retailer. */
export function recipeEnv(options: {
  dir: string;
  port: number;
  partnerUrl: string;
  ids: Identities;
  mdn: 'sync' | 'async';
  retailerCert?: string;
}): NodeJS.ProcessEnv {
  return {
    MANIFOLD_DB: join(options.dir, 'hub.db'),
    MANIFOLD_PORT: String(options.port),
    MANIFOLD_ADMIN_KEY: KEYS.admin,
    ERP_KEY: KEYS.erp,
    WMS_KEY: KEYS.wms,
    RETAILER_KEY: KEYS.retailer,
    RETAILER_X12_ID: '4405197800',
    RETAILER_X12_QUALIFIER: '12',
    RETAILER_AS2_ID: 'RETAILER',
    RETAILER_AS2_URL: `${options.partnerUrl}/as2`,
    RETAILER_AS2_CERT: options.retailerCert ?? options.ids.retailer.cert,
    HUB_AS2_ID: 'MANIFOLD',
    HUB_AS2_CERT: options.ids.hub.cert,
    HUB_AS2_KEY: options.ids.hub.key,
    HUB_AS2_RECEIPT_URL: `http://127.0.0.1:${options.port}/v1/as2/retailer`,
    RETAILER_AS2_MDN: options.mdn,
    HUB_X12_ID: '999999999',
    HUB_X12_QUALIFIER: '01',
  };
}

export interface As2Hub {
  app: FastifyInstance;
  context: Hub;
  store: SqliteStore;
  url: string;
  partner: FakeAs2Partner;
  ids: Identities;
  close(): Promise<void>;
}

/**
 * The recipe's hub in-process. `rollover`: the recipe's certificate list holds the retailer's current and
 * next certificates (the recipe's commented second entry, uncommented).
 */
export async function startAs2Hub(options: {
  mdn: 'sync' | 'async';
  rollover?: boolean;
  ids?: Identities;
}): Promise<As2Hub> {
  const ids = options.ids ?? identities();
  const partner = new FakeAs2Partner({
    ssl: ids.ssl,
    own: ids.retailer,
    hub: ids.hub,
    id: 'RETAILER',
    hubId: 'MANIFOLD',
  });
  const partnerUrl = await partner.start();
  const dir = mkdtempSync(join(tmpdir(), `manifold-as2-${randomUUID().slice(0, 6)}-`));
  const port = await freePort();
  let yaml = readFileSync(RECIPE, 'utf8');
  if (options.rollover) yaml = yaml.replace('# - $', '- $'); // the recipe's second certificate entry
  const env = {
    ...recipeEnv({ dir, port, partnerUrl, ids, mdn: options.mdn }),
    RETAILER_AS2_CERT_NEXT: ids.retailerNext.cert,
  };
  const config = compileConfig(yaml, 'as2-partner.yaml', env);
  const store = new SqliteStore({ path: join(dir, 'hub.db') });
  await store.migrate();
  const logger = pino({ level: 'silent' });
  const context = composeHub(config, store, { logger, delivery: { pollMs: 20 } });
  const { app } = await buildApp({ services: context, logger });
  context.delivery?.start();
  await app.listen({ port, host: '127.0.0.1' });
  return {
    app,
    context,
    store,
    url: `http://127.0.0.1:${port}`,
    partner,
    ids,
    close: async () => {
      await app.close();
      await context.stop(2000);
      await store.close();
      await partner.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Stock for the 850's items at DC-1, from the WMS. */
export async function stockPoItems(hub: As2Hub): Promise<void> {
  for (const sku of PO_SKUS) {
    const response = await hub.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wms}` },
      payload: {
        specversion: '1.0',
        id: randomUUID(),
        source: '/wms',
        type: 'com.manifold.inventory.counted.v1',
        data: { sku, location: 'DC-1', onHand: 1000 },
      },
    });
    if (response.statusCode !== 202) throw new Error(`stock ${sku}: ${response.statusCode} ${response.body}`);
  }
  await hub.context.inventory.settle();
}
