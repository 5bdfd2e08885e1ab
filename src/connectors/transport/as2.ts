/**
 * The AS2 transport, outbound (RFC 4130; docs/recipes/as2-partner.md): a document (an X12 interchange,
 * `application/edi-x12`) is wrapped as a MIME part, signed (S/MIME multipart/signed, SHA-256) with the
 * hub's newest valid key, encrypted (CMS EnvelopedData, AES-256-CBC) to the partner's newest valid
 * certificate, and POSTed with the AS2 headers, asking for a signed receipt with a SHA-256 MIC.
 *
 * - `mdn: sync`: the receipt is the answer. It must be signed by one of the partner's certificates, name
 *   our Message-ID, say `processed`, and carry the MIC we computed; otherwise the attempt is a permanent
 *   failure (the exception queue) saying which.
 * - `mdn: async`: the answer is empty and the receipt is posted later to `receiptUrl` (the hub's
 *   `POST /v1/as2/{partner}`): the attempt is delivered with `acknowledgement: 'pending'`, and what the
 *   receipt must match (Message-ID, MIC, and what the caller keeps of the document) waits in the
 *   partner's connector state (`as2:<partner>`, key `mdn:<Message-ID>`) until `settleReceipt` reads it.
 *
 * The Message-ID comes from the document's idempotency key, so a retry is a resend the partner drops.
 */
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ConnectorState, OutboundDocument, OutboundResult, Transport } from '../connector-port.js';
import { encryptFor, mic, signEntity } from './as2-cms.js';
import { type As2Partner, newest } from './as2-config.js';
import { readMdn } from './as2-mdn.js';
import { base64Lines, buildEntity, parseEntity } from './as2-mime.js';

/** What waits in the partner's state for an asynchronous receipt. */
export interface PendingReceipt {
  messageId: string;
  /** The MIC (base64, SHA-256) the receipt must carry. */
  mic: string;
  sentAt: string;
  fileName: string;
  /** What the caller keeps of the document to settle it (`describe`): an interchange's control numbers. */
  about: Record<string, unknown>;
}

export interface As2TransportOptions {
  partner: As2Partner;
  /** The partner's connector state (`as2:<partner>`): the receipts still to come. */
  state: ConnectorState;
  now: () => Date;
  /** What to keep of a document until its receipt comes (an interchange's GS06). */
  describe?: (document: OutboundDocument) => Record<string, unknown>;
}

/** The state key of the receipt still to come for `messageId`. */
export const pendingKey = (messageId: string) => `mdn:${messageId}`;

/** The Message-ID of a document: the same for every attempt at it (RFC 4130 §5.3.3, `<…@hub>`). */
export function messageIdFor(idempotencyKey: string, hubId: string): string {
  const local = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);
  return `<manifold-${local}@${hubId.replace(/[^A-Za-z0-9.-]/g, '_')}>`;
}

/** The signed-then-encrypted body of `document` and the MIC of its signed part. */
export function buildAs2Message(
  partner: As2Partner,
  document: OutboundDocument,
  now: Date,
): { body: Buffer; mic: string } | { problem: string } {
  const recipient = newest(partner.certificates, now, (c) => c);
  if (!recipient) return { problem: `no certificate of partner ${partner.name} is valid now` };
  const signer = newest(partner.hubKeys, now, (p) => p.certificate);
  if (!signer) return { problem: `no key pair of the hub for partner ${partner.name} is valid now` };
  const content = buildEntity(
    [
      ['Content-Type', document.contentType],
      ['Content-Transfer-Encoding', 'base64'],
      ['Content-Disposition', `attachment; filename="${document.fileName}"`],
    ],
    base64Lines(Buffer.from(document.body, 'utf8')),
  );
  const signed = signEntityFor(content, signer, now);
  return { body: encryptFor(signed, recipient), mic: mic(content) };
}

function signEntityFor(content: Buffer, signer: Parameters<typeof signEntity>[1], now: Date): Buffer {
  const signed = signEntity(content, signer, now);
  return buildEntity(
    [
      ['MIME-Version', '1.0'],
      ['Content-Type', signed.contentType],
    ],
    signed.body,
  );
}

/** A transport posting documents to the partner over AS2. */
export function as2Transport(options: As2TransportOptions): Transport {
  const { partner, state, now } = options;
  const settings = partner.settings;
  return {
    async carry(document, trace) {
      const started = performance.now();
      const elapsed = () => performance.now() - started;
      if (!settings.url)
        return {
          outcome: 'permanent',
          latencyMs: 0,
          error: `partner ${partner.name} has no as2.url to send to`,
        };
      const at = now();
      const message = buildAs2Message(partner, document, at);
      if ('problem' in message) return { outcome: 'permanent', latencyMs: elapsed(), error: message.problem };
      const messageId = messageIdFor(document.idempotencyKey, settings.hubId);
      const async = settings.mdn === 'async' && settings.receiptUrl !== undefined;
      if (async) {
        const pending: PendingReceipt = {
          messageId,
          mic: message.mic,
          sentAt: at.toISOString(),
          fileName: document.fileName,
          about: options.describe?.(document) ?? {},
        };
        await state.put(pendingKey(messageId), pending);
      }
      const headers: Record<string, string> = {
        'AS2-Version': '1.2',
        'AS2-From': quoteName(settings.hubId),
        'AS2-To': quoteName(settings.id),
        'Message-ID': messageId,
        Subject: `X12 ${document.fileName}`,
        Date: at.toUTCString(),
        'MIME-Version': '1.0',
        'Content-Type': 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
        'Content-Disposition': 'attachment; filename="smime.p7m"',
        'Disposition-Notification-To': settings.receiptUrl ?? settings.hubId,
        'Disposition-Notification-Options':
          'signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256',
        ...(async && settings.receiptUrl ? { 'Receipt-Delivery-Option': settings.receiptUrl } : {}),
        ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
      };
      let response: Response;
      let answer: Buffer;
      try {
        response = await fetch(settings.url, {
          method: 'POST',
          headers,
          body: new Uint8Array(message.body),
          signal: AbortSignal.timeout(settings.timeoutMs),
        });
        answer = Buffer.from(await response.arrayBuffer());
      } catch (error) {
        const cause = (error as Error & { cause?: Error }).cause;
        return {
          outcome: 'retryable',
          latencyMs: elapsed(),
          error: `AS2 POST to ${settings.url} failed: ${cause?.message ?? (error as Error).message}`,
        };
      }
      const status = response.status;
      const excerpt = answer.toString('latin1').slice(0, 512);
      if (status >= 300) {
        // Refused outright: no receipt will come for this attempt (a retry puts it back).
        if (async) await state.delete(pendingKey(messageId));
        const retryAfter = Number(response.headers.get('retry-after'));
        return {
          outcome: status >= 500 || status === 408 || status === 429 ? 'retryable' : 'permanent',
          status,
          latencyMs: elapsed(),
          bodyExcerpt: excerpt,
          ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
          error: `partner ${partner.name} answered ${status}`,
        };
      }
      if (async) {
        return {
          outcome: 'delivered',
          acknowledgement: 'pending',
          status,
          latencyMs: elapsed(),
          bodyExcerpt: `AS2 ${messageId} sent; its receipt is to come at ${settings.receiptUrl}`,
        };
      }
      const problem = checkReceipt(
        partner,
        response.headers.get('content-type') ?? '',
        answer,
        messageId,
        message.mic,
      );
      const result: OutboundResult = problem
        ? { outcome: 'permanent', status, latencyMs: elapsed(), bodyExcerpt: excerpt, error: problem }
        : {
            outcome: 'delivered',
            status,
            latencyMs: elapsed(),
            bodyExcerpt: `AS2 ${messageId}: processed, MIC matches`,
          };
      return result;
    },
  };
}

/** Why a receipt does not acknowledge `messageId` with `expectedMic`, or undefined when it does. */
export function checkReceipt(
  partner: As2Partner,
  contentType: string,
  body: Buffer,
  messageId: string,
  expectedMic: string,
): string | undefined {
  if (body.length === 0) return `partner ${partner.name} answered without the receipt (MDN) asked for`;
  let mdn: ReturnType<typeof readMdn>;
  try {
    mdn = readMdn(
      parseEntity(buildEntity([['Content-Type', contentType]], body)),
      partner.certificates,
      true,
    );
  } catch (error) {
    return `partner ${partner.name}'s receipt cannot be trusted: ${(error as Error).message}`;
  }
  if (mdn.originalMessageId !== messageId)
    return `partner ${partner.name}'s receipt is for ${mdn.originalMessageId}, not ${messageId}`;
  if (!mdn.positive) return `partner ${partner.name} refused the message: ${mdn.disposition}`;
  if (!mdn.mic || mdn.mic.value !== expectedMic || mdn.mic.algorithm.replace('-', '') !== 'sha256')
    return `partner ${partner.name}'s receipt has MIC ${mdn.mic ? `${mdn.mic.value}, ${mdn.mic.algorithm}` : '(none)'}, not ${expectedMic}, sha-256: what it received is not what was sent`;
  return undefined;
}

/** An AS2 name in a header: quoted when it holds characters a token may not (RFC 4130 §6.2). */
export function quoteName(name: string): string {
  return /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name) ? name : `"${name.replace(/(["\\])/g, '\\$1')}"`;
}

/** An AS2 name read from a header, unquoted. */
export function unquoteName(value: string | undefined): string {
  const text = (value ?? '').trim();
  return text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1).replace(/\\(.)/g, '$1') : text;
}
