/**
 * The answers of the operators' queue: an exception (`GET /v1/exceptions[/{id}]`, retry, resolve), a page
 * of them, a bulk retry, and the audit log. The routes serialize by these schemas and the console reads
 * the same types.
 */
import { type Static, Type } from '@sinclair/typebox';

/** Whether an exception still waits for an operator. */
export const EXCEPTION_VIEW_STATUSES = ['open', 'resolved'] as const;

/** One entry of the exception queue, with every field the store keeps of it. */
export const ExceptionViewSchema = Type.Object(
  {
    id: Type.Integer(),
    code: Type.String(),
    status: Type.Union(EXCEPTION_VIEW_STATUSES.map((s) => Type.Literal(s))),
    detail: Type.String(),
    subscription: Type.Optional(Type.String()),
    system: Type.Optional(Type.String()),
    outboxId: Type.Optional(Type.Integer({ description: 'the parked delivery row, for a delivery failure' })),
    eventId: Type.Optional(Type.String()),
    eventSeq: Type.Optional(Type.Integer()),
    subject: Type.Optional(Type.String()),
    lastStatus: Type.Optional(Type.Integer()),
    lastBody: Type.Optional(Type.String()),
    lastError: Type.Optional(Type.String()),
    attempts: Type.Optional(Type.Integer()),
    firstAttemptAt: Type.Optional(Type.String()),
    lastAttemptAt: Type.Optional(Type.String()),
    payload: Type.Optional(
      Type.String({ description: 'the raw document of an inbound rejection, kept to fix and replay it' }),
    ),
    createdAt: Type.String(),
    resolvedAt: Type.Optional(Type.String()),
    resolvedBy: Type.Optional(Type.String()),
    resolution: Type.Optional(Type.Union([Type.Literal('retried'), Type.Literal('resolved')])),
    note: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ExceptionView = Static<typeof ExceptionViewSchema>;

/** `GET /v1/exceptions`: `next` is the cursor of the next page. */
export const ExceptionPageSchema = Type.Object({
  items: Type.Array(ExceptionViewSchema),
  next: Type.Optional(Type.String()),
});
export type ExceptionPage = Static<typeof ExceptionPageSchema>;

/** `POST /v1/exceptions/retry`. */
export const BulkRetryResultSchema = Type.Object({
  retried: Type.Integer(),
  ids: Type.Array(Type.Integer()),
});
export type BulkRetryResult = Static<typeof BulkRetryResultSchema>;

/** One admin action of the audit log. */
export const AuditEntryViewSchema = Type.Object(
  {
    id: Type.Integer(),
    at: Type.String(),
    actor: Type.String(),
    action: Type.String(),
    target: Type.String({ description: 'what the action was about, e.g. exception:12, replay:3' }),
    note: Type.Optional(Type.String()),
    detail: Type.Optional(
      Type.Unsafe<Record<string, unknown>>(
        Type.Object({}, { additionalProperties: true, description: 'what the action did, by action' }),
      ),
    ),
  },
  { additionalProperties: false },
);
export type AuditEntryView = Static<typeof AuditEntryViewSchema>;

/** `GET /v1/audit`. */
export const AuditPageSchema = Type.Object({
  items: Type.Array(AuditEntryViewSchema),
  next: Type.Optional(Type.String()),
});
export type AuditPage = Static<typeof AuditPageSchema>;
