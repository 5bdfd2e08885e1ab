/**
 * The `ndjsonFile` connector: its section compiled from YAML with file:line messages, and its outbound
 * role driven by the real delivery engine (ingest, outbox, claims) into a real file in a temp folder.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import type { CloudEvent } from '../../src/domain/cloud-event.js';
import { DeliveryEngine } from '../../src/engine/delivery/delivery-engine.js';
import { IngestService } from '../../src/engine/ingest-service.js';
import { configIssues, lineOf } from '../support/config-issues.js';
import { openTestStore, type TestStore } from '../support/stores.js';
import { pickedEvent, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

function subscriptions(section: string): string {
  return `subscriptions:
  - name: erp-audit
    target: erp
    types: [com.manifold.order.picked.v1]
    ${section}
    retry: { maxAttempts: 5, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }
`;
}

async function lines(path: string): Promise<CloudEvent[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as CloudEvent);
}

describe('the ndjsonFile section', () => {
  it('compiles to the kind and its path', () => {
    const config = compileConfig(
      testConfigYaml({ subscriptions: subscriptions('ndjsonFile: { path: ./out/erp.ndjson }') }),
      'manifold.yaml',
      {},
    );
    const subscription = config.subscriptions.find((s) => s.name === 'erp-audit');
    expect(subscription?.connector).toEqual({
      kind: 'ndjsonFile',
      section: { path: './out/erp.ndjson' },
      batch: false,
      attemptTimeoutMs: 10_000,
    });
    expect(subscription?.http).toBeUndefined();
  });

  it.each([
    ['a missing path', 'ndjsonFile: { }', 'subscriptions[0].ndjsonFile', "missing required key 'path'"],
    ['an empty path', "ndjsonFile: { path: '' }", 'subscriptions[0].ndjsonFile.path', undefined],
    ['an empty section', 'ndjsonFile:', 'subscriptions[0].ndjsonFile', undefined],
    ['a folder', 'ndjsonFile: { path: ./out/ }', 'subscriptions[0].ndjsonFile.path', undefined],
    [
      'an unknown key',
      'ndjsonFile: { path: a.ndjson, rotate: daily }',
      'subscriptions[0].ndjsonFile.rotate',
      undefined,
    ],
  ])('refuses %s with file and line', (_what, section, path, message) => {
    const text = testConfigYaml({ subscriptions: subscriptions(section) });
    const issues = configIssues(text);
    const issue = issues.find((i) => i.path === path);
    expect(issue, JSON.stringify(issues)).toBeDefined();
    expect(issue?.file).toBe('manifold.yaml');
    expect(issue?.line).toBe(lineOf(text, 'ndjsonFile:'));
    if (message !== undefined) expect(issue?.message).toBe(message);
    // The kind's own problem, not a second one about a missing http: section.
    expect(issues.filter((i) => i.message.includes("'http'"))).toEqual([]);
  });
});

describe('delivered by the real delivery engine', () => {
  let testStore: TestStore | undefined;
  let engine: DeliveryEngine | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await engine?.stop(1000);
    await testStore?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
    engine = undefined;
    testStore = undefined;
    dir = undefined;
  });

  async function start(path: string) {
    const config = compileConfig(
      testConfigYaml({ subscriptions: subscriptions(`ndjsonFile: { path: ${JSON.stringify(path)} }`) }),
      'manifold.yaml',
      {},
    );
    testStore = await openTestStore('sqlite');
    const { store } = testStore;
    const delivery = new DeliveryEngine(config, store, { pollMs: 10 });
    engine = delivery;
    const ingest = new IngestService(config, store, (names) => delivery.wake(names));
    delivery.start();
    return { ingest, store, delivery };
  }

  it('appends each event as one JSON line, in order per key, making the folder', {
    timeout: 30_000,
  }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'manifold-ndjson-'));
    const path = join(dir, 'out', 'erp.ndjson');
    const { ingest } = await start(path);
    const events = [
      pickedEvent('ORD-1', { subject: 'ORD-1' }),
      pickedEvent('ORD-2', { subject: 'ORD-2' }),
      pickedEvent('ORD-1', { subject: 'ORD-1' }),
    ];
    await ingest.ingest('wms-east', events, true);

    await until(async () => (await lines(path)).length === 3, 'three lines in the file');
    const written = await lines(path);
    expect(written.map((e) => e.id).sort()).toEqual(events.map((e) => e.id as string).sort());
    // FIFO per key: ORD-1's first event before its second.
    const ord1 = written.filter((e) => e.subject === 'ORD-1').map((e) => e.id);
    expect(ord1).toEqual([events[0]?.id, events[2]?.id]);
    expect(written[0]?.type).toBe('com.manifold.order.picked.v1');
    expect(written[0]?.data).toBeDefined();
  });

  it('retries while the file cannot be written, then appends', { timeout: 30_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'manifold-ndjson-'));
    // A file where the folder should be: the append fails until it is removed.
    await writeFile(join(dir, 'blocked'), 'not a folder');
    const path = join(dir, 'blocked', 'erp.ndjson');
    const { ingest, store } = await start(path);
    const event = pickedEvent('ORD-9', { subject: 'ORD-9' });
    await ingest.ingest('wms-east', [event], true);

    await until(async () => {
      const outbox = await store.listOutbox({ subscription: 'erp-audit', limit: 10 });
      return outbox.some((row) => row.attempts >= 1);
    }, 'a failed attempt');
    await rm(join(dir, 'blocked'));
    await until(async () => (await lines(path)).length === 1, 'the line after the retry');
    expect((await lines(path))[0]?.id).toBe(event.id);
  });
});
