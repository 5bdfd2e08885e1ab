/** Config of outbound X12 subscriptions (`edi: {sets}` with `http` or `dir`), and its errors with file:line. */
import { describe, expect, it } from 'vitest';
import { configIssues as issuesOf, lineOf } from '../../test/support/config-issues.js';
import { ConfigError, compileConfig } from './load-config.js';

const BASE = `server: { adminKey: admin-key-0000000001 }
systems:
  erp: { kind: erp, key: erp-key-000000000001 }
  acme: { kind: edi, key: acme-key-00000000001, x12: { id: ACME, qualifier: ZZ } }
edi:
  x12: { id: MANIFOLD, qualifier: ZZ }
`;

describe('edi: subscriptions', () => {
  it('compiles http and dir deliveries, with types from the sets', () => {
    const config = compileConfig(
      `${BASE}subscriptions:
  - name: acme-edi
    target: acme
    edi: { sets: [855, '856', 810] }
    http: { url: https://edi.acme.example/in, secret: hook-secret-000001 }
  - name: acme-drop
    target: acme
    edi: { sets: [846] }
    dir: /var/spool/manifold/acme
`,
      'manifold.yaml',
      {},
    );
    const [http, dir] = config.subscriptions;
    expect(http).toMatchObject({
      edi: { sets: ['855', '856', '810'] },
      http: { url: 'https://edi.acme.example/in' },
      types: [
        'com.manifold.order.milestone.v1',
        'com.manifold.order.shipped.v1',
        'com.manifold.order.invoiced.v1',
      ],
    });
    expect(dir).toMatchObject({
      edi: { sets: ['846'] },
      dir: { path: '/var/spool/manifold/acme' },
      types: ['com.manifold.inventory.availability.v1'],
    });
    expect(dir?.http).toBeUndefined();
  });

  it('reports a wrong set, a target without x12 and a missing connector at their lines', () => {
    const text = `${BASE}subscriptions:
  - name: bad-set
    target: acme
    edi: { sets: [856, 850] }
    http: { url: https://edi.acme.example/in }
  - name: not-x12
    target: erp
    edi: { sets: [810] }
    http: { url: https://erp.example/in }
  - name: no-connector
    target: acme
    edi: { sets: [940] }
  - name: plain-dir
    target: erp
    types: [com.manifold.order.*]
    dir: /tmp/out
`;
    const issues = issuesOf(text);
    const find = (path: string) => issues.find((issue) => issue.path.startsWith(path));
    const set = find('subscriptions[0].edi.sets[1]');
    expect(set?.message).toContain("X12 set '850' is not sent by Manifold");
    expect(set?.line).toBe(lineOf(text, '856, 850'));
    const target = find('subscriptions[1].edi');
    expect(target?.message).toContain("target 'erp' is not an EDI partner");
    expect(target?.line).toBe(lineOf(text, 'sets: [810]'));
    const connector = find('subscriptions[2].edi');
    expect(connector?.message).toContain('needs http: { url }');
    expect(connector?.line).toBe(lineOf(text, 'sets: [940]'));
    const dir = find('subscriptions[3].dir');
    expect(dir?.message).toContain('only for edi: subscriptions');
    expect(new ConfigError(issues).message).toContain(`manifold.yaml:${lineOf(text, '856, 850')}`);
  });

  it('reports types that leave out the event type a set is made from (that set would never be sent)', () => {
    const text = `${BASE}subscriptions:
  - name: acme-edi
    target: acme
    types: [com.manifold.order.shipped.v1, com.manifold.order.milestone.v1]
    edi: { sets: [855, 856, 810] }
    http: { url: https://edi.acme.example/in }
  - name: acme-all
    target: acme
    types: [com.manifold.order.*]
    edi: { sets: [855, 856, 810] }
    http: { url: https://edi.acme.example/in }
`;
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      file: 'manifold.yaml',
      line: lineOf(text, 'types: [com.manifold.order.shipped.v1'),
      path: 'subscriptions[0].types',
    });
    expect(issues[0]?.message).toContain('edi set 810');
    expect(issues[0]?.message).toContain("add 'com.manifold.order.invoiced.v1' to types");
  });
});
