/**
 * `bin/manifold backup` (the built CLI) against the real hub process under ingest: the backup opens as a
 * valid, migrated store, a hub starts on it, and every event acknowledged before the backup began is in it.
 * And `bin/manifold replay --from-archive`: an archive's events ingested again, duplicates as duplicates.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { writeArchive } from '../../src/engine/retention/event-archive.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { startHubProcess } from '../support/hub-process.js';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

const BIN = fileURLToPath(new URL('../../bin/manifold', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'manifold-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
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

async function loggedIds(store: SqliteStore): Promise<Set<string>> {
  const ids = new Set<string>();
  let afterSeq: number | undefined;
  for (;;) {
    const page = await store.listEvents({
      source: '/wms-east',
      limit: 5000,
      ...(afterSeq === undefined ? {} : { afterSeq }),
    });
    for (const item of page.items) ids.add(item.event.id);
    if (page.nextAfterSeq === undefined) return ids;
    afterSeq = page.nextAfterSeq;
  }
}

it('backs the store up while events are ingested; the hub starts on the backup with every event acknowledged before it', {
  timeout: 90_000,
}, async () => {
  const configFile = join(dir, 'manifold.yaml');
  writeFileSync(configFile, testConfigYaml({ store: `{ sqlite: "${join(dir, 'hub.db')}" }` }));
  const hub = await startHubProcess(configFile);
  const acknowledged = new Set<string>();
  let stop = false;
  const client = async () => {
    while (!stop) {
      const event = adjustedEvent();
      const status = await post(hub.url, event);
      expect([200, 202]).toContain(status);
      acknowledged.add(event.id as string);
    }
  };
  const clients = Array.from({ length: 8 }, client);
  let backupFile = '';
  let before = new Set<string>();
  try {
    await until(() => acknowledged.size >= 300, '300 acknowledged events', 30_000);
    before = new Set(acknowledged);
    backupFile = join(dir, 'backup.db');
    const backup = await run('backup', '-c', configFile, '--to', backupFile);
    expect(backup).toMatchObject({ code: 0, stdout: expect.stringMatching(/^backed up .* to .*backup\.db/) });
    // Ingest went on during the backup.
    const during = acknowledged.size;
    await until(() => acknowledged.size > during, 'ingest after the backup', 30_000);
  } finally {
    stop = true;
    await Promise.allSettled(clients);
    await hub.kill('SIGTERM');
  }

  // A valid store: migrated, and every event acknowledged before the backup began is there.
  const store = new SqliteStore({ path: backupFile });
  try {
    expect(await store.migrate()).toEqual([]);
    expect((await store.health()).ok).toBe(true);
    const logged = await loggedIds(store);
    expect([...before].filter((id) => !logged.has(id))).toEqual([]);
  } finally {
    await store.close();
  }

  // The hub starts on it and answers from it.
  const restoredConfig = join(dir, 'restored.yaml');
  writeFileSync(restoredConfig, testConfigYaml({ store: `{ sqlite: "${backupFile}" }` }));
  const restored = await startHubProcess(restoredConfig);
  try {
    const ready = await fetch(`${restored.url}/readyz`);
    expect(ready.status).toBe(200);
    const [first] = [...before];
    const again = adjustedEvent({ id: first });
    const response = await fetch(`${restored.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
      body: JSON.stringify(again),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'duplicate' });
  } finally {
    await restored.kill('SIGTERM');
  }
});

it('refuses a PostgreSQL store, pointing to pg_dump', { timeout: 30_000 }, async () => {
  const pgConfig = join(dir, 'pg.yaml');
  writeFileSync(
    pgConfig,
    testConfigYaml({ store: '{ postgres: "postgres://postgres@127.0.0.1:5432/test" }' }),
  );
  const refused = await run('backup', '-c', pgConfig, '--to', join(dir, 'x.db'));
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('pg_dump');
});

it('replays an archive: events no longer in the log are accepted, the others are duplicates', {
  timeout: 30_000,
}, async () => {
  const configFile = join(dir, 'replay.yaml');
  const dbFile = join(dir, 'replay.db');
  writeFileSync(configFile, testConfigYaml({ store: `{ sqlite: "${dbFile}" }` }));
  const events = [adjustedEvent(), adjustedEvent(), adjustedEvent()];
  const store = new SqliteStore({ path: dbFile });
  await store.migrate();
  // The first is in the log already.
  await store.append([{ system: 'wms-east', event: events[0] as never, outbox: [] }]);
  await store.close();
  const archive = await writeArchive(
    join(dir, 'archive'),
    events.map((event, i) => ({
      seq: i + 1,
      system: 'wms-east',
      ingestedAt: new Date().toISOString(),
      envelope: event,
    })),
  );
  expect(archive).toMatch(/events-000000000001-000000000003\.jsonl\.gz$/);
  const replayed = await run('replay', '--from-archive', archive, '-c', configFile);
  expect(replayed).toMatchObject({
    code: 0,
    stdout: `replayed 3 event(s) from ${archive}: 2 accepted, 1 duplicate(s)\n`,
  });
  const again = await run('replay', '--from-archive', archive, '-c', configFile);
  expect(again.stdout).toContain('0 accepted, 3 duplicate(s)');
  const check = new SqliteStore({ path: dbFile });
  try {
    expect((await loggedIds(check)).size).toBe(3);
  } finally {
    await check.close();
  }
  const usage = await run('replay', '--from-archive', archive);
  expect(usage.code).toBe(2);
});
