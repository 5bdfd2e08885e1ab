/**
 * Business service levels (docs/operations.md#service-levels) read through the store port: the facts of
 * the orders still in the lifecycle (taken, released, shipped; the 855 and 856 sent about them) and the
 * interchanges waiting for a 997/999, judged by the pure rules of `domain/alerts/service-levels.ts`.
 * The alert engine counts the breaches per partner or warehouse; `GET /v1/service-levels` counts them
 * per customer, partner and warehouse.
 */
import type { CompiledConfig } from '../../config/compiled-config.js';
import { interchangeSubject } from '../../connectors/edi/ack-deadline.js';
import type { ServiceLevelReport } from '../../contracts/views/service-level-views.js';
import type { AlertRule } from '../../domain/alerts/alert-state.js';
import {
  type Breach,
  describeServiceLevel,
  type OrderFacts,
  orderBreaches,
  SERVICE_LEVEL_KINDS,
  type ServiceLevelCondition,
} from '../../domain/alerts/service-levels.js';
import type { LoggedEvent } from '../../domain/cloud-event.js';
import type { OrderRecord } from '../../store/order-port.js';
import type { Store } from '../../store/store-port.js';

/** Most orders looked at per read (open ones, then recently shipped ones). */
export const SERVICE_LEVEL_SCAN = 2000;
/** Shipped orders are looked at for a missing 856 this long after they were taken. */
const SHIPPED_LOOKBACK_MS = 30 * 86_400_000;
const RELEASED = 'com.manifold.order.released.v1';
const SHIPPED = 'com.manifold.order.shipped.v1';

export function isServiceLevel(
  rule: AlertRule,
): rule is AlertRule & { condition: ServiceLevelCondition & { above: number } } {
  return (SERVICE_LEVEL_KINDS as readonly string[]).includes(rule.condition.kind);
}

/** How a breach is scoped in an alert: by partner for the EDI rules, by warehouse for the others. */
export function breachScope(condition: ServiceLevelCondition, breach: Breach): string | undefined {
  return condition.kind === 'notShipped' || condition.kind === 'backorderedPast'
    ? breach.location
    : breach.partner;
}

export { describeServiceLevel, type ServiceLevelReport };

/** Breaches listed per service level in the report (the longest-breaching first). */
const REPORT_SAMPLE = 20;

export class ServiceLevels {
  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
  ) {}

  /** The configured alert rules that are service levels. */
  get rules() {
    return this.config.alerts.filter(isServiceLevel);
  }

  /** Every service-level rule with what breaches it at `nowMs`, counted by customer, partner and warehouse. */
  async report(nowMs: number): Promise<ServiceLevelReport> {
    const rules = this.rules;
    const facts = rules.some((r) => r.condition.kind !== 'unacknowledged') ? await this.facts(nowMs) : [];
    const levels = [];
    for (const rule of rules) {
      const breaches = (await this.breaches(rule.condition, facts, nowMs)).sort(
        (a, b) => a.since.localeCompare(b.since) || a.subject.localeCompare(b.subject),
      );
      levels.push({
        rule: rule.name,
        kind: rule.condition.kind,
        description: describeServiceLevel(rule.condition),
        severity: rule.severity,
        breaching: breaches.length,
        byCustomer: counted(breaches, 'customer'),
        byPartner: counted(breaches, 'partner'),
        byLocation: counted(breaches, 'location'),
        sample: breaches.slice(0, REPORT_SAMPLE).map((b) => ({ subject: b.subject, since: b.since })),
      });
    }
    return { generatedAt: new Date(nowMs).toISOString(), scanned: facts.length, levels };
  }

  /** The facts of the orders in the lifecycle (read once per evaluation, shared by every rule). */
  async facts(nowMs: number): Promise<OrderFacts[]> {
    const open = await this.store.orders.openOrders(SERVICE_LEVEL_SCAN);
    const shipped = await this.store.orders.listOrders({
      milestone: 'shipped',
      since: new Date(nowMs - SHIPPED_LOOKBACK_MS).toISOString(),
      limit: SERVICE_LEVEL_SCAN,
    });
    const seen = new Set<string>();
    const facts: OrderFacts[] = [];
    for (const order of [...open, ...shipped]) {
      if (seen.has(order.orderId)) continue;
      seen.add(order.orderId);
      facts.push(await this.factsOf(order));
    }
    return facts;
  }

  /** The breaches of one condition at `nowMs`, given the orders' facts. */
  async breaches(condition: ServiceLevelCondition, facts: OrderFacts[], nowMs: number): Promise<Breach[]> {
    if (condition.kind !== 'unacknowledged') return facts.flatMap((f) => orderBreaches(condition, f, nowMs));
    const rows = await this.store.edi.listOutbound({
      ...(condition.partner ? { partner: condition.partner } : {}),
      unacknowledgedBefore: new Date(nowMs - condition.afterMs).toISOString(),
      limit: SERVICE_LEVEL_SCAN,
    });
    return rows.map((row) => ({
      subject: interchangeSubject(row.partner, row.isa13),
      partner: row.partner,
      since: new Date(Date.parse(row.createdAt) + condition.afterMs).toISOString(),
    }));
  }

  private async factsOf(order: OrderRecord): Promise<OrderFacts> {
    const lines = order.state.lines;
    const sum = (f: (l: (typeof lines)[number]) => number) =>
      lines.reduce((a, l) => a + Math.max(0, f(l)), 0);
    const subs855 = this.ediSubscriptions(order.system, '855');
    const subs856 = this.ediSubscriptions(order.system, '856');
    const needsEvents = lines.some((l) => l.released > 0) || subs855.length > 0 || subs856.length > 0;
    const events = needsEvents
      ? (await this.store.listEvents({ subject: order.orderId, limit: 500 })).items
      : [];
    const first = (type: string) => events.find((e) => e.event.type === type);
    const at = (e: LoggedEvent | undefined) => (e ? Date.parse(e.ingestedAt) : undefined);
    const customer = customerLabel(order.document.customer);
    const facts: OrderFacts = {
      orderId: order.orderId,
      system: order.system,
      sends855: subs855.length > 0,
      sends856: subs856.length > 0,
      locations: [
        ...new Set(
          lines.flatMap((l) => [
            ...(l.location ? [l.location] : []),
            ...Object.keys(l.committedAt ?? {}),
            ...Object.keys(l.inTransitAt ?? {}),
          ]),
        ),
      ],
      acceptedAtMs: Date.parse(order.createdAt),
      releasedNotShipped: sum((l) => l.released - l.shipped),
      backordered: sum((l) => l.backordered),
      ...(customer === undefined ? {} : { customer }),
    };
    const released = at(first(RELEASED));
    if (released !== undefined) facts.releasedAtMs = released;
    const shipped = at(first(SHIPPED));
    if (shipped !== undefined) facts.shippedAtMs = shipped;
    const requested = order.document.requestedShipDate;
    if (typeof requested === 'string') facts.requestedShipDate = requested;
    const sent855 = await this.firstSent(subs855, events);
    if (sent855 !== undefined) facts.sent855AtMs = sent855;
    const sent856 = await this.firstSent(subs856, events);
    if (sent856 !== undefined) facts.sent856AtMs = sent856;
    return facts;
  }

  /** The EDI subscriptions sending `setId` to `partner`. */
  private ediSubscriptions(partner: string, setId: string): string[] {
    return this.config.subscriptions
      .filter((s) => s.target === partner && (s.edi?.sets as readonly string[] | undefined)?.includes(setId))
      .map((s) => s.name);
  }

  /** When the first interchange of these subscriptions about one of the events was rendered. */
  private async firstSent(subscriptions: string[], events: LoggedEvent[]): Promise<number | undefined> {
    let first: number | undefined;
    for (const subscription of subscriptions) {
      const matches = this.config.subscriptions.find((s) => s.name === subscription)?.matchesType;
      for (const e of events) {
        if (matches && !matches(e.event.type)) continue;
        const row = await this.store.edi.getOutbound(subscription, e.event.source, e.event.id);
        if (row === undefined) continue;
        const ms = Date.parse(row.createdAt);
        if (first === undefined || ms < first) first = ms;
      }
    }
    return first;
  }
}

/** `[{ <key>: value, count }]` over the breaches that have `key`, most first. */
function counted<K extends 'customer' | 'partner' | 'location'>(
  breaches: Breach[],
  key: K,
): ({ count: number } & Record<K, string>)[] {
  const counts = new Map<string, number>();
  for (const b of breaches) {
    const value = b[key];
    if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return [...counts]
    .map(([value, count]) => ({ [key]: value, count }) as { count: number } & Record<K, string>)
    .sort((a, b) => b.count - a.count || a[key].localeCompare(b[key]));
}

/** How a customer is named: its id, else its number or name. */
function customerLabel(customer: Record<string, unknown>): string | undefined {
  for (const key of ['id', 'number', 'name']) {
    const value = customer[key];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}
