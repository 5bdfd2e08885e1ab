/**
 * The AS2 CMS layer against an independent implementation, `openssl cms`: what the hub signs and encrypts
 * openssl decrypts and verifies, and what openssl signs and encrypts the hub decrypts and verifies.
 */
import { describe, expect, it } from 'vitest';
import {
  decryptWith,
  encryptFor,
  loadCertificate,
  loadKeyPair,
  mic,
  signEntity,
  verifySigned,
} from '../../src/connectors/transport/as2-cms.js';
import {
  base64Lines,
  buildEntity,
  decodedBody,
  parseEntity,
} from '../../src/connectors/transport/as2-mime.js';
import { OpenSsl } from '../fakes/as2/openssl.js';

const ssl = new OpenSsl();
const hub = ssl.identity('hub');
const partner = ssl.identity('partner');
const stranger = ssl.identity('stranger');
const x12 =
  'ISA*00*          *00*          *ZZ*PARTNER        *ZZ*HUB            *260101*1200*U*00401*000000001*0*P*>~\r\nIEA*0*000000001~\r\n';
const entity = buildEntity(
  [
    ['Content-Type', 'application/edi-x12'],
    ['Content-Transfer-Encoding', 'base64'],
  ],
  base64Lines(Buffer.from(x12)),
);

describe('AS2 CMS against openssl cms', () => {
  it('signs and encrypts so that openssl decrypts and verifies, and the content is the X12', () => {
    const pair = loadKeyPair(hub.certPem, hub.keyPem);
    const signed = signEntity(entity, pair, new Date());
    const smime = buildEntity(
      [
        ['MIME-Version', '1.0'],
        ['Content-Type', signed.contentType],
      ],
      signed.body,
    );
    const enveloped = encryptFor(smime, loadCertificate(partner.certPem));
    const decrypted = ssl.decrypt(enveloped, partner);
    expect(decrypted.equals(smime)).toBe(true);
    const content = ssl.verify(decrypted, hub);
    expect(content.equals(entity)).toBe(true);
    expect(decodedBody(parseEntity(content)).toString()).toBe(x12);
  });

  it('decrypts and verifies what openssl signed and encrypted; the MIC is the signed part’s digest', () => {
    const signed = ssl.sign(entity, partner);
    const enveloped = ssl.encrypt(signed, hub);
    const plain = decryptWith(enveloped, [loadKeyPair(hub.certPem, hub.keyPem)]);
    expect(plain.equals(signed)).toBe(true);
    const verified = verifySigned(parseEntity(plain), [
      loadCertificate(stranger.certPem),
      loadCertificate(partner.certPem),
    ]);
    expect(verified.ok).toBe(true);
    if (verified.ok) {
      expect(verified.content.equals(entity)).toBe(true);
      expect(mic(verified.content)).toBe(mic(entity));
    }
  });

  it('refuses a signature by another certificate, altered content, and a message for another key', () => {
    const signed = ssl.sign(entity, stranger);
    const verified = verifySigned(parseEntity(signed), [loadCertificate(partner.certPem)]);
    expect(verified).toMatchObject({ ok: false, reason: expect.stringContaining('none of the partner') });
    const good = ssl
      .sign(entity, partner)
      .toString('latin1')
      .replace('application/edi-x12', 'application/edi-x13');
    const altered = verifySigned(parseEntity(Buffer.from(good, 'latin1')), [
      loadCertificate(partner.certPem),
    ]);
    expect(altered).toMatchObject({ ok: false, reason: expect.stringContaining('does not match') });
    const forStranger = ssl.encrypt(signed, stranger);
    expect(() => decryptWith(forStranger, [loadKeyPair(hub.certPem, hub.keyPem)])).toThrow(/none of the hub/);
  });

  it('decrypts with whichever of the hub’s key pairs a message was encrypted for (a rollover of the hub’s key)', () => {
    const next = ssl.identity('hub-next');
    const pairs = [loadKeyPair(hub.certPem, hub.keyPem), loadKeyPair(next.certPem, next.keyPem)];
    const signed = ssl.sign(entity, partner);
    expect(decryptWith(ssl.encrypt(signed, hub), pairs).equals(signed)).toBe(true);
    expect(decryptWith(ssl.encrypt(signed, next), pairs).equals(signed)).toBe(true);
    expect(() => loadKeyPair(hub.certPem, next.keyPem)).toThrow(/not the certificate/);
  });
});
