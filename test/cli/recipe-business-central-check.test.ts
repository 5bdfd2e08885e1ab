/**
 * The Business Central recipe passes `bin/manifold check-config` once its `${…}` variables are set (as
 * `bin/manifold init` will hand it over), and names the file and line of a variable left unset.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/manifold', import.meta.url));
const RECIPE = fileURLToPath(new URL('../../examples/recipes/business-central.yaml', import.meta.url));

/** Every variable of the recipe without a default. */
const ENV: Record<string, string> = {
  MANIFOLD_ADMIN_KEY: 'recipe-admin-key-000001',
  MANIFOLD_PUBLIC_URL: 'https://hub.example.com',
  BC_HUB_KEY: 'recipe-bc-key-000000001',
  SHOP_KEY: 'recipe-shop-key-0000001',
  BC_API_URL: 'https://api.businesscentral.dynamics.com/v2.0/contoso.onmicrosoft.com/production/api/v2.0',
  BC_COMPANY_ID: 'f64eba74-dacd-4854-a584-1834f68cfc3a',
  BC_TOKEN_URL: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
  BC_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
  BC_CLIENT_SECRET: 'not-a-real-secret',
  BC_CLIENT_STATE: 'clientstate0001',
  BC_CREDIT_CHECK_URL: 'https://adapter.example.com/credit-check',
};

function checkConfig(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !name.startsWith('BC_') && !name.startsWith('MANIFOLD_'),
      ),
    );
    execFile(BIN, ['check-config', RECIPE], { env: { ...clean, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

it('passes check-config with its variables set', async () => {
  const result = await checkConfig(ENV);
  expect(result.stderr).toBe('');
  expect(result.stdout).toContain('business-central.yaml: ok');
  expect(result.code).toBe(0);
}, 30_000);

it('names the line of a variable left unset', async () => {
  const { BC_CLIENT_STATE: _, ...without } = ENV;
  const result = await checkConfig(without);
  expect(result.code).not.toBe(0);
  expect(`${result.stdout}${result.stderr}`).toMatch(/business-central\.yaml:\d+:\d+ .*BC_CLIENT_STATE/);
}, 30_000);
