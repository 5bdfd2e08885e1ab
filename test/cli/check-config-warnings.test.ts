/**
 * `bin/manifold check-config` (the built CLI) prints warnings with file:line:column and exits 0 when
 * there is nothing else; with an error beside them it exits 1 and lists both.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const BIN = new URL('../../bin/manifold', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'manifold-check-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CONFIG = `server: { adminKey: admin-key-0000000001 }
systems:
  wms-east: { kind: wms, key: wms-east-key-0000001, locations: [DC-EAST] }
locations: { DC-EAST: { channels: [web] } }
channels: { web: { safetyStock: 2 } }
ownership:
  order.shipped: [wms-east, wms-east]
`;

function checkConfig(text: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(dir, `manifold-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return new Promise((resolve) => {
    execFile(BIN, ['check-config', file], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr: stderr.replaceAll(file, 'F') });
    });
  });
}

it('prints a warning with its position and still passes', { timeout: 30_000 }, async () => {
  const { code, stdout, stderr } = await checkConfig(CONFIG);
  expect(stderr).toContain(
    "F:7:29 warning: ownership['order.shipped'][1]: 'wms-east' is listed twice for order.shipped (first at line 7, column 19)",
  );
  expect(stderr).toContain('1 warning(s) in F');
  expect(stdout).toContain(': ok (1 systems');
  expect(code).toBe(0);
});

it('exits 1 on an error and lists the warnings beside it', { timeout: 30_000 }, async () => {
  const { code, stderr } = await checkConfig(`${CONFIG}channels: {}\n`);
  expect(stderr).toContain("F:8:1 channels: duplicate key 'channels' (first at line 5, column 1)");
  expect(stderr).toContain('F:7:29 warning:');
  expect(stderr).toContain('problem(s) and 1 warning(s) in F');
  expect(code).toBe(1);
});
