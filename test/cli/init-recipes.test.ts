/**
 * `bin/manifold init` (the built CLI): recipes listed with their first comment line, written to stdout or
 * a file (never over one without --force), unknown names answered with the known ones; and every recipe in
 * examples/recipes/ checked: `init` prints it as it is, `check-config` refuses it while its placeholders are
 * unset (each named at its file:line) and accepts it once they are set (docs/recipes/README.md).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { listRecipes, recipeDescription, recipesDir, recipeVariables } from '../../src/cli/init-commands.js';
import { placeholderLines, plausibleValue, recipeTestEnv, testEnvComments } from '../support/recipe-env.js';

const BIN = fileURLToPath(new URL('../../bin/manifold', import.meta.url));
const REAL_DIR = fileURLToPath(new URL('../../examples/recipes/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'manifold-init-'));
const recipes = join(dir, 'recipes');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = `# Orders from a shop into an ERP over plain HTTP
#
# test-env: ERP_ID=erp-main
store: { sqlite: "\${MANIFOLD_DB:-./data/hub.db}" }
server:
  adminKey: \${MANIFOLD_ADMIN_KEY}
systems:
  erp: { kind: erp, key: "\${ERP_KEY}" }
subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: "\${ERP_URL}/orders/\${ERP_ID}" }
`;
const OTHER = `# Nothing but a store\n# test-env: X=1\nstore: { sqlite: ./data/x.db }\n`;

function run(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { ...process.env, ...env } as NodeJS.ProcessEnv }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The environment of the test without any of `names` (a recipe's placeholders stay unset). */
function without(names: Iterable<string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

/**
 * The lines an unset `${name}` may be reported at: where it is written, or where the block scalar
 * (`key: |`) holding it starts (the value's position is its first line).
 */
function reportedAt(text: string, name: string): number[] {
  const lines = text.split('\n');
  const at = new Set(placeholderLines(text, name));
  for (const line of [...at]) {
    let indent = (lines[line - 1] ?? '').search(/\S/);
    for (let i = line - 2; i >= 0; i -= 1) {
      const above = lines[i] ?? '';
      if (above.trim() === '' || above.search(/\S/) >= indent) continue;
      if (/:\s*[|>][-+]?\s*(#.*)?$/.test(above)) at.add(i + 1);
      // A YAML key ends the search; a less indented line of the block's own text goes on up.
      if (/^\s*[\w.-]+:/.test(above)) break;
      indent = above.search(/\S/);
    }
  }
  return [...at];
}

/** `check-config` refuses `file` naming each placeholder at its line, then accepts it with test values. */
async function checkRecipe(file: string): Promise<void> {
  const text = readFileSync(file, 'utf8');
  const vars = recipeVariables(text);
  const required = [...vars].filter(([, v]) => !v.hasDefault).map(([name]) => name);
  if (required.length > 0) {
    const refused = await run(['check-config', file], { ...without(vars.keys()) });
    expect(refused.code, refused.stdout).toBe(1);
    // Each one named at a line where it is written (the first value that holds it reports it).
    for (const name of required) {
      const escaped = file.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const lines = [
        ...refused.stderr.matchAll(
          new RegExp(`${escaped}:(\\d+):\\d+ .*environment variable '${name}' is not set`, 'g'),
        ),
      ].map((match) => Number(match[1]));
      expect(lines.length, `${name} is not named`).toBeGreaterThan(0);
      for (const line of lines) expect(reportedAt(text, name), `${name} at line ${line}`).toContain(line);
    }
  }
  const accepted = await run(['check-config', file], { ...without(vars.keys()), ...recipeTestEnv(text) });
  expect(accepted.stderr).toBe('');
  expect(accepted).toMatchObject({ code: 0 });
  expect(accepted.stdout).toContain(': ok (');
}

describe('init with a recipes folder of its own (MANIFOLD_RECIPES_DIR)', () => {
  const env = { MANIFOLD_RECIPES_DIR: recipes };
  it('lists, writes, refuses to overwrite, and names the known recipes for an unknown one', {
    timeout: 180_000,
  }, async () => {
    rmSync(recipes, { recursive: true, force: true });
    expect(listRecipes(recipes)).toEqual([]);
    expect((await run(['init', '--list'], env)).stdout).toBe(`no recipes in ${recipes}\n`);
    mkdirSync(recipes);
    writeFileSync(join(recipes, 'tiny-erp.yaml'), TINY);
    writeFileSync(join(recipes, 'bare.yaml'), OTHER);
    writeFileSync(join(recipes, 'notes.txt'), '# not a recipe\n');

    const list = await run(['init', '--list'], env);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toBe(
      'bare      Nothing but a store\ntiny-erp  Orders from a shop into an ERP over plain HTTP\n',
    );

    const printed = await run(['init', '--recipe', 'tiny-erp'], env);
    expect(printed).toMatchObject({ code: 0, stdout: TINY });

    const out = join(dir, 'manifold.yaml');
    const written = await run(['init', '--recipe', 'tiny-erp', '--out', out], env);
    expect(written.code).toBe(0);
    expect(written.stderr).toBe(
      `wrote ${out}; set MANIFOLD_ADMIN_KEY, ERP_KEY, ERP_URL, ERP_ID before \`manifold check-config ${out}\`\n`,
    );
    expect(readFileSync(out, 'utf8')).toBe(TINY);

    const again = await run(['init', '--recipe', 'bare', '--out', out], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`manifold init: ${out} exists; give --force to overwrite it\n`);
    expect(readFileSync(out, 'utf8')).toBe(TINY);
    expect((await run(['init', '--recipe', 'bare', '--out', out, '--force'], env)).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(OTHER);

    const unknown = await run(['init', '--recipe', 'nope', '--out', join(dir, 'never.yaml')], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      `manifold init: no recipe 'nope' in ${recipes}; known recipes: bare, tiny-erp\n`,
    );
    expect(existsSync(join(dir, 'never.yaml'))).toBe(false);

    const none = await run(['init'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give --recipe NAME (or --list)');
  });

  it('checks a recipe as the real ones are checked: refused while unset, accepted once set', {
    timeout: 180_000,
  }, async () => {
    await checkRecipe(join(recipes, 'tiny-erp.yaml'));
  });
});

describe('the helpers', () => {
  it('reads the description, the placeholders and the test values', () => {
    expect(recipeDescription('#!/bin/x\n\n#   Hello there  \n# second\nkey: 1\n')).toBe('Hello there');
    expect(recipeDescription('# test-env: A=1\n# Real one\n')).toBe('Real one');
    expect(recipeDescription('key: 1\n')).toBe('');
    expect([...recipeVariables(TINY)]).toEqual([
      ['MANIFOLD_DB', { hasDefault: true }],
      ['MANIFOLD_ADMIN_KEY', { hasDefault: false }],
      ['ERP_KEY', { hasDefault: false }],
      ['ERP_URL', { hasDefault: false }],
      ['ERP_ID', { hasDefault: false }],
    ]);
    expect(recipeVariables(`a: \${X:-1}\nb: \${X}\n`).get('X')).toEqual({ hasDefault: false });
    expect(testEnvComments(TINY)).toEqual({ ERP_ID: 'erp-main' });
    expect(plausibleValue('SHOPIFY_API_URL')).toBe('http://127.0.0.1:1');
    expect(plausibleValue('HUB_WEBHOOK_SECRET')).toHaveLength(32);
    expect(recipeTestEnv(TINY)).toMatchObject({ ERP_ID: 'erp-main', ERP_URL: 'http://127.0.0.1:1' });
    expect(recipesDir({ MANIFOLD_RECIPES_DIR: '/x' })).toBe('/x');
    expect(recipesDir({})).toBe(REAL_DIR);
  });
});

describe('the recipes in examples/recipes/', () => {
  const real = listRecipes(REAL_DIR);
  if (real.length === 0) it.skip('no recipes in examples/recipes/ yet', () => {});
  for (const recipe of real) {
    it(`${recipe.name}: init prints it; check-config needs its placeholders`, {
      timeout: 180_000,
    }, async () => {
      expect(recipe.description, 'the first comment line describes the recipe').not.toBe('');
      const printed = await run(['init', '--recipe', recipe.name], { MANIFOLD_RECIPES_DIR: undefined });
      expect(printed.code).toBe(0);
      expect(printed.stdout).toBe(readFileSync(recipe.file, 'utf8'));
      await checkRecipe(recipe.file);
    });
  }
});
