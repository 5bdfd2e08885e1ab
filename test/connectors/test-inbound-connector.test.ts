/**
 * The connector seam, inbound: a kind the hub does not ship, `lines` (one canonical event per JSON line),
 * registered here with one call, gets the inbound role (the hub's generic inbound entry finds it by its
 * name and hands it the raw body; it applies its events through the `InboundHub` as the sending system)
 * and the source role (a watched folder, carried by the folder transport's pickup as the X12 inboxes are,
 * its files seen kept in `connector_state`, pulled by the hub's source loop). Over HTTP it is reached
 * by the general inbound route, `POST /v1/connectors/lines/{system}`. Nothing of the hub names the kind.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorKind, InboundEvent, SourceConnector } from '../../src/connectors/connector-port.js';
import { registerConnector } from '../../src/connectors/registry.js';
import { pickUp } from '../../src/connectors/transport/folder.js';
import { SourceLoops } from '../../src/engine/inbound/source-loops.js';
import { ValidationError } from '../../src/errors.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS, pickedEvent } from '../support/test-config.js';

/** The folder the kind's one source watches (for the system `wms-east`). */
let folder = '';

const linesConnector: ConnectorKind = {
  kind: 'lines',
  readSection: () => undefined,
  openInbound: () => ({
    format: 'lines',
    async receive(system, request, hub) {
      if (request.caller !== system)
        throw new ValidationError('not yours', [{ pointer: '/', detail: system }]);
      const events: InboundEvent[] = request.body
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as InboundEvent);
      const outcomes = await hub.apply(system, events);
      return { contentType: 'text/plain', body: outcomes.map((o) => o.status).join(' ') };
    },
  }),
  openSources(context) {
    const state = context.state('lines:wms-east');
    const source: SourceConnector = {
      name: 'lines:wms-east',
      system: 'wms-east',
      pull: (hub) =>
        pickUp(
          { dir: folder, state, key: 'files', from: 'wms-east', replySuffix: '.reply.txt', now: context.now },
          async (body) => (await hub.receive({ caller: 'wms-east', body, headers: {} })).body,
        ),
    };
    return [source];
  },
};

/** A picked event as one line of the `lines` format (id, type, data). */
function line(orderId: string): { id: string; text: string } {
  const event = pickedEvent(orderId) as { id: string; type: string; data: Record<string, unknown> };
  return { id: event.id, text: JSON.stringify({ id: event.id, type: event.type, data: event.data }) };
}

let unregister: () => void;
beforeAll(() => {
  unregister = registerConnector(linesConnector);
});
afterAll(() => unregister());

describe('a connector kind registered by a test, inbound', () => {
  let hub: TestApp | undefined;
  let sources: SourceLoops | undefined;
  afterEach(async () => {
    await sources?.stop();
    await hub?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
    hub = undefined;
    sources = undefined;
    folder = '';
  });

  it('receives a request through the generic inbound entry, applied as the sender, a resend a duplicate', async () => {
    hub = await buildTestApp();
    const inbound = hub.context.inbound;
    const a = line('ORD-1');
    const b = line('ORD-2');
    const body = Buffer.from(`${a.text}\n${b.text}\n`);
    const reply = await inbound.receive('lines', 'wms-east', { caller: 'wms-east', body, headers: {} });
    expect(reply).toEqual({ contentType: 'text/plain', body: 'accepted accepted' });
    const again = await inbound.receive('lines', 'wms-east', { caller: 'wms-east', body, headers: {} });
    expect(again.body).toBe('duplicate duplicate');

    const logged = await hub.store.log.eventsAfter(0, ['com.manifold.order.picked.v1'], 10);
    expect(logged.map((e) => [e.system, e.envelope.id, e.envelope.source])).toEqual([
      ['wms-east', a.id, '/wms-east'],
      ['wms-east', b.id, '/wms-east'],
    ]);
    await expect(inbound.receive('lines', 'wms-east', { caller: 'erp', body, headers: {} })).rejects.toThrow(
      'not yours',
    );
    await expect(
      inbound.receive('no-such-kind', 'wms-east', { caller: 'wms-east', body, headers: {} }),
    ).rejects.toThrow("no connector kind 'no-such-kind' receives requests");
  });

  it('receives over HTTP by the general route: the raw body, the caller by its key, the reply as the kind made it', async () => {
    hub = await buildTestApp();
    const a = line('ORD-5');
    const b = line('ORD-6');
    const payload = `${a.text}\n${b.text}\n`;
    const post = (key: string | undefined, url = '/v1/connectors/lines/wms-east') =>
      hub?.app.inject({
        method: 'POST',
        url,
        headers: {
          'content-type': 'application/x-ndjson',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        payload,
      });

    const first = await post(KEYS.wmsEast);
    expect(first?.statusCode).toBe(200);
    expect(first?.headers['content-type']).toMatch(/^text\/plain/);
    expect(first?.body).toBe('accepted accepted');
    expect((await post(KEYS.wmsEast))?.body).toBe('duplicate duplicate');
    const logged = await hub.store.log.eventsAfter(0, ['com.manifold.order.picked.v1'], 10);
    expect(logged.map((e) => [e.system, e.envelope.id])).toEqual([
      ['wms-east', a.id],
      ['wms-east', b.id],
    ]);

    // A key speaks only for its own system: another system's key is refused by the route, as problem+json.
    const foreign = await post(KEYS.erp);
    expect(foreign?.statusCode).toBe(403);
    expect(foreign?.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(foreign?.json().detail).toBe("the key of system 'erp' cannot send as 'wms-east'");
    expect((await post(undefined))?.statusCode).toBe(401);
    expect((await post(KEYS.admin))?.statusCode).toBe(403);
    const unknown = await post(KEYS.wmsEast, '/v1/connectors/no-such-kind/wms-east');
    expect(unknown?.statusCode).toBe(404);
    expect(unknown?.json().detail).toBe("no connector kind 'no-such-kind' receives requests");
  });

  it('is pulled as a source: a file taken once unchanged, its reply kept beside it, what it saw kept in connector_state', async () => {
    folder = mkdtempSync(join(tmpdir(), 'manifold-lines-'));
    hub = await buildTestApp();
    sources = new SourceLoops(hub.context.inbound);
    const a = line('ORD-3');
    writeFileSync(join(folder, 'batch-1.jsonl'), `${a.text}\n`);

    await sources.settle(); // first seen
    expect(existsSync(join(folder, 'batch-1.jsonl'))).toBe(true);
    const seen = await hub.store.connectorState.list('lines:wms-east');
    expect(seen.map((s) => s.key)).toEqual(['files']);
    expect(Object.keys(seen[0]?.value as Record<string, string>)).toEqual(['batch-1.jsonl']);

    // A restart keeps what the pickup saw: the file is taken on the next look, not two looks later.
    await sources.stop();
    sources = new SourceLoops(hub.context.inbound);
    await sources.settle();
    expect(existsSync(join(folder, 'batch-1.jsonl'))).toBe(false);
    expect(readFileSync(join(folder, 'processed', 'batch-1.jsonl.reply.txt'), 'utf8')).toBe('accepted');
    expect(await hub.store.connectorState.list('lines:wms-east')).toEqual([]);
    const logged = await hub.store.log.eventsAfter(0, ['com.manifold.order.picked.v1'], 10);
    expect(logged.map((e) => [e.system, e.envelope.id])).toEqual([['wms-east', a.id]]);
  });
});
