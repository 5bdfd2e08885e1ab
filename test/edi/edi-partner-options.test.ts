/**
 * A partner's `x12:` options (docs/edi.md): `delimiters:` used when writing its interchanges, and the
 * config errors of `delimiters`, `ackWithinMinutes` and `inbox` at their lines.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import { parseX12, validateX12, valueAt } from '../../src/connectors/edi/x12/index.js';
import { formatOptions } from '../../src/engine/edi/edi-outbound.js';
import { configIssues as issuesOf, lineOf } from '../support/config-issues.js';
import { buildTestApp, postAs, type TestApp } from '../support/test-app.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

const PO = readFileSync(new URL('../fixtures/edi/850-vics-nodex12.edi', import.meta.url), 'utf8');
const ORDER = 'acme-08292233294';

let hub: TestApp | undefined;
let dir: string | undefined;
afterEach(async () => {
  await hub?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  hub = undefined;
  dir = undefined;
});

function post(url: string, key: string, payload: unknown, contentType?: string) {
  return postAs(hub!.app, url, key, payload, contentType);
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('per-partner delimiters', () => {
  it('writes the 856 to a partner with | as element separator, and it parses back with |', async () => {
    dir = mkdtempSync(join(tmpdir(), 'manifold-edi-delims-'));
    const yaml = testConfigYaml({
      subscriptions: `subscriptions:
  - name: acme-edi
    target: acme
    edi: { sets: [856] }
    dir: ${dir}
    retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20, maxAgeMs: 60000 }
`,
    }).replace(
      `x12: { id: '4405197800', qualifier: '12' }`,
      `x12: { id: '4405197800', qualifier: '12', delimiters: { element: '|', component: ':', newline: false } }`,
    );
    expect(yaml).toContain(`element: '|'`);
    hub = await buildTestApp({ yaml, delivery: { pollMs: 10 } });
    for (const sku of ['AB3542', 'RD5322', 'XY5266', 'VX2332', 'RV0524', 'DX1875']) {
      const counted = await post('/v1/events', KEYS.wmsEast, {
        specversion: '1.0',
        id: randomUUID(),
        source: '/wms-east',
        type: 'com.manifold.inventory.counted.v1',
        data: { sku, location: 'DC-EAST', onHand: 1000 },
      });
      expect(counted.statusCode).toBe(202);
    }
    await hub.inventory.settle();
    expect((await post('/v1/edi/acme', KEYS.acme, PO, 'application/edi-x12')).statusCode).toBe(200);
    await hub.orders.settle();
    const order = await hub.store.orders.getOrder(ORDER);
    expect(order).toBeDefined();
    const shipped = await post('/v1/events', KEYS.wmsEast, {
      specversion: '1.0',
      id: `ship-${randomUUID()}`,
      source: '/wms-east',
      type: 'com.manifold.order.shipped.v1',
      correlationid: ORDER,
      data: {
        orderId: ORDER,
        location: 'DC-EAST',
        lines: (order?.document.lines ?? []).map((l) => ({ lineId: l.lineId, quantity: l.quantity })),
        carrier: 'UPSN',
        tracking: '1Z999AA10123456784',
      },
    });
    expect(shipped.statusCode).toBe(202);
    const name = await until(() => readdirSync(dir!).find((f) => f.endsWith('.x12')), 'the dropped 856');
    const body = readFileSync(join(dir, name), 'utf8');
    expect(body.slice(0, 4)).toBe('ISA|');
    expect(body).not.toContain('\n');
    const document = parseX12(body);
    expect(document.interchanges[0]!.delimiters).toMatchObject({
      element: '|',
      component: ':',
      segment: '~',
    });
    expect(validateX12(document)).toEqual([]);
    const st = document.interchanges[0]!.groups[0]!.sets[0]!.header;
    expect(valueAt(st, 1)).toBe('856');
    expect(existsSync(join(dir, name))).toBe(true);
  });

  it('keeps the default writer options when a partner sets none', () => {
    expect(formatOptions(undefined)).toEqual({ newline: true });
    expect(formatOptions({ segment: '\n' })).toEqual({ newline: true, delimiters: { segment: '\n' } });
  });
});

const BASE = `server: { adminKey: admin-key-0000000001 }
edi:
  x12: { id: MANIFOLD, qualifier: ZZ }
systems:
  erp: { kind: erp, key: erp-key-000000000001 }
`;

describe('x12 partner options in config', () => {
  it('compiles ackWithinMinutes, inbox and delimiters', () => {
    const config = compileConfig(
      `${BASE}  acme:
    kind: edi
    key: acme-key-00000000001
    x12:
      id: ACME
      qualifier: ZZ
      version: '00501'
      ackWithinMinutes: 90
      inbox: /var/spool/manifold/acme-in
      delimiters: { element: '|', repetition: '!', segment: "\\n", newline: false }
`,
      'manifold.yaml',
      {},
    );
    expect(config.systems.get('acme')?.x12).toEqual({
      id: 'ACME',
      qualifier: 'ZZ',
      version: '00501',
      ackWithinMinutes: 90,
      inbox: '/var/spool/manifold/acme-in',
      delimiters: { element: '|', repetition: '!', segment: '\n', newline: false },
    });
  });

  it('reports bad delimiters, ackWithinMinutes and inbox at their lines', () => {
    const text = `${BASE}  acme:
    kind: edi
    key: acme-key-00000000001
    x12:
      id: ACME
      qualifier: ZZ
      ackWithinMinutes: 0
      inbox: ''
      delimiters:
        element: 'X'
        component: '|'
        segment: '|'
        repetition: '**'
        newline: maybe
  beta:
    kind: edi
    key: beta-key-00000000001
    x12:
      id: BETA
      qualifier: ZZ
      delimiters: { component: '*' }
`;
    const issues = issuesOf(text);
    const at = (needle: string) => issues.find((issue) => issue.line === lineOf(text, needle));
    expect(at('ackWithinMinutes: 0')?.message).toContain('integer ≥ 1');
    expect(at("inbox: ''")?.message).toContain('non-empty');
    expect(at("element: 'X'")?.message).toContain('not a letter, digit or space');
    expect(at("segment: '|'")?.message).toContain('segment and component delimiters are both');
    expect(at("repetition: '**'")?.message).toContain('one character');
    expect(at('newline: maybe')?.message).toContain('true or false');
    expect(at("component: '*'")?.message).toContain('default element delimiter');
    expect(issues).toHaveLength(7);
  });
});
