/**
 * An independent implementation of AS2's CMS for tests: `openssl cms` (OpenSSL 3) signs, encrypts,
 * decrypts and verifies, and `openssl req -x509` makes the certificates, in a temp folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestIdentity {
  cert: string;
  key: string;
  certPem: string;
  keyPem: string;
}

export class OpenSsl {
  readonly dir = mkdtempSync(join(tmpdir(), 'as2-openssl-'));
  private n = 0;

  private file(name: string, content?: Buffer | string): string {
    const path = join(this.dir, `${this.n++}-${name}`);
    if (content !== undefined) writeFileSync(path, content);
    return path;
  }

  private run(args: string[], input?: Buffer): Buffer {
    return execFileSync('openssl', args, {
      input: input ?? Buffer.alloc(0),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** A self-signed RSA certificate and key (`openssl req -x509`), valid from now for `days`. */
  identity(name: string, days = 365): TestIdentity {
    const key = this.file(`${name}.key`);
    const cert = this.file(`${name}.crt`);
    this.run([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      `/CN=${name}`,
      '-days',
      String(days),
    ]);
    return { cert, key, certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
  }

  /** `openssl cms -sign`: an S/MIME multipart/signed (headers included, CRLF) of the entity `content`. */
  sign(content: Buffer, signer: TestIdentity): Buffer {
    const input = this.file('content', content);
    return this.run([
      'cms',
      '-sign',
      '-binary',
      '-crlfeol',
      '-md',
      'sha256',
      '-in',
      input,
      '-signer',
      signer.cert,
      '-inkey',
      signer.key,
    ]);
  }

  /** `openssl cms -encrypt` (AES-256-CBC) of `content` for `recipient`: DER. */
  encrypt(content: Buffer, recipient: TestIdentity): Buffer {
    const input = this.file('plain', content);
    return this.run([
      'cms',
      '-encrypt',
      '-binary',
      '-aes-256-cbc',
      '-outform',
      'DER',
      '-in',
      input,
      recipient.cert,
    ]);
  }

  /** `openssl cms -decrypt` of DER EnvelopedData with `recipient`'s key: the content. */
  decrypt(der: Buffer, recipient: TestIdentity): Buffer {
    const input = this.file('enveloped.der', der);
    return this.run([
      'cms',
      '-decrypt',
      '-binary',
      '-inform',
      'DER',
      '-in',
      input,
      '-recip',
      recipient.cert,
      '-inkey',
      recipient.key,
    ]);
  }

  /**
   * `openssl cms -verify` of an S/MIME multipart/signed message (headers included) against `signer`: the
   * signed part; throws when it fails. Not `-binary`: in binary mode openssl keeps the CR of the CRLF before
   * the closing delimiter in the content (RFC 2046 gives that CRLF to the delimiter), so a signed part in
   * canonical form (CRLF lines, as the hub writes it) is checked in text mode.
   */
  verify(smime: Buffer, signer: TestIdentity): Buffer {
    const input = this.file('signed.eml', smime);
    return this.run(['cms', '-verify', '-in', input, '-CAfile', signer.cert, '-purpose', 'any']);
  }
}
