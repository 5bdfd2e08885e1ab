/**
 * A fake Microsoft Dynamics 365 Business Central (API v2.0) for the recipe's end-to-end test, built from
 * Microsoft's public documentation (the list with sources is in docs/recipes/business-central.md, "What the
 * test fake checks"). Its own node:http server: the Microsoft identity platform token endpoint (client
 * credentials), the API under `/v2.0/{tenant}/{environment}/api/v2.0/`, webhook subscriptions with their
 * validation handshake, and, apart from BC, the credit-check adapter the recipe's `orders.validate` calls.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { odataError, sendJson } from './odata.js';
import { companyRoutes, creditCheck, type Ledger, type Store } from './resources.js';
import { type Subscription, subscriptionRoutes } from './subscriptions.js';

export const BC_SCOPE = 'https://api.businesscentral.dynamics.com/.default';

export interface FakeBcOptions {
  tenant?: string;
  environment?: string;
  companyId?: string;
  clientId?: string;
  clientSecret?: string;
  /** `expires_in` of the tokens it issues (seconds). */
  tokenLifetimeSec?: number;
  /** Requests per client per window before 429 (BC online: 6,000 per 5 minutes). */
  rateLimit?: { requests: number; windowMs: number };
  /** How long a subscription lives unless renewed (BC: three days). */
  subscriptionLifetimeMs?: number;
}

export interface RequestLog {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export class FakeBusinessCentral {
  readonly tenant: string;
  readonly environment: string;
  readonly companyId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly options: Required<
    Pick<FakeBcOptions, 'tokenLifetimeSec' | 'rateLimit' | 'subscriptionLifetimeMs'>
  >;
  readonly store: Store = { customers: [], items: [], salesOrders: new Map() };
  readonly ledger: Ledger = { entries: [], next: 1 };
  readonly subscriptions = new Map<string, Subscription>();
  readonly log: RequestLog[] = [];
  /** Access tokens issued, with their expiry (ms). */
  readonly tokens = new Map<string, number>();
  tokenRequests = 0;
  private throttled = 0;
  private throttledPath = '';
  private readonly window: number[] = [];
  private server: Server | undefined;
  url = '';

  constructor(options: FakeBcOptions = {}) {
    this.tenant = options.tenant ?? 'contoso.onmicrosoft.com';
    this.environment = options.environment ?? 'production';
    this.companyId = options.companyId ?? randomUUID();
    this.clientId = options.clientId ?? randomUUID();
    this.clientSecret = options.clientSecret ?? `secret-${randomUUID()}`;
    this.options = {
      tokenLifetimeSec: options.tokenLifetimeSec ?? 3599,
      rateLimit: options.rateLimit ?? { requests: 6000, windowMs: 300_000 },
      subscriptionLifetimeMs: options.subscriptionLifetimeMs ?? 3 * 24 * 3600_000,
    };
  }

  get tokenUrl(): string {
    return `${this.url}/${this.tenant}/oauth2/v2.0/token`;
  }
  /** `https://api.businesscentral.dynamics.com/v2.0/{tenant}/{environment}/api/v2.0` */
  get apiUrl(): string {
    return `${this.url}/v2.0/${this.tenant}/${this.environment}/api/v2.0`;
  }
  get companyUrl(): string {
    return `${this.apiUrl}/companies(${this.companyId})`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        odataError(res, 500, 'Internal_ServerError', String(error));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close() {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Every token issued so far stops being valid (as if they had expired). */
  expireTokens() {
    for (const token of this.tokens.keys()) this.tokens.set(token, 0);
  }

  /** The next `n` API requests (whose path holds `path`, if given) are answered 429 with Retry-After. */
  throttleNext(n: number, path = '') {
    this.throttled += n;
    this.throttledPath = path;
  }

  /** Posts an item ledger entry (as posting an item journal, a purchase receipt or a shipment does). */
  postLedgerEntry(entry: {
    itemNumber: string;
    quantity: number;
    entryType: string;
    documentNumber?: string;
  }) {
    const row = {
      id: randomUUID(),
      entryNumber: this.ledger.next++,
      itemNumber: entry.itemNumber,
      postingDate: new Date().toISOString().slice(0, 10),
      entryType: entry.entryType,
      sourceNumber: '',
      sourceType: '_x0020_',
      documentNumber: entry.documentNumber ?? `DOC-${this.ledger.next}`,
      documentType: '_x0020_',
      description: '',
      quantity: entry.quantity,
      salesAmountActual: 0,
      costAmountActual: 0,
      lastModifiedDateTime: new Date().toISOString(),
    };
    this.ledger.entries.push(row);
    return row;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const entry: RequestLog = {
      method: req.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      status: 0,
      headers: req.headers,
    };
    this.log.push(entry);
    const original = res.writeHead.bind(res);
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      entry.status = status;
      return (original as (...a: unknown[]) => ServerResponse)(status, ...rest);
    }) as typeof res.writeHead;

    if (url.pathname === `/${this.tenant}/oauth2/v2.0/token`) return this.token(req, raw, res);
    if (url.pathname === '/adapter/credit-check' && req.method === 'POST') {
      return creditCheck(this.store, raw, res);
    }
    const apiPrefix = `/v2.0/${this.tenant}/${this.environment}/api/v2.0/`;
    if (!url.pathname.startsWith(apiPrefix)) {
      return odataError(
        res,
        404,
        'BadRequest_ResourceNotFound',
        `Resource not found for the segment '${url.pathname}'.`,
      );
    }
    // Authentication first: a missing, unknown or expired bearer token is 401.
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const expiry = auth ? this.tokens.get(auth[1] as string) : undefined;
    if (expiry === undefined || expiry <= Date.now()) {
      return odataError(
        res,
        401,
        'Authentication_InvalidCredentials',
        'The server has rejected the client credentials.',
        {
          'www-authenticate': 'Bearer realm="", error="invalid_token"',
        },
      );
    }
    if (this.throttle(res, url.pathname)) return;
    let body: unknown;
    if (req.method === 'DELETE' && raw !== '') body = raw; // refused by the route: DELETE takes no body
    if (req.method === 'POST' || req.method === 'PATCH') {
      if (!/^application\/json/i.test(req.headers['content-type'] ?? '')) {
        return odataError(res, 415, 'BadRequest', 'Unsupported media type: send application/json.');
      }
      try {
        body = JSON.parse(raw);
      } catch {
        return odataError(res, 400, 'BadRequest', 'Invalid Request Body');
      }
      entry.body = body;
    }
    const rest = url.pathname.slice(apiPrefix.length);
    if (rest.startsWith('subscriptions')) {
      return subscriptionRoutes(this, req, res, rest, body);
    }
    const company = /^companies\(([0-9a-f-]+)\)\/(.+)$/.exec(rest);
    if (!company || company[1] !== this.companyId) {
      return odataError(
        res,
        404,
        'BadRequest_ResourceNotFound',
        "Resource not found for the segment 'companies'.",
      );
    }
    return companyRoutes(this.store, this.ledger, req, res, company[2] as string, url.searchParams, body);
  }

  /** 429 with Retry-After when forced, or past the client's requests in the sliding window. */
  private throttle(res: ServerResponse, path: string): boolean {
    const now = Date.now();
    while (this.window.length > 0 && (this.window[0] as number) <= now - this.options.rateLimit.windowMs)
      this.window.shift();
    this.window.push(now);
    const forced = this.throttled > 0 && path.includes(this.throttledPath);
    if (forced || this.window.length > this.options.rateLimit.requests) {
      if (forced) this.throttled--;
      odataError(
        res,
        429,
        'Application_TooManyRequests',
        'Too Many Requests: the request limit is exceeded.',
        {
          'retry-after': '1',
        },
      );
      return true;
    }
    return false;
  }

  /** The Microsoft identity platform's client credentials grant (form body; secret in the form or Basic). */
  private token(req: IncomingMessage, raw: string, res: ServerResponse) {
    this.tokenRequests++;
    const fail = (status: number, error: string, description: string) =>
      sendJson(res, status, { error, error_description: description });
    if (req.method !== 'POST') return fail(405, 'invalid_request', 'The token endpoint takes POST.');
    if (!/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
      return fail(400, 'invalid_request', 'The request body must be application/x-www-form-urlencoded.');
    }
    const form = new URLSearchParams(raw);
    if (form.get('grant_type') !== 'client_credentials') {
      return fail(
        400,
        'unsupported_grant_type',
        `grant_type '${form.get('grant_type')}' is not client_credentials.`,
      );
    }
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic (\S+)$/.exec(req.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      id = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
    if (id !== this.clientId || secret !== this.clientSecret) {
      return fail(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    }
    if (form.get('scope') !== BC_SCOPE) {
      return fail(
        400,
        'invalid_scope',
        `AADSTS70011: The provided scope '${form.get('scope')}' is not valid; use ${BC_SCOPE}.`,
      );
    }
    const token = `eyJ0eXAiOiJKV1Qi.${randomUUID()}`;
    this.tokens.set(token, Date.now() + this.options.tokenLifetimeSec * 1000);
    sendJson(res, 200, {
      token_type: 'Bearer',
      expires_in: this.options.tokenLifetimeSec,
      ext_expires_in: this.options.tokenLifetimeSec,
      access_token: token,
    });
  }

  /**
   * Posts the shipment of a sales order in full (as BC's "Post" → Ship does): `fullyShipped` becomes true,
   * the order a new version (ETag) and `lastModifiedDateTime` moves; then BC notifies its subscribers.
   */
  async shipOrder(id: string): Promise<number[]> {
    const order = this.store.salesOrders.get(id);
    if (order === undefined) throw new Error(`no sales order ${id}`);
    Object.assign(order.header, {
      status: 'Released',
      fullyShipped: true,
      lastModifiedDateTime: new Date().toISOString(),
    });
    order.version++;
    return this.notify('salesOrders', id, 'updated');
  }

  /** Sends BC's change notifications for `entity` to every subscription on it; answers each status. */
  async notify(entity: string, id: string, changeType: 'created' | 'updated' | 'deleted'): Promise<number[]> {
    const statuses: number[] = [];
    for (const sub of [...this.subscriptions.values()]) {
      if (!sub.resource.endsWith(`/${entity}`)) continue;
      const body = {
        value: [
          {
            subscriptionId: sub.subscriptionId,
            clientState: sub.clientState,
            expirationDateTime: sub.expirationDateTime,
            resource: `${sub.resource.replace(/^\//, '')}(${id})`,
            changeType,
            lastModifiedDateTime: new Date().toISOString(),
          },
        ],
      };
      const answer = await fetch(sub.notificationUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await answer.text();
      statuses.push(answer.status);
      // BC retries 408, 429 and 5xx; any other failure deletes the subscription.
      const retried = answer.status === 408 || answer.status === 429 || answer.status >= 500;
      if (!answer.ok && !retried) this.subscriptions.delete(sub.subscriptionId);
    }
    return statuses;
  }
}
