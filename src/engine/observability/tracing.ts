/**
 * Tracing (docs/tracing.md): the W3C trace context travels from ingest through every delivery, and
 * spans are recorded with the OpenTelemetry API. With `tracing.otlp` configured a tracer provider exports
 * them over OTLP/HTTP; without it the trace context is still carried, as plain strings (trace-context.ts),
 * so the hot ingest path pays no more than building a `traceparent`.
 *
 * ```text
 * client ──traceparent──▶ ingest span ──(event.traceparent)──▶ process <type> span (hub events)
 *                                     └──────────────────────▶ deliver <subscription> span ──traceparent──▶ target
 * ```
 */
import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { CompiledConfig, TracingConfig } from '../../config/compiled-config.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { childTraceparent, eventTrace, freshTraceparent, type TraceContext } from './trace-context.js';

/** What a delivery span records of the attempt's answer. */
export interface AttemptAnswer {
  outcome: string;
  status?: number | undefined;
  error?: string | undefined;
}

/** The ingest spans of one request, ended once the commit's outcome is known. */
export interface IngestSpans {
  /** Ends each span with its event's outcome (`accepted`, `duplicate`). */
  end(statuses: readonly string[]): void;
  /** Ends every span as failed: the request was refused or the commit failed. */
  fail(error: unknown): void;
}

const propagator = new W3CTraceContextPropagator();
const TRACER_NAME = 'manifold';

/** The hub's tracing: one per compiled configuration (see `tracingFor`). */
export class Tracing {
  /** Whether spans are recorded and exported (`tracing.otlp` set). */
  readonly enabled: boolean;
  private readonly provider: BasicTracerProvider | undefined;
  private readonly tracer: Tracer;
  private readonly sampleRatio: number;
  private readonly registered: boolean;
  private stopped: Promise<void> | undefined;

  constructor(config: TracingConfig) {
    this.sampleRatio = config.sampleRatio;
    const otlp = config.otlp;
    if (otlp === undefined) {
      this.enabled = false;
      this.provider = undefined;
      this.registered = false;
      this.tracer = trace.getTracer(TRACER_NAME);
      return;
    }
    this.enabled = true;
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': config.serviceName }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
      spanProcessors: [
        new BatchSpanProcessor(
          new OTLPTraceExporter({ url: otlp.url, headers: otlp.headers, timeoutMillis: otlp.timeoutMs }),
        ),
      ],
    });
    this.tracer = this.provider.getTracer(TRACER_NAME);
    // The process-wide API globals, for code that uses the active context; the first hub in a process
    // owns them (a second one, as in tests, keeps its own provider and passes contexts explicitly).
    this.registered = trace.setGlobalTracerProvider(this.provider);
    if (this.registered) {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      propagation.setGlobalPropagator(propagator);
    }
  }

  /**
   * Gives each event about to be stored its trace context. The parent is the event's own `traceparent`,
   * else the request's (`incoming`). Tracing on: an `ingest` span per event, whose context the event
   * stores, returned to be ended after the commit. Off: the event keeps its own, takes the request's,
   * or gets a new trace — a string, nothing more.
   */
  startIngest(
    system: string,
    items: readonly { event: CloudEvent }[],
    incoming: TraceContext | undefined,
  ): IngestSpans | undefined {
    if (!this.enabled) {
      for (const { event } of items) {
        if (typeof event.traceparent === 'string') continue;
        if (incoming?.traceparent !== undefined) {
          event.traceparent = incoming.traceparent;
          if (incoming.tracestate !== undefined) event.tracestate = incoming.tracestate;
        } else event.traceparent = freshTraceparent(this.sampleRatio);
      }
      return undefined;
    }
    const startTime = new Date();
    const spans = items.map(({ event }) => {
      const span = this.tracer.startSpan(
        'ingest',
        {
          kind: SpanKind.SERVER,
          startTime,
          attributes: {
            'cloudevents.event_id': event.id,
            'cloudevents.event_type': event.type,
            'cloudevents.event_source': event.source,
            'manifold.system': system,
          },
        },
        parentContext(eventTrace(event) ?? incoming),
      );
      setTrace(event, span);
      return span;
    });
    return {
      end: (statuses) =>
        spans.forEach((span, i) => {
          span.setAttribute('manifold.ingest.status', statuses[i] ?? 'unknown');
          span.end();
        }),
      fail: (error) => {
        for (const span of spans) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
          span.end();
        }
      },
    };
  }

  /**
   * Gives a hub event the trace context of its cause (an inbound event, an interchange): the same trace
   * with a new span id — a `process <type>` span when tracing is on. Without a cause, a new trace. An
   * event that already carries a `traceparent` keeps it.
   */
  traceHubEvent(event: CloudEvent, cause: TraceContext | undefined): void {
    if (typeof event.traceparent === 'string') return;
    if (!this.enabled) {
      event.traceparent = childTraceparent(cause?.traceparent, this.sampleRatio);
      if (cause?.tracestate !== undefined) event.tracestate = cause.tracestate;
      return;
    }
    const span = this.tracer.startSpan(
      `process ${event.type}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'cloudevents.event_id': event.id,
          'cloudevents.event_type': event.type,
          'cloudevents.event_source': event.source,
        },
      },
      parentContext(cause),
    );
    setTrace(event, span);
    span.end();
  }

  /**
   * The trace context of work started on behalf of a request (an X12 interchange's sets): a child of
   * `incoming`, or a new trace. Tracing on: a span named `name` (SERVER), ended by the caller.
   */
  startWork(
    name: string,
    incoming: TraceContext | undefined,
    attributes: Record<string, string>,
  ): { trace: TraceContext; end(error?: unknown): void } {
    if (!this.enabled) {
      const traceparent = childTraceparent(incoming?.traceparent, this.sampleRatio);
      return {
        trace: incoming?.tracestate ? { traceparent, tracestate: incoming.tracestate } : { traceparent },
        end: () => undefined,
      };
    }
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parentContext(incoming));
    return {
      trace: injected(span),
      end: (error) => {
        if (error !== undefined) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
        }
        span.end();
      },
    };
  }

  /**
   * Runs one delivery attempt of `events`, handing `send` the trace headers to put on the request: the
   * first event's trace with a new span id. Tracing on: a `deliver <subscription>` span (CLIENT), child
   * of the first event's context and linked to every event's (a batch), carrying the attempt's outcome.
   */
  async deliver<A extends AttemptAnswer>(
    subscription: { name: string; target: string },
    events: readonly CloudEvent[],
    attempt: number,
    send: (headers: TraceContext) => Promise<A>,
  ): Promise<A> {
    const first = events[0] === undefined ? undefined : eventTrace(events[0]);
    if (!this.enabled) {
      const traceparent = childTraceparent(first?.traceparent, this.sampleRatio);
      return send(first?.tracestate ? { traceparent, tracestate: first.tracestate } : { traceparent });
    }
    const links: Link[] = [];
    if (events.length > 1) {
      for (const event of events) {
        const linked = trace.getSpanContext(parentContext(eventTrace(event)));
        if (linked) links.push({ context: linked });
      }
    }
    const span = this.tracer.startSpan(
      `deliver ${subscription.name}`,
      {
        kind: SpanKind.CLIENT,
        links,
        attributes: {
          'manifold.subscription': subscription.name,
          'manifold.target': subscription.target,
          'manifold.attempt': attempt,
          'manifold.events': events.length,
          ...(events.length === 1 && events[0] ? { 'cloudevents.event_id': events[0].id } : {}),
        },
      },
      parentContext(first),
    );
    try {
      const answer = await context.with(trace.setSpan(context.active(), span), () => send(injected(span)));
      if (answer.status !== undefined) span.setAttribute('http.response.status_code', answer.status);
      span.setAttribute('outcome', answer.outcome);
      if (answer.outcome !== 'delivered') {
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: answer.error ?? (answer.status !== undefined ? `HTTP ${answer.status}` : answer.outcome),
        });
      }
      return answer;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
      throw error;
    } finally {
      span.end();
    }
  }

  /** Exports the spans recorded so far (tests; a hub flushes on `shutdown`). */
  async flush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  /** Flushes and stops the exporter (hub stop); later spans are not recorded. Idempotent. */
  shutdown(): Promise<void> {
    this.stopped ??= (async () => {
      await this.provider?.shutdown();
      if (this.registered) {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    })();
    return this.stopped;
  }
}

const instances = new WeakMap<CompiledConfig, Tracing>();

/**
 * The tracing of a compiled configuration, created on first use: the API (ingest, orders, EDI), the
 * delivery engine and the hub's shutdown all reach the same provider through the config they share.
 */
export function tracingFor(config: CompiledConfig): Tracing {
  let tracing = instances.get(config);
  if (tracing === undefined) {
    tracing = new Tracing(config.tracing ?? { serviceName: 'manifold', sampleRatio: 1 });
    instances.set(config, tracing);
  }
  return tracing;
}

/** A context whose parent is `parent`'s span (remote), or the root context when there is none. */
function parentContext(parent: TraceContext | undefined): Context {
  if (parent?.traceparent === undefined) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, parent, defaultTextMapGetter);
}

/** `span`'s context as W3C headers. */
function injected(span: Span): TraceContext {
  const carrier: TraceContext = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
  return carrier;
}

/** Stores `span`'s context in the event's `traceparent` and `tracestate` attributes. */
function setTrace(event: CloudEvent, span: Span): void {
  const { traceparent, tracestate } = injected(span);
  if (traceparent !== undefined) event.traceparent = traceparent;
  if (tracestate !== undefined) event.tracestate = tracestate;
  else delete event.tracestate;
}
