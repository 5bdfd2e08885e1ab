/**
 * `bin/manifold init --recipe NAME [--out FILE] [--force]` and `init --list` (docs/recipes/README.md): a
 * starter configuration is a recipe file itself, `examples/recipes/<name>.yaml`, copied as it is; its
 * placeholders are `${ENV_VAR}` references that `check-config` and `serve` refuse while they are unset.
 * `MANIFOLD_RECIPES_DIR` names another folder of recipes.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

/** A recipe on disk: its name (the file name without `.yaml`) and its one-line description. */
export interface Recipe {
  name: string;
  description: string;
  file: string;
}

/** The folder of recipes: `MANIFOLD_RECIPES_DIR`, else `examples/recipes` of this installation. */
export function recipesDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.MANIFOLD_RECIPES_DIR;
  if (override !== undefined && override !== '') return override;
  // src/cli/ and dist/cli/ are both two folders below the repository.
  return fileURLToPath(new URL('../../examples/recipes/', import.meta.url));
}

/**
 * The description of a recipe: its first comment line (`# …`) without the `#`, skipping a `#!` line and
 * the `# test-env:` lines the recipe tests read; empty when it has none.
 */
export function recipeDescription(text: string): string {
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('#') || trimmed.startsWith('#!')) continue;
    const comment = trimmed.replace(/^#+\s*/, '');
    if (comment === '' || comment.startsWith('test-env:')) continue;
    return comment;
  }
  return '';
}

/** Every `<name>.yaml` in `dir`, by name; none when the folder is missing. */
export function listRecipes(dir: string): Recipe[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const path = join(dir, file);
      return {
        name: file.slice(0, -'.yaml'.length),
        file: path,
        description: recipeDescription(readFileSync(path, 'utf8')),
      };
    });
}

/** A refusal of `init`: the message says what to do; the exit code is 1. */
export class InitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InitError';
  }
}

/** The `--list` text: one line per recipe, the name padded, then its description. */
export function formatRecipeList(recipes: Recipe[], dir: string): string {
  if (recipes.length === 0) return `no recipes in ${dir}\n`;
  const width = Math.max(...recipes.map((r) => r.name.length));
  return recipes
    .map((r) => `${r.name.padEnd(width)}  ${r.description}`.trimEnd())
    .join('\n')
    .concat('\n');
}

/**
 * The text of recipe `name`, written to `out` (refused when it exists, unless `force`) or returned for
 * stdout when `out` is undefined. An unknown name is refused with the known ones.
 */
export function initRecipe(options: { name: string; dir: string; out?: string; force?: boolean }): string {
  const recipes = listRecipes(options.dir);
  const recipe = recipes.find((r) => r.name === options.name);
  if (recipe === undefined) {
    const known = recipes.map((r) => r.name);
    throw new InitError(
      `no recipe '${options.name}' in ${options.dir}; ${known.length > 0 ? `known recipes: ${known.join(', ')}` : 'there are none'}`,
    );
  }
  const text = readFileSync(recipe.file, 'utf8');
  if (options.out !== undefined) {
    if (existsSync(options.out) && options.force !== true) {
      throw new InitError(`${options.out} exists; give --force to overwrite it`);
    }
    writeFileSync(options.out, text);
  }
  return text;
}

/** The `${NAME}` and `${NAME:-default}` references in a recipe, by name, with whether each has a default. */
export function recipeVariables(text: string): Map<string, { hasDefault: boolean }> {
  const found = new Map<string, { hasDefault: boolean }>();
  for (const line of text.split('\n')) {
    if (line.trimStart().startsWith('#')) continue;
    for (const match of line.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)) {
      const name = match[1] as string;
      const hasDefault = match[2] !== undefined;
      found.set(name, { hasDefault: (found.get(name)?.hasDefault ?? true) && hasDefault });
    }
  }
  return found;
}

/** Adds `init` to the program. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('write a starter configuration from a recipe (examples/recipes/<name>.yaml), or list them')
    .option('--recipe <name>', 'the recipe to start from')
    .option('--out <file>', 'write to this file (default: standard output)')
    .option('--force', 'overwrite --out when it exists')
    .option('--list', 'list the recipes with a one-line description')
    .action((options: { recipe?: string; out?: string; force?: boolean; list?: boolean }) => {
      const dir = recipesDir();
      if (options.list === true) {
        process.stdout.write(formatRecipeList(listRecipes(dir), dir));
        return;
      }
      if (options.recipe === undefined) {
        process.stderr.write(
          `manifold init: give --recipe NAME (or --list)\n${formatRecipeList(listRecipes(dir), dir)}`,
        );
        process.exit(2);
      }
      try {
        const text = initRecipe({
          name: options.recipe,
          dir,
          ...(options.out !== undefined ? { out: options.out } : {}),
          ...(options.force === true ? { force: true } : {}),
        });
        if (options.out === undefined) process.stdout.write(text);
        else {
          const vars = [...recipeVariables(text)].filter(([, v]) => !v.hasDefault).map(([name]) => name);
          process.stderr.write(
            `wrote ${options.out}${vars.length > 0 ? `; set ${vars.join(', ')} before \`manifold check-config ${options.out}\`` : ''}\n`,
          );
        }
      } catch (error) {
        if (error instanceof InitError) {
          process.stderr.write(`manifold init: ${error.message}\n`);
          process.exit(1);
        }
        throw error;
      }
    });
}
