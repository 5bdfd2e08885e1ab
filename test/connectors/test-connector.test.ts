/**
 * The connector seam, proven by a kind the hub does not ship: `memory`, registered here with one call,
 * configured by YAML (`memory: { inbox, failFirst }` on a subscription), compiled and checked through the
 * registry, and driven by the real delivery engine (claims, retries, the outbox) into an array, keeping
 * its own durable state in `connector_state`. Nothing of the engine, the compiled config types or the
 * subscription compiler knows the kind.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import type { ConnectorKind, OutboundResult } from '../../src/connectors/connector-port.js';
import { registerConnector } from '../../src/connectors/registry.js';
import type { CloudEvent } from '../../src/domain/cloud-event.js';
import { DeliveryEngine } from '../../src/engine/delivery/delivery-engine.js';
import { IngestService } from '../../src/engine/ingest-service.js';
import { configIssues, subscriptionKeys } from '../support/config-issues.js';
import { openTestStore, type TestStore } from '../support/stores.js';
import { pickedEvent, testConfigYaml } from '../support/test-config.js';
import { until } from '../support/until.js';

interface MemorySection {
  inbox: string;
  /** Answer a retryable 500 to the first this-many attempts at each event. */
  failFirst: number;
}

/** What the memory connector received: per inbox, the events in the order they were delivered. */
const inboxes = new Map<string, CloudEvent[]>();
const attempts: { id: string; attempt: number; result: OutboundResult['outcome'] }[] = [];

const memoryConnector: ConnectorKind = {
  kind: 'memory',
  readSection(map) {
    const section = map.get('memory')?.map();
    if (section === undefined) return undefined;
    section.allowOnly(['inbox', 'failFirst']);
    const inbox = section.require('inbox')?.string() ?? '';
    const failFirst = section.get('failFirst')?.int(0) ?? 0;
    return {
      complete: () => ({
        kind: 'memory',
        section: { inbox, failFirst } satisfies MemorySection,
        batch: false,
        attemptTimeoutMs: 1000,
      }),
    };
  },
  openOutbound(context) {
    return (subscription, section) => {
      const { inbox, failFirst } = section as MemorySection;
      const state = context.state(`memory:${subscription.name}`);
      return {
        async send(events, { attempt }) {
          const [event] = events as [CloudEvent];
          if (attempt <= failFirst) {
            attempts.push({ id: event.id, attempt, result: 'retryable' });
            return { outcome: 'retryable', status: 500, latencyMs: 0 };
          }
          // Durable before it counts as delivered: what this instance has seen, per event.
          await state.put(`seen:${event.id}`, { attempt });
          const list = inboxes.get(inbox) ?? [];
          list.push(event);
          inboxes.set(inbox, list);
          attempts.push({ id: event.id, attempt, result: 'delivered' });
          return { outcome: 'delivered', status: 200, latencyMs: 0 };
        },
      };
    };
  },
};

const SUBSCRIPTIONS = `subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: http://127.0.0.1:9/erp }
  - name: mem-picks
    target: erp
    types: [com.manifold.order.picked.v1]
    memory: { inbox: picks, failFirst: 1 }
    retry: { maxAttempts: 5, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }
`;

let unregister: () => void;
beforeAll(() => {
  unregister = registerConnector(memoryConnector);
});
afterAll(() => unregister());

describe('a connector kind registered by a test', () => {
  let testStore: TestStore | undefined;
  let engine: DeliveryEngine | undefined;
  afterEach(async () => {
    await engine?.stop(1000);
    await testStore?.cleanup();
    engine = undefined;
    testStore = undefined;
  });

  it('compiles its own section of a subscription', () => {
    const config = compileConfig(testConfigYaml({ subscriptions: SUBSCRIPTIONS }), 'manifold.yaml', {});
    const subscription = config.subscriptions.find((s) => s.name === 'mem-picks');
    expect(subscription?.connector).toEqual({
      kind: 'memory',
      section: { inbox: 'picks', failFirst: 1 },
      batch: false,
      attemptTimeoutMs: 1000,
    });
    expect(subscription?.http).toBeUndefined();
    expect(config.subscriptions.find((s) => s.name === 'erp-orders')?.connector?.kind).toBe('http');
  });

  it('is delivered to by the real delivery engine, retried, and keeps durable state', {
    timeout: 30_000,
  }, async () => {
    inboxes.clear();
    attempts.length = 0;
    const config = compileConfig(testConfigYaml({ subscriptions: SUBSCRIPTIONS }), 'manifold.yaml', {});
    testStore = await openTestStore('sqlite');
    const { store } = testStore;
    const delivery = new DeliveryEngine(config, store, { pollMs: 10 });
    engine = delivery;
    const ingest = new IngestService(config, store, (subscriptions) => delivery.wake(subscriptions));
    delivery.start();
    const events = ['ORD-1', 'ORD-2', 'ORD-3'].map((orderId) => pickedEvent(orderId, { subject: orderId }));
    await ingest.ingest('wms-east', events, true);

    await until(() => (inboxes.get('picks')?.length ?? 0) === 3, 'the three events in the memory inbox');
    const ids = events.map((e) => e.id);
    expect(
      inboxes
        .get('picks')
        ?.map((e) => e.id)
        .sort(),
    ).toEqual([...ids].sort());
    // Each event failed once (attempt 1) and was delivered by the engine's retry (attempt 2).
    for (const id of ids) {
      expect(attempts.filter((a) => a.id === id)).toEqual([
        { id, attempt: 1, result: 'retryable' },
        { id, attempt: 2, result: 'delivered' },
      ]);
    }
    expect(await store.connectorState.list('memory:mem-picks')).toEqual(
      [...ids]
        .sort()
        .map((id) => ({ key: `seen:${id}`, value: { attempt: 2 }, updatedAt: expect.any(String) })),
    );
    expect(await store.connectorState.list('memory:erp-orders')).toEqual([]);
    const health = delivery.targets().find((t) => t.system === 'erp');
    expect(health?.circuit.state).toBe('closed');
  });

  it("owns its key in check-config messages, next to the other kinds'", () => {
    const text = testConfigYaml({
      subscriptions: `subscriptions:
  - name: both
    target: erp
    types: [com.manifold.order.*]
    memory: { inbox: a }
    http: { url: http://127.0.0.1:9/erp }
  - name: with-dir
    target: erp
    types: [com.manifold.order.*]
    memory: { inbox: b, color: red }
    dir: /tmp/out
  - name: typo
    target: erp
    types: [com.manifold.order.*]
    memroy: { inbox: c }
`,
    });
    const issues = configIssues(text);
    const at = (path: string) => issues.filter((i) => i.path === path).map((i) => i.message);
    expect(at('subscriptions[0]')).toEqual(['give one connector per subscription, not http: and memory:']);
    expect(at('subscriptions[1].dir')).toEqual(['dir: is only for edi: subscriptions (outbound X12 files)']);
    expect(at('subscriptions[1].memory.color')[0]).toMatch(
      /^unknown key 'color' in subscriptions\[1\]\.memory/,
    );
    // The registered kind's key is one of those a subscription may have.
    expect(subscriptionKeys().split(', ')).toContain('memory');
    expect(at('subscriptions[2].memroy')).toEqual([
      `unknown key 'memroy' in subscriptions[2]; expected one of: ${subscriptionKeys()} (did you mean 'memory'?)`,
    ]);
    expect(at('subscriptions[2]')).toEqual(["missing required key 'http'"]);
  });
});

describe('without the registration', () => {
  it('the key is unknown again', () => {
    const undo = registerConnector({ ...memoryConnector, kind: 'memory-2' });
    undo();
    const issues = configIssues(
      testConfigYaml({
        subscriptions: `subscriptions:
  - name: gone
    target: erp
    types: [com.manifold.order.*]
    memory-2: { inbox: a }
    http: { url: http://127.0.0.1:9/erp }
`,
      }),
    );
    expect(subscriptionKeys().split(', ')).not.toContain('memory-2');
    expect(issues.map((i) => i.message)).toEqual([
      `unknown key 'memory-2' in subscriptions[0]; expected one of: ${subscriptionKeys()}`,
    ]);
  });
});
