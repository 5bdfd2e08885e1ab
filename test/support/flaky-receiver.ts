/**
 * A real HTTP receiver standing in for the ERP, the WMS and the storefront, as unreliable as real ones:
 * some attempts get a 503 (a bad backend behind its load balancer), some a reset connection, some no
 * answer at all (the hub's timeout ends them), some a slow 200. Now and then it is overloaded for a while
 * and answers 503 with `Retry-After: 1` to everything. Every attempt is recorded with the event id it
 * carried (`Idempotency-Key`).
 *
 * Each attempt's fate is drawn from the seed, the path, the event id and the attempt number, so a run is
 * reproducible as far as the hub's own timing allows. After `maxFailures` failed attempts of one event on
 * one path it always answers 200: the flakiness is bounded, so delivery must finish.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashSeed, SeededRandom } from './seeded-random.js';

export type AttemptOutcome = 'ok' | 'slow-ok' | 'unavailable' | 'reset' | 'hang';

export interface ReceivedAttempt {
  path: string;
  /** The `Idempotency-Key` header: the event id for a structured delivery. */
  key: string;
  /** The CloudEvent's own id, subject and type. */
  eventId: string;
  subject?: string;
  type?: string;
  /** 1 for the first time this path saw this key. */
  attempt: number;
  outcome: AttemptOutcome;
  /** When the request arrived, and when it was answered 200 (ok outcomes only), epoch ms. */
  at: number;
  answeredAt?: number;
}

export interface FlakyOptions {
  seed: number;
  /** Failed attempts of one event on one path before it is always answered 200. */
  maxFailures?: number;
  /** Share of attempts answered 503, reset, left hanging, answered slowly. */
  unavailable?: number;
  reset?: number;
  hang?: number;
  slow?: number;
  /** An overload spell of `spellMs` every `spellEveryMs` on each path (its phase depends on the path). */
  spellEveryMs?: number;
  spellMs?: number;
}

export interface FlakyReceiver {
  url: string;
  attempts: ReceivedAttempt[];
  /** Answers 503 (Retry-After: 1) to every attempt on every path for `ms` from now. */
  overload(ms: number): void;
  /** The first attempt answered 200 per path and event id. */
  firstSuccess(path: string): Map<string, ReceivedAttempt>;
  /** The first attempt of any outcome per path and event id. */
  firstArrival(path: string): Map<string, ReceivedAttempt>;
  close(): Promise<void>;
}

/** Starts the receiver on a free port of 127.0.0.1. */
export async function startFlakyReceiver(options: FlakyOptions): Promise<FlakyReceiver> {
  const {
    seed,
    maxFailures = 3,
    unavailable = 0.08,
    reset = 0.03,
    hang = 0.005,
    slow = 0.04,
    spellEveryMs = 10_000,
    spellMs = 1000,
  } = options;
  const attempts: ReceivedAttempt[] = [];
  const seen = new Map<string, { attempts: number; failures: number }>();
  const timers = new Set<NodeJS.Timeout>();
  const started = Date.now();
  let overloadedUntil = 0;

  const inSpell = (path: string, now: number): boolean => {
    if (now < overloadedUntil) return true;
    const phase = hashSeed(seed, 'spell', path) % spellEveryMs;
    return (now - started + phase) % spellEveryMs < spellMs;
  };

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const now = Date.now();
      const path = req.url ?? '/';
      let event: { id?: string; subject?: string; type?: string } = {};
      try {
        event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        // not a CloudEvent: recorded under its key alone
      }
      const key = String(req.headers['idempotency-key'] ?? '');
      const tally = seen.get(`${path} ${key}`) ?? { attempts: 0, failures: 0 };
      seen.set(`${path} ${key}`, tally);
      tally.attempts += 1;
      const random = new SeededRandom(hashSeed(seed, path, key, tally.attempts));
      const draw = random.next();
      let outcome: AttemptOutcome;
      if (tally.failures >= maxFailures) outcome = 'ok';
      else if (inSpell(path, now) || draw < unavailable) outcome = 'unavailable';
      else if (draw < unavailable + reset) outcome = 'reset';
      else if (draw < unavailable + reset + hang) outcome = 'hang';
      else if (draw < unavailable + reset + hang + slow) outcome = 'slow-ok';
      else outcome = 'ok';
      if (outcome === 'unavailable' || outcome === 'reset' || outcome === 'hang') tally.failures += 1;
      const attempt: ReceivedAttempt = {
        path,
        key,
        eventId: event.id ?? key,
        ...(event.subject === undefined ? {} : { subject: event.subject }),
        ...(event.type === undefined ? {} : { type: event.type }),
        attempt: tally.attempts,
        outcome,
        at: now,
      };
      attempts.push(attempt);
      const answer = (response: ServerResponse) => {
        if (response.destroyed) return;
        attempt.answeredAt = Date.now();
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end('ok');
      };
      switch (outcome) {
        case 'ok':
          answer(res);
          break;
        case 'slow-ok':
          later(random.int(150, 900), () => answer(res));
          break;
        case 'unavailable': {
          // Overloaded, it asks for a pause; a sporadic 503 (one bad backend behind its balancer) does not.
          const retryAfter = inSpell(path, now) ? { 'retry-after': '1' } : undefined;
          res.writeHead(503, { 'content-type': 'text/plain', ...retryAfter });
          res.end('busy');
          break;
        }
        case 'reset':
          req.socket.destroy();
          break;
        case 'hang':
          // Never answered: the hub's own timeout ends the attempt; the socket is dropped a while later.
          later(8000, () => req.socket.destroy());
          break;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const firstBy = (path: string, accept: (a: ReceivedAttempt) => boolean) => {
    const first = new Map<string, ReceivedAttempt>();
    for (const attempt of attempts) {
      if (attempt.path !== path || !accept(attempt) || first.has(attempt.eventId)) continue;
      first.set(attempt.eventId, attempt);
    }
    return first;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    overload: (ms) => {
      overloadedUntil = Date.now() + ms;
    },
    firstSuccess: (path) => firstBy(path, (a) => a.answeredAt !== undefined),
    firstArrival: (path) => firstBy(path, () => true),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
