/**
 * The simulator's side of the hub's public HTTP API: events, orders, reservations and X12 posted as a
 * system with its key, admin reads, and `/metrics`. Answers are returned, never thrown: the scenario
 * counts them.
 */

/** One answer of the hub, JSON parsed when it is JSON. */
export interface HubAnswer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field by the scenario
  body: any;
  /** Network failure (the hub unreachable): the error's message; `status` is 0. */
  error?: string;
}

/** A CloudEvent as the simulator sends it. */
export interface OutgoingEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  correlationid?: string;
  data: Record<string, unknown>;
}

export class HubClient {
  constructor(
    readonly baseUrl: string,
    /** The key `GET /metrics` is read with (the metrics key or the admin key). */
    private readonly metricsKey?: string,
  ) {}

  /** Any request; `body` objects are sent as JSON, strings as they are. */
  async request(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    key: string | undefined,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HubAnswer> {
    const isText = typeof body === 'string';
    try {
      const response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
          ...(body === undefined || isText ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: isText ? body : JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      let parsed: unknown = text;
      if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      return { status: response.status, headers: response.headers, body: parsed };
    } catch (error) {
      return { status: 0, headers: new Headers(), body: undefined, error: describe(error) };
    }
  }

  /** `POST /v1/events`, one structured CloudEvent. */
  postEvent(key: string, event: OutgoingEvent): Promise<HubAnswer> {
    return this.request('POST', '/v1/events', key, JSON.stringify(event), {
      'content-type': 'application/cloudevents+json',
    });
  }

  /** `POST /v1/orders` with an Idempotency-Key. */
  postOrder(key: string, order: Record<string, unknown>, idempotencyKey: string): Promise<HubAnswer> {
    return this.request('POST', '/v1/orders', key, order, { 'idempotency-key': idempotencyKey });
  }

  /** `POST /v1/inbound/{system}/{route}`: a platform's own webhook, headers (signature) as given. */
  postInbound(
    system: string,
    route: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<HubAnswer> {
    const path = `/v1/inbound/${encodeURIComponent(system)}/${encodeURIComponent(route)}`;
    return this.request('POST', path, undefined, body, headers);
  }

  /**
   * `POST /v1/edi/{partner}`, an X12 interchange; the answer asked as JSON, so that its body holds the
   * acknowledgements and what became of each set.
   */
  postEdi(key: string, partner: string, interchange: string): Promise<HubAnswer> {
    return this.request('POST', `/v1/edi/${encodeURIComponent(partner)}`, key, interchange, {
      'content-type': 'application/edi-x12',
      accept: 'application/json',
    });
  }

  /** `GET /metrics` as text, or undefined when the hub does not answer it. */
  async metrics(): Promise<string | undefined> {
    const answer = await this.request('GET', '/metrics', this.metricsKey);
    return answer.status === 200 && typeof answer.body === 'string' ? answer.body : undefined;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

/** One sample of a Prometheus text page: `name{labels} value`. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the samples of a Prometheus text exposition (comments skipped). */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_, c: string) =>
        c === 'n' ? '\n' : c,
      );
    }
    const value = match[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[3]);
    samples.push({ name: match[1] as string, labels, value });
  }
  return samples;
}
