/**
 * The AS2 transport, inbound (RFC 4130; docs/recipes/as2-partner.md): what a partner posts to the hub's
 * `POST /v1/as2/{partner}`, which is either
 * - a message: decrypted with one of the hub's key pairs, its signature checked with one of the partner's
 *   certificates valid now, its content handed to the format (`take`: X12 inbound), and answered with a
 *   receipt (MDN), signed when asked, in the answer or posted to its Receipt-Delivery-Option. A message
 *   that cannot be decrypted or whose signature does not check gets a negative receipt, nothing is handed
 *   on, and it is kept as an `as2_rejected` exception (headers and body) for an operator to see. A resend
 *   (same Message-ID) is answered with the kept receipt and not handed on again (the hub's `receipts`);
 * - a receipt for a message the hub sent with `mdn: async`: checked and handed to `settle` with the
 *   pending receipt kept by the outbound transport.
 */
import { createHash } from 'node:crypto';
import { ConflictError, ForbiddenError, ManifoldError, ValidationError } from '../../errors.js';
import type { ConnectorState, InboundHub, InboundRequest, ProtocolReply } from '../connector-port.js';
import { type PendingReceipt, pendingKey, quoteName, unquoteName } from './as2.js';
import { decryptWith, isEnveloped, mic, nodeHash, validNewestFirst, verifySigned } from './as2-cms.js';
import { type As2Partner, newest } from './as2-config.js';
import { buildMdn, looksLikeMdn, type MdnError, readMdn, receiptRequest } from './as2-mdn.js';
import { decodedBody, headerParams, type MimeEntity, parseEntity } from './as2-mime.js';

export const AS2_REJECTED = 'as2_rejected';

/** What the format made of the content: its own reply (a 997) and a line for the receipt's human part. */
export interface Taken {
  reply: ProtocolReply;
  note: string;
}

export interface As2InboundOptions {
  state: (partner: string) => ConnectorState;
  now: () => Date;
  /** Hands the content (its MIME type and bytes) to the format; throws the hub's problem when refused. */
  take(partner: As2Partner, contentType: string, content: Buffer, hub: InboundHub): Promise<Taken>;
  /** A receipt came for a message sent with `mdn: async`: `problem` is why it does not acknowledge it. */
  settle(
    partner: As2Partner,
    pending: PendingReceipt,
    problem: string | undefined,
    hub: InboundHub,
  ): Promise<void>;
  /** Posts an asynchronous receipt (default: fetch). */
  post?: (url: string, headers: Record<string, string>, body: Buffer) => Promise<void>;
}

/** The receipt kept for a Message-ID, so that a resend is answered the same. */
interface KeptReceipt {
  contentType: string;
  body: string;
  headers: Record<string, string>;
  asyncUrl?: string;
  /** The sender asked for no receipt (no Disposition-Notification-To): answered with an empty 200. */
  unasked?: true;
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export class As2Inbound {
  constructor(private readonly options: As2InboundOptions) {}

  async receive(partner: As2Partner, request: InboundRequest, hub: InboundHub): Promise<ProtocolReply> {
    const settings = partner.settings;
    const header = (name: string) => first(request.headers[name]);
    const from = unquoteName(header('as2-from'));
    const to = unquoteName(header('as2-to'));
    if (from !== settings.id || to !== settings.hubId) {
      throw new ForbiddenError(
        'forbidden',
        `AS2-From '${from}' and AS2-To '${to}' are not partner ${partner.name} ('${settings.id}') to the hub ('${settings.hubId}')`,
      );
    }
    const messageId = header('message-id')?.trim();
    if (!messageId) {
      throw new ValidationError('an AS2 message needs a Message-ID header', [
        { pointer: '/headers/message-id', detail: 'missing' },
      ]);
    }
    const entity: MimeEntity = {
      headers: {
        'content-type': header('content-type') ?? '',
        ...(header('content-transfer-encoding')
          ? { 'content-transfer-encoding': header('content-transfer-encoding') as string }
          : {}),
      },
      body: request.body,
    };
    if (looksLikeMdn(entity)) return this.receipt(partner, entity, hub);

    const scope = `as2:${partner.name}`;
    const inFlight = () =>
      new ConflictError(
        'as2-in-flight',
        'Message in progress',
        `AS2 message ${messageId} is being processed; send it again later`,
      );
    const asyncUrl = header('receipt-delivery-option')?.trim();
    const unasked = header('disposition-notification-to') === undefined;
    const kept = await hub.receipts.lookup(scope, messageId, 'as2', inFlight);
    if (kept) return this.answer(JSON.parse(String(kept.body)) as KeptReceipt, true);
    const claim = await hub.receipts.claim(scope, messageId, 'as2', inFlight);
    if (claim.kind === 'stored')
      return this.answer(JSON.parse(String(claim.answer.body)) as KeptReceipt, true);
    try {
      const outcome = await this.process(partner, entity, header('disposition-notification-options'), hub);
      const signer = outcome.signed
        ? newest(partner.hubKeys, this.options.now(), (p) => p.certificate)
        : undefined;
      const mdn = buildMdn({
        reporter: settings.hubId,
        originalMessageId: messageId,
        ...(outcome.mic ? { mic: outcome.mic } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
        note: outcome.note,
        ...(signer ? { signer } : {}),
        now: this.options.now(),
      });
      const receipt: KeptReceipt = {
        contentType: mdn.contentType,
        body: mdn.body.toString('latin1'),
        headers: {
          'AS2-Version': '1.2',
          'AS2-From': quoteName(settings.hubId),
          'AS2-To': quoteName(settings.id),
          'Message-ID': `<mdn-${createHash('sha256').update(messageId).digest('hex').slice(0, 24)}@manifold>`,
          'MIME-Version': '1.0',
        },
        ...(asyncUrl && !unasked ? { asyncUrl } : {}),
        ...(unasked ? { unasked: true as const } : {}),
      };
      if (outcome.error) {
        // Not kept as the answer: once the cause is fixed (a certificate), the resend is processed.
        await hub.receipts.abandon(scope, messageId);
        await hub.raise({
          code: AS2_REJECTED,
          detail: `AS2 message ${messageId} from ${partner.name} refused (${outcome.error}): ${outcome.note}`,
          system: partner.name,
          subject: `as2:${partner.name}:${messageId}`,
          payload: JSON.stringify({ headers: request.headers, body: request.body.toString('base64') }),
        });
      } else {
        await hub.receipts.finish(scope, messageId, 200, JSON.stringify(receipt));
      }
      return { ...this.answer(receipt, false), ...(outcome.units ? { units: outcome.units } : {}) };
    } catch (error) {
      await hub.receipts.abandon(scope, messageId).catch(() => undefined);
      throw error;
    }
  }

  /** The answer for a receipt: itself (sync), or an empty 200 while it is posted to its URL (async). */
  private answer(receipt: KeptReceipt, repeated: boolean): ProtocolReply {
    if (receipt.unasked) return { contentType: 'text/plain', body: '', status: 200, repeated };
    if (receipt.asyncUrl) {
      const headers = { ...receipt.headers, 'Content-Type': receipt.contentType };
      void this.postReceipt(receipt.asyncUrl, headers, Buffer.from(receipt.body, 'latin1'));
      return { contentType: 'text/plain', body: '', status: 200, repeated };
    }
    return {
      contentType: receipt.contentType,
      body: receipt.body,
      status: 200,
      repeated,
      headers: receipt.headers,
    };
  }

  /** Posts an asynchronous receipt, trying three times a few seconds apart. */
  private async postReceipt(url: string, headers: Record<string, string>, body: Buffer): Promise<void> {
    const post =
      this.options.post ??
      (async (to: string, h: Record<string, string>, b: Buffer) => {
        const response = await fetch(to, {
          method: 'POST',
          headers: h,
          body: new Uint8Array(b),
          signal: AbortSignal.timeout(30_000),
        });
        await response.arrayBuffer();
        if (response.status >= 300) throw new Error(`answered ${response.status}`);
      });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await post(url, headers, body);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 2000 * (attempt + 1)).unref());
      }
    }
  }

  private async process(
    partner: As2Partner,
    entity: MimeEntity,
    options: string | undefined,
    hub: InboundHub,
  ): Promise<{
    signed: boolean;
    mic?: { value: string; algorithm: string };
    error?: MdnError;
    note: string;
    units?: ProtocolReply['units'];
  }> {
    const asked = receiptRequest(options);
    const signed = asked.signed;
    if (!isEnveloped(entity.headers['content-type']))
      return {
        signed,
        error: 'decryption-failed',
        note: 'the hub accepts only encrypted messages (application/pkcs7-mime enveloped-data)',
      };
    let plain: Buffer;
    try {
      plain = decryptWith(decodedBody(entity), partner.hubKeys);
    } catch (error) {
      return {
        signed,
        error: 'decryption-failed',
        note: `the message cannot be decrypted: ${(error as Error).message}`,
      };
    }
    const now = this.options.now();
    const verified = verifySigned(
      parseEntity(plain),
      validNewestFirst(partner.certificates, now, (c) => c),
    );
    if (!verified.ok) {
      const altered = verified.reason.includes('does not match');
      return {
        signed,
        error: altered ? 'integrity-check-failed' : 'authentication-failed',
        note: `the signature does not check: ${verified.reason}`,
      };
    }
    const hash = nodeHash(asked.micAlgorithm) ?? 'sha256';
    const received = { value: mic(verified.content, hash), algorithm: asked.micAlgorithm };
    const inner = parseEntity(verified.content);
    const contentType = headerParams(inner.headers['content-type']).value;
    try {
      const taken = await this.options.take(partner, contentType, decodedBody(inner), hub);
      return {
        signed,
        mic: received,
        note: taken.note,
        ...(taken.reply.units ? { units: taken.reply.units } : {}),
      };
    } catch (error) {
      if (!(error instanceof ManifoldError) || error.status === 409 || error.status >= 500) throw error;
      return {
        signed,
        error: 'unexpected-processing-error',
        note: `the content was refused: ${error.message}`,
      };
    }
  }

  /** A receipt for a message sent with `mdn: async`: matched to what waits for it, then settled. */
  private async receipt(partner: As2Partner, entity: MimeEntity, hub: InboundHub): Promise<ProtocolReply> {
    let mdn: ReturnType<typeof readMdn>;
    try {
      mdn = readMdn(
        entity,
        validNewestFirst(partner.certificates, this.options.now(), (c) => c),
        true,
      );
    } catch (error) {
      throw new ValidationError(`the receipt from ${partner.name} is refused: ${(error as Error).message}`, [
        { pointer: '/', detail: (error as Error).message },
      ]);
    }
    const state = this.options.state(partner.name);
    const key = pendingKey(mdn.originalMessageId);
    const pending = await state.get<PendingReceipt>(key);
    if (!pending) {
      return {
        contentType: 'text/plain',
        body: `no message ${mdn.originalMessageId} waits for a receipt\n`,
        status: 200,
        repeated: true,
      };
    }
    let problem: string | undefined;
    if (!mdn.positive) problem = `partner ${partner.name} refused the message: ${mdn.disposition}`;
    else if (!mdn.mic || mdn.mic.value !== pending.mic || mdn.mic.algorithm.replace('-', '') !== 'sha256')
      problem = `partner ${partner.name}'s receipt has MIC ${mdn.mic ? `${mdn.mic.value}, ${mdn.mic.algorithm}` : '(none)'}, not ${pending.mic}, sha-256: what it received is not what was sent`;
    await this.options.settle(partner, pending, problem, hub);
    await state.delete(key);
    return { contentType: 'text/plain', body: problem ? `${problem}\n` : 'receipt accepted\n', status: 200 };
  }
}
