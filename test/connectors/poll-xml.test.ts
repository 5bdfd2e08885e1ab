/**
 * A poller whose API answers XML (read by its content type, as a native webhook's body is) maps each
 * element to an event; an answer nested deeper than the hub's cap (JSON or XML) is refused with a clear
 * error and nothing is committed: no event, no cursor.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import { composeHub, type Hub } from '../../src/main/compose.js';
import { describeEachStore, type TestStore } from '../support/stores.js';

const POLLER = 'poll:wms-east:adjustments';

interface XmlApi {
  url: string;
  /** The next answer: its content type and body. */
  answer: { type: string; body: string };
  requests: string[];
  close(): Promise<void>;
}

async function startXmlApi(): Promise<XmlApi> {
  const api: XmlApi = {
    url: '',
    answer: { type: 'application/xml', body: '' },
    requests: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    api.requests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': api.answer.type });
    res.end(api.answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}

function configYaml(api: string): string {
  return `
store: { sqlite: "./unused.db" }
server: { host: 127.0.0.1, port: 0, adminKey: test-admin-key-0000000001 }
systems:
  wms-east:
    kind: wms
    key: test-wms-east-key-000001
    locations: [DC-EAST]
    poll:
      - name: adjustments
        every: 1h
        request:
          url: "${api}/adjustments?since={{ $cursor }}"
          auth: { bearer: poll-xml-token-0001 }
          timeout: 10s
        items: Adjustments.Adjustment
        type: "'com.manifold.inventory.adjusted.v1'"
        id: "'adj-' & \`@id\` & '-' & Updated"
        data: "{ 'sku': Sku, 'location': 'DC-EAST', 'delta': $number(Delta), 'reason': 'cycle_count' }"
        cursor: Adjustments.Adjustment[-1].Updated
locations:
  DC-EAST: { channels: [web] }
channels:
  web: { safetyStock: 0 }
ownership:
  inventory.on_hand: [wms-east]
`;
}

function nested(open: string, close: string, depth: number, inner: string): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

function conformance(t: TestStore) {
  let api: XmlApi;
  const hubs: Hub[] = [];

  beforeEach(async () => {
    api = await startXmlApi();
  });
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((hub) => hub.stop(1000)));
    await api.close();
  });

  function hubOn(): Hub {
    const hub = composeHub(compileConfig(configYaml(api.url), 'poll.yaml', {}), t.store, {
      logger: pino({ level: 'silent' }),
      delivery: false,
    });
    hubs.push(hub);
    return hub;
  }

  async function events() {
    return (await t.store.listEvents({ source: '/wms-east', limit: 100 })).items.map((e) => e.event);
  }

  it('maps the elements of an XML answer to events and keeps the cursor', async () => {
    api.answer = {
      type: 'application/xml; charset=utf-8',
      body: `<?xml version="1.0"?>
<Adjustments>
  <Adjustment id="a"><Sku>SKU-a</Sku><Delta>3</Delta><Updated>2026-12-01T00:00:01Z</Updated></Adjustment>
  <Adjustment id="b"><Sku>SKU-b</Sku><Delta>-2</Delta><Updated>2026-12-01T00:00:02Z</Updated></Adjustment>
</Adjustments>`,
    };
    const hub = hubOn();
    await hub.sources.settle();
    expect(api.requests).toEqual(['/adjustments?since=']);
    const stored = await events();
    expect(stored.map((e) => e.id).sort()).toEqual([
      'adj-a-2026-12-01T00:00:01Z',
      'adj-b-2026-12-01T00:00:02Z',
    ]);
    const a = stored.find((e) => e.id === 'adj-a-2026-12-01T00:00:01Z');
    expect(a?.data).toEqual({ sku: 'SKU-a', location: 'DC-EAST', delta: 3, reason: 'cycle_count' });
    expect(await t.store.connectorState.get(POLLER, 'cursor')).toBe('2026-12-01T00:00:02Z');
    expect((await hub.sources.status())[0]?.state).toBe('ok');
  });

  it('refuses a JSON answer nested deeper than 64 levels: a clear error, nothing committed', async () => {
    api.answer = { type: 'application/json', body: `{"Adjustments":${nested('[', ']', 70, '1')}}` };
    const hub = hubOn();
    await hub.sources.settle();
    const [status] = await hub.sources.status();
    expect(status?.state).toBe('failing');
    expect(status?.lastError).toMatch(
      /^GET http:\/\/127\.0\.0\.1:\d+\/adjustments: the answer nests more than 64 levels deep$/,
    );
    expect(await events()).toEqual([]);
    expect(await t.store.connectorState.get(POLLER, 'cursor')).toBeUndefined();
  });

  it('refuses an XML answer nested deeper than 64 levels: a clear error, nothing committed', async () => {
    const item =
      '<Adjustment id="a"><Sku>SKU-a</Sku><Delta>1</Delta><Updated>2026-12-01T00:00:01Z</Updated></Adjustment>';
    api.answer = {
      type: 'text/xml',
      body: `<Adjustments>${item}${nested('<x>', '</x>', 70, '')}</Adjustments>`,
    };
    const hub = hubOn();
    await hub.sources.settle();
    const [status] = await hub.sources.status();
    expect(status?.state).toBe('failing');
    expect(status?.lastError).toMatch(/the answer nests more than 64 levels deep$/);
    expect(await events()).toEqual([]);
    expect(await t.store.connectorState.get(POLLER, 'cursor')).toBeUndefined();
  });
}

await describeEachStore('a poller reading XML, under the depth cap', conformance, { fresh: 'each' });
