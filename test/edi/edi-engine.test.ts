/**
 * The `edi` kind's sources (docs/edi.md), pulled by the hub's source loops: an interchange still without a
 * 997/999 after the partner's `ackWithinMinutes` opens one `edi_unacknowledged` exception, resolved by
 * manifold once answered (a scheduled source of the kind, `edi-acks:<partner>`); a
 * partner's watched `inbox:` folder is received once a file stops changing, then moved to `processed/`
 * (with its 997 beside it) or `failed/` (with the error).
 */
import { randomUUID } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EDI_UNACKNOWLEDGED } from '../../src/connectors/edi/ack-deadline.js';
import { parseX12, valueAt } from '../../src/connectors/edi/x12/index.js';
import { InboundService } from '../../src/engine/inbound/inbound-service.js';
import { SourceLoops } from '../../src/engine/inbound/source-loops.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const PO = readFileSync(new URL('../fixtures/edi/850-vics-nodex12.edi', import.meta.url), 'utf8');
const ACME_X12 = `x12: { id: '4405197800', qualifier: '12' }`;

let hub: TestApp | undefined;
/** The sources' loops (the watched inboxes, the acknowledgement deadline), passed and stopped together. */
let engine: { settle(): Promise<void>; stop(): Promise<void> } | undefined;
let dir: string | undefined;
afterEach(async () => {
  await engine?.stop();
  await hub?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  hub = undefined;
  engine = undefined;
  dir = undefined;
});

/** The test hub with more options in acme's `x12:`. */
async function start(acmeX12: string, now?: () => Date) {
  const yaml = testConfigYaml().replace(ACME_X12, `x12: { id: '4405197800', qualifier: '12', ${acmeX12} }`);
  expect(yaml).toContain(acmeX12);
  hub = await buildTestApp({ yaml });
  // The inbound entry on the test's clock (the deadline is measured by it), as the hub composes it.
  const { context } = hub;
  const inbound = now
    ? new InboundService(hub.config, hub.store, context.ingest, context.keys, { now })
    : context.inbound;
  const sources = new SourceLoops(inbound, { store: hub.store, ...(now ? { now } : {}) });
  engine = { settle: () => sources.settle(), stop: () => sources.stop() };
  return hub;
}

const SENT_AT = '2026-11-27T10:00:00.000Z';

async function sent(isa13: number, eventId: string, setId = '856') {
  return hub!.store.edi.saveOutbound({
    subscription: 'acme-edi',
    eventSource: '/wms-east',
    eventId,
    partner: 'acme',
    setId,
    isa13,
    gsControl: isa13,
    stControl: isa13,
    body: `ISA…${isa13}`,
    createdAt: SENT_AT,
  });
}

describe('unacknowledged interchanges', () => {
  it('opens one edi_unacknowledged exception per interchange past ackWithinMinutes, and resolves it on its 997', async () => {
    let now = new Date('2026-11-27T10:20:00.000Z');
    await start('ackWithinMinutes: 30', () => now);
    await sent(41, 'ship-41');
    await sent(42, 'ship-42');
    await engine!.settle();
    expect(await hub!.store.delivery.listExceptions({ code: EDI_UNACKNOWLEDGED, limit: 10 })).toEqual([]);

    now = new Date('2026-11-27T10:31:00.000Z');
    await hub!.store.edi.recordAcknowledgement({
      partner: 'acme',
      gsControl: 42,
      stControl: 42,
      status: 'accepted',
      codes: [],
      at: '2026-11-27T10:25:00.000Z',
    });
    await engine!.settle();
    await engine!.settle();
    const exceptions = await hub!.store.delivery.listExceptions({ code: EDI_UNACKNOWLEDGED, limit: 10 });
    expect(exceptions).toHaveLength(1);
    expect(exceptions[0]).toMatchObject({
      status: 'open',
      system: 'acme',
      subject: 'x12:acme:000000041',
      eventId: 'ship-41',
    });
    expect(exceptions[0]!.detail).toContain('856 0041');
    expect(exceptions[0]!.detail).toContain('ship-41');
    expect(exceptions[0]!.detail).toContain('30 minutes');

    // A late 997 closes it, by manifold.
    await hub!.store.edi.recordAcknowledgement({
      partner: 'acme',
      gsControl: 41,
      status: 'accepted',
      codes: [],
      at: '2026-11-27T10:40:00.000Z',
    });
    now = new Date('2026-11-27T10:41:00.000Z');
    await engine!.settle();
    const [resolved] = await hub!.store.delivery.listExceptions({ code: EDI_UNACKNOWLEDGED, limit: 10 });
    expect(resolved).toMatchObject({ status: 'resolved', resolvedBy: 'manifold' });
    await engine!.settle();
    expect(await hub!.store.delivery.listExceptions({ code: EDI_UNACKNOWLEDGED, limit: 10 })).toHaveLength(1);
  });

  it('does not check partners without ackWithinMinutes', async () => {
    await start(`itemMap: {}`, () => new Date('2027-01-01T00:00:00.000Z'));
    await sent(7, 'ship-7');
    await engine!.settle();
    expect(await hub!.store.delivery.listExceptions({ code: EDI_UNACKNOWLEDGED, limit: 10 })).toEqual([]);
  });
});

async function stockAll() {
  for (const sku of ['AB3542', 'RD5322', 'XY5266', 'VX2332', 'RV0524', 'DX1875']) {
    const response = await hub!.app.inject({
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
  await hub!.inventory.settle();
}

describe('watched inbox', () => {
  it('receives an 850 dropped in the inbox once it stopped changing, keeps its 997 in processed/', async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifold-edi-inbox-'));
    await start(`inbox: '${dir}'`);
    await stockAll();
    const half = PO.length >> 1;
    writeFileSync(join(dir, 'po-1.edi'), PO.slice(0, half));
    await engine!.settle(); // first seen
    appendFileSync(join(dir, 'po-1.edi'), PO.slice(half));
    await engine!.settle(); // changed since: not taken
    expect(readdirSync(dir)).toEqual(['po-1.edi']);
    await engine!.settle(); // unchanged: taken
    expect(readdirSync(dir).sort()).toEqual(['processed']);
    expect(readdirSync(join(dir, 'processed')).sort()).toEqual(['po-1.edi', 'po-1.edi.ack.x12']);
    expect(readFileSync(join(dir, 'processed', 'po-1.edi'), 'utf8')).toBe(PO);
    const ack = parseX12(readFileSync(join(dir, 'processed', 'po-1.edi.ack.x12'), 'utf8'));
    const segments = ack.interchanges.flatMap((i) =>
      i.groups.flatMap((g) => g.sets.flatMap((s) => s.segments)),
    );
    const ak9 = segments.find((s) => s.id === 'AK9');
    expect(ak9 && valueAt(ak9, 1)).toBe('A');
    await hub!.orders.settle();
    expect(await hub!.store.orders.getOrder('acme-08292233294')).toBeDefined();
  });

  it('moves a file that cannot be received to failed/ with the error beside it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifold-edi-inbox-'));
    await start(`inbox: '${dir}'`);
    writeFileSync(join(dir, 'junk.txt'), 'not an interchange');
    writeFileSync(join(dir, '.partial'), 'hidden: skipped');
    await engine!.settle();
    await engine!.settle();
    expect(readdirSync(dir).sort()).toEqual(['.partial', 'failed']);
    expect(readdirSync(join(dir, 'failed')).sort()).toEqual(['junk.txt', 'junk.txt.error.txt']);
    expect(readFileSync(join(dir, 'failed', 'junk.txt.error.txt'), 'utf8')).toContain('no X12 interchange');
    expect(existsSync(join(dir, 'processed'))).toBe(false);
  });

  it('ignores a missing inbox folder', async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifold-edi-inbox-'));
    await start(`inbox: '${join(dir, 'absent')}'`);
    await engine!.settle();
    expect(readdirSync(dir)).toEqual([]);
  });
});
