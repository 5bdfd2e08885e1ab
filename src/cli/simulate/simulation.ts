/**
 * One simulation run against a running hub: receivers up, stock seeded, `--duration` of traffic with the
 * faults, then a bounded wait (`--drain-timeout`) for the run's deliveries to drain — the receivers keep
 * answering meanwhile, so the hub is left with no circuit open and no alert firing on the run's account —
 * and the report. Only the run is measured: its events carry its tag, and its backlog is read as the
 * outbox rows created since it started (`GET /v1/backlog?since=`). A client of the public HTTP API only.
 */
import { Actors } from './actors.js';
import { type FaultPlan, parseFaults } from './faults.js';
import { HubClient } from './hub-client.js';
import { type BacklogAnswer, behindIn, HubMonitor, histogramPercentile } from './monitor.js';
import { startReceivers } from './receivers.js';
import { percentile, type SimulationReport } from './report.js';
import { busyOf, firingAlerts, ofRun, runExceptions, runTag, unsettledOf } from './run-scope.js';
import { Scenario } from './scenario.js';
import { readSimConfig } from './sim-config.js';
import { SimContext } from './sim-context.js';
import { SIM_SFTP_KEYS, startThreePls } from './threepl.js';

export interface SimulateOptions {
  /** The configuration the hub runs with (keys, subscriptions' URLs). */
  config: string;
  /** The hub's base URL; default `server.host`/`server.port` of the configuration. */
  hub?: string;
  /** Admin key for reads; default `server.adminKey` of the configuration, then `MANIFOLD_ADMIN_KEY`. */
  adminKey?: string;
  ordersPerSecond: number;
  durationMs: number;
  drainTimeoutMs: number;
  /**
   * Wait for the run's deliveries before stopping the receivers (default true); false stops them as soon
   * as the traffic ends (`--no-drain`), leaving the hub to retry what is still pending.
   */
  drain?: boolean;
  /** `--faults` as written. */
  faults?: string;
  seed?: number;
  /** The key folder of the simulated 3PLs' SFTP servers (default `data/sim-sftp`). */
  sftpKeys?: string;
  /** Progress lines (every 5 s); default none. */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

const CHECK_INTERVAL_MS = 1000;
const PROGRESS_INTERVAL_MS = 5000;

/** Runs the simulation and resolves with its report. */
export async function runSimulation(options: SimulateOptions): Promise<SimulationReport> {
  const env = options.env ?? process.env;
  const config = readSimConfig(options.config, env);
  const hubUrl = options.hub ?? config.hubUrl;
  const adminKey = options.adminKey ?? config.adminKey ?? env.MANIFOLD_ADMIN_KEY;
  if (adminKey === undefined)
    throw new Error('no admin key: the configuration has no plain server.adminKey; give --admin-key');
  const faults = parseFaults(options.faults, [...config.systems.keys()], options.durationMs);
  const hub = new HubClient(hubUrl, adminKey);
  const health = await hub.request('GET', '/healthz', undefined);
  if (health.status !== 200)
    throw new Error(
      `no hub answers at ${hubUrl} (${health.error ?? health.status}); start it first (npm start)`,
    );

  // The run's start by the hub's clock, and what was waiting before it (not the run's, not measured).
  const before = await hub.request('GET', '/v1/backlog', adminKey);
  if (before.status !== 200)
    throw new Error(
      `the hub at ${hubUrl} cannot tell its backlog (GET /v1/backlog answered ${before.error ?? before.status}); ` +
        'run a hub of the same version as this simulator',
    );
  const since = String((before.body as { generatedAt: string }).generatedAt);
  const waitingBefore = (before.body as BacklogAnswer).subscriptions.reduce((t, s) => t + s.pending, 0);
  const firingBefore = await firingAlerts(hub, adminKey);
  const answered = new Set(config.subscriptions.flatMap((s) => [s.name, s.target]));

  const log = options.log ?? (() => undefined);
  const tag = runTag(Date.now());
  const sim = new SimContext(hub, config, faults, tag, options.seed ?? Date.now() % 2_147_483_647);
  const actors = new Actors(sim);
  const scenario = new Scenario(sim, actors);
  const startedAt = new Date();
  const clockStart = Date.now();
  let trafficStart: number | undefined;
  const elapsedMs = () => (trafficStart === undefined ? -1 : Date.now() - trafficStart);

  const receivers = await startReceivers(
    config.subscriptions,
    faults,
    elapsedMs,
    (s, e) => actors.onDelivered(s, e),
    (s, x12) => actors.onInterchange(s, x12),
    (text, event) => ofRun(tag, since, text, event),
  );
  // Each partner with x12.sftp: the simulator is its SFTP server and plays the 3PL (threepl.ts).
  const threePls = await startThreePls(config, sim, (sku, index) => scenario.onHandAt(sku, index), {
    keysDir: options.sftpKeys ?? SIM_SFTP_KEYS,
    skus: scenario.skus,
  }).catch(async (error: unknown) => {
    await receivers.close();
    throw error;
  });
  const monitor = new HubMonitor(hub, elapsedMs, since, adminKey);
  const oversold = new Set<string>();
  let inventoryChecks = 0;
  const checkInventory = async (skus: readonly string[]) => {
    await Promise.all(
      skus.map(async (sku) => {
        const answer = await hub.request('GET', `/v1/inventory/${encodeURIComponent(sku)}`, adminKey);
        if (answer.status !== 200) return;
        inventoryChecks += 1;
        for (const p of (answer.body?.positions ?? []) as {
          location: string;
          available: number;
          buckets: Record<string, number>;
        }[]) {
          if (p.available < 0 || Object.values(p.buckets ?? {}).some((v) => v < 0))
            oversold.add(`${sku}@${p.location}`);
        }
      }),
    );
  };

  try {
    const counterStart = await monitor.counters();
    log(
      `simulation ${tag}: hub ${hubUrl}, ${options.ordersPerSecond} orders/s for ${options.durationMs / 1000} s; ` +
        `orders from ${scenario.sourceNames().join(', ') || 'nobody (no channel system with a plain key)'}; ` +
        `receiving ${config.subscriptions.length} subscriptions on ${new Set(config.subscriptions.map((s) => s.url.port)).size} ports` +
        (waitingBefore > 0 ? `; ${waitingBefore} deliveries were waiting before this run (not counted)` : ''),
    );
    await scenario.seedStock();
    for (const [name, t] of threePls) {
      log(`3PL ${name}: SFTP server on ${t.address}; its 846 (on hand) is in the outbox`);
      t.begin();
    }
    // A 3PL's stock comes in its 846, taken at the hub's next look at the outbox (`pollSeconds`).
    const stockWaitMs = threePls.size > 0 ? 45_000 : 15_000;
    if (!(await scenario.stockVisible(adminKey, stockWaitMs)))
      log(`warning: the seeded stock is not visible after ${stockWaitMs / 1000} s; going on`);

    trafficStart = Date.now();
    monitor.start();
    const scarce = scenario.skus.filter((s) => s.scarce).map((s) => s.sku);
    const intervalMs = 1000 / Math.max(options.ordersPerSecond, 0.001);
    let tick = 0;
    let nextCheck = 0;
    let nextProgress = PROGRESS_INTERVAL_MS;
    const checks: Promise<void>[] = [];
    while (elapsedMs() < options.durationMs) {
      const now = elapsedMs();
      while (tick * intervalMs <= now) {
        scenario.placeOrder();
        tick += 1;
      }
      if (now >= nextCheck) {
        checks.push(checkInventory(scarce));
        nextCheck += CHECK_INTERVAL_MS;
      }
      if (now >= nextProgress) {
        log(progress(sim, monitor, now));
        nextProgress += PROGRESS_INTERVAL_MS;
      }
      await sleep(Math.max(5, Math.min(100, tick * intervalMs - elapsedMs())));
    }
    const trafficEnd = elapsedMs();
    const holdsReleased = await scenario.releaseHolds();
    const waitForDrain = options.drain !== false;
    log(
      `traffic stopped at ${(trafficEnd / 1000).toFixed(1)} s` +
        (holdsReleased > 0 ? `; ${holdsReleased} open holds given back` : '') +
        (waitForDrain
          ? `; waiting up to ${options.drainTimeoutMs / 1000} s for the run's deliveries to drain`
          : '; not waiting for the deliveries (--no-drain)'),
    );

    // Drain: every outage over, every actor idle and the run's backlog at 0 — and the hub settled: no
    // target's circuit open, no alert firing that was not firing before the run — three checks in a row.
    const lastOutageEnd = Math.max(0, ...faults.down.map((d) => d.atMs + d.forMs));
    const drainDeadline = trafficEnd + (waitForDrain ? options.drainTimeoutMs : 0);
    let quiet = 0;
    let drained = false;
    let unsettled: string[] = [];
    while (elapsedMs() < drainDeadline) {
      await sleep(500);
      const backlog = monitor.latestTotal();
      drained =
        elapsedMs() >= lastOutageEnd &&
        sim.idle() &&
        [...threePls.values()].every((t) => t.idle()) &&
        backlog === 0;
      unsettled = drained ? await unsettledOf(hub, adminKey, monitor, firingBefore, answered) : [];
      quiet = drained && unsettled.length === 0 ? quiet + 1 : 0;
      if (quiet >= 3) break;
      if (elapsedMs() >= nextProgress) {
        log(progress(sim, monitor, elapsedMs()));
        nextProgress += PROGRESS_INTERVAL_MS;
      }
      if (elapsedMs() >= nextCheck) {
        checks.push(checkInventory(scarce));
        nextCheck += CHECK_INTERVAL_MS;
      }
    }
    const drainWaitMs = elapsedMs() - trafficEnd;
    await monitor.stop();
    // The last word on what is still behind: a read now, not the last sample.
    const last = await monitor.poll();
    const behind = drained ? [] : behindIn(last ?? monitor.samples.at(-1));
    sim.close();
    await Promise.all(checks);
    await checkInventory(scenario.skus.map((s) => s.sku));
    const counterEnd = await monitor.counters();
    const exceptions = await runExceptions(hub, adminKey, startedAt, tag);
    for (const subject of exceptions.oversold) oversold.add(subject);

    return buildReport({
      options,
      hubUrl,
      config: config.file,
      tag,
      startedAt,
      elapsedMs: Date.now() - clockStart,
      faults,
      notPlayed: [...config.systems.values()].filter((s) => s.key === undefined).map((s) => s.name),
      sim,
      receivers,
      monitor,
      counterStart,
      counterEnd,
      oversold: [...oversold].sort(),
      inventoryChecks,
      exceptions: exceptions.byCode,
      drained,
      drainWaited: waitForDrain,
      drainWaitMs,
      behind,
      busy: drained ? null : busyOf(sim, threePls, monitor),
      unsettled,
      waitingBefore,
      threePl: Object.fromEntries([...threePls].map(([name, t]) => [name, t.counters])),
      subscriptionsOf: (system) => config.subscriptions.filter((s) => s.target === system).map((s) => s.name),
    });
  } finally {
    sim.close();
    await monitor.stop();
    await receivers.close();
    for (const t of threePls.values()) await t.stop();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function progress(sim: SimContext, monitor: HubMonitor, atMs: number): string {
  const c = sim.counters;
  const backlog = monitor.latestTotal();
  return (
    `  ${(atMs / 1000).toFixed(0).padStart(4)} s  orders ${c.ordersAccepted}/${c.ordersPlaced}  events ${c.eventsSent}` +
    `  shipped ${c.shipped}  delivered ${c.delivered}  backlog ${backlog ?? 'n/a'}`
  );
}

interface ReportInputs {
  options: SimulateOptions;
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

function buildReport(r: ReportInputs): SimulationReport {
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
