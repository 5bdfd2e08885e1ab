/**
 * What the console's browser tests share: Debian's Chromium started headless with the flags the project
 * runs it with, the check that the console was built, and signing in with a key.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Suites are skipped without it (`.ci/run` installs it when missing). */
export const HAS_CHROMIUM = existsSync(CHROMIUM);
/** The repository's root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Throws when the console has not been built: the hub would serve no page to test. */
export function requireBuiltConsole(): void {
  if (!existsSync(join(ROOT, 'dist', 'web', 'index.html')))
    throw new Error('the console is not built (no dist/web/index.html): run `npm run build` first');
}

/** Chromium, headless, with nothing of its own reaching the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Opens the console at `url` and signs in with `key`. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByTestId('key-input').fill(key);
  await page.getByTestId('key-submit').click();
}
