/**
 * A scheduled source's back-off (a poller whose system is down): after n failures in a row the next run
 * waits `every × 2^(n-1)`, never more than the cap; one success brings it back to `every` and clears the
 * failures. Driven by a hand-moved clock over a real store.
 */
import { afterEach, expect, it } from 'vitest';
import type { SourceHub } from '../../src/connectors/connector-port.js';
import { ScheduledSource } from '../../src/engine/inbound/scheduled-source.js';
import { Telemetry } from '../../src/engine/observability/telemetry.js';
import { openTestStore, type TestStore } from '../support/stores.js';

let opened: TestStore | undefined;
afterEach(async () => {
  await opened?.cleanup();
  opened = undefined;
});

it('backs off exponentially, capped, and returns to its period after a success', async () => {
  opened = await openTestStore('sqlite');
  let nowMs = Date.parse('2026-12-03T00:00:00.000Z');
  const now = () => new Date(nowMs);
  let failing = true;
  let runs = 0;
  const telemetry = new Telemetry();
  const source = new ScheduledSource(
    {
      name: 'poll:erp:customers',
      system: 'erp',
      everyMs: 60_000,
      singleton: true,
      labels: { system: 'erp', poll: 'customers' },
      pull: async () => {
        runs += 1;
        if (failing) throw new Error('HTTP 503: down for maintenance');
        return 2;
      },
    },
    'owner-1',
    {
      store: opened.store,
      hub: {} as SourceHub, // the pull above never uses it
      now,
      telemetry,
      onError: () => undefined,
      maxBackoffMs: 10 * 60_000,
    },
  );
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    await source.tick();
    const status = await source.status();
    expect(status.state).toBe('failing');
    expect(status.failures).toBe(i + 1);
    const wait = Date.parse(status.nextRunAt as string) - nowMs;
    waits.push(wait);
    nowMs += wait - 1; // not due yet: a tick does nothing
    await source.tick();
    expect(runs).toBe(i + 1);
    nowMs += 1;
  }
  expect(waits).toEqual([60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
  const failed = await telemetry.registry.metrics();
  expect(failed).toContain('manifold_poll_runs_total{system="erp",poll="customers",outcome="failed"} 6');
  expect(failed).toContain('manifold_poll_consecutive_failures{system="erp",poll="customers"} 6');

  failing = false;
  await source.tick();
  const status = await source.status();
  expect(status).toMatchObject({ state: 'ok', failures: 0, lastSuccessAt: now().toISOString() });
  expect(status.lastError).toBeUndefined();
  expect(Date.parse(status.nextRunAt as string) - nowMs).toBe(60_000);
  const ok = await telemetry.registry.metrics();
  expect(ok).toContain('manifold_poll_consecutive_failures{system="erp",poll="customers"} 0');
  expect(ok).toContain('manifold_poll_items_total{system="erp",poll="customers"} 2');
  expect(ok).toContain(
    `manifold_poll_last_success_timestamp_seconds{system="erp",poll="customers"} ${nowMs / 1000}`,
  );
  await source.stop();
});
