import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signatureHeader, signedPayload, verifySignature } from './signature.js';

const SECRET = 'topsecret';
const BODY = '{"specversion":"1.0","id":"evt-1"}';
const T = 1_700_000_000;

describe('signatureHeader', () => {
  it('matches a vector computed with openssl', () => {
    // printf '%s' '1700000000.{"specversion":"1.0","id":"evt-1"}' | openssl dgst -sha256 -hmac topsecret
    expect(signatureHeader(SECRET, BODY, T)).toBe(
      't=1700000000,v1=e6ed9afb6908fd82a676e724f09e4380fc555f902709ff35978780647410a110',
    );
  });

  it('is HMAC-SHA256(secret, "<t>.<body>") in hex (computed independently)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.nat(4_000_000_000), (secret, body, t) => {
        const expected = createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
        expect(signatureHeader(secret, body, t)).toBe(`t=${t},v1=${expected}`);
        expect(signatureHeader(secret, Buffer.from(body, 'utf8'), t)).toBe(`t=${t},v1=${expected}`);
      }),
    );
  });

  it('signs whole seconds', () => {
    expect(signatureHeader(SECRET, BODY, T + 0.9)).toBe(signatureHeader(SECRET, BODY, T));
  });

  it('documents the signed string', () => {
    expect(signedPayload(T, BODY)).toBe(`1700000000.${BODY}`);
  });
});

describe('verifySignature', () => {
  const header = signatureHeader(SECRET, BODY, T);

  it('accepts its own signature, from a string or the raw bytes', () => {
    expect(verifySignature(SECRET, BODY, header, T)).toBe(true);
    expect(verifySignature(SECRET, Buffer.from(BODY), header, T + 300)).toBe(true);
    expect(verifySignature(SECRET, BODY, header, T - 300)).toBe(true);
  });

  it('rejects a timestamp outside the tolerance', () => {
    expect(verifySignature(SECRET, BODY, header, T + 301)).toBe(false);
    expect(verifySignature(SECRET, BODY, header, T - 301)).toBe(false);
    expect(verifySignature(SECRET, BODY, header, T + 3600, 3600)).toBe(true);
  });

  it('rejects another secret, another body, or a moved timestamp', () => {
    expect(verifySignature('other', BODY, header, T)).toBe(false);
    expect(verifySignature(SECRET, `${BODY} `, header, T)).toBe(false);
    const moved = header.replace(`t=${T}`, `t=${T + 1}`);
    expect(verifySignature(SECRET, BODY, moved, T)).toBe(false);
  });

  it('rejects missing and malformed headers', () => {
    for (const bad of [
      undefined,
      '',
      'garbage',
      `t=${T}`,
      'v1=abc',
      `t=${T},v1=zz`,
      `t=-1,v1=${'0'.repeat(64)}`,
    ]) {
      expect(verifySignature(SECRET, BODY, bad, T), String(bad)).toBe(false);
    }
    expect(verifySignature(SECRET, BODY, header.replace(/.$/, ''), T)).toBe(false);
  });

  it('accepts any of several v1 values (secret rotation), in any order, with spaces', () => {
    const other = signatureHeader('old-secret', BODY, T).split(',')[1];
    expect(verifySignature(SECRET, BODY, `${other}, ${header.split(',')[1]}, t=${T}`, T)).toBe(true);
  });
});
