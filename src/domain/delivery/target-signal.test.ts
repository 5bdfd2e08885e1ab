import { describe, expect, it } from 'vitest';
import { classifyOutcome } from './retry-policy.js';
import { type AttemptReport, targetSignal } from './target-signal.js';

const answer = (status: number, extra: Partial<AttemptReport> = {}): AttemptReport => ({
  outcome: classifyOutcome({ status }),
  status,
  ...extra,
});

describe('targetSignal', () => {
  it('reads 429 and 503 as throttling, not as an outage', () => {
    expect(targetSignal(answer(429))).toBe('throttled');
    expect(targetSignal(answer(503))).toBe('throttled');
  });

  it('reads any retryable answer with Retry-After as throttling', () => {
    expect(targetSignal(answer(500, { retryAfterMs: 2000 }))).toBe('throttled');
    expect(targetSignal(answer(408, { retryAfterMs: 0 }))).toBe('throttled');
    // A refusal stays a refusal, whatever it says about later.
    expect(targetSignal(answer(400, { retryAfterMs: 2000 }))).toBe('answered');
  });

  it('reads refused or reset connections, timeouts and 502/504 as unreachable', () => {
    expect(targetSignal({ outcome: 'retryable' })).toBe('unreachable');
    expect(targetSignal(answer(502))).toBe('unreachable');
    expect(targetSignal(answer(504))).toBe('unreachable');
  });

  it('reads 2xx as accepted, and other answers as a target that is up', () => {
    expect(targetSignal(answer(200))).toBe('accepted');
    expect(targetSignal(answer(204))).toBe('accepted');
    for (const status of [400, 404, 408, 422, 500, 501])
      expect(targetSignal(answer(status))).toBe('answered');
  });

  it('says nothing of a request that never left the hub', () => {
    expect(targetSignal({ outcome: 'retryable', notSent: true })).toBe('unsent');
    expect(targetSignal({ outcome: 'permanent' })).toBe('unsent');
  });
});
