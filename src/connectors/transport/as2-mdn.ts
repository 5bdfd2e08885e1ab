/**
 * AS2 receipts (RFC 4130 §7, over the MDN of RFC 3798 and the report of RFC 3462): a `multipart/report;
 * report-type=disposition-notification` with a human part and a `message/disposition-notification` part
 * (Original-Message-ID, Received-Content-MIC, Disposition), signed when the sender asked for a signed
 * receipt. The Disposition `automatic-action/MDN-sent-automatically; processed` is positive; with
 * `/error: <reason>` or `failed` it is negative (§7.4.3).
 */
import { randomUUID } from 'node:crypto';
import { type As2Certificate, type As2KeyPair, signEntity, verifySigned } from './as2-cms.js';
import {
  buildEntity,
  buildMultipart,
  crlf,
  decodedBody,
  headerParams,
  type MimeEntity,
  parseEntity,
  splitMultipart,
} from './as2-mime.js';

/** What a receipt says of one message. */
export interface Mdn {
  originalMessageId: string;
  /** The Disposition field as sent. */
  disposition: string;
  positive: boolean;
  /** Received-Content-MIC: the digest (base64) and its algorithm (`sha-256`). */
  mic?: { value: string; algorithm: string };
}

/** What a sender asked of its receipt (Disposition-Notification-Options, RFC 4130 §7.3). */
export interface ReceiptRequest {
  signed: boolean;
  /** The MIC algorithm to use, in AS2 spelling (`sha-256`, `sha1`). */
  micAlgorithm: string;
}

/** Reads Disposition-Notification-Options: a signed receipt when pkcs7-signature is asked; the first known MIC algorithm. */
export function receiptRequest(options: string | undefined): ReceiptRequest {
  const text = (options ?? '').toLowerCase();
  const signed = /signed-receipt-protocol\s*=\s*(required|optional)\s*,\s*pkcs7-signature/.test(text);
  const micalg = /signed-receipt-micalg\s*=\s*(?:required|optional)\s*,([^;]*)/.exec(text)?.[1] ?? '';
  const known = ['sha-256', 'sha256', 'sha-384', 'sha384', 'sha-512', 'sha512', 'sha1', 'sha-1'];
  const listed = micalg
    .split(',')
    .map((a) => a.trim())
    .find((a) => known.includes(a));
  return { signed, micAlgorithm: listed ?? 'sha-256' };
}

/** Why a message was not processed, as RFC 4130 §7.4.3 names it. */
export type MdnError =
  | 'decryption-failed'
  | 'authentication-failed'
  | 'integrity-check-failed'
  | 'unexpected-processing-error';

export interface MdnInput {
  /** The hub's AS2 name (it reports), and the partner's. */
  reporter: string;
  originalMessageId: string;
  /** The MIC of what was received, with its algorithm, for a positive receipt. */
  mic?: { value: string; algorithm: string };
  error?: MdnError;
  /** A human line on what became of the message. */
  note: string;
  /** Signs the receipt when given. */
  signer?: As2KeyPair;
  now: Date;
}

/** A receipt: the HTTP content type and body, and the entity's own MIME bytes (headers and body). */
export function buildMdn(input: MdnInput): { contentType: string; body: Buffer } {
  const disposition = `automatic-action/MDN-sent-automatically; ${input.error ? `processed/error: ${input.error}` : 'processed'}`;
  const fields = [
    'Reporting-UA: Manifold AS2',
    `Original-Recipient: rfc822; ${input.reporter}`,
    `Final-Recipient: rfc822; ${input.reporter}`,
    `Original-Message-ID: ${input.originalMessageId}`,
    ...(input.mic && !input.error
      ? [`Received-Content-MIC: ${input.mic.value}, ${input.mic.algorithm}`]
      : []),
    `Disposition: ${disposition}`,
  ];
  const boundary = `----=_mdn_${randomUUID().replace(/-/g, '')}`;
  const human = buildEntity(
    [['Content-Type', 'text/plain; charset=us-ascii']],
    crlf(`${input.note.replace(/[^\x20-\x7e]/g, '?')}\n`),
  );
  const machine = buildEntity(
    [
      ['Content-Type', 'message/disposition-notification'],
      ['Content-Transfer-Encoding', '7bit'],
    ],
    `${fields.join('\r\n')}\r\n`,
  );
  const contentType = `multipart/report; report-type=disposition-notification; boundary="${boundary}"`;
  const body = buildMultipart([human, machine], boundary);
  if (!input.signer) return { contentType, body };
  return signEntity(buildEntity([['Content-Type', contentType]], body), input.signer, input.now);
}

/** Whether an entity of this content type is a receipt (signed or not) rather than a message. */
export function looksLikeMdn(entity: MimeEntity): boolean {
  const type = headerParams(entity.headers['content-type']);
  if (type.value === 'multipart/report') return true;
  if (type.value !== 'multipart/signed' || !type.params.boundary) return false;
  const [first] = splitMultipart(entity.body, type.params.boundary);
  return (
    first !== undefined &&
    headerParams(parseEntity(first).headers['content-type']).value === 'multipart/report'
  );
}

/**
 * Reads a receipt: checks its signature with `trusted` when it is signed (and requires one when
 * `signatureRequired`), then its disposition-notification fields. Throws with the reason when it cannot be
 * trusted or read.
 */
export function readMdn(
  entity: MimeEntity,
  trusted: readonly As2Certificate[],
  signatureRequired: boolean,
): Mdn {
  let report = entity;
  const type = headerParams(entity.headers['content-type']);
  if (type.value === 'multipart/signed') {
    const verified = verifySigned(entity, trusted);
    if (!verified.ok) throw new Error(`the receipt's signature does not check: ${verified.reason}`);
    report = parseEntity(verified.content);
  } else if (signatureRequired) {
    throw new Error(`a signed receipt was asked for, got ${type.value || 'no content type'}`);
  }
  const reportType = headerParams(report.headers['content-type']);
  if (reportType.value !== 'multipart/report' || !reportType.params.boundary)
    throw new Error(`the receipt is not a multipart/report but ${reportType.value || 'no content type'}`);
  const parts = splitMultipart(report.body, reportType.params.boundary).map(parseEntity);
  const notification = parts.find(
    (part) => headerParams(part.headers['content-type']).value === 'message/disposition-notification',
  );
  if (!notification) throw new Error('the receipt has no message/disposition-notification part');
  const fields = parseEntity(Buffer.concat([decodedBody(notification), Buffer.from('\r\n\r\n')])).headers;
  const originalMessageId = fields['original-message-id'];
  const disposition = fields.disposition;
  if (!originalMessageId || !disposition)
    throw new Error('the receipt has no Original-Message-ID or Disposition');
  const [, after = ''] = disposition.split(';');
  const positive = /^\s*processed\s*$/i.test(after) || /^\s*processed\s*\/\s*warning/i.test(after);
  const mdn: Mdn = { originalMessageId, disposition, positive };
  const micField = fields['received-content-mic'];
  if (micField) {
    const [value = '', algorithm = ''] = micField.split(',').map((s) => s.trim());
    mdn.mic = { value, algorithm: algorithm.toLowerCase() };
  }
  return mdn;
}
