/** The simulator's report: what it measured during a run, as JSON (`--json`) or as text. */
import type { RunCounters } from './sim-context.js';
import type { ThreePlCounters } from './threepl.js';

/** The lifecycle counters the report shows as they were counted. */
export type LifecycleCounter =
  | 'byChannel'
  | 'nativeWebhookOrders'
  | 'cancelledByErp'
  | 'shortPicks'
  | 'shipped'
  | 'delivered'
  | 'invoiced'
  | 'deliveryExceptions'
  | 'inTransit'
  | 'statusInterchanges'
  | 'statusInterchangesRefused'
  | 'acknowledgementsSent';

export interface ReceiverFigures {
  /** Events received (a batch counts each of its events). */
  received: number;
  /** Distinct (source, id) received. */
  unique: number;
  /** Receipts of an event this receiver had already received. */
  duplicates: number;
  /** Latency of its first receipts (from the event's `time`). */
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface OutageFigures {
  system: string;
  subscriptions: string[];
  /** Milliseconds into the run the receivers went down and came back. */
  fromMs: number;
  toMs: number;
  /** Requests refused (connection reset) while down. */
  refused: number;
  /** Backlog of the system's subscriptions when it came back. */
  backlogAtRecovery: number | null;
  /** From coming back until the backlog was back to its level before the outage; null if never (or not measured). */
  drainMs: number | null;
}

export interface SimulationReport {
  hub: string;
  config: string;
  runTag: string;
  startedAt: string;
  /** The producing phase (`--duration`) and the whole run, drain included. */
  durationMs: number;
  elapsedMs: number;
  faults: string[];
  /** Systems of the configuration not played (no plain key in the file). */
  notPlayed: string[];
  /** The run's counters of the order lifecycle (sim-context.ts), with the orders placed, accepted, refused. */
  orders: { placed: number; accepted: number; refused: number } & Pick<RunCounters, LifecycleCounter>;
  /** Each 3PL played over SFTP (threepl.ts): the files it took and wrote. */
  threePl: Record<string, ThreePlCounters>;
  events: {
    sent: number;
    accepted: number;
    duplicate: number;
    rejected: number;
    byType: Record<string, number>;
    /** The first few rejections (status and detail), to find a simulator or hub bug. */
    rejections: string[];
  };
  reservations: { held: number; refusedInsufficientStock: number; released: number; otherFailures: number };
  /** Everything under deliveries and latency is of the run's own events (they carry its tag). */
  deliveries: {
    received: number;
    unique: number;
    duplicates: number;
    signatureFailures: number;
    /** Shaped calls the simulated system's own API refused, with why (must be none). */
    refusedRequests: string[];
    /** Deliveries of other events (an earlier run's, a curl's) the receivers answered but did not count. */
    notOfThisRun: number;
    /** Deliveries pending on the hub when the run started (not the run's; never waited for). */
    waitingBefore: number;
    perReceiver: Record<string, ReceiverFigures>;
  };
  duplicatesSuppressed: {
    /** Repeats the hub acknowledged without applying them again, as answered to the simulator. */
    total: number;
    events: number;
    orders: number;
    edi: number;
    /** Growth of `manifold_ingest_duplicates_total` during the run (null when /metrics has none). */
    metric: number | null;
  };
  oversells: {
    /** Positions (sku@location) of the run's SKUs that were seen with `available` < 0 or an `oversold` exception. */
    count: number;
    positions: string[];
    /** Inventory reads made to check. */
    checks: number;
    /** Units of reservations refused and of API orders backordered for lack of stock (the protection at work). */
    prevented: number;
  };
  backlog: {
    /** Largest Σ `manifold_delivery_backlog` over the run's samples (null without /metrics). */
    largest: number | null;
    largestAtMs: number | null;
    perSubscription: Record<string, number>;
    /** What was still waiting, per subscription, at the last sample (only subscriptions with a backlog). */
    atEnd: Record<string, number>;
    samples: number;
  };
  outages: OutageFigures[];
  latency: {
    /** First receipts measured, from the event's `time` to its arrival at the receiver. */
    samples: number;
    p50Ms: number | null;
    p99Ms: number | null;
    maxMs: number | null;
    /** The same from the hub's `manifold_delivery_latency_seconds` (bucket upper bounds), null when absent. */
    hubP50Ms: number | null;
    hubP99Ms: number | null;
  };
  /** Exceptions raised on the run's orders and SKUs, by code. */
  exceptions: Record<string, number>;
  /** Whether the run's backlog was back to 0 (and every actor idle) before `--drain-timeout`. */
  drained: boolean;
  /** False with `--no-drain`: the receivers stopped when the traffic did. */
  drainWaited: boolean;
  drainWaitMs: number;
  /** The drain budget (`--drain-timeout`). */
  drainTimeoutMs: number;
  /** When not drained: each subscription with rows of the run still pending, most first. */
  behind: { subscription: string; pending: number; oldestPendingSeconds: number }[];
  /** When not drained with no backlog left: what was still busy. */
  busy: string | null;
  /** What the run left on the hub when the wait ended: open circuits, alerts it set off still firing. */
  unsettled: string[];
}

/** The exit code of a run: 1 with an oversell, 3 when it was waited for and did not drain, else 0. */
export function exitCodeOf(r: SimulationReport): number {
  if (r.oversells.count > 0) return 1;
  if (r.drainWaited && !r.drained) return 3;
  return 0;
}

/** `shop-orders 42 pending, oldest 12 s; …`, or why nothing is listed. */
export function behindText(r: Pick<SimulationReport, 'behind' | 'busy'>): string {
  const listed = r.behind.map(
    (b) => `${b.subscription} ${b.pending} pending, oldest ${b.oldestPendingSeconds} s`,
  );
  return listed.join('; ') || r.busy || 'nothing pending';
}

/** The line `simulate` writes on stderr when the run did not drain. */
export function notDrainedMessage(r: SimulationReport): string {
  return (
    `the run did not drain within --drain-timeout ${formatMs(r.drainTimeoutMs)}; behind: ${behindText(r)}` +
    " (the hub goes on retrying; a longer --drain-timeout, a lower --orders-per-second or the subscription's rateLimit helps)"
  );
}

/** Nearest-rank percentile of `values` (unsorted), or null when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

const ms = (value: number | null): string => (value === null ? 'n/a' : formatMs(value));

function formatMs(value: number): string {
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 120_000) return `${(value / 1000).toFixed(1)} s`;
  return `${(value / 60_000).toFixed(1)} min`;
}

const list = (record: Record<string, number>): string =>
  Object.entries(record)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

/** The report as text, one figure per line, for a terminal. */
export function formatReport(r: SimulationReport): string {
  const lines: string[] = [];
  const add = (label: string, value: string) => lines.push(`  ${label.padEnd(24)}${value}`);
  lines.push(
    `Manifold simulation ${r.runTag} against ${r.hub} (${r.config})`,
    `  ${formatMs(r.durationMs)} of traffic, ${formatMs(r.elapsedMs)} in all; faults: ${r.faults.join(', ') || 'none'}`,
  );
  if (r.notPlayed.length > 0)
    lines.push(`  not played (no plain key in the config): ${r.notPlayed.join(', ')}`);
  lines.push('');
  const byChannel = Object.entries(r.orders.byChannel)
    .map(([channel, c]) => `${channel} ${c.accepted}/${c.placed}`)
    .join(', ');
  add(
    'orders',
    `${r.orders.placed} placed, ${r.orders.accepted} accepted (${byChannel}; ${r.orders.nativeWebhookOrders} by native webhook), ${r.orders.refused} refused`,
  );
  add(
    '  lifecycle',
    `${r.orders.shipped} shipped, ${r.orders.delivered} delivered, ${r.orders.invoiced} invoiced; ` +
      `${r.orders.cancelledByErp} cancelled by the ERP, ${r.orders.shortPicks} short picks, ${r.orders.deliveryExceptions} delivery exceptions`,
  );
  if (r.orders.acknowledgementsSent > 0) {
    add('  partner 997s', `${r.orders.acknowledgementsSent} sent for the X12 the hub sent the partner`);
  }
  for (const [name, t] of Object.entries(r.threePl)) {
    add(
      `  3PL ${name} (SFTP)`,
      `${t.ordersReceived} 940s taken, ${t.acknowledgementsSent} 997s and ${t.shipmentsSent} 945s written, ${t.inventoryAdvices} 846s (on hand); ` +
        `the hub's 997s: ${t.hubAcks.files} files, ${t.hubAcks.accepted} sets accepted, ${t.hubAcks.rejected} rejected`,
    );
  }
  if (r.orders.statusInterchanges > 0) {
    add(
      '  carrier 214s',
      `${r.orders.statusInterchanges} sent (${r.orders.inTransit} in transit), ${r.orders.statusInterchangesRefused} not applied`,
    );
  }
  add(
    'events sent',
    `${r.events.sent} (${r.events.accepted} accepted, ${r.events.duplicate} duplicate, ${r.events.rejected} rejected)`,
  );
  for (const rejection of r.events.rejections) add('  rejected', rejection);
  add(
    'reservations',
    `${r.reservations.held} held, ${r.reservations.refusedInsufficientStock} refused (insufficient stock), ${r.reservations.released} released`,
  );
  add(
    'deliveries',
    `${r.deliveries.received} received (${r.deliveries.unique} distinct), ${r.deliveries.duplicates} duplicate deliveries, ${r.deliveries.signatureFailures} bad signatures`,
  );
  if (r.deliveries.refusedRequests.length > 0)
    add(
      '  refused requests',
      `${r.deliveries.refusedRequests.length}, first: ${r.deliveries.refusedRequests[0]}`,
    );
  if (r.deliveries.notOfThisRun > 0 || r.deliveries.waitingBefore > 0)
    add(
      '  not of this run',
      `${r.deliveries.notOfThisRun} answered, not counted (${r.deliveries.waitingBefore} were pending on the hub before the run)`,
    );
  for (const [name, f] of Object.entries(r.deliveries.perReceiver).sort()) {
    add(
      `  ${name}`,
      `${f.received}${f.duplicates > 0 ? ` (${f.duplicates} again)` : ''}, latency p50 ${ms(f.p50Ms)}, p99 ${ms(f.p99Ms)}`,
    );
  }
  add(
    'duplicates suppressed',
    `${r.duplicatesSuppressed.total} (events ${r.duplicatesSuppressed.events}, orders ${r.duplicatesSuppressed.orders}, X12 ${r.duplicatesSuppressed.edi}); ` +
      `hub metric +${r.duplicatesSuppressed.metric ?? 'n/a'}`,
  );
  add(
    'oversells',
    `${r.oversells.count}${r.oversells.count === 0 ? ' (must be 0)' : ` — ${r.oversells.positions.join(', ')}`}; ` +
      `${r.oversells.checks} inventory checks, ${r.oversells.prevented} units of demand refused or backordered`,
  );
  const worst = Object.entries(r.backlog.perSubscription).sort((a, b) => b[1] - a[1])[0];
  add(
    'largest backlog',
    r.backlog.largest === null
      ? 'n/a (no /metrics)'
      : `${r.backlog.largest} at ${ms(r.backlog.largestAtMs)}${worst && worst[1] > 0 ? ` (most: ${worst[0]} ${worst[1]})` : ''}`,
  );
  if (r.outages.length === 0) add('drain after outage', 'n/a (no <system>-down fault)');
  for (const o of r.outages) {
    add(
      'drain after outage',
      `${o.system} down ${ms(o.fromMs)}–${ms(o.toMs)} (${o.refused} requests refused), backlog ${o.backlogAtRecovery ?? 'n/a'} when back, ` +
        `drained in ${o.drainMs === null ? 'n/a (not drained)' : formatMs(o.drainMs)}`,
    );
  }
  add(
    'latency',
    `p50 ${ms(r.latency.p50Ms)}, p99 ${ms(r.latency.p99Ms)}, max ${ms(r.latency.maxMs)} over ${r.latency.samples} deliveries; ` +
      `hub histogram (every delivery, not only the run's) p50 ≤ ${ms(r.latency.hubP50Ms)}, p99 ≤ ${ms(r.latency.hubP99Ms)}`,
  );
  add('exceptions raised', list(r.exceptions));
  add(
    'drained',
    !r.drainWaited
      ? 'not waited for (--no-drain)'
      : r.drained
        ? `yes, ${formatMs(r.drainWaitMs)} after the traffic stopped`
        : `no, gave up after ${formatMs(r.drainWaitMs)}; behind: ${behindText(r)}`,
  );
  if (r.drainWaited && r.unsettled.length > 0) add('left on the hub', r.unsettled.join(', '));
  return `${lines.join('\n')}\n`;
}
