/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) for shaped calls: the access token is fetched once, kept
 * until it expires (`expires_in`) in the connector's durable state, and shared by every subscription with
 * the same token endpoint and client id, in this process (one request in flight per client) and across
 * processes and restarts (the `connector_state` table). A token the API refused (401) is replaced once.
 */
import { createHash } from 'node:crypto';
import type { OutboundAuth } from '../../config/compiled-config.js';
import type { ConnectorState, SharedResource } from '../connector-port.js';
import type { HttpConnector } from './outbound.js';

type OAuth2 = Extract<OutboundAuth, { kind: 'oauth2' }>;

/** The connector-state instance the tokens are kept under. */
export const OAUTH2_STATE_INSTANCE = 'http:oauth2';

/** A token as kept: when it was obtained and when it expires (epoch ms; absent: until refused). */
export interface StoredToken {
  accessToken: string;
  obtainedAt: number;
  expiresAt?: number;
}

/** A token, or why none could be had (the token endpoint's error, or no answer). */
export type TokenResult = { token: string } | { error: string };

/** Renew this long before expiry at most (half the lifetime for short-lived tokens). */
const EXPIRY_MARGIN_MS = 30_000;

/** The key of one client's token: a digest, so the state table holds no endpoint or client id in clear. */
export function tokenKey(auth: OAuth2): string {
  return `token:${createHash('sha256').update(`${auth.tokenUrl}\n${auth.clientId}`).digest('hex')}`;
}

function usable(token: StoredToken, nowMs: number): boolean {
  if (token.expiresAt === undefined) return true;
  const margin = Math.min(EXPIRY_MARGIN_MS, (token.expiresAt - token.obtainedAt) / 2);
  return nowMs < token.expiresAt - margin;
}

/** The access tokens of every OAuth2 client of an engine (one instance, shared by the `http` kind). */
export class OAuth2Tokens implements SharedResource {
  private readonly memory = new Map<string, StoredToken>();
  private readonly pending = new Map<string, Promise<TokenResult>>();

  constructor(
    private readonly client: HttpConnector,
    private readonly state: ConnectorState,
    private readonly now: () => Date,
    private readonly timeoutMs: number,
  ) {}

  /**
   * A usable token for `auth`. With `rejected` (a token the API answered 401 to), a token other than that
   * one: a new one is fetched unless another caller already replaced it.
   */
  async token(auth: OAuth2, rejected?: string): Promise<TokenResult> {
    const key = tokenKey(auth);
    const nowMs = this.now().getTime();
    let cached = this.memory.get(key);
    if (cached === undefined) {
      cached = await this.state.get<StoredToken>(key);
      if (cached !== undefined) this.memory.set(key, cached);
    }
    if (cached !== undefined && usable(cached, nowMs) && cached.accessToken !== rejected) {
      return { token: cached.accessToken };
    }
    let flight = this.pending.get(key);
    if (flight === undefined) {
      flight = this.fetch(auth, key).finally(() => this.pending.delete(key));
      this.pending.set(key, flight);
    }
    return flight;
  }

  async close(): Promise<void> {
    this.memory.clear();
  }

  /** POSTs the client credentials grant and keeps the token it gets. */
  private async fetch(auth: OAuth2, key: string): Promise<TokenResult> {
    const url = new URL(auth.tokenUrl);
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (auth.scope !== undefined) form.set('scope', auth.scope);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (auth.clientAuth === 'basic') {
      // RFC 6749 §2.3.1: the id and secret are form-encoded before they are joined for Basic.
      const pair = `${formEncode(auth.clientId)}:${formEncode(auth.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
    } else {
      form.set('client_id', auth.clientId);
      form.set('client_secret', auth.clientSecret);
    }
    const answer = await this.client.exchange({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers,
      body: form.toString(),
      timeoutMs: this.timeoutMs,
    });
    if (answer.status === undefined) return { error: `token endpoint: ${answer.error ?? 'no answer'}` };
    const body = parseJson(answer.body);
    if (answer.status < 200 || answer.status > 299) {
      const error = typeof body?.error === 'string' ? body.error : 'no error code';
      const description = typeof body?.error_description === 'string' ? ` (${body.error_description})` : '';
      return { error: `token endpoint answered HTTP ${answer.status}: ${error}${description}` };
    }
    const accessToken = body?.access_token;
    const tokenType = body?.token_type;
    if (typeof accessToken !== 'string' || accessToken === '') {
      return { error: 'token endpoint answered without an access_token' };
    }
    if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
      return { error: `token endpoint answered token_type '${String(tokenType)}'; only Bearer is supported` };
    }
    const obtainedAt = this.now().getTime();
    const token: StoredToken = { accessToken, obtainedAt };
    const expiresIn = Number(body?.expires_in);
    if (body?.expires_in !== undefined && Number.isFinite(expiresIn) && expiresIn > 0) {
      token.expiresAt = obtainedAt + expiresIn * 1000;
    }
    this.memory.set(key, token);
    await this.state.put(key, token);
    return { token: accessToken };
  }
}

/** `application/x-www-form-urlencoded` encoding of one value (spaces as `+`). */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function parseJson(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
