/**
 * The answer of `GET /v1/service-levels` (docs/operations.md#service-levels): each service-level alert
 * rule with the orders (or interchanges) breaching it now, counted by customer, partner and warehouse.
 */
import { type Static, type TInteger, type TString, Type } from '@sinclair/typebox';

const Counted = <K extends 'customer' | 'partner' | 'location'>(key: K) =>
  Type.Array(
    Type.Object(
      { [key]: Type.String(), count: Type.Integer() } as { [P in K]: TString } & { count: TInteger },
      { additionalProperties: false },
    ),
  );

export const ServiceLevelViewSchema = Type.Object(
  {
    rule: Type.String({ description: 'the alert rule' }),
    kind: Type.String({ description: 'ackLate, asnLate, unacknowledged, notShipped or backorderedPast' }),
    description: Type.String({ description: 'the service level in words' }),
    severity: Type.Union([Type.Literal('warning'), Type.Literal('critical')]),
    breaching: Type.Integer({ description: 'orders (interchanges for unacknowledged) breaching now' }),
    byCustomer: Counted('customer'),
    byPartner: Counted('partner'),
    byLocation: Counted('location'),
    sample: Type.Array(
      Type.Object(
        {
          subject: Type.String({ description: 'order id, or x12:<partner>:<ISA13>' }),
          since: Type.String({ description: 'when it started breaching (ISO 8601)' }),
        },
        { additionalProperties: false },
      ),
      { description: 'the longest-breaching ones, up to 20' },
    ),
  },
  { additionalProperties: false },
);

export const ServiceLevelReportSchema = Type.Object(
  {
    generatedAt: Type.String(),
    /** Orders looked at; more in the lifecycle than this are not counted. */
    scanned: Type.Integer({ description: 'orders looked at' }),
    levels: Type.Array(ServiceLevelViewSchema),
  },
  { additionalProperties: false },
);

export type ServiceLevelView = Static<typeof ServiceLevelViewSchema>;
export type ServiceLevelReport = Static<typeof ServiceLevelReportSchema>;
