import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AlertInstance, type AlertRule, stepAlert } from './alert-state.js';

const rule: AlertRule = {
  name: 'erp-backlog',
  severity: 'critical',
  condition: { kind: 'backlog', subscription: 'erp-orders', above: 10, forMs: 60_000 },
};
const T0 = Date.parse('2026-11-27T10:00:00Z');
const seen = (value: number) => ({
  scope: 'erp-orders',
  value,
  threshold: 10,
  breached: value > 10,
  summary: `${value} waiting`,
});

describe('stepAlert', () => {
  it('waits for the condition to hold for `for`, fires once, then resolves once', () => {
    let state: AlertInstance | undefined;
    const run = (value: number, atMs: number) => {
      const { next, transition } = stepAlert(rule, state, seen(value), atMs);
      state = next;
      return transition;
    };
    expect(run(5, T0)).toBeUndefined();
    expect(state?.status).toBe('ok');
    expect(run(50, T0 + 1000)).toBeUndefined();
    expect(state).toMatchObject({ status: 'pending', since: new Date(T0 + 1000).toISOString() });
    expect(run(60, T0 + 30_000)).toBeUndefined();
    expect(run(70, T0 + 61_000)).toBe('fired');
    expect(state).toMatchObject({
      status: 'firing',
      value: 70,
      since: new Date(T0 + 1000).toISOString(),
      firedAt: new Date(T0 + 61_000).toISOString(),
    });
    expect(run(80, T0 + 65_000)).toBeUndefined();
    expect(run(3, T0 + 70_000)).toBe('resolved');
    expect(state).toMatchObject({ status: 'ok', resolvedAt: new Date(T0 + 70_000).toISOString() });
    expect(state?.since).toBeUndefined();
  });

  it('starts the wait again when the condition lapses before `for`', () => {
    let state = stepAlert(rule, undefined, seen(50), T0).next;
    state = stepAlert(rule, state, seen(0), T0 + 50_000).next;
    state = stepAlert(rule, state, seen(50), T0 + 55_000).next;
    const { next, transition } = stepAlert(rule, state, seen(50), T0 + 70_000);
    expect(transition).toBeUndefined();
    expect(next).toMatchObject({ status: 'pending', since: new Date(T0 + 55_000).toISOString() });
  });

  it('fires at once without `for`', () => {
    const now = { ...rule, condition: { ...rule.condition, forMs: 0 } };
    expect(stepAlert(now, undefined, seen(11), T0).transition).toBe('fired');
  });

  it('never fires twice without resolving in between, whatever the observations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 40_000 }))),
        (steps) => {
          let state: AlertInstance | undefined;
          let at = T0;
          const transitions: string[] = [];
          for (const [value, gap] of steps) {
            at += gap;
            const { next, transition } = stepAlert(rule, state, seen(value), at);
            if (transition) transitions.push(transition);
            // Firing only after the condition held for `for`.
            if (next.status === 'firing')
              expect(at - Date.parse(next.since ?? '')).toBeGreaterThanOrEqual(60_000);
            state = next;
          }
          expect(transitions).toEqual(transitions.map((_, i) => (i % 2 === 0 ? 'fired' : 'resolved')));
        },
      ),
    );
  });
});
