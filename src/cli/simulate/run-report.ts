/**
 * The simulation's report, added up at the end of a run (`simulation.ts`): the scenario's counters, what
 * the receivers saw (unique, duplicate, latency), the hub's counters and backlog as the monitor sampled
 * them, the outages played and how each drained.
 */
import type { FaultPlan } from './faults.js';
import { type HubMonitor, histogramPercentile } from './monitor.js';
import type { startReceivers } from './receivers.js';
import { percentile, type SimulationReport } from './report.js';
import type { SimContext } from './sim-context.js';

export interface ReportInputs {
  /** The run's length and drain bound, as asked for. */
  options: { durationMs: number; drainTimeoutMs: number };
  hubUrl: string;
  config: string;
  tag: string;
  startedAt: Date;
  elapsedMs: number;
  faults: FaultPlan;
  notPlayed: string[];
  sim: SimContext;
  receivers: Awaited<ReturnType<typeof startReceivers>>;
  monitor: HubMonitor;
  counterStart: Awaited<ReturnType<HubMonitor['counters']>>;
  counterEnd: Awaited<ReturnType<HubMonitor['counters']>>;
  oversold: string[];
  inventoryChecks: number;
  exceptions: Record<string, number>;
  drained: boolean;
  drainWaited: boolean;
  drainWaitMs: number;
  behind: SimulationReport['behind'];
  busy: string | null;
  unsettled: string[];
  waitingBefore: number;
  threePl: SimulationReport['threePl'];
  subscriptionsOf: (system: string) => string[];
}

/** The report of one run, from what the scenario counted, the receivers saw and the monitor sampled. */
export function buildReport(r: ReportInputs): SimulationReport {
  const c = r.sim.counters;
  const rs = r.receivers.stats;
  const perReceiver = Object.fromEntries(
    [...rs.perReceiver].map(([name, f]) => [
      name,
      {
        received: f.received,
        unique: f.unique,
        duplicates: f.duplicates,
        p50Ms: percentile(f.latenciesMs, 50),
        p99Ms: percentile(f.latenciesMs, 99),
      },
    ]),
  );
  const figures = Object.values(perReceiver);
  const backlog = r.monitor.largest();
  const suppressed = c.eventsDuplicate + c.replayedOrders + c.resentInterchanges;
  const faultNames = [
    ...r.faults.down.map((d) => `${d.system}-down:${d.forMs / 1000}s@${d.atMs / 1000}s`),
    ...r.faults.slow.map((s) => `slow:${s.system}:${s.delayMs}ms`),
    ...(r.faults.duplicates > 0 ? [`duplicates:${Math.round(r.faults.duplicates * 100)}%`] : []),
    ...(r.faults.outOfOrder > 0 ? [`out-of-order:${Math.round(r.faults.outOfOrder * 100)}%`] : []),
  ];
  const metricGrowth =
    r.counterEnd.duplicates === null ? null : r.counterEnd.duplicates - (r.counterStart.duplicates ?? 0);
  return {
    hub: r.hubUrl,
    config: r.config,
    runTag: r.tag,
    startedAt: r.startedAt.toISOString(),
    durationMs: r.options.durationMs,
    elapsedMs: r.elapsedMs,
    faults: faultNames,
    notPlayed: r.notPlayed,
    orders: {
      placed: c.ordersPlaced,
      accepted: c.ordersAccepted,
      refused: c.ordersRefused,
      byChannel: c.byChannel,
      nativeWebhookOrders: c.nativeWebhookOrders,
      cancelledByErp: c.cancelledByErp,
      shortPicks: c.shortPicks,
      // The warehouses' shipments and the 3PLs' 945s.
      shipped: c.shipped + Object.values(r.threePl).reduce((t, p) => t + p.shipmentsSent, 0),
      delivered: c.delivered,
      invoiced: c.invoiced,
      deliveryExceptions: c.deliveryExceptions,
      inTransit: c.inTransit,
      statusInterchanges: c.statusInterchanges,
      statusInterchangesRefused: c.statusInterchangesRefused,
      acknowledgementsSent: c.acknowledgementsSent,
    },
    threePl: r.threePl,
    events: {
      sent: c.eventsSent,
      accepted: c.eventsAccepted,
      duplicate: c.eventsDuplicate,
      rejected: c.eventsRejected,
      byType: c.byType,
      rejections: c.rejections,
    },
    reservations: {
      held: c.reservationsHeld,
      refusedInsufficientStock: c.reservationsRefused,
      released: c.reservationsReleased,
      otherFailures: c.reservationsFailed,
    },
    deliveries: {
      received: figures.reduce((t, f) => t + f.received, 0),
      unique: figures.reduce((t, f) => t + f.unique, 0),
      duplicates: figures.reduce((t, f) => t + f.duplicates, 0),
      signatureFailures: rs.signatureFailures,
      refusedRequests: rs.refusedRequests,
      notOfThisRun: rs.foreign,
      waitingBefore: r.waitingBefore,
      perReceiver,
    },
    duplicatesSuppressed: {
      total: suppressed,
      events: c.eventsDuplicate,
      orders: c.replayedOrders,
      edi: c.resentInterchanges,
      metric: metricGrowth,
    },
    oversells: {
      count: r.oversold.length,
      positions: r.oversold,
      checks: r.inventoryChecks,
      prevented: c.backorderedUnits + c.reservationsRefusedUnits,
    },
    backlog: { ...backlog, samples: r.monitor.samples.length },
    outages: r.faults.down.map((d) => {
      const subscriptions = r.subscriptionsOf(d.system);
      return {
        system: d.system,
        subscriptions,
        fromMs: d.atMs,
        toMs: d.atMs + d.forMs,
        refused: rs.refusedWhileDown.get(d.system) ?? 0,
        ...r.monitor.drain(subscriptions, d.atMs, d.atMs + d.forMs),
      };
    }),
    latency: {
      samples: rs.latenciesMs.length,
      p50Ms: percentile(rs.latenciesMs, 50),
      p99Ms: percentile(rs.latenciesMs, 99),
      maxMs: rs.latenciesMs.length === 0 ? null : rs.latenciesMs.reduce((a, b) => Math.max(a, b), 0),
      hubP50Ms: histogramPercentile(r.counterStart, r.counterEnd, 50),
      hubP99Ms: histogramPercentile(r.counterStart, r.counterEnd, 99),
    },
    exceptions: r.exceptions,
    drained: r.drained,
    drainWaited: r.drainWaited,
    drainWaitMs: r.drainWaitMs,
    drainTimeoutMs: r.options.drainTimeoutMs,
    behind: r.behind,
    busy: r.busy,
    unsettled: r.unsettled,
  };
}
