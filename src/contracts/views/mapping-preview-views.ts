/**
 * The answer of `POST /v1/inbound-requests/preview` (and of `bin/manifold map diff --json`): kept native
 * webhook requests mapped again with a new configuration's routes and compared with the events each
 * produced then (docs/connectors.md#previewing-a-mapping-change-map-diff).
 */
import { type Static, Type } from '@sinclair/typebox';

/** One change inside the compared events: a JSON pointer into the list of events. */
export const MappingChangeSchema = Type.Object(
  {
    op: Type.Union([Type.Literal('added'), Type.Literal('removed'), Type.Literal('changed')]),
    path: Type.String({ description: 'JSON pointer into the list of events, e.g. /0/data/lines/0/quantity' }),
    before: Type.Optional(Type.Unknown()),
    after: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type MappingChange = Static<typeof MappingChangeSchema>;

/** Why a request does not map: the expression's key, the JSON pointer when known, the message. */
export const MappingFailureSchema = Type.Object(
  { key: Type.String(), pointer: Type.Optional(Type.String()), message: Type.String() },
  { additionalProperties: false },
);
export type MappingFailure = Static<typeof MappingFailureSchema>;

export const VERDICTS = ['same', 'differs', 'now fails', 'now accepted', 'still fails'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** One kept request under the new configuration. */
export const MappingPreviewResultSchema = Type.Object(
  {
    id: Type.String({ description: 'the kept request (GET /v1/inbound-requests/{id})' }),
    system: Type.String(),
    route: Type.String(),
    receivedAt: Type.String(),
    outcome: Type.Union([
      Type.Literal('accepted'),
      Type.Literal('duplicate'),
      Type.Literal('ignored'),
      Type.Literal('parked'),
    ]),
    exceptionId: Type.Optional(
      Type.Integer({ description: 'the exception holding a parked request (retry it after deploying)' }),
    ),
    verdict: Type.Union(VERDICTS.map((v) => Type.Literal(v))),
    changes: Type.Optional(Type.Array(MappingChangeSchema)),
    error: Type.Optional(MappingFailureSchema),
  },
  { additionalProperties: false },
);
export type MappingPreviewResult = Static<typeof MappingPreviewResultSchema>;

export const MappingPreviewTotalsSchema = Type.Object(
  {
    requests: Type.Integer(),
    same: Type.Integer(),
    differs: Type.Integer(),
    'now fails': Type.Integer(),
    'now accepted': Type.Integer(),
    'still fails': Type.Integer(),
  },
  { additionalProperties: false },
);
export type MappingPreviewTotals = Static<typeof MappingPreviewTotalsSchema>;

export const MappingPreviewSchema = Type.Object(
  {
    results: Type.Array(MappingPreviewResultSchema),
    totals: MappingPreviewTotalsSchema,
    truncated: Type.Optional(
      Type.Boolean({ description: 'true when more requests matched than `limit`: only the oldest are here' }),
    ),
  },
  { additionalProperties: false },
);
export type MappingPreview = Static<typeof MappingPreviewSchema>;
