/** How an outbound result reads as a verdict: the same lines the delivery rules draw (docs/delivery.md §6). */
import { describe, expect, it } from 'vitest';
import { classifyResult } from './connector-port.js';

describe('classifyResult', () => {
  it.each([
    [{ outcome: 'delivered', status: 200 }, 'delivered'],
    [{ outcome: 'delivered', status: 200, acknowledgement: 'pending' }, 'acknowledgement-pending'],
    [{ outcome: 'retryable', status: 429 }, 'retry-throttled'],
    [{ outcome: 'retryable', status: 503 }, 'retry-throttled'],
    [{ outcome: 'retryable', status: 500, retryAfterMs: 1000 }, 'retry-throttled'],
    [{ outcome: 'retryable', error: 'ECONNREFUSED' }, 'retry-unreachable'],
    [{ outcome: 'retryable', status: 502 }, 'retry-unreachable'],
    [{ outcome: 'retryable', status: 500 }, 'retry-failed'],
    [{ outcome: 'permanent', status: 400 }, 'rejected'],
    [{ outcome: 'permanent', error: 'cannot map the event' }, 'rejected'],
    [{ outcome: 'retryable', notSent: true }, 'unsent'],
  ] as const)('%o → %s', (result, verdict) => {
    expect(classifyResult({ latencyMs: 0, ...result })).toBe(verdict);
  });
});
