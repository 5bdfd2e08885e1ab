/**
 * The answer of `GET /v1/overview`: the systems, each subscription's backlog, flow, circuit and health,
 * the open exceptions counted by code, customer and location, and the alerts firing. The route serializes
 * by this schema and the console reads the same type.
 */
import { type Static, type TInteger, type TString, Type } from '@sinclair/typebox';

export const HEALTHS = ['ok', 'degraded', 'failing'] as const;
/** A subscription's verdict (see docs/console.md). */
export type Health = (typeof HEALTHS)[number];

/** Open exceptions read to count by customer and location; beyond it the answer says `sampled: true`. */
export const OVERVIEW_EXCEPTION_SAMPLE = 1000;

/** The state of a delivery target's circuit breaker. */
export const CircuitViewSchema = Type.Union([
  Type.Literal('closed'),
  Type.Literal('open'),
  Type.Literal('half_open'),
]);
export type CircuitView = Static<typeof CircuitViewSchema>;

/** `[{ <key>: name, count }]`, most first. */
const Counted = <K extends string>(key: K) =>
  Type.Array(
    Type.Object(
      { [key]: Type.String(), count: Type.Integer() } as { [P in K]: TString } & { count: TInteger },
      {
        additionalProperties: false,
      },
    ),
  );

/** One subscription's figures and health on the overview. */
export const SubscriptionStatusSchema = Type.Object({
  name: Type.String(),
  target: Type.String(),
  types: Type.Array(Type.String()),
  backlog: Type.Integer({ description: 'rows waiting to be delivered' }),
  parked: Type.Integer({ description: 'rows parked in the exception queue' }),
  oldestPendingSeconds: Type.Number(),
  throughputPerSecond: Type.Number(),
  errorRate: Type.Number({ description: 'failed attempts ÷ attempts over the window' }),
  delivered: Type.Integer(),
  failed: Type.Integer(),
  windowSeconds: Type.Integer(),
  circuit: CircuitViewSchema,
  health: Type.Union(HEALTHS.map((h) => Type.Literal(h))),
  reasons: Type.Array(Type.String(), { description: 'why the health is not ok' }),
});
export type SubscriptionStatus = Static<typeof SubscriptionStatusSchema>;

/** An alert rule firing now, as the overview lists it. */
export const FiringAlertSchema = Type.Object({
  rule: Type.String(),
  scope: Type.Optional(Type.String()),
  severity: Type.String(),
  summary: Type.String(),
  since: Type.Optional(Type.String()),
});
export type FiringAlert = Static<typeof FiringAlertSchema>;

/** A poller (`systems.<name>.poll`) and how its runs fare, as stored by the process that runs it. */
export const PollerStatusSchema = Type.Object({
  name: Type.String({ description: 'its connector state instance, poll:<system>:<poller>' }),
  system: Type.String(),
  poll: Type.String(),
  state: Type.Union([Type.Literal('ok'), Type.Literal('failing'), Type.Literal('pending')]),
  everyMs: Type.Integer(),
  failures: Type.Integer({ description: 'runs in a row that failed' }),
  lastRunAt: Type.Optional(Type.String()),
  lastSuccessAt: Type.Optional(Type.String()),
  lastError: Type.Optional(Type.String()),
  nextRunAt: Type.Optional(Type.String()),
});
export type PollerStatus = Static<typeof PollerStatusSchema>;

/** Events one system sent the hub of one type over the window: an inbound arrow of the flow map. */
export const InboundFlowSchema = Type.Object({
  system: Type.String(),
  type: Type.String(),
  count: Type.Integer({ description: 'events of this type the system logged over the window' }),
  perSecond: Type.Number(),
  windowSeconds: Type.Integer(),
});
export type InboundFlow = Static<typeof InboundFlowSchema>;

/** `GET /v1/overview`. */
export const OverviewSchema = Type.Object({
  generatedAt: Type.String(),
  hub: Type.Object({
    store: Type.String(),
    uptimeSeconds: Type.Number(),
    pid: Type.Integer(),
  }),
  systems: Type.Array(
    Type.Object({
      name: Type.String(),
      kind: Type.String(),
      channel: Type.Optional(Type.String()),
      locations: Type.Array(Type.String()),
    }),
  ),
  subscriptions: Type.Array(SubscriptionStatusSchema),
  inbound: Type.Array(InboundFlowSchema, {
    description: 'What each configured system sent the hub over the window, by event type (from the log)',
  }),
  targets: Type.Array(Type.Object({ system: Type.String(), circuit: CircuitViewSchema })),
  exceptions: Type.Object({
    open: Type.Integer(),
    byCode: Counted('code'),
    byCustomer: Counted('customer'),
    byLocation: Counted('location'),
    sampled: Type.Boolean({
      description: `true when more than ${OVERVIEW_EXCEPTION_SAMPLE} exceptions are open: byCustomer and byLocation count the oldest ${OVERVIEW_EXCEPTION_SAMPLE}`,
    }),
  }),
  alerts: Type.Array(FiringAlertSchema, {
    description: 'Alert rules firing now (GET /v1/alerts has every rule)',
  }),
  pollers: Type.Array(PollerStatusSchema, { description: 'Pollers of systems without webhooks' }),
});
export type Overview = Static<typeof OverviewSchema>;
