/**
 * Values for a recipe's `${VAR}` placeholders in tests (docs/recipes/README.md#testing-a-recipe): a
 * `# test-env: VAR=value` comment in the recipe wins; otherwise the value is derived from the variable's
 * name, so that `check-config` accepts the recipe once every placeholder is set.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { recipeVariables } from '../../src/cli/init-commands.js';

/** 32 characters, one of its own per variable (the configuration refuses two systems sharing a key). */
function secret(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 32);
}

/** A fresh Ed25519 private key in PEM (PKCS #8), as an SSH client key is given. */
function privateKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A plausible value for a variable named `name`. */
export function plausibleValue(name: string): string {
  const n = name.toUpperCase();
  if (/(URL|ENDPOINT|BASE)$/.test(n) || n.includes('_URL_')) return 'http://127.0.0.1:1';
  if (/PRIVATE_KEY$/.test(n)) return privateKeyPem();
  // An SSH host key fingerprint as OpenSSH prints it: SHA256: and 43 base64 characters.
  if (/HOST_KEY$/.test(n))
    return `SHA256:${createHash('sha256').update(n).digest('base64').replace(/=+$/, '')}`;
  if (/(SECRET|KEY|TOKEN|PASSWORD|PASS)$/.test(n)) return secret(n);
  if (/PORT$/.test(n)) return '8080';
  if (/HOST$/.test(n)) return '127.0.0.1';
  if (/(EMAIL|MAIL)$/.test(n)) return 'ops@example.com';
  if (/(DOMAIN|SHOP)$/.test(n)) return 'example.myshopify.com';
  return 'TEST123';
}

/** The `# test-env: VAR=value` lines of a recipe (several pairs may share a line, separated by spaces). */
export function testEnvComments(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const match of text.matchAll(/^\s*#\s*test-env:\s*(.*)$/gm)) {
    for (const pair of (match[1] as string).trim().split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

/** Every placeholder of `text` (with a default or not) set to its test value. */
export function recipeTestEnv(text: string): Record<string, string> {
  const given = testEnvComments(text);
  const env: Record<string, string> = {};
  // Only the settings without a default: a default is the recipe's own sensible value.
  for (const [name, { hasDefault }] of recipeVariables(text))
    if (!hasDefault) env[name] = plausibleValue(name);
  return { ...env, ...given };
}

/** The 1-based lines of `text` where `${name}` (without a default) is written, comments left out. */
export function placeholderLines(text: string, name: string): number[] {
  const lines: number[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trimStart().startsWith('#')) return;
    if (line.includes(`\${${name}}`)) lines.push(index + 1);
  });
  return lines;
}
