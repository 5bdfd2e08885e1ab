/**
 * `GET /v1/overview` (admin): one read of everything the console's overview page shows — the systems,
 * each subscription's backlog, flow and circuit with a health verdict, and the open exceptions counted by
 * code, customer and location, and the pollers. It is computed on each call from the store and this
 * process's telemetry.
 */
import type { FastifyInstance } from 'fastify';
import {
  HEALTHS,
  type Health,
  OVERVIEW_EXCEPTION_SAMPLE,
  type Overview,
  OverviewSchema,
} from '../../contracts/views/overview-views.js';
import type { CircuitState } from '../../domain/delivery/circuit-breaker.js';
import type { ExceptionRecord } from '../../store/delivery-port.js';
import type { ApiContext } from '../api-context.js';

const Problem = { $ref: 'Problem#' };

export { HEALTHS, type Health, OVERVIEW_EXCEPTION_SAMPLE, type Overview };

/** Oldest pending row older than this (seconds): degraded. */
export const DEGRADED_PENDING_SECONDS = 60;
/** Oldest pending row older than this (seconds): failing. */
export const FAILING_PENDING_SECONDS = 300;
/** Error rate over the window at or above this: failing (any error at all: degraded). */
export const FAILING_ERROR_RATE = 0.5;

/** What decides a subscription's health (see docs/console.md). */
export interface HealthInputs {
  circuit: CircuitState;
  errorRate: number;
  parked: number;
  oldestPendingSeconds: number;
}

/**
 * failing: circuit open, error rate ≥ 50 %, or the oldest pending row older than 5 minutes; degraded:
 * circuit half-open, any failed attempt in the window, parked rows, or the oldest pending row older
 * than a minute (a backlog that grows is one whose oldest row ages). Returns the verdict and its reasons.
 */
export function subscriptionHealth(input: HealthInputs): { health: Health; reasons: string[] } {
  const failing: string[] = [];
  const degraded: string[] = [];
  if (input.circuit === 'open') failing.push('circuit open');
  if (input.circuit === 'half_open') degraded.push('circuit half-open');
  if (input.errorRate >= FAILING_ERROR_RATE) failing.push(`error rate ${Math.round(input.errorRate * 100)}%`);
  else if (input.errorRate > 0) degraded.push(`error rate ${Math.round(input.errorRate * 100)}%`);
  if (input.oldestPendingSeconds > FAILING_PENDING_SECONDS) {
    failing.push(`oldest pending ${Math.round(input.oldestPendingSeconds)} s`);
  } else if (input.oldestPendingSeconds > DEGRADED_PENDING_SECONDS) {
    degraded.push(`oldest pending ${Math.round(input.oldestPendingSeconds)} s`);
  }
  if (input.parked > 0) degraded.push(`${input.parked} parked`);
  if (failing.length > 0) return { health: 'failing', reasons: [...failing, ...degraded] };
  if (degraded.length > 0) return { health: 'degraded', reasons: degraded };
  return { health: 'ok', reasons: [] };
}

/** `sku@LOC` → LOC. */
function locationOfSubject(subject: string): string | undefined {
  const at = subject.lastIndexOf('@');
  return at > 0 && at < subject.length - 1 ? subject.slice(at + 1) : undefined;
}

/** How the overview names a customer: its id, else its number or name. */
function customerLabel(customer: Record<string, unknown>): string | undefined {
  for (const key of ['id', 'number', 'name']) {
    const value = customer[key];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}

function counted<K extends string>(
  map: Map<string, number>,
  key: K,
): ({ count: number } & Record<K, string>)[] {
  return [...map]
    .map(([name, count]) => ({ [key]: name, count }) as { count: number } & Record<K, string>)
    .sort((a, b) => b.count - a.count || a[key].localeCompare(b[key]));
}

/** Registers `GET /v1/overview`. */
export function registerOverviewRoutes(
  app: FastifyInstance,
  { auth, store, config, telemetry, delivery, alerts, sources }: ApiContext,
): void {
  app.get(
    '/v1/overview',
    {
      schema: {
        summary: 'The operations overview: systems, subscription health and flow, open exceptions (admin)',
        tags: ['operations'],
        security: [{ bearer: [] }],
        response: { 200: OverviewSchema, 401: Problem, 403: Problem },
      },
    },
    async (request): Promise<Overview> => {
      auth.requireAdmin(request);
      const [backlog, openCounts, open] = await Promise.all([
        store.delivery.deliveryBacklog(),
        store.delivery.openExceptionCounts(),
        store.delivery.listExceptions({ status: 'open', limit: OVERVIEW_EXCEPTION_SAMPLE + 1 }),
      ]);
      const targets = (delivery?.targets() ?? []).map((t) => ({
        system: t.system,
        circuit: t.circuit.state,
      }));
      const circuitOf = (system: string): CircuitState =>
        targets.find((t) => t.system === system)?.circuit ?? 'closed';

      const subscriptions = config.subscriptions.map((s) => {
        const stat = backlog.find((b) => b.subscription === s.name) ?? {
          subscription: s.name,
          pending: 0,
          parked: 0,
        };
        const flow = telemetry.flows.flow(s.name);
        const oldestPendingSeconds = telemetry.ageSeconds(stat);
        const circuit = circuitOf(s.target);
        return {
          name: s.name,
          target: s.target,
          types: s.types,
          backlog: stat.pending,
          parked: stat.parked,
          oldestPendingSeconds,
          throughputPerSecond: flow.throughputPerSecond,
          errorRate: flow.errorRate,
          delivered: flow.delivered,
          failed: flow.failed,
          windowSeconds: flow.windowSeconds,
          circuit,
          ...subscriptionHealth({
            circuit,
            errorRate: flow.errorRate,
            parked: stat.parked,
            oldestPendingSeconds,
          }),
        };
      });

      const byCode = new Map<string, number>();
      for (const c of openCounts) byCode.set(c.code, (byCode.get(c.code) ?? 0) + c.count);
      const sampled = open.length > OVERVIEW_EXCEPTION_SAMPLE;
      const { byCustomer, byLocation } = await countBySubject(
        store,
        open.slice(0, OVERVIEW_EXCEPTION_SAMPLE),
      );

      return {
        generatedAt: new Date().toISOString(),
        hub: { store: store.kind, uptimeSeconds: Math.round(process.uptime()), pid: process.pid },
        systems: [...config.systems.values()].map((s) => ({
          name: s.name,
          kind: s.kind,
          ...(s.channel === undefined ? {} : { channel: s.channel }),
          locations: s.locations,
        })),
        subscriptions,
        targets,
        exceptions: {
          open: [...byCode.values()].reduce((a, b) => a + b, 0),
          byCode: counted(byCode, 'code'),
          byCustomer: counted(byCustomer, 'customer'),
          byLocation: counted(byLocation, 'location'),
          sampled,
        },
        alerts: (await alerts.list()).alerts
          .filter((a) => a.status === 'firing')
          .map((a) => ({
            rule: a.rule,
            ...(a.scope === undefined ? {} : { scope: a.scope }),
            severity: a.severity,
            summary: a.summary,
            ...(a.since === undefined ? {} : { since: a.since }),
          })),
        pollers: (await sources?.status()) ?? [],
      };
    },
  );
}

/**
 * Open exceptions by customer and by location, from their subjects: an order id → the order's customer
 * and the locations its lines are committed at (or shipped from); `sku@LOC` → LOC. Each order is read once.
 */
async function countBySubject(
  store: ApiContext['store'],
  exceptions: ExceptionRecord[],
): Promise<{ byCustomer: Map<string, number>; byLocation: Map<string, number> }> {
  const byCustomer = new Map<string, number>();
  const byLocation = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const orders = new Map<string, { customer?: string; locations: string[] } | undefined>();
  for (const exception of exceptions) {
    const subject = exception.subject;
    if (!subject) continue;
    const location = locationOfSubject(subject);
    if (location !== undefined) {
      bump(byLocation, location);
      continue;
    }
    if (!orders.has(subject)) {
      const order = await store.orders.getOrder(subject);
      orders.set(
        subject,
        order
          ? {
              ...(customerLabel(order.document.customer) === undefined
                ? {}
                : { customer: customerLabel(order.document.customer) as string }),
              locations: [
                ...new Set(
                  order.state.lines.flatMap((l) => [
                    ...(l.location ? [l.location] : []),
                    ...Object.keys(l.committedAt ?? {}),
                    ...Object.keys(l.inTransitAt ?? {}),
                  ]),
                ),
              ],
            }
          : undefined,
      );
    }
    const order = orders.get(subject);
    if (!order) continue;
    if (order.customer !== undefined) bump(byCustomer, order.customer);
    for (const l of order.locations) bump(byLocation, l);
  }
  return { byCustomer, byLocation };
}
