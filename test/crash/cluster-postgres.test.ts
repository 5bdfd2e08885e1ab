/**
 * Two real hub processes (`bin/manifold serve`) on one PostgreSQL schema (docs/operations.md, "Several hub
 * processes"): `GET /v1/cluster` on either lists both, which one answered, and the singleton loops'
 * leases each held by exactly one of them; `/metrics` has the store-wide gauges on one of them only. One
 * killed (SIGKILL): the other shows it dead once its heartbeat is past the TTL, and takes its poller's
 * lease over. Skipped with the reason when PostgreSQL is unreachable (outside CI).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { type HubProcess, startHubProcess } from '../support/hub-process.js';
import { type PagedApi, pollerConfigYaml, startPagedApi } from '../support/paged-api.js';
import { describeWithStore, TEST_POSTGRES_URL } from '../support/stores.js';
import { KEYS } from '../support/test-config.js';
import { until } from '../support/until.js';

interface View {
  self: string;
  alive: number;
  processes: {
    incarnation: string;
    pid: number;
    status: 'alive' | 'dead';
    self: boolean;
    reportsStoreMetrics: boolean;
    leases: { name: string; expired: boolean }[];
  }[];
}

const hubs: HubProcess[] = [];
let api: PagedApi | undefined;
let dir: string | undefined;
let schema: string | undefined;
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.kill('SIGTERM')));
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (schema) {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  }
  api = undefined;
  dir = undefined;
  schema = undefined;
});

async function cluster(hub: HubProcess): Promise<View> {
  const response = await fetch(`${hub.url}/v1/cluster`, {
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as View;
}

async function metrics(hub: HubProcess): Promise<string> {
  const response = await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${KEYS.admin}` } });
  expect(response.status).toBe(200);
  return response.text();
}

/** lease name -> holder's pid, over every process of a view. */
function holders(view: View): Map<string, number> {
  const held = new Map<string, number>();
  for (const p of view.processes) {
    for (const lease of p.leases) {
      expect(held.has(lease.name), `${lease.name} held twice`).toBe(false);
      held.set(lease.name, p.pid);
    }
  }
  return held;
}

await describeWithStore('postgres', 'the cluster of hub processes on one PostgreSQL', () => {
  it('lists both processes and their leases on either; a killed one shows dead and its poller moves', {
    timeout: 120_000,
  }, async () => {
    api = await startPagedApi();
    dir = mkdtempSync(join(tmpdir(), 'manifold-cluster-'));
    schema = `cluster_${randomBytes(6).toString('hex')}`;
    const configFile = join(dir, 'manifold.yaml');
    const store = `{ postgres: ${JSON.stringify(TEST_POSTGRES_URL)}, schema: ${schema} }`;
    writeFileSync(configFile, pollerConfigYaml(api.url, { every: '1s', store }));
    const a = await startHubProcess(configFile);
    hubs.push(a);
    const pidA = a.process.pid!;
    // The first process takes the singleton loops' leases: the poller's and the cancelAfter check's.
    await until(async () => holders(await cluster(a)).size >= 2, 'the first process holds the leases');
    const b = await startHubProcess(configFile);
    hubs.push(b);
    const pidB = b.process.pid!;

    const [fromA, fromB] = [await cluster(a), await cluster(b)];
    for (const [view, self] of [
      [fromA, pidA],
      [fromB, pidB],
    ] as const) {
      expect(view.alive).toBe(2);
      expect(view.processes.map((p) => [p.pid, p.status])).toEqual([
        [pidA, 'alive'],
        [pidB, 'alive'],
      ]);
      expect(view.processes.filter((p) => p.self).map((p) => p.pid)).toEqual([self]);
      expect(view.processes.map((p) => p.reportsStoreMetrics)).toEqual([true, false]);
    }
    const leases = holders(fromA);
    expect([...leases.keys()].sort()).toEqual(
      expect.arrayContaining(['order-cancel-after', expect.stringMatching(/^source:/)]),
    );
    // Either process answers the same leases, each held by one of the two (a lease may move between the
    // two reads on a loaded machine: a poller's lease lapses after 3 s without renewal).
    expect([...holders(fromB).keys()].sort()).toEqual([...leases.keys()].sort());
    for (const pid of [...leases.values(), ...holders(fromB).values()]) expect([pidA, pidB]).toContain(pid);
    const poller = [...leases.keys()].find((name) => name.startsWith('source:'))!;
    // The store-wide gauges come from the oldest process only; its own counters from each.
    expect(await metrics(a)).toMatch(/^manifold_processes\{state="alive"\} 2$/m);
    const quiet = await metrics(b);
    expect(quiet).toMatch(/^manifold_store_metrics_reporter 0$/m);
    expect(quiet).not.toMatch(/^manifold_processes\{/m);

    // Killed: no deregistration, no lease released. Its heartbeat ages past the TTL; the poller's short
    // lease expires and the survivor takes it.
    await a.kill('SIGKILL');
    hubs.splice(hubs.indexOf(a), 1);
    await until(
      async () => {
        const view = await cluster(b);
        const dead = view.processes.find((p) => p.pid === pidA);
        return dead?.status === 'dead' && holders(view).get(poller) === pidB;
      },
      'the killed process dead, its poller taken over',
      60_000,
    );
    const after = await cluster(b);
    expect(after.alive).toBe(1);
    expect(after.processes.find((p) => p.pid === pidB)).toMatchObject({
      self: true,
      reportsStoreMetrics: true,
    });
    expect(await metrics(b)).toMatch(/^manifold_store_metrics_reporter 1$/m);
  });
});
