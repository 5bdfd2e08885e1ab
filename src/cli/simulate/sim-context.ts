/**
 * What every actor of a simulation shares: the hub client, the configuration, the faults, a seeded
 * random source, the run's counters, a tracked scheduler (so the run knows when every actor is idle)
 * and `sendEvent`, which posts a CloudEvent as a system and counts the answer.
 */
import type { FaultPlan } from './faults.js';
import type { HubAnswer, HubClient, OutgoingEvent } from './hub-client.js';
import type { SimConfig, SimSystem } from './sim-config.js';

/** The counters the report is made of (the receivers and the monitor keep their own). */
export interface RunCounters {
  ordersPlaced: number;
  ordersAccepted: number;
  ordersRefused: number;
  byChannel: Record<string, { placed: number; accepted: number }>;
  cancelledByErp: number;
  shortPicks: number;
  shipped: number;
  delivered: number;
  invoiced: number;
  deliveryExceptions: number;
  /** Status reports of shipments on their way (the carrier's 214 `X6`). */
  inTransit: number;
  /** 214 interchanges the carrier sent, and those the hub did not apply (answered otherwise). */
  statusInterchanges: number;
  statusInterchangesRefused: number;
  /** 997s the EDI partner sent back for the interchanges it received. */
  acknowledgementsSent: number;
  eventsSent: number;
  eventsAccepted: number;
  eventsDuplicate: number;
  eventsRejected: number;
  byType: Record<string, number>;
  rejections: string[];
  reservationsHeld: number;
  reservationsRefused: number;
  /** Units of the reservations refused for lack of stock. */
  reservationsRefusedUnits: number;
  reservationsReleased: number;
  reservationsFailed: number;
  replayedOrders: number;
  /** Orders accepted that came as the storefront's own webhook (`POST /v1/inbound/...`). */
  nativeWebhookOrders: number;
  resentInterchanges: number;
  /** Units the hub backordered at acceptance (from the 201 answers). */
  backorderedUnits: number;
}

const MAX_REJECTIONS_KEPT = 5;

/** A small seeded generator (mulberry32): the same `--seed` makes the same choices. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class SimContext {
  readonly counters: RunCounters = {
    ordersPlaced: 0,
    ordersAccepted: 0,
    ordersRefused: 0,
    byChannel: {},
    cancelledByErp: 0,
    shortPicks: 0,
    shipped: 0,
    delivered: 0,
    invoiced: 0,
    deliveryExceptions: 0,
    inTransit: 0,
    statusInterchanges: 0,
    statusInterchangesRefused: 0,
    acknowledgementsSent: 0,
    eventsSent: 0,
    eventsAccepted: 0,
    eventsDuplicate: 0,
    eventsRejected: 0,
    byType: {},
    rejections: [],
    reservationsHeld: 0,
    reservationsRefused: 0,
    reservationsRefusedUnits: 0,
    reservationsReleased: 0,
    reservationsFailed: 0,
    replayedOrders: 0,
    nativeWebhookOrders: 0,
    resentInterchanges: 0,
    backorderedUnits: 0,
  };
  readonly random: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private closed = false;
  private nextId = 0;

  constructor(
    readonly hub: HubClient,
    readonly config: SimConfig,
    readonly faults: FaultPlan,
    /** Short tag of this run, in every id it makes (SKUs, orders, events), so runs never collide. */
    readonly tag: string,
    seed: number,
  ) {
    this.random = mulberry32(seed);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.random() < p;
  }

  /** A whole number in [min, max]. */
  between(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  /** A fresh id of this run: `<prefix>-<tag>-<n>`. */
  id(prefix: string): string {
    this.nextId += 1;
    return `${prefix}-${this.tag}-${this.nextId}`;
  }

  /** Runs `task` after `delayMs` unless the run is closed; counted until its promise settles. */
  schedule(delayMs: number, task: () => Promise<unknown> | unknown): void {
    if (this.closed) return;
    this.inFlight += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      Promise.resolve()
        .then(() => (this.closed ? undefined : task()))
        .catch(() => undefined)
        .finally(() => {
          this.inFlight -= 1;
        });
    }, delayMs);
    this.timers.add(timer);
  }

  /** No actor has anything scheduled or running. */
  idle(): boolean {
    return this.inFlight === 0;
  }

  /** Stops every scheduled task. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.inFlight -= this.timers.size;
    this.timers.clear();
  }

  /** The system that plays `name`, when the configuration has it with a plain key. */
  playable(name: string | undefined): (SimSystem & { key: string }) | undefined {
    const system = name === undefined ? undefined : this.config.systems.get(name);
    return system?.key === undefined ? undefined : (system as SimSystem & { key: string });
  }

  /**
   * Posts one CloudEvent as `system` and counts the answer; with the `duplicates` fault, a share is sent
   * again with the same id once the first answer is in (the hub must answer `duplicate`).
   */
  async sendEvent(
    system: string,
    type: string,
    data: Record<string, unknown>,
  ): Promise<HubAnswer | undefined> {
    const sender = this.playable(system);
    if (sender === undefined) return undefined;
    const event: OutgoingEvent = {
      specversion: '1.0',
      id: this.id(system),
      source: `/${system}`,
      type,
      time: new Date().toISOString(),
      ...(typeof data.orderId === 'string' ? { correlationid: data.orderId } : {}),
      data,
    };
    const answer = await this.post(sender.key, event);
    if (answer.status < 300 && this.faults.duplicates > 0 && this.chance(this.faults.duplicates)) {
      this.schedule(this.between(20, 300), () => this.post(sender.key, event));
    }
    return answer;
  }

  private async post(key: string, event: OutgoingEvent): Promise<HubAnswer> {
    const answer = await this.hub.postEvent(key, event);
    const c = this.counters;
    c.eventsSent += 1;
    c.byType[event.type] = (c.byType[event.type] ?? 0) + 1;
    if (answer.status === 202) c.eventsAccepted += 1;
    else if (answer.status === 200 && answer.body?.status === 'duplicate') c.eventsDuplicate += 1;
    else this.rejected(`${event.type} ${event.id}`, answer);
    return answer;
  }

  /** Counts a refusal the scenario did not expect, keeping the first few for the report. */
  rejected(what: string, answer: HubAnswer): void {
    this.counters.eventsRejected += 1;
    if (this.counters.rejections.length < MAX_REJECTIONS_KEPT) {
      const detail =
        answer.error ??
        (typeof answer.body === 'object' && answer.body !== null
          ? `${answer.body.detail ?? answer.body.title ?? ''}${answer.body.errors ? ` ${JSON.stringify(answer.body.errors).slice(0, 200)}` : ''}`
          : String(answer.body).slice(0, 200));
      this.counters.rejections.push(`${what}: ${answer.status} ${detail}`);
    }
  }
}
