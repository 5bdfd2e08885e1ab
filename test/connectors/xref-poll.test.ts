/**
 * `$xref` in a poller's mapping (docs/connectors.md#cross-reference-tables): the system's item code becomes
 * our SKU through a table; a code the table lacks (`onMissing: park`) fails the page (nothing committed,
 * the cursor stays), and once the table has it the next run reads the page again and maps every item.
 */
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import { composeHub, type Hub } from '../../src/main/compose.js';
import { type PagedApi, pollerConfigYaml, startPagedApi } from '../support/paged-api.js';
import { describeEachStore, type TestStore } from '../support/stores.js';

const T0 = '2026-12-03T10:00:00.000Z';

function conformance(t: TestStore) {
  let api: PagedApi;
  let hub: Hub | undefined;
  beforeEach(async () => {
    api = await startPagedApi();
  });
  afterEach(async () => {
    await hub?.stop(1000);
    hub = undefined;
    await api.close();
  });

  it('maps item codes through $xref; a missing one holds the page until the table has it', async () => {
    api.put('a', 1);
    api.put('b', 2);
    const yaml = `${pollerConfigYaml(api.url, { every: '1s' }).replace("'sku': sku", "'sku': $xref('wms-sku', sku)")}
xref:
  wms-sku: { onMissing: park }
`;
    await t.store.xref.put('wms-sku', 'SKU-a', 'A-100', T0);
    hub = composeHub(compileConfig(yaml, 'poll.yaml', {}), t.store, {
      logger: pino({ level: 'silent' }),
      delivery: false,
    });
    await hub.sources.settle();
    expect((await t.store.listEvents({ source: '/wms-east', limit: 10 })).items).toEqual([]);
    const [status] = await hub.sources.status();
    expect(status?.state).toBe('failing');
    expect(status?.lastError).toContain("xref_missing: cross-reference table 'wms-sku' has no key 'SKU-b'");

    await t.store.xref.put('wms-sku', 'SKU-b', 'B-200', T0);
    const due = Date.parse((await hub.sources.status())[0]?.nextRunAt as string);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now()) + 20));
    await hub.sources.settle();
    const events = (await t.store.listEvents({ source: '/wms-east', limit: 10 })).items;
    expect(events.map((e) => (e.event.data as { sku: string }).sku)).toEqual(['A-100', 'B-200']);
  });
}

await describeEachStore('xref in pollers', conformance, { fresh: 'each' });
