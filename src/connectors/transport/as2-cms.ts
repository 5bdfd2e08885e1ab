/**
 * CMS for AS2 (RFC 4130 §5.2, over S/MIME RFC 5751 and CMS RFC 5652), with node-forge:
 * - signing: an S/MIME `multipart/signed` (`application/pkcs7-signature`, detached, SHA-256, with the
 *   content-type, message-digest and signing-time attributes) made by forge's SignedData;
 * - verifying: forge's SignedData has no verify, so the SignerInfo is read here from its ASN.1: the
 *   message-digest attribute must be the digest of the signed part's exact bytes, and the signature over
 *   the DER of the signed attributes must check with one of the partner's certificates (node:crypto);
 * - encrypting and decrypting: forge's EnvelopedData (RSA key transport, AES-CBC);
 * - the MIC of a signed message: the base64 digest of the signed part's bytes, headers included (§7.3.1).
 * Certificates come with their validity, so that during a rollover either of two is accepted and the
 * newest valid one is used.
 */
import { createHash, randomUUID, verify as verifySignature, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import {
  base64Lines,
  buildEntity,
  buildMultipart,
  headerParams,
  type MimeEntity,
  splitMultipart,
} from './as2-mime.js';

/** A certificate with what its uses need: forge's form (encryption, signing) and its validity. */
export interface As2Certificate {
  pem: string;
  x509: X509Certificate;
  forge: forge.pki.Certificate;
  validFrom: Date;
  validTo: Date;
  subject: string;
}

/** One of the hub's key pairs: its certificate (what partners encrypt to) and its private key. */
export interface As2KeyPair {
  certificate: As2Certificate;
  key: forge.pki.rsa.PrivateKey;
}

/** Reads a PEM certificate; throws with the reason when it is not one forge can use (an RSA certificate). */
export function loadCertificate(pem: string): As2Certificate {
  const x509 = new X509Certificate(pem);
  return {
    pem,
    x509,
    forge: forge.pki.certificateFromPem(pem),
    validFrom: new Date(x509.validFrom),
    validTo: new Date(x509.validTo),
    subject: x509.subject.replace(/\n/g, ', '),
  };
}

/** Reads a key pair; throws when the key is not an unencrypted RSA key or not the certificate's. */
export function loadKeyPair(certificatePem: string, keyPem: string): As2KeyPair {
  const certificate = loadCertificate(certificatePem);
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = certificate.forge.publicKey as forge.pki.rsa.PublicKey;
  if (publicKey.n.compareTo(key.n) !== 0) throw new Error("the key is not the certificate's");
  return { certificate, key };
}

/** The items valid at `now`, newest (latest start of validity) first. */
export function validNewestFirst<T>(items: readonly T[], now: Date, cert: (item: T) => As2Certificate): T[] {
  return items
    .filter((item) => cert(item).validFrom <= now && now <= cert(item).validTo)
    .sort((a, b) => cert(b).validFrom.getTime() - cert(a).validFrom.getTime());
}

const HASHES: Record<string, string> = {
  [forge.pki.oids.sha1 as string]: 'sha1',
  [forge.pki.oids.sha256 as string]: 'sha256',
  [forge.pki.oids.sha384 as string]: 'sha384',
  [forge.pki.oids.sha512 as string]: 'sha512',
};

/** `sha-256` (the AS2 name, RFC 4130 §7.3.1 and RFC 5751's micalg) → node's `sha256`. */
export function nodeHash(as2Name: string): string | undefined {
  const name = as2Name.trim().toLowerCase().replace('-', '');
  return ['sha1', 'sha256', 'sha384', 'sha512'].includes(name) ? name : undefined;
}

/** The MIC of `content` (base64 of its digest), as written in Received-Content-MIC with `, sha-256`. */
export function mic(content: Buffer, hash = 'sha256'): string {
  return createHash(hash).update(content).digest('base64');
}

const bytes = (buffer: Buffer) => forge.util.createBuffer(buffer.toString('binary'));
const der = (object: forge.asn1.Asn1) => Buffer.from(forge.asn1.toDer(object).getBytes(), 'binary');

/** Signs the entity `content` (headers and body) as `multipart/signed`: its content type and body. */
export function signEntity(
  content: Buffer,
  signer: As2KeyPair,
  now: Date,
): { contentType: string; body: Buffer } {
  const p7 = forge.pkcs7.createSignedData();
  p7.content = bytes(content);
  p7.addCertificate(signer.certificate.forge);
  p7.addSigner({
    key: signer.key,
    certificate: signer.certificate.forge,
    digestAlgorithm: forge.pki.oids.sha256 as string,
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType as string, value: forge.pki.oids.data as string },
      { type: forge.pki.oids.messageDigest as string },
      { type: forge.pki.oids.signingTime as string, value: now as unknown as string },
    ],
  });
  p7.sign({ detached: true });
  const signature = buildEntity(
    [
      ['Content-Type', 'application/pkcs7-signature; name=smime.p7s'],
      ['Content-Transfer-Encoding', 'base64'],
      ['Content-Disposition', 'attachment; filename=smime.p7s'],
    ],
    base64Lines(der(p7.toAsn1())),
  );
  const boundary = `----=_as2_${randomUUID().replace(/-/g, '')}`;
  return {
    contentType: `multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="${boundary}"`,
    body: buildMultipart([content, signature], boundary),
  };
}

/** What checking a `multipart/signed` entity came to: the signed part, and by which certificate. */
export type Verified =
  | { ok: true; content: Buffer; certificate: As2Certificate; hash: string }
  | { ok: false; reason: string; content?: Buffer };

/**
 * Checks a `multipart/signed` entity against `trusted` (a partner's certificates): the signed part's
 * digest in the message-digest attribute, and the signature over the signed attributes.
 */
export function verifySigned(entity: MimeEntity, trusted: readonly As2Certificate[]): Verified {
  const type = headerParams(entity.headers['content-type']);
  if (type.value !== 'multipart/signed' || !type.params.boundary)
    return { ok: false, reason: `not multipart/signed but ${type.value || 'no content type'}` };
  const [content, signaturePart] = splitMultipart(entity.body, type.params.boundary);
  if (!content || !signaturePart) return { ok: false, reason: 'the multipart/signed has not two parts' };
  let signerInfos: forge.asn1.Asn1[];
  try {
    const sigEntity = signaturePart.toString('latin1');
    const blank = sigEntity.search(/\r?\n\r?\n/);
    const headers = sigEntity.slice(0, blank).toLowerCase();
    const text = sigEntity.slice(blank).trim();
    const raw = headers.includes('base64')
      ? Buffer.from(text.replace(/\s+/g, ''), 'base64')
      : Buffer.from(text, 'latin1');
    const info = forge.asn1.fromDer(bytes(raw));
    if (oidOf(children(info)[0]) !== forge.pki.oids.signedData) throw new Error('not SignedData');
    const fields = children(children(children(info)[1])[0]);
    signerInfos = children(fields[fields.length - 1]);
  } catch (error) {
    return { ok: false, reason: `the signature is not CMS SignedData: ${(error as Error).message}`, content };
  }
  const reasons: string[] = [];
  for (const signerInfo of signerInfos) {
    try {
      const checked = checkSigner(signerInfo, content, trusted);
      if (typeof checked !== 'string') return { ok: true, content, ...checked };
      reasons.push(checked);
    } catch (error) {
      reasons.push(`the SignerInfo cannot be read: ${(error as Error).message}`);
    }
  }
  return { ok: false, reason: reasons.join('; ') || 'no signer', content };
}

const children = (node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] =>
  Array.isArray(node?.value) ? node.value : [];
const oidOf = (node: forge.asn1.Asn1 | undefined): string =>
  forge.asn1.derToOid(typeof node?.value === 'string' ? node.value : '');

/** One SignerInfo checked against `content` and `trusted`: the certificate that signed, or why not. */
function checkSigner(
  signerInfo: forge.asn1.Asn1,
  content: Buffer,
  trusted: readonly As2Certificate[],
): { certificate: As2Certificate; hash: string } | string {
  const fields = children(signerInfo);
  const digestOid = oidOf(children(fields[2])[0]);
  const hash = HASHES[digestOid];
  if (!hash) return `digest algorithm ${digestOid} is not supported`;
  let at = 3;
  const attributes =
    fields[at]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && fields[at]?.type === 0
      ? fields[at]
      : undefined;
  if (attributes) at += 1;
  const signatureValue = fields[at + 1]?.value;
  const signature = Buffer.from(typeof signatureValue === 'string' ? signatureValue : '', 'binary');
  let signed = content;
  if (attributes) {
    const digest = createHash(hash).update(content).digest();
    const messageDigest = children(attributes).find(
      (attribute) => oidOf(children(attribute)[0]) === forge.pki.oids.messageDigest,
    );
    const sentValue = children(children(messageDigest)[1])[0]?.value;
    const sent = Buffer.from(typeof sentValue === 'string' ? sentValue : '', 'binary');
    if (!sent.equals(digest)) return 'the content does not match its signed digest (altered on the way)';
    signed = der(
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SET, true, children(attributes)),
    );
  }
  const certificate = trusted.find((candidate) => {
    try {
      return verifySignature(hash, signed, candidate.x509.publicKey, signature);
    } catch {
      return false;
    }
  });
  return certificate ? { certificate, hash } : "the signature checks with none of the partner's certificates";
}

/** Encrypts `content` for `recipient` (CMS EnvelopedData, AES-256-CBC): its DER. */
export function encryptFor(content: Buffer, recipient: As2Certificate): Buffer {
  const p7 = forge.pkcs7.createEnvelopedData();
  p7.addRecipient(recipient.forge);
  p7.content = bytes(content);
  p7.encrypt(undefined, forge.pki.oids['aes256-CBC'] as string);
  return der(p7.toAsn1());
}

/** Decrypts CMS EnvelopedData (DER, or base64 of it) with whichever of `pairs` it was made for. */
export function decryptWith(data: Buffer, pairs: readonly As2KeyPair[]): Buffer {
  const text = data.subarray(0, 4).toString('latin1');
  const raw = text.startsWith('MI')
    ? Buffer.from(data.toString('latin1').replace(/\s+/g, ''), 'base64')
    : data;
  let message: forge.pkcs7.PkcsEnvelopedData;
  try {
    message = forge.pkcs7.messageFromAsn1(forge.asn1.fromDer(bytes(raw))) as forge.pkcs7.PkcsEnvelopedData;
  } catch (error) {
    throw new Error(`not CMS EnvelopedData: ${(error as Error).message}`);
  }
  if (typeof message.findRecipient !== 'function') throw new Error('not CMS EnvelopedData');
  for (const pair of pairs) {
    const recipient = message.findRecipient(pair.certificate.forge);
    if (!recipient) continue;
    message.decrypt(recipient, pair.key);
    const content = (message as unknown as { content?: forge.util.ByteBuffer }).content;
    if (!content) throw new Error('the content could not be decrypted');
    return Buffer.from(content.getBytes(), 'binary');
  }
  throw new Error("the message is encrypted for none of the hub's certificates");
}

/** Whether `entity` is encrypted (`application/pkcs7-mime` enveloped-data). */
export function isEnveloped(contentType: string | undefined): boolean {
  const type = headerParams(contentType);
  return (
    (type.value === 'application/pkcs7-mime' || type.value === 'application/x-pkcs7-mime') &&
    (type.params['smime-type'] ?? 'enveloped-data').toLowerCase() === 'enveloped-data'
  );
}
