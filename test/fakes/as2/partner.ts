/**
 * A fake AS2 trading partner (a retailer's AS2 server) on node:http, reading and building messages with
 * `openssl cms` only (./openssl.ts), never with the hub's code. What it checks of the hub's messages is
 * what RFC 4130 asks of a sender:
 * - headers (§6): AS2-Version, AS2-From (the hub's name), AS2-To (its own), Message-ID, and
 *   Disposition-Notification-Options asking for a pkcs7-signature receipt with a sha-256 MIC (§7.3);
 * - the body: `application/pkcs7-mime; smime-type=enveloped-data` (§5.2) that `openssl cms -decrypt`
 *   opens with its key, holding a `multipart/signed` that `openssl cms -verify` checks with the hub's
 *   certificate, around an `application/edi-x12` part;
 * - it answers a signed receipt (§7.4.2) with the MIC of the signed part (§7.3.1), in the answer or, when
 *   the message has Receipt-Delivery-Option, posted there (§7.3); a message it cannot decrypt or verify
 *   gets a negative receipt (`processed/error: decryption-failed` / `authentication-failed`).
 * It also sends the hub messages (850s) built by `openssl cms -sign` and `-encrypt`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OpenSsl, TestIdentity } from './openssl.js';

export interface ReceivedMessage {
  messageId: string;
  x12: string;
  receiptMode: 'sync' | 'async';
}

export interface FakePartnerOptions {
  ssl: OpenSsl;
  /** The partner's own certificate and key, and the hub's certificate it trusts. */
  own: TestIdentity;
  hub: TestIdentity;
  id: string;
  hubId: string;
}

const CRLF = '\r\n';

/** Splits an S/MIME text into its headers (lower-case) and body. */
export function splitHeaders(raw: Buffer): { headers: Record<string, string>; body: Buffer } {
  const crlfAt = raw.indexOf('\r\n\r\n');
  const lfAt = raw.indexOf('\n\n');
  const [at, skip] = crlfAt !== -1 && (lfAt === -1 || crlfAt < lfAt) ? [crlfAt, 4] : [lfAt, 2];
  const headers: Record<string, string> = {};
  for (const line of raw
    .subarray(0, at)
    .toString('latin1')
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: raw.subarray(at + skip) };
}

function boundaryOf(contentType: string): string {
  const match = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!match?.[1]) throw new Error(`no boundary in ${contentType}`);
  return match[1];
}

/** The first part of a multipart body, exact bytes (the CRLF before the next delimiter excluded). */
export function firstPart(body: Buffer, contentType: string): Buffer {
  const delimiter = `--${boundaryOf(contentType)}`;
  const start = body.indexOf(`${delimiter}${CRLF}`) + delimiter.length + 2;
  const end = body.indexOf(`${CRLF}${delimiter}`, start);
  return body.subarray(start, end);
}

/** The disposition-notification fields of a receipt's multipart/report, lower-case names. */
export function dispositionFields(report: Buffer): Record<string, string> {
  const { headers, body } = splitHeaders(report);
  const text = body.toString('latin1');
  const delimiter = `--${boundaryOf(headers['content-type'] ?? '')}`;
  const part = text
    .split(delimiter)
    .find((p) => /content-type:\s*message\/disposition-notification/i.test(p));
  if (!part) throw new Error('no message/disposition-notification part');
  const fields = splitHeaders(Buffer.from(part.replace(/^\r\n/, ''), 'latin1')).body.toString('latin1');
  return splitHeaders(Buffer.from(`x: y${CRLF}${fields}${CRLF}${CRLF}`, 'latin1')).headers;
}

function read(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export class FakeAs2Partner {
  readonly received: ReceivedMessage[] = [];
  /** Why messages were refused (a check of the fake that failed). */
  readonly refused: string[] = [];
  /** Receipts the hub posted to `/mdn` (asynchronous ones for the partner's messages). */
  readonly receipts: Array<{ headers: Record<string, string>; body: Buffer }> = [];
  /** Misbehaviours for tests: a wrong MIC, a negative disposition. */
  wrongMic = false;
  negative = false;
  /** Asynchronous receipts wait for `releaseReceipts()` while set. */
  holdReceipts = false;
  private readonly held: Array<() => Promise<void>> = [];
  /** What the hub answered to each asynchronous receipt posted to it. */
  readonly receiptAnswers: string[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly options: FakePartnerOptions) {}

  async start(port = 0): Promise<string> {
    this.server = createServer((request, response) => {
      void read(request).then(async (body) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) headers[name] = String(value);
        if (request.url === '/mdn') {
          this.receipts.push({ headers, body });
          response.writeHead(200).end();
          return;
        }
        try {
          const answer = await this.take(headers, body);
          response.writeHead(answer.status, answer.headers).end(answer.body);
        } catch (error) {
          response.writeHead(500, { 'content-type': 'text/plain' }).end((error as Error).message);
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** A message from the hub: checked as RFC 4130 asks, answered with a receipt (or refused with 400). */
  private async take(
    headers: Record<string, string>,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const { id, hubId, ssl } = this.options;
    const problems: string[] = [];
    if (headers['as2-version'] !== '1.2') problems.push(`AS2-Version ${headers['as2-version']}`);
    if (headers['as2-from'] !== hubId) problems.push(`AS2-From ${headers['as2-from']}`);
    if (headers['as2-to'] !== id) problems.push(`AS2-To ${headers['as2-to']}`);
    const messageId = headers['message-id'];
    if (!messageId || !/^<[^<>@]+@[^<>]+>$/.test(messageId)) problems.push(`Message-ID ${messageId}`);
    if (!/^application\/pkcs7-mime;.*smime-type=enveloped-data/i.test(headers['content-type'] ?? ''))
      problems.push(`Content-Type ${headers['content-type']}`);
    const options = headers['disposition-notification-options'] ?? '';
    if (
      !/signed-receipt-protocol=(optional|required),\s*pkcs7-signature/.test(options) ||
      !/sha-256/.test(options)
    )
      problems.push(`Disposition-Notification-Options ${options}`);
    if (!headers['disposition-notification-to']) problems.push('no Disposition-Notification-To');
    if (problems.length > 0 || !messageId) {
      this.refused.push(problems.join('; '));
      return {
        status: 400,
        headers: { 'content-type': 'text/plain' },
        body: Buffer.from(problems.join('; ')),
      };
    }
    let error: string | undefined;
    let micValue = '';
    let x12 = '';
    try {
      const signed = ssl.decrypt(body, this.options.own);
      try {
        ssl.verify(signed, this.options.hub);
      } catch {
        error = 'authentication-failed';
      }
      if (!error) {
        const outer = splitHeaders(signed);
        const part = firstPart(outer.body, outer.headers['content-type'] ?? '');
        micValue = createHash('sha256').update(part).digest('base64');
        const inner = splitHeaders(part);
        if (!/^application\/edi-x12/.test(inner.headers['content-type'] ?? ''))
          error = 'unexpected-processing-error';
        x12 = /base64/i.test(inner.headers['content-transfer-encoding'] ?? '')
          ? Buffer.from(inner.body.toString('latin1').replace(/\s+/g, ''), 'base64').toString('utf8')
          : inner.body.toString('utf8');
      }
    } catch {
      error = 'decryption-failed';
    }
    if (error) this.refused.push(`${messageId}: ${error}`);
    const async = headers['receipt-delivery-option'];
    if (!error) this.received.push({ messageId, x12, receiptMode: async ? 'async' : 'sync' });
    const receipt = this.receipt(
      messageId,
      this.wrongMic ? `AAAA${micValue.slice(4)}` : micValue,
      this.negative ? 'unexpected-processing-error' : error,
    );
    const split = splitHeaders(receipt);
    const as2Headers = {
      'as2-version': '1.2',
      'as2-from': id,
      'as2-to': hubId,
      'message-id': `<${randomUUID()}@${id}>`,
    };
    if (async) {
      const post = async () => {
        const r = await fetch(async, {
          method: 'POST',
          headers: { ...as2Headers, 'content-type': split.headers['content-type'] ?? '' },
          body: new Uint8Array(split.body),
        });
        this.receiptAnswers.push(`${r.status} ${await r.text()}`);
      };
      if (this.holdReceipts) this.held.push(post);
      else setTimeout(() => void post(), 50);
      return { status: 200, headers: {}, body: Buffer.alloc(0) };
    }
    return {
      status: 200,
      headers: { ...as2Headers, 'content-type': split.headers['content-type'] ?? '' },
      body: split.body,
    };
  }

  /** Posts the asynchronous receipts held so far. */
  async releaseReceipts(): Promise<void> {
    for (const post of this.held.splice(0)) await post();
  }

  /** A signed receipt (openssl cms -sign) for `messageId`: positive, or with `error`. */
  receipt(messageId: string, micValue: string, error?: string): Buffer {
    const boundary = `report-${randomUUID()}`;
    const fields = [
      `Reporting-UA: fake-as2`,
      `Original-Recipient: rfc822; ${this.options.id}`,
      `Final-Recipient: rfc822; ${this.options.id}`,
      `Original-Message-ID: ${messageId}`,
      ...(error ? [] : [`Received-Content-MIC: ${micValue}, sha-256`]),
      `Disposition: automatic-action/MDN-sent-automatically; ${error ? `processed/error: ${error}` : 'processed'}`,
    ].join(CRLF);
    const report = [
      `Content-Type: multipart/report; report-type=disposition-notification; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain',
      '',
      error ? `The message was not processed: ${error}` : 'The message was received.',
      `--${boundary}`,
      'Content-Type: message/disposition-notification',
      '',
      fields,
      `--${boundary}--`,
      '',
    ].join(CRLF);
    return this.options.ssl.sign(Buffer.from(report, 'latin1'), this.options.own);
  }

  /**
   * Sends `x12` to the hub's AS2 endpoint as the partner: signed by `signer` (its own identity by default)
   * and encrypted to `to` (the hub's certificate by default) with openssl; answers what the hub answered.
   */
  async send(
    hubUrl: string,
    x12: string,
    options: { messageId?: string; signer?: TestIdentity; to?: TestIdentity; receiptUrl?: string } = {},
  ): Promise<{ status: number; headers: Headers; body: Buffer; messageId: string }> {
    const { ssl, id, hubId } = this.options;
    const entity = Buffer.from(
      `Content-Type: application/edi-x12${CRLF}Content-Transfer-Encoding: binary${CRLF}${CRLF}${x12}`,
      'latin1',
    );
    const signed = ssl.sign(entity, options.signer ?? this.options.own);
    const enveloped = ssl.encrypt(signed, options.to ?? this.options.hub);
    const messageId = options.messageId ?? `<${randomUUID()}@${id}>`;
    const response = await fetch(hubUrl, {
      method: 'POST',
      headers: {
        'as2-version': '1.2',
        'as2-from': id,
        'as2-to': hubId,
        'message-id': messageId,
        subject: 'PO',
        'content-type': 'application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m',
        'disposition-notification-to': 'edi@retailer.example',
        'disposition-notification-options':
          'signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256',
        ...(options.receiptUrl ? { 'receipt-delivery-option': options.receiptUrl } : {}),
      },
      body: new Uint8Array(enveloped),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: Buffer.from(await response.arrayBuffer()),
      messageId,
    };
  }

  /** Checks a receipt from the hub with openssl (its signature by the hub's certificate): its fields. */
  readReceipt(contentType: string, body: Buffer): Record<string, string> {
    const smime = Buffer.concat([Buffer.from(`Content-Type: ${contentType}${CRLF}${CRLF}`, 'latin1'), body]);
    const report = this.options.ssl.verify(smime, this.options.hub);
    return dispositionFields(report);
  }

  /** The MIC the hub must return for `x12` as this fake sends it (the signed part's SHA-256). */
  static micOf(x12: string): string {
    const entity = `Content-Type: application/edi-x12${CRLF}Content-Transfer-Encoding: binary${CRLF}${CRLF}${x12}`;
    return createHash('sha256').update(Buffer.from(entity, 'latin1')).digest('base64');
  }
}
