/** What only the embedded store has: its writer thread, and recovering when that thread dies. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { NewEvent } from '../store-port.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-sqlite-'));
let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const event = (id: string): NewEvent => ({
  system: 'erp',
  event: { specversion: '1.0', id, source: '/erp', type: 'com.manifold.test.v1', subject: 'K' },
  outbox: [],
});

describe('SQLite writer thread', () => {
  it('fails what was pending when the writer dies, then a new writer takes over', async () => {
    store = new SqliteStore({ path: join(dir, 'hub.db') });
    await store.migrate();
    expect(await store.append([event('before')])).toMatchObject([{ status: 'accepted' }]);

    const writer = (store as unknown as { writer: Worker }).writer;
    await writer.terminate();
    expect((await store.health()).ok).toBe(false);

    // The new writer starts shortly after; appends then succeed again and nothing earlier is lost.
    const deadline = Date.now() + 5000;
    while (!(await store.health()).ok) {
      if (Date.now() > deadline) throw new Error('the writer did not come back');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await store.append([event('after')])).toMatchObject([{ status: 'accepted' }]);
    const ids = (await store.listEvents({ limit: 10 })).items.map((item) => item.event.id);
    expect(ids).toEqual(['before', 'after']);
  });
});
