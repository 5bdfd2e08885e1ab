/**
 * What belongs to one run and what it leaves behind: its tag (in every id it makes, so its events are told
 * from an earlier run's or a curl's), its exceptions, and what it left unsettled on the hub (open
 * circuits, alerts that fired since it started).
 */
import type { HubClient } from './hub-client.js';
import type { HubMonitor } from './monitor.js';
import type { DeliveredEvent } from './receivers.js';
import type { SimContext } from './sim-context.js';

/**
 * The run's tag: six base-36 characters of the clock, in every id the run makes. It always holds a
 * letter, so that it is never read inside a number (a timestamp) of another event.
 */
export function runTag(nowMs: number): string {
  const tag = nowMs.toString(36).slice(-6).toUpperCase();
  return /[A-Z]/.test(tag) ? tag : `X${tag.slice(1)}`;
}

const ALERT = 'com.manifold.ops.alert.v1';

/**
 * Whether a delivery is of the run: its event (or X12 interchange) carries the run's tag — or it is one
 * of the hub's alerts raised since the run started (`since`, the hub's clock), which name no order.
 */
export function ofRun(tag: string, since: string, text: string, event?: DeliveredEvent): boolean {
  if (text.includes(tag)) return true;
  if (event?.type !== ALERT || event.time === undefined) return false;
  return Date.parse(event.time) >= Date.parse(since);
}

/** `rule scope` of every alert firing now. */
export async function firingAlerts(hub: HubClient, adminKey: string): Promise<Set<string>> {
  const answer = await hub.request('GET', '/v1/alerts', adminKey);
  const alerts = (answer.status === 200 ? (answer.body?.alerts ?? []) : []) as {
    rule: string;
    scope?: string;
    status: string;
  }[];
  return new Set(alerts.filter((a) => a.status === 'firing').map((a) => `${a.rule} ${a.scope ?? ''}`.trim()));
}

/** What the run left unsettled on the hub: open circuits, and alerts that fired since it started. */
export async function unsettledOf(
  hub: HubClient,
  adminKey: string,
  monitor: HubMonitor,
  firingBefore: Set<string>,
  /** The subscriptions and targets the simulator answers: only their circuits and alerts are its doing. */
  answered: ReadonlySet<string>,
): Promise<string[]> {
  const circuits = [...(monitor.samples.at(-1)?.circuits ?? new Map<string, string>())]
    .filter(([system]) => answered.has(system))
    .map(([system, state]) => `circuit of ${system} ${state.replace('_', '-')}`);
  const alerts = [...(await firingAlerts(hub, adminKey))]
    .filter((a) => !firingBefore.has(a))
    .filter((a) => {
      const scope = a.split(' ')[1];
      return scope === undefined || answered.has(scope);
    })
    .map((a) => `alert ${a} firing`);
  return [...circuits, ...alerts];
}

/** Why a run with no backlog left still did not count as drained. */
export function busyOf(
  sim: SimContext,
  threePls: Map<string, { idle(): boolean }>,
  monitor: HubMonitor,
): string | null {
  if (monitor.unreadable !== undefined) return `the run's backlog could not be read: ${monitor.unreadable}`;
  if (!sim.idle()) return 'the simulated systems were still at work';
  const busy = [...threePls].filter(([, t]) => !t.idle()).map(([name]) => name);
  return busy.length > 0 ? `3PL ${busy.join(', ')} still had files to take` : null;
}

/** Exceptions of this run (their subject or detail names the run's tag), by code; oversold subjects apart. */
export async function runExceptions(
  hub: HubClient,
  adminKey: string,
  since: Date,
  tag: string,
): Promise<{ byCode: Record<string, number>; oversold: string[] }> {
  const byCode: Record<string, number> = {};
  const oversold: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page += 1) {
    const query = new URLSearchParams({
      since: since.toISOString(),
      limit: '1000',
      ...(cursor ? { cursor } : {}),
    });
    const answer = await hub.request('GET', `/v1/exceptions?${query}`, adminKey);
    if (answer.status !== 200) break;
    for (const item of (answer.body?.items ?? []) as { code: string; subject?: string; detail?: string }[]) {
      if (!`${item.subject ?? ''} ${item.detail ?? ''}`.includes(tag)) continue;
      byCode[item.code] = (byCode[item.code] ?? 0) + 1;
      if (item.code === 'oversold' && item.subject) oversold.push(item.subject);
    }
    cursor = answer.body?.next;
    if (!cursor) break;
  }
  return { byCode, oversold };
}
