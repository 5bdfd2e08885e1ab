/**
 * Property: whatever a system sends to `POST /v1/events` (structured, batched or binary; valid events
 * with fields replaced, removed or added, and raw text with characters mutated), the hub answers 2xx or
 * 4xx, never 5xx, and every event it kept still matches its contract.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';
import { expectLogValid, expectNoServerError, hostileValue } from './fuzz-support.js';

let hub: TestApp;
beforeAll(async () => {
  hub = await buildTestApp();
});
afterAll(async () => {
  await hub.close();
});

/** Runs per property; `FUZZ_RUNS=5000` for a longer hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
const TIMEOUT_MS = 30_000 + RUNS * 20;

/** Valid events of a few types, as wms-east (inventory) and shop (orders) send them. */
const seeds = fc.constantFrom(
  {
    key: KEYS.wmsEast,
    event: {
      specversion: '1.0',
      id: 'seed',
      source: '/wms-east',
      type: 'com.manifold.inventory.adjusted.v1',
      time: '2026-01-05T10:00:00Z',
      data: { sku: 'SKU-1', location: 'DC-EAST', delta: 3, reason: 'correction' },
    },
  },
  {
    key: KEYS.wmsEast,
    event: {
      specversion: '1.0',
      id: 'seed',
      source: '/wms-east',
      type: 'com.manifold.inventory.counted.v1',
      data: { sku: 'SKU-2', location: 'DC-EAST', onHand: 7 },
    },
  },
  {
    key: KEYS.shop,
    event: {
      specversion: '1.0',
      id: 'seed',
      source: '/shop',
      type: 'com.manifold.order.accepted.v1',
      correlationid: 'c-1',
      data: {
        orderId: 'SO-FUZZ',
        channel: 'web',
        customer: { id: 'C-1', name: 'Ada' },
        lines: [{ lineId: '1', sku: 'SKU-1', quantity: 1, unitPrice: 9.5 }],
        shipTo: { name: 'Ada', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
      },
    },
  },
);

type Json = Record<string, unknown>;

/** One change to an event: a field (top level or in data) set to a hostile value, or removed. */
const mutation = fc.record({
  inData: fc.boolean(),
  field: fc.constantFrom(
    'specversion',
    'id',
    'source',
    'type',
    'time',
    'subject',
    'partitionkey',
    'correlationid',
    'traceparent',
    'datacontenttype',
    'dataschema',
    'extra1',
    'data',
    'sku',
    'location',
    'delta',
    'onHand',
    'reason',
    'orderId',
    'lines',
    'customer',
    'shipTo',
    'channel',
  ),
  value: fc.option(hostileValue, { nil: undefined }),
});

/** A seed with its id made unique and 0–4 mutations applied. */
const mutatedEvent = fc
  .tuple(seeds, fc.array(mutation, { maxLength: 4 }), fc.uuid())
  .map(([seed, mutations, id]) => {
    const event = structuredClone(seed.event) as Json;
    event.id = id;
    for (const { inData, field, value } of mutations) {
      const target =
        inData && typeof event.data === 'object' && event.data !== null && !Array.isArray(event.data)
          ? (event.data as Json)
          : event;
      if (value === undefined) delete target[field];
      else target[field] = value;
    }
    return { key: seed.key, event };
  });

/** Raw text edits: a character deleted, doubled or replaced. */
const textEdits = fc.array(
  fc.record({
    at: fc.nat(),
    kind: fc.constantFrom('delete', 'double', 'replace'),
    char: fc.string({ minLength: 1, maxLength: 2 }),
  }),
  { maxLength: 3 },
);

function editText(text: string, edits: { at: number; kind: string; char: string }[]): string {
  let out = text;
  for (const { at, kind, char } of edits) {
    const i = at % Math.max(out.length, 1);
    if (kind === 'delete') out = out.slice(0, i) + out.slice(i + 1);
    else if (kind === 'double') out = out.slice(0, i) + out.charAt(i) + out.slice(i);
    else out = out.slice(0, i) + char + out.slice(i + 1);
  }
  return out;
}

/** Percent-encodes the UTF-8 bytes of any text (lone surrogates included) for a header value. */
function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte > 0x20 && byte < 0x7f && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

describe('POST /v1/events under fuzzing', () => {
  it(
    'structured mode: mutated events and mutated JSON text',
    async () => {
      await fc.assert(
        fc.asyncProperty(mutatedEvent, textEdits, async ({ key, event }, edits) => {
          const payload = editText(JSON.stringify(event), edits);
          const response = await hub.app.inject({
            method: 'POST',
            url: '/v1/events',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/cloudevents+json' },
            payload,
          });
          expectNoServerError(response, payload);
        }),
        { numRuns: RUNS },
      );
      expect(await expectLogValid(hub.store)).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    'batched mode: arrays of mutated events, and things that are not arrays of events',
    async () => {
      const batch = fc.oneof(
        fc.array(mutatedEvent, { minLength: 1, maxLength: 5 }).map((items) => ({
          key: KEYS.wmsEast,
          body: items.map((item) => item.event) as unknown,
        })),
        hostileValue.map((body) => ({ key: KEYS.wmsEast, body })),
      );
      await fc.assert(
        fc.asyncProperty(batch, async ({ key, body }) => {
          const response = await hub.app.inject({
            method: 'POST',
            url: '/v1/events',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/cloudevents-batch+json' },
            payload: JSON.stringify(body) ?? 'null',
          });
          expectNoServerError(response, body);
        }),
        { numRuns: RUNS },
      );
      expect(await expectLogValid(hub.store)).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    'binary mode: attributes in ce-* headers (percent-encoded), data in the body',
    async () => {
      const contentType = fc.constantFrom('application/json', 'text/plain', 'application/xml', '');
      await fc.assert(
        fc.asyncProperty(mutatedEvent, contentType, textEdits, async ({ key, event }, type, edits) => {
          const { data, ...attributes } = event;
          const headers: Record<string, string> = { authorization: `Bearer ${key}` };
          if (type !== '') headers['content-type'] = type;
          for (const [name, value] of Object.entries(attributes)) {
            if (/^[a-z0-9]+$/.test(name)) {
              headers[`ce-${name}`] = percentEncode(
                typeof value === 'string' ? value : (JSON.stringify(value) ?? ''),
              );
            }
          }
          headers['ce-specversion'] ??= '1.0';
          const payload = editText(JSON.stringify(data) ?? '', edits);
          const response = await hub.app.inject({ method: 'POST', url: '/v1/events', headers, payload });
          expectNoServerError(response, { headers, payload });
        }),
        { numRuns: RUNS },
      );
      expect(await expectLogValid(hub.store)).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );
});
