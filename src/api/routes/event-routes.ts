/** `POST /v1/events` (ingest) and `GET /v1/events` (the log, admin). */
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { LoggedEvent } from '../../domain/cloud-event.js';
import { isValidTypePattern } from '../../domain/type-pattern.js';
import { incomingTrace } from '../../engine/observability/trace-context.js';
import { ValidationError } from '../../errors.js';
import type { ApiContext } from '../api-context.js';
import { readCloudEvents } from '../cloudevents-http.js';
import { queryInstant } from '../query-time.js';

const ItemAnswer = Type.Object({
  status: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate')]),
  id: Type.String(),
  seq: Type.Integer({ description: 'Position of the event in the log (the original one for a duplicate)' }),
});

// One object schema for single and batch answers (not a union: the serializer would have to try each).
const IngestAnswer = Type.Object({
  status: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate')], {
    description: 'accepted if anything was new (202), duplicate if everything was a repeat (200)',
  }),
  id: Type.Optional(Type.String({ description: 'single event: its id' })),
  seq: Type.Optional(
    Type.Integer({ description: 'single event: its log position (the original one for a duplicate)' }),
  ),
  accepted: Type.Optional(Type.Integer({ description: 'batch: events new to the log' })),
  duplicates: Type.Optional(Type.Integer({ description: 'batch: repeats of (source, id)' })),
  results: Type.Optional(Type.Array(ItemAnswer, { description: 'batch: one result per item, in order' })),
});

const EventsQuery = Type.Object(
  {
    type: Type.Optional(
      Type.String({
        description:
          'a type, or a pattern as in subscriptions: `*` matches any run of characters (com.manifold.order.*)',
      }),
    ),
    subject: Type.Optional(Type.String()),
    source: Type.Optional(Type.String()),
    correlationid: Type.Optional(Type.String()),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'ingested at or after' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'ingested before' })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: '`next` of the previous page' })),
    limit: Type.Integer({ minimum: 1, maximum: 5000, default: 100 }),
  },
  { additionalProperties: false },
);

const LoggedEventSchema = Type.Object({
  seq: Type.Integer(),
  ingestedAt: Type.String({ format: 'date-time' }),
  system: Type.String(),
  event: Type.Object({}, { additionalProperties: true }),
});

const EventPage = Type.Object({
  items: Type.Array(LoggedEventSchema),
  next: Type.Optional(Type.String({ description: 'cursor of the next page; absent on the last page' })),
});

const problemResponses = {
  400: { $ref: 'Problem#' },
  401: { $ref: 'Problem#' },
  403: { $ref: 'Problem#' },
  413: { $ref: 'Problem#' },
};

/** Registers the event routes. */
export function registerEventRoutes(app: FastifyInstance, { auth, ingest, store, config }: ApiContext): void {
  app.post(
    '/v1/events',
    {
      schema: {
        summary: 'Ingest CloudEvents (structured, binary or batched)',
        description:
          'Answers only after the durable commit. 202 on first receipt, 200 for a repeat of (source, id). A batch is all or nothing.',
        tags: ['events'],
        security: [{ bearer: [] }],
        consumes: ['application/cloudevents+json', 'application/cloudevents-batch+json', 'application/json'],
        response: {
          200: IngestAnswer,
          202: IngestAnswer,
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const system = auth.requireSystem(request);
      const { events, batch } = readCloudEvents(request);
      if (batch && events.length > config.server.maxBatchEvents) {
        throw new ValidationError(
          `a batch holds at most ${config.server.maxBatchEvents} events; this one has ${events.length}`,
          [{ pointer: '', detail: `must have at most ${config.server.maxBatchEvents} items` }],
          'batch-too-large',
        );
      }
      if (batch && events.length === 0) {
        throw new ValidationError('the batch is empty', [
          { pointer: '', detail: 'must have at least 1 item' },
        ]);
      }
      const results = await ingest.ingest(system, events, batch, incomingTrace(request.headers));
      const accepted = results.filter((r) => r.status === 'accepted').length;
      // Debug, not info: at thousands of events per second the log is the event log itself (GET /v1/events);
      // rejections and delivery failures are logged at info/warn with their correlation ids.
      request.log.debug(
        {
          system,
          accepted,
          duplicates: results.length - accepted,
          events: results.length <= 10 ? results.map((r) => r.id) : undefined,
          correlationids: correlationIds(events),
        },
        'ingested',
      );
      const status = accepted > 0 ? 'accepted' : 'duplicate';
      reply.code(accepted > 0 ? 202 : 200);
      if (!batch) {
        const [only] = results;
        return { status, id: only?.id, seq: only?.seq };
      }
      return {
        status,
        accepted,
        duplicates: results.length - accepted,
        results: results.map(({ id, status: itemStatus, seq }) => ({ status: itemStatus, id, seq })),
      };
    },
  );

  app.get<{ Querystring: Static<typeof EventsQuery> }>(
    '/v1/events',
    {
      schema: {
        summary: 'Read the event log (admin)',
        tags: ['events'],
        security: [{ bearer: [] }],
        querystring: EventsQuery,
        response: {
          200: EventPage,
          400: { $ref: 'Problem#' },
          401: { $ref: 'Problem#' },
          403: { $ref: 'Problem#' },
        },
      },
    },
    async (request) => {
      auth.requireAdmin(request);
      const q = request.query;
      if (q.type !== undefined && !isValidTypePattern(q.type)) {
        throw new ValidationError(`invalid type pattern '${q.type}'`, [
          {
            pointer: '/type',
            detail:
              "use letters, digits, '.', '-', '_' and '*' (any run of characters), e.g. com.manifold.order.*",
          },
        ]);
      }
      const page = await store.listEvents({
        limit: q.limit,
        ...(q.type !== undefined ? { type: q.type } : {}),
        ...(q.subject !== undefined ? { subject: q.subject } : {}),
        ...(q.source !== undefined ? { source: q.source } : {}),
        ...(q.correlationid !== undefined ? { correlationid: q.correlationid } : {}),
        ...(q.since !== undefined ? { since: queryInstant(q.since, 'since') } : {}),
        ...(q.until !== undefined ? { until: queryInstant(q.until, 'until') } : {}),
        ...(q.cursor !== undefined ? { afterSeq: Number(q.cursor) } : {}),
      });
      const items: LoggedEvent[] = page.items;
      return page.nextAfterSeq !== undefined ? { items, next: String(page.nextAfterSeq) } : { items };
    },
  );
}

function correlationIds(events: unknown[]): string[] | undefined {
  const ids = new Set<string>();
  for (const event of events) {
    const id = (event as { correlationid?: unknown }).correlationid;
    if (typeof id === 'string') ids.add(id);
    if (ids.size >= 10) break;
  }
  return ids.size > 0 ? [...ids] : undefined;
}
