/**
 * Durability of acknowledged ingest: the real process (bin/manifold serve) is killed with SIGKILL under
 * load from 32 concurrent clients; after a restart every event that was acknowledged is in the log, once,
 * and resending everything creates no second copy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHubProcess as startHub } from '../support/hub-process.js';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';

async function post(url: string, event: Record<string, unknown>): Promise<number> {
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
    body: JSON.stringify(event),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Ids of the events the clients sent (from `/wms-east`; the hub's own position/availability events aside). */
async function loggedIds(url: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const response = await fetch(
      `${url}/v1/events?source=/wms-east&limit=5000${cursor ? `&cursor=${cursor}` : ''}`,
      {
        headers: { authorization: `Bearer ${KEYS.admin}` },
      },
    );
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: { event: { id: string } }[]; next?: string };
    ids.push(...page.items.map((item) => item.event.id));
    cursor = page.next;
  } while (cursor);
  return ids;
}

const dir = mkdtempSync(join(tmpdir(), 'manifold-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SIGKILL during ingest', () => {
  it('keeps every acknowledged event exactly once', async () => {
    const configFile = join(dir, 'manifold.yaml');
    writeFileSync(configFile, testConfigYaml({ store: `{ sqlite: "${join(dir, 'hub.db')}" }` }));
    const first = await startHub(configFile);

    const sent: Record<string, unknown>[] = [];
    const acknowledged = new Set<string>();
    let killed = false;
    const client = async () => {
      while (!killed) {
        const event = adjustedEvent();
        sent.push(event);
        try {
          const status = await post(first.url, event);
          if (status === 202 || status === 200) acknowledged.add(event.id as string);
          else throw new Error(`unexpected status ${status}`);
        } catch (error) {
          if (!killed) throw error;
        }
      }
    };
    const clients = Array.from({ length: 32 }, client);
    // Kill once a good number of writes went through, while requests are in flight.
    while (acknowledged.size < 1500) await new Promise((r) => setTimeout(r, 5));
    const exited = first.kill('SIGKILL');
    killed = true;
    await Promise.allSettled(clients);
    await exited;

    const second = await startHub(configFile);
    try {
      const ids = await loggedIds(second.url);
      const logged = new Set(ids);
      expect(ids.length).toBe(logged.size); // no event twice
      const lost = [...acknowledged].filter((id) => !logged.has(id));
      expect(lost).toEqual([]);
      expect(ids.length).toBeGreaterThanOrEqual(acknowledged.size);
      expect(ids.length).toBeLessThanOrEqual(sent.length);

      // Clients that saw no answer resend: already-logged events are duplicates, the rest are accepted.
      for (const event of sent) {
        const status = await post(second.url, event);
        expect(status).toBe(logged.has(event.id as string) ? 200 : 202);
      }
      const after = await loggedIds(second.url);
      expect(after.length).toBe(new Set(sent.map((e) => e.id)).size);
    } finally {
      await second.kill('SIGTERM');
    }
  }, 120_000);
});
