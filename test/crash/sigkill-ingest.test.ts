/**
 * Durability of acknowledged ingest: the real process (bin/manifold serve) is killed with SIGKILL under
 * load from 32 concurrent clients; after a restart every event that was acknowledged is in the log, once,
 * and resending everything creates no second copy.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';

const BIN = new URL('../../bin/manifold', import.meta.url).pathname;

interface Hub {
  process: ChildProcess;
  url: string;
}

function startHub(configFile: string): Promise<Hub> {
  const child = spawn(BIN, ['serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('hub did not start in 20 s')), 20_000);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`hub exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('manifold hub listening')) return;
      clearTimeout(timer);
      resolve({ process: child, url: (JSON.parse(line) as { url: string }).url });
    });
  });
}

async function post(url: string, event: Record<string, unknown>): Promise<number> {
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
    body: JSON.stringify(event),
  });
  await response.arrayBuffer();
  return response.status;
}

async function loggedIds(url: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const response = await fetch(`${url}/v1/events?limit=5000${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
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
    const exited = new Promise((r) => first.process.once('exit', r));
    first.process.kill('SIGKILL');
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
      second.process.kill('SIGTERM');
      await new Promise((r) => second.process.once('exit', r));
    }
  }, 120_000);
});
