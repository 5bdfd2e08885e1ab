/**
 * examples/recipes/shopify.yaml passes `bin/manifold check-config` (the built CLI, as a user runs it) once
 * its `${…}` settings are set, and names each one that is not.
 */
import { execFile } from 'node:child_process';
import { expect, it } from 'vitest';

const BIN = new URL('../../bin/manifold', import.meta.url).pathname;
const RECIPE = new URL('../../examples/recipes/shopify.yaml', import.meta.url).pathname;

const SETTINGS = {
  SHOPIFY_SHOP_URL: 'https://manifold-demo.myshopify.com',
  SHOPIFY_ACCESS_TOKEN: 'shpat_0123456789abcdef0123456789abcdef',
  SHOPIFY_WEBHOOK_SECRET: 'shopify-app-client-secret-0001',
  SHOPIFY_KEY: 'shopify-hub-key-000000001',
  WMS_KEY: 'wms-hub-key-0000000000001',
  WMS_RELEASE_URL: 'https://wms.example/manifold/releases',
  MANIFOLD_ADMIN_KEY: 'admin-key-0000000000000001',
};

function checkConfig(env: Record<string, string>): Promise<{ code: number; out: string }> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !(name in SETTINGS) && !name.startsWith('MANIFOLD_')),
  );
  return new Promise((resolve) => {
    execFile(BIN, ['check-config', RECIPE], { env: { ...base, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

it('passes check-config with its settings given', { timeout: 30_000 }, async () => {
  const { code, out } = await checkConfig(SETTINGS);
  expect(out).toContain('shopify.yaml: ok (2 systems, 1 locations, 1 channels, 3 subscriptions)');
  expect(code).toBe(0);
});

it('names the settings left unset, at their line', { timeout: 30_000 }, async () => {
  const { SHOPIFY_ACCESS_TOKEN: _token, ...without } = SETTINGS;
  const { code, out } = await checkConfig(without);
  expect(code).toBe(1);
  expect(out).toMatch(
    /shopify\.yaml:\d+:\d+ .*X-Shopify-Access-Token: environment variable 'SHOPIFY_ACCESS_TOKEN' is not set/,
  );
  expect(out).not.toContain(SETTINGS.SHOPIFY_WEBHOOK_SECRET);
});
