/**
 * The answer of `POST /v1/replays` and `GET /v1/replays/{id}`: what was selected and how far its
 * re-sending has got. The routes serialize by this schema and the console reads the same type.
 */
import { type Static, Type } from '@sinclair/typebox';

/** What a replay re-sends: the request's selection, its instants normalized. */
export const ReplaySelectionSchema = Type.Object(
  {
    subscription: Type.String(),
    from: Type.String({ description: 'ingested at or after' }),
    to: Type.Optional(Type.String({ description: 'ingested before' })),
    types: Type.Optional(Type.Array(Type.String(), { description: 'type patterns (`*` wildcards)' })),
    subject: Type.Optional(Type.String()),
    correlationid: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** A replay and its progress. */
export const ReplayViewSchema = Type.Object(
  {
    id: Type.Integer(),
    selection: ReplaySelectionSchema,
    createdAt: Type.String(),
    createdBy: Type.String(),
    total: Type.Integer(),
    delivered: Type.Integer(),
    pending: Type.Integer(),
    parked: Type.Integer(),
    status: Type.Union([Type.Literal('running'), Type.Literal('completed')]),
  },
  { additionalProperties: false },
);
export type ReplayView = Static<typeof ReplayViewSchema>;
