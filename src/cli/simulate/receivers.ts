/**
 * The receiving systems: one HTTP server per port of the subscriptions' URLs (9001…9010 in the example),
 * each routing by path to its subscription. A receiver checks the `Manifold-Signature` (docs/webhooks.md),
 * counts every event by (source, id) to find duplicate deliveries, measures the latency from the event's
 * `time`, answers 2xx — or resets the connection while its system is down, later when it is slow — and
 * hands each first receipt to the system's actor. Only the run's own events are measured and handed on
 * (`ofRun`: they carry the run's tag); anything else — an earlier run's rows still being retried, the
 * README's curl examples — is answered 2xx as well, and only counted as `foreign`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type FaultPlan, isDown, slowDelay } from './faults.js';
import type { ReceiverFigures } from './report.js';
import type { SimSubscription } from './sim-config.js';

/** An event as delivered by the hub. */
export interface DeliveredEvent {
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  data: Record<string, unknown>;
}

/** Called once per event a subscription receives for the first time. */
export type EventHandler = (subscription: SimSubscription, event: DeliveredEvent) => void;
/** Called once per X12 interchange (`application/edi-x12`) a subscription receives for the first time. */
export type InterchangeHandler = (subscription: SimSubscription, interchange: string) => void;

export interface ReceiverStats {
  perReceiver: Map<
    string,
    Omit<ReceiverFigures, 'p50Ms' | 'p99Ms'> & { seen: Set<string>; latenciesMs: number[] }
  >;
  /** Deliveries of events that are not the run's (not measured, not handed to the actors). */
  foreign: number;
  signatureFailures: number;
  /** Shaped calls the simulated API refused (wrong method, path, credentials or body), with why. */
  refusedRequests: string[];
  /** Requests refused (connection reset) while the system was down, per system. */
  refusedWhileDown: Map<string, number>;
  /** Milliseconds from the event's `time` to its first receipt. */
  latenciesMs: number[];
}

export interface Receivers {
  stats: ReceiverStats;
  close(): Promise<void>;
}

/**
 * Listens on every subscription's host and port. `elapsedMs` tells where the run is (for the outage
 * windows). Rejects with an explanation when a port is taken (a second simulator, or `npm start`'s
 * neighbours).
 */
export async function startReceivers(
  subscriptions: readonly SimSubscription[],
  faults: FaultPlan,
  elapsedMs: () => number,
  handle: EventHandler,
  handleInterchange: InterchangeHandler = () => undefined,
  ofRun: (text: string, event?: DeliveredEvent) => boolean = () => true,
): Promise<Receivers> {
  const stats: ReceiverStats = {
    perReceiver: new Map(
      subscriptions.map((s) => [
        s.name,
        { received: 0, unique: 0, duplicates: 0, seen: new Set<string>(), latenciesMs: [] as number[] },
      ]),
    ),
    foreign: 0,
    signatureFailures: 0,
    refusedRequests: [],
    refusedWhileDown: new Map(),
    latenciesMs: [],
  };
  const byPort = new Map<string, SimSubscription[]>();
  for (const s of subscriptions) {
    const address = `${s.url.hostname}:${s.url.port || (s.url.protocol === 'https:' ? '443' : '80')}`;
    byPort.set(address, [...(byPort.get(address) ?? []), s]);
  }
  const salesOrders = new SalesOrderApi();
  const servers: Server[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const close = async () => {
    for (const timer of timers) clearTimeout(timer);
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
  };

  const onRequest = (candidates: SimSubscription[], req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://receiver').pathname;
      const subscription =
        candidates.find((s) => s.shaped === undefined && s.url.pathname === path) ??
        candidates.find((s) => s.shaped?.path.test(req.url ?? '/')) ??
        (candidates.length === 1 ? candidates[0] : undefined);
      const answer = (status: number, body = '', headers: Record<string, string> = {}) => {
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(status, { 'content-type': 'text/plain', ...headers });
          res.end(body);
        };
        const delay = subscription ? slowDelay(faults, subscription.target) : 0;
        if (delay <= 0) return send();
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, delay);
        timers.add(timer);
      };
      if (subscription === undefined) return answer(404, `no subscription is delivered to ${path} here`);
      if (isDown(faults, subscription.target, elapsedMs())) {
        const refused = stats.refusedWhileDown;
        refused.set(subscription.target, (refused.get(subscription.target) ?? 0) + 1);
        // An outage, not a throttle: the connection is reset with no answer (a 503 would tell the hub to
        // slow down, and it would not open the target's circuit breaker; docs/delivery.md#6-protecting-targets).
        req.socket.destroy();
        return;
      }
      const raw = Buffer.concat(chunks);
      const receivedAt = Date.now();
      if (subscription.secret !== undefined) {
        const header = req.headers['manifold-signature'];
        if (!signatureMatches(subscription.secret, raw, typeof header === 'string' ? header : undefined)) {
          // Counted, not refused: a mismatch here means the hub and the simulator read different secrets,
          // and refusing would park every event instead of showing the flows.
          stats.signatureFailures += 1;
        }
      }
      const figures = stats.perReceiver.get(subscription.name)!;
      if (subscription.shaped !== undefined) {
        const reply = salesOrders.answer(subscription, req, raw.toString('utf8'));
        if (!ofRun(raw.toString('utf8'))) {
          stats.foreign += 1;
        } else if (reply.refused !== undefined) {
          stats.refusedRequests.push(`${subscription.name}: ${reply.refused}`);
        } else {
          figures.received += 1;
          if (reply.status === 409) figures.duplicates += 1;
          else figures.unique += 1;
        }
        return answer(reply.status, JSON.stringify(reply.body), { 'content-type': 'application/json' });
      }
      if (String(req.headers['content-type'] ?? '').startsWith('application/edi-x12')) {
        // One interchange per event; a retry resends the same one with the same Idempotency-Key.
        const text = raw.toString('utf8');
        if (!ofRun(text)) {
          stats.foreign += 1;
          return answer(200, 'ok');
        }
        const key = String(req.headers['idempotency-key'] ?? text);
        figures.received += 1;
        if (figures.seen.has(key)) figures.duplicates += 1;
        else {
          figures.seen.add(key);
          figures.unique += 1;
          try {
            handleInterchange(subscription, text);
          } catch {
            // As for events: an actor's bug must not fail the delivery.
          }
        }
        return answer(200, 'ok');
      }
      let events: DeliveredEvent[];
      try {
        const parsed = JSON.parse(raw.toString('utf8')) as DeliveredEvent | DeliveredEvent[];
        events = Array.isArray(parsed) ? parsed : [parsed];
      } catch {
        return answer(400, 'not JSON');
      }
      for (const event of events) {
        if (!ofRun(JSON.stringify(event), event)) {
          stats.foreign += 1;
          continue;
        }
        figures.received += 1;
        const key = `${event.source} ${event.id}`;
        if (figures.seen.has(key)) {
          figures.duplicates += 1;
          continue;
        }
        figures.seen.add(key);
        figures.unique += 1;
        const time = event.time === undefined ? Number.NaN : Date.parse(event.time);
        if (Number.isFinite(time)) {
          const latency = Math.max(0, receivedAt - time);
          stats.latenciesMs.push(latency);
          figures.latenciesMs.push(latency);
        }
        try {
          handle(subscription, event);
        } catch {
          // An actor's bug must not fail the delivery: the report shows what the actors did.
        }
      }
      answer(200, 'ok');
    });
  };

  for (const [address, candidates] of byPort) {
    const first = candidates[0] as SimSubscription;
    const server = createServer((req, res) => onRequest(candidates, req, res));
    servers.push(server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(Number(first.url.port || 80), first.url.hostname, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      servers.pop();
      await close();
      const code = (error as { code?: string }).code;
      throw new Error(
        `cannot listen on ${address} for ${candidates.map((s) => s.name).join(', ')}: ${code ?? String(error)}` +
          (code === 'EADDRINUSE' ? ' (is another simulator running?)' : ''),
      );
    }
  }
  return { stats, close };
}

/** The check of docs/webhooks.md: HMAC-SHA256 of `<t>.<raw body>`, any `v1` matching. */
export function signatureMatches(secret: string, raw: Buffer, header: string | undefined): boolean {
  const fields = (header ?? '').split(',').map((part) => part.trim().split('='));
  const t = fields.find(([key]) => key === 't')?.[1];
  if (!t || !/^\d+$/.test(t)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(raw).digest();
  return fields.some(
    ([key, value]) =>
      key === 'v1' &&
      /^[0-9a-f]{64}$/i.test(value ?? '') &&
      timingSafeEqual(expected, Buffer.from(value!, 'hex')),
  );
}

/**
 * The ERP's own sales-order API, as a shaped call reaches it (`PUT /api/salesOrders/{orderId}` in the
 * example): the method, path and credentials the subscription is configured with, and a JSON body
 * `{externalId, requestKey, lines: [{item, qty}]}` whose `externalId` is the order in the path and whose
 * `requestKey` is the `Idempotency-Key`. A new order is answered 201 with the ERP's id; the same request
 * again 409 with that id (the subscription's `okIf` reads it as delivered); anything else 4xx with
 * `userErrors` (its `failIf` parks it).
 */
export class SalesOrderApi {
  private readonly taken = new Map<string, { id: string; requestKey: string }>();

  answer(
    subscription: SimSubscription,
    req: IncomingMessage,
    text: string,
  ): { status: number; body: unknown; refused?: string } {
    const shaped = subscription.shaped!;
    const refuse = (status: number, message: string) => ({
      status,
      body: { userErrors: [{ message }] },
      refused: message,
    });
    if (req.method !== shaped.method) return refuse(405, `method ${req.method}, expected ${shaped.method}`);
    if (shaped.authorization !== undefined && req.headers.authorization !== shaped.authorization) {
      return refuse(401, 'missing or wrong Authorization');
    }
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '') return refuse(400, 'no Idempotency-Key');
    const orderId = decodeURIComponent(new URL(req.url ?? '/', 'http://erp').pathname.split('/').pop() ?? '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return refuse(400, 'the body is not JSON');
    }
    const problem = bodyProblem(body, orderId, key);
    if (problem !== undefined) return refuse(422, problem);
    const known = this.taken.get(orderId);
    if (known !== undefined) {
      return known.requestKey === key
        ? { status: 409, body: { error: 'already exists', id: known.id } }
        : refuse(409, `order ${orderId} was created by another request`);
    }
    const id = `SO-${this.taken.size + 1}`;
    this.taken.set(orderId, { id, requestKey: key });
    return { status: 201, body: { id } };
  }
}

function bodyProblem(body: unknown, orderId: string, key: string): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be an object';
  const order = body as { externalId?: unknown; requestKey?: unknown; lines?: unknown };
  if (order.externalId !== orderId) return `externalId ${JSON.stringify(order.externalId)} is not ${orderId}`;
  if (order.requestKey !== key) return 'requestKey is not the Idempotency-Key';
  if (!Array.isArray(order.lines) || order.lines.length === 0) return 'lines must be a non-empty array';
  for (const [index, line] of order.lines.entries()) {
    const { item, qty } = (line ?? {}) as { item?: unknown; qty?: unknown };
    if (typeof item !== 'string' || item === '') return `lines[${index}].item must be a SKU`;
    if (typeof qty !== 'number' || !(qty > 0)) return `lines[${index}].qty must be a positive number`;
  }
  return undefined;
}
