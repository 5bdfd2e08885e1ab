/**
 * Alert rules and their state machine (docs/operations.md), pure: the engine observes the hub (backlog, oldest
 * pending, exceptions opened, circuits, drift) and steps each rule instance with the observation and the
 * clock. A rule without a scope (no `subscription`, `target`, `system` or `code`) has one instance per
 * thing it watches, so two subscriptions backing up are two alerts, each resolved on its own.
 *
 *   ok ──breached──▶ pending ──breached for `for`──▶ firing ──not breached──▶ ok (resolved)
 *    ▲                  │
 *    └──not breached────┘
 */
import { SERVICE_LEVEL_KINDS, type ServiceLevelCondition } from './service-levels.js';

export const ALERT_KINDS = [
  'backlog',
  'oldestPending',
  'exceptionRate',
  'circuitOpen',
  'drift',
  ...SERVICE_LEVEL_KINDS,
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const ALERT_SEVERITIES = ['warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** One rule's condition; scoped ones (`subscription`, `target`, `system`, `code`) apply to all when unset. */
export type AlertCondition =
  /** Pending rows of a subscription above `above` for `forMs`. */
  | { kind: 'backlog'; subscription?: string; above: number; forMs: number }
  /** A subscription's oldest pending row older than `olderThanMs`, for `forMs`. */
  | { kind: 'oldestPending'; subscription?: string; olderThanMs: number; forMs: number }
  /** More than `above` exceptions opened (of `code`) within the last `perMs`. */
  | { kind: 'exceptionRate'; code?: string; above: number; perMs: number }
  /** A target's circuit open for `forMs`. */
  | { kind: 'circuitOpen'; target?: string; forMs: number }
  /** A system's last inventory snapshot differed by more than `above` units. */
  | { kind: 'drift'; system?: string; above: number }
  /** Business service levels (service-levels.ts): more than `above` orders breaching, for `forMs`. */
  | (ServiceLevelCondition & { above: number });

export interface AlertRule {
  name: string;
  severity: AlertSeverity;
  condition: AlertCondition;
}

export type AlertStatus = 'ok' | 'pending' | 'firing';

/** One rule × scope, as kept between evaluations and shown at `GET /v1/alerts`. */
export interface AlertInstance {
  rule: string;
  /** What it watches (a subscription, target system, system or exception code); absent for a global rule. */
  scope?: string;
  severity: AlertSeverity;
  kind: AlertKind;
  status: AlertStatus;
  value: number;
  threshold: number;
  summary: string;
  /** When the condition last became true (pending and firing) — ISO 8601. */
  since?: string;
  /** When it last started firing. */
  firedAt?: string;
  /** When it last resolved. */
  resolvedAt?: string;
}

/** What the engine saw for one rule × scope. */
export interface AlertObservation {
  scope?: string;
  value: number;
  threshold: number;
  breached: boolean;
  summary: string;
}

export type AlertTransition = 'fired' | 'resolved';

/** How long a condition must hold before the rule fires. */
export function holdMs(condition: AlertCondition): number {
  return 'forMs' in condition ? condition.forMs : 0;
}

/** The key of a rule instance. */
export function instanceKey(rule: string, scope: string | undefined): string {
  return scope === undefined ? rule : `${rule}[${scope}]`;
}

/** The next state of a rule instance after an observation at `nowMs`, and the transition if any. */
export function stepAlert(
  rule: AlertRule,
  previous: AlertInstance | undefined,
  observation: AlertObservation,
  nowMs: number,
): { next: AlertInstance; transition?: AlertTransition } {
  const now = new Date(nowMs).toISOString();
  const base = {
    rule: rule.name,
    ...(observation.scope === undefined ? {} : { scope: observation.scope }),
    severity: rule.severity,
    kind: rule.condition.kind,
    value: observation.value,
    threshold: observation.threshold,
    summary: observation.summary,
    ...(previous?.firedAt ? { firedAt: previous.firedAt } : {}),
    ...(previous?.resolvedAt ? { resolvedAt: previous.resolvedAt } : {}),
  };
  const wasFiring = previous?.status === 'firing';
  if (!observation.breached) {
    if (wasFiring) return { next: { ...base, status: 'ok', resolvedAt: now }, transition: 'resolved' };
    return { next: { ...base, status: 'ok' } };
  }
  const since = previous && previous.status !== 'ok' && previous.since ? previous.since : now;
  const held = nowMs - Date.parse(since) >= holdMs(rule.condition);
  if (!held) return { next: { ...base, status: 'pending', since } };
  if (wasFiring) return { next: { ...base, status: 'firing', since } };
  return { next: { ...base, status: 'firing', since, firedAt: now }, transition: 'fired' };
}
