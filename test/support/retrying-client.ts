/**
 * A client as a careful integration writes one: it sends a request and, until it gets a definite answer,
 * sends the very same request again (same Idempotency-Key, same event id, same body) after a short pause.
 * Not definite: no answer (connection refused or reset, timeout), a 5xx, a 409 saying the key is still in
 * flight, a 202 saying the order is still being processed. Everything else is the answer.
 */

export interface Call {
  /** What the call is, for reports: `order WEB-12`, `ship WEB-12 @DC-EAST`. */
  label: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  token: string;
  idempotencyKey?: string;
  body?: unknown;
  contentType?: string;
  /** The definite answer, once there is one. */
  answer?: { status: number; body: Record<string, unknown> };
  /** How many times it was sent, and what the last non-definite attempt got. */
  sends: number;
  last?: string;
  /** Attempts answered 409 idempotency-key-in-flight/-in-use. */
  inFlightAnswers: number;
  /** Attempts that got no answer at all (the hub was killed, or not up yet). */
  unanswered: number;
  /** True while an attempt is on the wire. */
  sending?: boolean;
}

/** A call to make, not yet sent. */
export function call(init: Omit<Call, 'sends' | 'inFlightAnswers' | 'unanswered'>): Call {
  return { ...init, sends: 0, inFlightAnswers: 0, unanswered: 0 };
}

const IN_FLIGHT = /\/idempotency-key-in-(flight|use)$/;

/** Whether an answer settles the call, and why not. */
function verdict(status: number, body: Record<string, unknown>): string | undefined {
  if (status >= 500) return `HTTP ${status}`;
  if (status === 409 && typeof body.type === 'string' && IN_FLIGHT.test(body.type)) return `409 ${body.type}`;
  if (status === 202 && body.status === 'processing') return '202 processing';
  return undefined;
}

/**
 * Sends `c` to `baseUrl` until it has a definite answer or `deadline` (epoch ms) passes; `pause` gives the
 * wait before each resend. Returns whether it has its answer (also kept on `c.answer`).
 */
export async function settle(
  baseUrl: string,
  c: Call,
  deadline: number,
  pause: () => number,
): Promise<boolean> {
  while (c.answer === undefined) {
    if (c.sends > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, pause()));
    }
    c.sends += 1;
    c.sending = true;
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${c.token}` };
      if (c.idempotencyKey !== undefined) headers['idempotency-key'] = c.idempotencyKey;
      if (c.body !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
      const response = await fetch(`${baseUrl}${c.path}`, {
        method: c.method,
        headers,
        ...(c.body === undefined ? {} : { body: JSON.stringify(c.body) }),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await response.text();
      let body: Record<string, unknown> = {};
      try {
        body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        body = { text };
      }
      const notYet = verdict(response.status, body);
      if (notYet === undefined) c.answer = { status: response.status, body };
      else {
        c.last = notYet;
        if (notYet.startsWith('409')) c.inFlightAnswers += 1;
      }
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      c.last = `no answer (${cause?.code ?? (error as Error).name})`;
      c.unanswered += 1;
    } finally {
      c.sending = false;
    }
  }
  return true;
}
