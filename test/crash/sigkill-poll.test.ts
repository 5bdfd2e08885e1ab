/**
 * A poller killed mid-run: the real process (bin/manifold serve) polls a paged API one of whose pages
 * hangs and is killed with SIGKILL while a page is in flight — once while page 2 is asked for,
 * once while page 3 is. After each restart it goes on from the stored cursor and `next` page; in the end
 * every record version is in the log exactly once: none skipped, none twice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { pollerConfigYaml, startPagedApi } from '../support/paged-api.js';
import { KEYS } from '../support/test-config.js';

async function loggedIds(url: string): Promise<string[]> {
  const response = await fetch(`${url}/v1/events?source=/wms-east&limit=1000`, {
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  expect(response.status).toBe(200);
  const page = (await response.json()) as { items: { event: { id: string } }[] };
  return page.items.map((item) => item.event.id);
}

const dir = mkdtempSync(join(tmpdir(), 'manifold-crash-poll-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SIGKILL while polling', () => {
  it('neither skips nor repeats an item across crashes in the middle of a paged run', async () => {
    const api = await startPagedApi();
    let hub: HubProcess | undefined;
    try {
      for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) api.put(id, 1); // three pages of two
      const configFile = join(dir, 'manifold.yaml');
      writeFileSync(
        configFile,
        pollerConfigYaml(api.url, { every: '1s', store: `{ sqlite: "${join(dir, 'hub.db')}" }` }),
      );
      const killAtSlowPage = async (page: number) => {
        // Listening before the process starts: its first run may ask for the page before it says it listens.
        const asked = new Promise<void>((resolve) => {
          api.slowPage = page; // it hangs: the process is killed while it waits
          api.onSlowPage = resolve;
        });
        const running = await startHubProcess(configFile);
        hub = running;
        await asked;
        await running.kill('SIGKILL');
        hub = undefined;
        return running.url;
      };

      // Killed while page 2 is in flight: page 1 (a, b) and its `next` are committed.
      await killAtSlowPage(2);
      // The restart asks for page 2 at once (the stored next), then hangs on page 3 and is killed.
      const before = api.requests.length;
      await killAtSlowPage(3);
      expect(api.requests[before]).toMatch(/page=2$/);

      // The last restart runs to the end, pages answering at once.
      api.slowPage = undefined;
      api.onSlowPage = undefined;
      const last = await startHubProcess(configFile);
      hub = last;
      const waitFor = async (count: number) => {
        const deadline = Date.now() + 30_000;
        let ids = await loggedIds(last.url);
        while (ids.length < count && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          ids = await loggedIds(last.url);
        }
        return ids;
      };
      const firstVersions = api.records.map((r) => `adj-${r.id}-${r.updated_at}`);
      let ids = await waitFor(6);
      expect(ids).toEqual(firstVersions);
      // A second change of `a` after the run: a new version, a new event on the next run (not a duplicate).
      const second = api.put('a', 2);
      ids = await waitFor(7);
      // Every version once, in the order read: none skipped, none twice.
      expect(ids).toEqual([...firstVersions, `adj-a-${second.updated_at}`]);
      await new Promise((r) => setTimeout(r, 1500)); // another run or two: nothing new
      expect(await loggedIds(last.url)).toHaveLength(7);
    } finally {
      await hub?.kill('SIGKILL');
      api.onSlowPage = undefined;
      await api.close();
    }
  }, 120_000);
});
