/**
 * A target's breaker opening and closing and its adaptive concurrency limit moving are reported to
 * `onTargetChange` (logged by the hub as structured lines: target, state, retryAt, limit), against a real
 * local HTTP receiver.
 */
import { afterEach, expect, it } from 'vitest';
import type { TargetChange } from '../../src/engine/delivery/delivery-engine.js';
import { logTargetChange } from '../../src/main/compose.js';
import { type Sink, startSink } from '../support/sink.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { adjustedEvent, KEYS, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

let hub: TestApp | undefined;
let sink: Sink | undefined;
afterEach(async () => {
  await hub?.close();
  await sink?.close();
  hub = undefined;
  sink = undefined;
});

const ERP = `erp: { kind: erp, key: ${KEYS.erp} }`;

async function startHub(url: string, changes: TargetChange[]): Promise<void> {
  const yaml = testConfigYaml({
    subscriptions: `subscriptions:
  - name: erp-stock
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    http: { url: ${url}/erp-stock }
    retry: { maxAttempts: 100, initialDelayMs: 1, maxDelayMs: 5, maxAgeMs: 60000 }`,
  }).replace(
    ERP,
    `erp: { kind: erp, key: ${KEYS.erp}, circuitBreaker: { failures: 2, openFor: 100ms, probes: 1 }, rateLimit: { concurrency: 4 } }`,
  );
  hub = await buildTestApp({ yaml, delivery: { pollMs: 10, onTargetChange: (c) => changes.push(c) } });
  const response = await hub.app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${KEYS.wmsEast}` },
    payload: adjustedEvent({ data: { sku: 'SKU-TC', location: 'DC-EAST', delta: 1, reason: 'correction' } }),
  });
  expect(response.statusCode).toBe(202);
}

it('reports the breaker opening (with retryAt) and closing', async () => {
  let answers = 0;
  // Two 502s (a gateway that cannot reach the target) open the breaker; then the target is back.
  sink = await startSink(() => {
    answers += 1;
    return { status: answers <= 2 ? 502 : 200 };
  });
  const changes: TargetChange[] = [];
  await startHub(sink.url, changes);
  await until(
    () => changes.some((c) => 'state' in c && c.state === 'closed'),
    'the breaker to close',
    20_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}: ${JSON.stringify(changes)} after ${answers} answers`);
  });
  const circuit = changes.filter((c) => 'state' in c);
  expect(circuit.map((c) => c.state)).toEqual(['open', 'closed']);
  expect(circuit[0]).toMatchObject({ target: 'erp', state: 'open', consecutiveFailures: 2, by: 'answer' });
  expect(Date.parse((circuit[0] as { retryAt: string }).retryAt)).toBeGreaterThan(0);
  expect(circuit[1]).not.toHaveProperty('retryAt');
}, 30_000);

it('reports the adaptive limit cut by a 429', async () => {
  let answers = 0;
  sink = await startSink(() => {
    answers += 1;
    return { status: answers === 1 ? 429 : 200 };
  });
  const changes: TargetChange[] = [];
  await startHub(sink.url, changes);
  await until(() => changes.some((c) => 'limit' in c), 'the limit to move', 20_000);
  expect(changes.find((c) => 'limit' in c)).toEqual({
    target: 'erp',
    limit: 2,
    previous: 4,
    maxLimit: 4,
    reason: 'throttled',
  });
}, 30_000);

it('logs an opening as warn and the rest as info, with the fields as given', () => {
  const lines: { level: string; fields: unknown; message: string }[] = [];
  const log = logTargetChange({
    warn: (fields: unknown, message: string) => lines.push({ level: 'warn', fields, message }),
    info: (fields: unknown, message: string) => lines.push({ level: 'info', fields, message }),
  } as never);
  const opened: TargetChange = {
    target: 'erp',
    state: 'open',
    retryAt: '2026-12-03T10:00:00.000Z',
    consecutiveFailures: 5,
    openPeriodMs: 30_000,
    by: 'answer',
  };
  log(opened);
  log({ target: 'erp', limit: 3, previous: 2, maxLimit: 4, reason: 'accepted' });
  expect(lines).toEqual([
    { level: 'warn', fields: opened, message: 'circuit opened: delivery to the target paused' },
    {
      level: 'info',
      fields: { target: 'erp', limit: 3, previous: 2, maxLimit: 4, reason: 'accepted' },
      message: 'adaptive concurrency limit changed',
    },
  ]);
});
