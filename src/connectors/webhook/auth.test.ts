/** Webhook authentication on the raw body: HMAC (prefix, hex, timestamps, rotation), token, bearer, basic. */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthenticationError } from '../../errors.js';
import { secretHeaders, secretQuery, verify } from './auth.js';
import type { WebhookAuth } from './config-section.js';

const BODY = Buffer.from('{"id":1,"note":"é"}');
const NOW = Date.parse('2026-12-03T10:00:00Z');

function request(headers: Record<string, string>, query: Record<string, string> = {}, body = BODY) {
  return { body, headers, query };
}

const github: WebhookAuth = {
  kind: 'hmac',
  header: 'x-hub-signature-256',
  secrets: ['old', 'new'],
  algorithm: 'sha256',
  encoding: 'hex',
  prefix: 'sha256=',
  toleranceMs: 300_000,
};

describe('verify', () => {
  it('token in a body field path: nested, and [] requires it in every element (Business Central clientState)', () => {
    const auth: WebhookAuth = { kind: 'token', field: 'value[].clientState', values: ['ours', 'next'] };
    const body = (states: unknown[]) =>
      Buffer.from(
        JSON.stringify({ value: states.map((clientState) => ({ clientState, changeType: 'updated' })) }),
      );
    expect(() => verify(auth, request({}, {}, body(['ours', 'ours'])), [], NOW)).not.toThrow();
    expect(() => verify(auth, request({}, {}, body(['ours', 'next'])), [], NOW)).not.toThrow();
    expect(() => verify(auth, request({}, {}, body(['ours', 'theirs'])), [], NOW)).toThrow(/is not valid/);
    expect(() => verify(auth, request({}, {}, body(['ours', undefined])), [], NOW)).toThrow(
      /carries no token/,
    );
    expect(() => verify(auth, request({}, {}, body([])), [], NOW)).toThrow(/carries no token/);
    expect(() =>
      verify(auth, request({}, {}, Buffer.from('{"value":{"clientState":"ours"}}')), [], NOW),
    ).toThrow(/carries no token/);
    const nested: WebhookAuth = { kind: 'token', field: 'meta.token', values: ['ours'] };
    expect(() =>
      verify(nested, request({}, {}, Buffer.from('{"meta":{"token":"ours"}}')), [], NOW),
    ).not.toThrow();
    expect(() => verify(nested, request({}, {}, Buffer.from('{"meta":{"token":"x"}}')), [], NOW)).toThrow();
  });

  it('hmac: hex with a prefix, by either secret while rotating; refuses a changed body or another secret', () => {
    for (const secret of ['old', 'new']) {
      const sig = `sha256=${createHmac('sha256', secret).update(BODY).digest('hex')}`;
      expect(() => verify(github, request({ 'x-hub-signature-256': sig }), [], NOW)).not.toThrow();
      expect(() =>
        verify(github, request({ 'x-hub-signature-256': sig }, {}, Buffer.from(`${BODY} `)), [], NOW),
      ).toThrow(AuthenticationError);
    }
    const other = `sha256=${createHmac('sha256', 'other').update(BODY).digest('hex')}`;
    expect(() => verify(github, request({ 'x-hub-signature-256': other }), [], NOW)).toThrow(
      /does not match/,
    );
    const unprefixed = createHmac('sha256', 'old').update(BODY).digest('hex');
    expect(() => verify(github, request({ 'x-hub-signature-256': unprefixed }), [], NOW)).toThrow(/sha256=/);
    expect(() => verify(github, request({}), [], NOW)).toThrow(/no x-hub-signature-256/);
  });

  it('hmac with a timestamp signs "<timestamp>.<body>" and refuses one outside the tolerance', () => {
    const auth: WebhookAuth = {
      ...github,
      prefix: '',
      secrets: ['s'],
      timestampHeader: 'x-ts',
      toleranceMs: 60_000,
    };
    const sign = (ts: string) => createHmac('sha256', 's').update(`${ts}.`).update(BODY).digest('hex');
    const ts = String(NOW / 1000);
    expect(() =>
      verify(auth, request({ 'x-sig': '', 'x-hub-signature-256': sign(ts), 'x-ts': ts }), [], NOW),
    ).not.toThrow();
    // The body alone is not what is signed.
    const bodyOnly = createHmac('sha256', 's').update(BODY).digest('hex');
    expect(() => verify(auth, request({ 'x-hub-signature-256': bodyOnly, 'x-ts': ts }), [], NOW)).toThrow(
      /does not match/,
    );
    const old = String(NOW / 1000 - 120);
    expect(() => verify(auth, request({ 'x-hub-signature-256': sign(old), 'x-ts': old }), [], NOW)).toThrow(
      /more than 60 s/,
    );
    expect(() => verify(auth, request({ 'x-hub-signature-256': sign(ts) }), [], NOW)).toThrow(
      /no valid x-ts/,
    );
  });

  it('token in a header, a query parameter or a JSON body field', () => {
    const header: WebhookAuth = { kind: 'token', header: 'x-token', values: ['t1', 't2'] };
    expect(() => verify(header, request({ 'x-token': 't2' }), [], NOW)).not.toThrow();
    expect(() => verify(header, request({ 'x-token': 't3' }), [], NOW)).toThrow(/not valid/);
    const query: WebhookAuth = { kind: 'token', query: 'key', values: ['q'] };
    expect(() => verify(query, request({}, { key: 'q' }), [], NOW)).not.toThrow();
    expect(() => verify(query, request({}), [], NOW)).toThrow(/carries no token/);
    const field: WebhookAuth = { kind: 'token', field: 'clientState', values: ['cs'] };
    expect(() => verify(field, request({}, {}, Buffer.from('{"clientState":"cs"}')), [], NOW)).not.toThrow();
    expect(() => verify(field, request({}, {}, Buffer.from('not json')), [], NOW)).toThrow(
      AuthenticationError,
    );
  });

  it("bearer: one of the system's keys; basic: the user and one of the passwords", () => {
    const hashes = [createHash('sha256').update('key-1').digest()];
    expect(() =>
      verify({ kind: 'bearer' }, request({ authorization: 'Bearer key-1' }), hashes, NOW),
    ).not.toThrow();
    expect(() =>
      verify({ kind: 'bearer' }, request({ authorization: 'Bearer key-2' }), hashes, NOW),
    ).toThrow();
    const basic: WebhookAuth = { kind: 'basic', username: 'u', passwords: ['p1', 'p2'] };
    const b64 = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    expect(() => verify(basic, request({ authorization: b64('u:p2') }), [], NOW)).not.toThrow();
    expect(() => verify(basic, request({ authorization: b64('x:p2') }), [], NOW)).toThrow();
    expect(() => verify(basic, request({ authorization: b64('u:p3') }), [], NOW)).toThrow();
  });

  it('names the headers and query parameters that are stripped before a request is kept', () => {
    expect(secretHeaders(github)).toEqual([
      'authorization',
      'proxy-authorization',
      'cookie',
      'x-hub-signature-256',
    ]);
    expect(secretQuery({ kind: 'token', query: 'key', values: ['q'] })).toEqual(['key']);
  });
});
