/**
 * The fake Business Central's webhook subscriptions (`/api/v2.0/subscriptions`): create and renew each
 * perform the validation handshake (a POST to `notificationUrl?validationToken=…`, which must answer 200
 * with the token as its body) before answering; a subscription lives three days unless renewed by a
 * PATCH carrying `If-Match`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { odataError, sendJson, weakEtag } from './odata.js';

export interface Subscription {
  subscriptionId: string;
  notificationUrl: string;
  resource: string;
  clientState: string;
  expirationDateTime: string;
  version: number;
}

interface Host {
  readonly subscriptions: Map<string, Subscription>;
  readonly companyId: string;
  readonly options: { subscriptionLifetimeMs: number };
}

const FIELDS = new Set(['notificationUrl', 'resource', 'clientState']);
const SUPPORTED = ['customers', 'items', 'salesOrders', 'salesInvoices', 'vendors', 'purchaseInvoices'];
/** How long the fake waits for the handshake's answer (its own choice; BC's is not documented). */
const HANDSHAKE_TIMEOUT_MS = 5000;

/** Handshakes answered (token sent, whether the answer echoed it). */
export const handshakes: { url: string; ok: boolean }[] = [];

function view(sub: Subscription): Record<string, unknown> {
  const { version, ...rest } = sub;
  return {
    '@odata.etag': weakEtag(sub.subscriptionId, version),
    ...rest,
    lastModifiedDateTime: new Date().toISOString(),
  };
}

async function handshake(notificationUrl: string): Promise<boolean> {
  const token = randomUUID();
  const url = new URL(notificationUrl);
  url.searchParams.set('validationToken', token);
  try {
    const answer = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(HANDSHAKE_TIMEOUT_MS) });
    const text = await answer.text();
    const ok = answer.status === 200 && text === token;
    handshakes.push({ url: notificationUrl, ok });
    return ok;
  } catch {
    handshakes.push({ url: notificationUrl, ok: false });
    return false;
  }
}

function check(host: Host, res: ServerResponse, body: Record<string, unknown>): boolean {
  for (const name of Object.keys(body)) {
    if (!FIELDS.has(name)) {
      odataError(
        res,
        400,
        'BadRequest_NotFound',
        `The property '${name}' does not exist on type 'Microsoft.NAV.subscriptions'. Make sure to only use property names that are defined by the type.`,
      );
      return false;
    }
  }
  if (typeof body.notificationUrl !== 'string' || typeof body.resource !== 'string') {
    odataError(
      res,
      400,
      'BadRequest_RequiredParamNotProvided',
      "Field 'notificationUrl' and 'resource' must not be blank or empty.",
    );
    return false;
  }
  const entity = new RegExp(`^/?api/v2\\.0/companies\\(${host.companyId}\\)/([A-Za-z]+)$`).exec(
    body.resource,
  )?.[1];
  if (entity === undefined || !SUPPORTED.includes(entity)) {
    odataError(res, 400, 'BadRequest', `The resource '${body.resource}' does not support webhooks.`);
    return false;
  }
  if (typeof body.clientState === 'string' && body.clientState.length > 2048) {
    odataError(
      res,
      400,
      'Application_StringExceededLength',
      'The length of clientState must be at most 2048 characters.',
    );
    return false;
  }
  return true;
}

export async function subscriptionRoutes(
  host: Host,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: unknown,
) {
  const method = req.method ?? 'GET';
  const lifetime = () => new Date(Date.now() + host.options.subscriptionLifetimeMs).toISOString();
  if (path === 'subscriptions' && method === 'GET') {
    return sendJson(res, 200, { value: [...host.subscriptions.values()].map(view) });
  }
  if (path === 'subscriptions' && method === 'POST') {
    const given = (body ?? {}) as Record<string, unknown>;
    if (!check(host, res, given)) return;
    if (!(await handshake(given.notificationUrl as string))) {
      return odataError(
        res,
        400,
        'BadRequest',
        'The subscription could not be validated: the notification URL did not return the validationToken.',
      );
    }
    const sub: Subscription = {
      subscriptionId: randomUUID().replaceAll('-', ''),
      notificationUrl: given.notificationUrl as string,
      resource: given.resource as string,
      clientState: (given.clientState as string | undefined) ?? '',
      expirationDateTime: lifetime(),
      version: 1,
    };
    host.subscriptions.set(sub.subscriptionId, sub);
    return sendJson(res, 201, view(sub));
  }
  const one = /^subscriptions\('([0-9a-f]+)'\)$/.exec(path);
  const sub = one ? host.subscriptions.get(one[1] as string) : undefined;
  if (!one || !sub) {
    return odataError(res, 404, 'Internal_RecordNotFound', 'The API Webhook Subscription does not exist.');
  }
  if (method === 'GET') return sendJson(res, 200, view(sub));
  if (method === 'DELETE') {
    host.subscriptions.delete(sub.subscriptionId);
    res.writeHead(204).end();
    return;
  }
  if (method !== 'PATCH')
    return odataError(res, 405, 'BadRequest_MethodNotAllowed', `'${method}' requests are not allowed.`);
  const ifMatch = req.headers['if-match'];
  if (ifMatch === undefined || ifMatch === '') {
    return odataError(
      res,
      400,
      'BadRequest_InvalidToken',
      'Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.',
    );
  }
  if (ifMatch !== '*' && ifMatch !== weakEtag(sub.subscriptionId, sub.version)) {
    return odataError(res, 412, 'Request_EntityChanged', 'Another user has already changed the record.');
  }
  const given = {
    notificationUrl: sub.notificationUrl,
    resource: sub.resource,
    ...((body ?? {}) as Record<string, unknown>),
  };
  if (!check(host, res, given)) return;
  // Renewing hands-shakes again.
  if (!(await handshake(given.notificationUrl as string))) {
    return odataError(
      res,
      400,
      'BadRequest',
      'The subscription could not be validated: the notification URL did not return the validationToken.',
    );
  }
  Object.assign(sub, given, { expirationDateTime: lifetime(), version: sub.version + 1 });
  return sendJson(res, 200, view(sub));
}
