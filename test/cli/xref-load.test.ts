/** `bin/manifold xref load TABLE FILE` (the built CLI) against a hub listening on a local port. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const BIN = fileURLToPath(new URL('../../bin/manifold', import.meta.url));

let hub: TestApp;
let base: string;
let dir: string;
beforeAll(async () => {
  hub = await buildTestApp({ yaml: `${testConfigYaml()}\nxref:\n  sku-item: {}\n` });
  base = await hub.app.listen({ host: '127.0.0.1', port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'manifold-xref-cli-'));
});
afterAll(async () => {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      BIN,
      args,
      { env: { ...process.env, MANIFOLD_ADMIN_KEY: KEYS.admin } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

it('loads a CSV and an NDJSON file, and reports the bad line of a refused one', {
  timeout: 30_000,
}, async () => {
  const csv = join(dir, 'skus.csv');
  writeFileSync(csv, 'key,value\nA-1,gid://shopify/InventoryItem/1\nA-2,gid://shopify/InventoryItem/2\n');
  const loaded = await run('xref', 'load', 'sku-item', csv, '--hub', base);
  expect(loaded).toMatchObject({ code: 0, stdout: 'loaded 2 entries into sku-item\n' });
  expect(await hub.store.xref.get('sku-item', 'A-2')).toBe('gid://shopify/InventoryItem/2');

  const ndjson = join(dir, 'more.ndjson');
  writeFileSync(ndjson, '{"key":"A-3","value":{"id":3}}\n');
  expect((await run('xref', 'load', 'sku-item', ndjson, '--hub', base)).code).toBe(0);
  expect(await hub.store.xref.get('sku-item', 'A-3')).toEqual({ id: 3 });

  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'key,value\nB-1,1\nB-1,2\n');
  const refused = await run('xref', 'load', 'sku-item', bad, '--hub', base);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("nothing loaded: line 3: key 'B-1' is repeated in this file");
  expect(await hub.store.xref.get('sku-item', 'B-1')).toBeUndefined();

  const unknown = await run('xref', 'load', 'nope', csv, '--hub', base);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain("no cross-reference table 'nope'");
});
