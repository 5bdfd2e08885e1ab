import { describe, expect, it } from 'vitest';
import { configIssues, lineOf } from '../../test/support/config-issues.js';
import { compileConfig } from './load-config.js';

const BASE = `server: { adminKey: admin-key-0000000001 }
systems:
  erp: { kind: erp, key: erp-key-000000000001 }
  acme: { kind: edi, key: acme-key-00000000001, x12: { id: ACME, qualifier: ZZ } }
channels: { web: {} }
subscriptions:
  - { name: erp-orders, target: erp, types: [com.manifold.order.*], http: { url: 'http://127.0.0.1:9/x' } }
`;

const compile = (text: string) => compileConfig(text, 'manifold.yaml', {});

describe('alerts: service levels', () => {
  it('compiles each kind with durations in ms, scope, `above` and `for`', () => {
    const config = compile(`${BASE}alerts:
  - { name: late-855, ackLate: { within: 4h, partner: acme, for: 10m } }
  - { name: missing-856, asnLate: {} }
  - { name: missing-997, unacknowledged: { after: 2h } }
  - { name: stuck, notShipped: { after: 24h, location: DC-EAST, above: 3 }, severity: critical }
  - { name: backorders, backorderedPast: { after: 48h } }
`);
    expect(config.alerts.map((r) => [r.name, r.severity, r.condition])).toEqual([
      [
        'late-855',
        'warning',
        { kind: 'ackLate', withinMs: 14_400_000, above: 0, forMs: 600_000, partner: 'acme' },
      ],
      ['missing-856', 'warning', { kind: 'asnLate', withinMs: 0, above: 0, forMs: 0 }],
      ['missing-997', 'warning', { kind: 'unacknowledged', afterMs: 7_200_000, above: 0, forMs: 0 }],
      [
        'stuck',
        'critical',
        { kind: 'notShipped', afterMs: 86_400_000, above: 3, forMs: 0, location: 'DC-EAST' },
      ],
      ['backorders', 'warning', { kind: 'backorderedPast', afterMs: 172_800_000, above: 0, forMs: 0 }],
    ]);
  });

  it('names the line of a missing duration, an unknown partner or key', () => {
    const text = `${BASE}alerts:
  - { name: a, ackLate: { partner: acme } }
  - { name: b, unacknowledged: { after: 1h, partner: acne } }
  - { name: c, notShipped: { after: 1h, warehouse: DC-EAST } }
`;
    expect(configIssues(text).map((i) => [i.line, i.message])).toEqual([
      [lineOf(text, 'name: a'), "missing required key 'within'"],
      [lineOf(text, 'acne'), expect.stringContaining("no system named 'acne'")],
      [lineOf(text, 'warehouse'), expect.stringContaining("unknown key 'warehouse'")],
    ]);
  });
});
