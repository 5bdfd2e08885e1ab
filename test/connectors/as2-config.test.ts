/**
 * The AS2 recipe and `systems.<partner>.as2` under `check-config`: the recipe passes the real CLI once its
 * `${…}` variables are set; a certificate that cannot be read, is expired, is not the key's, or an async
 * receipt mode without its URL is refused at file:line.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { configIssues, lineOf } from '../support/config-issues.js';
import { identities, RECIPE, recipeEnv } from './as2-support.js';

const BIN = new URL('../../bin/manifold', import.meta.url).pathname;
const ids = identities();
const dir = mkdtempSync(join(tmpdir(), 'manifold-as2-config-'));
const env = recipeEnv({ dir, port: 8080, partnerUrl: 'http://127.0.0.1:9', ids, mdn: 'sync' });
const recipe = readFileSync(RECIPE, 'utf8');
/** `${NAME}` as written in the recipe. */
const ref = (name: string) => `$${'{'}${name}}`;

/** A self-signed certificate that expired yesterday (forge: openssl 3.0's req cannot backdate one). */
function expiredCertificate(): string {
  const keys = forge.pki.rsa.generateKeyPair(1024);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 400 * 86_400_000);
  cert.validity.notAfter = new Date(Date.now() - 86_400_000);
  cert.setSubject([{ name: 'commonName', value: 'retailer-2025' }]);
  cert.setIssuer([{ name: 'commonName', value: 'retailer-2025' }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const path = join(dir, 'expired.crt');
  writeFileSync(path, forge.pki.certificateToPem(cert));
  return path;
}

describe('the AS2 recipe under check-config', { timeout: 30_000 }, () => {
  it('passes bin/manifold check-config with its variables set', async () => {
    const { stdout } = await promisify(execFile)(BIN, ['check-config', RECIPE.pathname], {
      env: { ...process.env, ...env },
    });
    expect(stdout).toContain('as2-partner.yaml: ok');
  });

  it('refuses an unreadable certificate file, another certificate than the key’s, at file:line', () => {
    const issues = configIssues(recipe, {
      ...env,
      RETAILER_AS2_CERT: join(dir, 'missing.crt'),
      HUB_AS2_KEY: ids.retailer.key,
    });
    expect(issues).toContainEqual(
      expect.objectContaining({
        line: lineOf(recipe, `- ${ref('RETAILER_AS2_CERT')}`),
        path: 'systems.retailer.as2.certificates[0]',
        message: expect.stringContaining('ENOENT'),
      }),
    );
    expect(issues).toContainEqual(
      expect.objectContaining({
        line: lineOf(recipe, `key: ${ref('HUB_AS2_KEY')}`),
        message: expect.stringContaining('the key is not the certificate'),
      }),
    );
  });

  it('refuses an expired certificate, and says to remove it after the rollover', () => {
    const issues = configIssues(recipe, { ...env, RETAILER_AS2_CERT: expiredCertificate() });
    expect(issues).toContainEqual(
      expect.objectContaining({
        line: lineOf(recipe, `- ${ref('RETAILER_AS2_CERT')}`),
        message: expect.stringMatching(/retailer-2025 expired on .*; remove it/),
      }),
    );
  });

  it('asks for receiptUrl with mdn: async, and a PEM given inline works as a file does', () => {
    const text = recipe.replace(/\n\s+receiptUrl: .*\n/, '\n');
    const issues = configIssues(text, {
      ...env,
      RETAILER_AS2_MDN: 'async',
      RETAILER_AS2_CERT: ids.retailer.certPem,
    });
    expect(issues.map((i) => i.message)).toEqual([expect.stringContaining('mdn: async needs receiptUrl')]);
  });
});
