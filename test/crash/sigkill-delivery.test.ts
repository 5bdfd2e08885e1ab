/**
 * Crash safety of delivery: the real hub is killed with SIGKILL while it delivers to a local target;
 * after a restart every event reaches the target at least once, with its own id as Idempotency-Key, and
 * per key in log order (a key's events are never received out of order, only the one in flight at the
 * crash may arrive twice).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimWindow } from '../../src/engine/delivery/claim-window.js';
import { startHubProcess } from '../support/hub-process.js';
import { startSink } from '../support/sink.js';
import { KEYS, pickedEvent, testConfigYaml } from '../support/test-config.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-crash-delivery-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SIGKILL during delivery', () => {
  it('delivers every event at least once, in key order, with the same Idempotency-Key', async () => {
    const sink = await startSink(() => ({ status: 200, delayMs: 3 }));
    const configFile = join(dir, 'manifold.yaml');
    writeFileSync(
      configFile,
      testConfigYaml({
        store: `{ sqlite: "${join(dir, 'hub.db')}" }`,
        subscriptions: `subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: ${sink.url}/orders }
    rateLimit: { perSecond: 100000, concurrency: 8 }`,
      }),
    );
    const keys = Array.from({ length: 20 }, (_, i) => `ORD-K${i}`);
    const events = Array.from({ length: 600 }, (_, i) => pickedEvent(keys[i % keys.length] as string));
    const first = await startHubProcess(configFile);
    try {
      for (let i = 0; i < events.length; i += 100) {
        const response = await fetch(`${first.url}/v1/events`, {
          method: 'POST',
          headers: {
            'content-type': 'application/cloudevents-batch+json',
            authorization: `Bearer ${KEYS.wmsEast}`,
          },
          body: JSON.stringify(events.slice(i, i + 100)),
        });
        expect(response.status).toBe(202);
      }
      await sink.waitFor(150, 20_000);
    } finally {
      await first.kill('SIGKILL');
    }
    const beforeRestart = sink.received.length;
    expect(beforeRestart).toBeLessThan(events.length); // killed mid-delivery

    const second = await startHubProcess(configFile);
    try {
      const ids = new Set(events.map((e) => e.id as string));
      const deadline = Date.now() + 30_000;
      while (new Set(sink.received.map((r) => r.headers['idempotency-key'] as string)).size < ids.size) {
        if (Date.now() > deadline) throw new Error('not every event was delivered after the restart');
        await new Promise((r) => setTimeout(r, 50));
      }
      const received = sink.received.map((r) => r.headers['idempotency-key'] as string);
      for (const request of sink.received)
        expect(request.events[0]?.id).toBe(request.headers['idempotency-key']);
      // Per key: forward one event at a time, never skipping one; after the crash the unrecorded tail is
      // sent again from its first event, in order (N, N+1, then N, N+1 again).
      for (const key of keys) {
        const ofKey = events.filter((e) => (e.data as { orderId: string }).orderId === key);
        const index = new Map(ofKey.map((e, i) => [e.id as string, i]));
        const order = received.filter((id) => index.has(id)).map((id) => index.get(id) as number);
        let highest = -1;
        for (let i = 0; i < order.length; i += 1) {
          const at = order[i] as number;
          expect(at).toBeLessThanOrEqual(highest + 1);
          if (i > 0 && at > (order[i - 1] as number)) expect(at).toBe((order[i - 1] as number) + 1);
          highest = Math.max(highest, at);
        }
      }
      // Redeliveries after the crash are at most what the runner held claimed then.
      expect(received.length - ids.size).toBeLessThanOrEqual(claimWindow(8, 1).held);
    } finally {
      await second.kill('SIGTERM');
      await sink.close();
    }
  }, 90_000);
});

describe('SIGTERM during delivery', () => {
  it('waits for the request in flight and records it, so nothing is sent twice after a restart', async () => {
    const sink = await startSink(() => ({ status: 200, delayMs: 400 }));
    const configFile = join(dir, 'sigterm.yaml');
    writeFileSync(
      configFile,
      testConfigYaml({
        store: `{ sqlite: "${join(dir, 'sigterm.db')}" }`,
        subscriptions: `subscriptions:
  - { name: erp-orders, target: erp, types: [com.manifold.order.*], http: { url: ${sink.url}/orders } }`,
      }),
    );
    const first = await startHubProcess(configFile);
    const event = pickedEvent('ORD-TERM');
    const response = await fetch(`${first.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(202);
    await sink.waitFor(1);
    const stopping = Date.now();
    await first.kill('SIGTERM');
    expect(Date.now() - stopping).toBeGreaterThanOrEqual(250); // it waited for the slow answer

    const second = await startHubProcess(configFile);
    try {
      await new Promise((r) => setTimeout(r, 600));
      expect(sink.received).toHaveLength(1);
    } finally {
      await second.kill('SIGTERM');
      await sink.close();
    }
  }, 60_000);
});
