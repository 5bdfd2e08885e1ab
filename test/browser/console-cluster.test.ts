/**
 * The console's "Cluster" page (docs/console.md#cluster-cluster): headless Chromium against the real hub process
 * and its built console, on a SQLite file another "process" registers on too (written from the test, as a
 * second hub would). The page lists the hub itself (the one answering) with its leases, a crashed process
 * as dead, and — refreshed on its own — a process that joins while the page is open, with its lease.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { HAS_CHROMIUM, launchChromium, requireBuiltConsole, signIn } from '../support/browser.js';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-console-cluster-'));
let hub: HubProcess;
let browser: Browser;
let store: SqliteStore;

async function cluster() {
  const response = await fetch(`${hub.url}/v1/cluster`, {
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return (await response.json()) as {
    self: string;
    processes: { incarnation: string; leases: { name: string }[] }[];
  };
}

describe.skipIf(!HAS_CHROMIUM)('console: cluster', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    requireBuiltConsole();
    const configFile = join(dir, 'manifold.yaml');
    const path = join(dir, 'hub.db');
    writeFileSync(configFile, testConfigYaml({ store: `{ sqlite: "${path}" }` }));
    hub = await startHubProcess(configFile);
    store = new SqliteStore({ path });
    await store.migrate(); // already migrated by the hub: opens the writer
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    try {
      await browser?.close();
      if (hub) await hub.kill('SIGTERM');
      await store?.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('lists the processes, alive and dead, with their leases, and shows one that joins', async () => {
    // The hub's cancelAfter check runs at start and holds its lease under the hub's incarnation.
    await until(
      async () =>
        (await cluster()).processes.some((p) => p.leases.some((l) => l.name === 'order-cancel-after')),
      'the hub holding its lease',
    );
    const { self } = await cluster();
    const now = Date.now();
    await store.processes.register(
      'crashed-incarnation',
      { host: 'hub-b', pid: 4242, version: '0.1.0' },
      new Date(now - 3_600_000).toISOString(),
    );

    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await signIn(page, hub.url, KEYS.admin);
    await page.getByTestId('overview-page').waitFor();
    await page.getByTestId('nav-cluster').click();
    await page.getByTestId('cluster-page').waitFor();

    const own = page.getByTestId(`cluster-process-${self}`);
    await own.waitFor();
    expect(await own.getAttribute('data-status')).toBe('alive');
    expect(await own.textContent()).toContain("this console's");
    expect(await own.textContent()).toContain('metrics reporter');
    expect(await own.getByTestId('cluster-leases').textContent()).toContain('order-cancel-after');
    const crashed = page.getByTestId('cluster-process-crashed-incarnation');
    expect(await crashed.getAttribute('data-status')).toBe('dead');
    expect(await crashed.textContent()).toContain('hub-b:4242');

    // Another process joins and takes a poller's lease: the page shows it on its next refresh.
    await store.processes.register(
      'joined-incarnation',
      { host: 'hub-c', pid: 77, version: '0.1.0' },
      new Date().toISOString(),
    );
    await store.ops.tryLease('source:wms-poll', 'joined-incarnation', new Date().toISOString(), 60_000);
    const joined = page.getByTestId('cluster-process-joined-incarnation');
    await joined.waitFor({ timeout: 15_000 });
    expect(await joined.getAttribute('data-status')).toBe('alive');
    expect(await joined.getByTestId('cluster-leases').textContent()).toContain('source:wms-poll');
    expect(await page.getByTestId('cluster-updated').textContent()).toMatch(/^2 alive of 3/);
    await page.close();
  });
});
