/**
 * `systems.<name>.inbound` as check-config reads it: invalid JSONata reported at its file, line and column
 * with the expression's own position, unknown keys refused, auth settings checked.
 */
import { describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import { inboundOf } from '../../src/connectors/webhook/connector.js';
import { configIssues, lineOf } from '../support/config-issues.js';
import { KEYS, testConfigYaml } from '../support/test-config.js';

function withShopInbound(inbound: string): string {
  return testConfigYaml().replace(
    `  shop: { kind: commerce, key: ${KEYS.shop}, channel: web }`,
    () => `  shop:\n    kind: commerce\n    key: ${KEYS.shop}\n    channel: web\n    inbound:\n${inbound}`,
  );
}

describe('systems.<name>.inbound', () => {
  it('compiles routes, auth and handshake', () => {
    const config = compileConfig(
      withShopInbound(`      auth: { hmac: { header: X-Sig, secrets: [a, b], prefix: 'sha256=', timestampHeader: X-Ts, tolerance: 2m } }
      handshake: { query: validationToken }
      routes:
        orders:
          emit:
            - type: com.manifold.order.accepted.v1
              data: '{ "orderId": id }'
            - type: com.manifold.order.cancelled.v1
              when: cancelled
              each: items
              id: "'c-' & id"
              data: '{ "orderId": id, "reason": "x" }'
`),
      'manifold.yaml',
      {},
    );
    const inbound = inboundOf(config, 'shop');
    expect(inbound?.auth).toEqual({
      kind: 'hmac',
      header: 'x-sig',
      secrets: ['a', 'b'],
      algorithm: 'sha256',
      encoding: 'hex',
      prefix: 'sha256=',
      timestampHeader: 'x-ts',
      toleranceMs: 120_000,
    });
    expect(inbound?.handshake).toEqual({ query: 'validationToken' });
    expect(inbound?.routes.get('orders')?.emit.map((r) => [r.key, r.type, r.each?.text])).toEqual([
      ['routes.orders.emit[0]', 'com.manifold.order.accepted.v1', undefined],
      ['routes.orders.emit[1]', 'com.manifold.order.cancelled.v1', 'items'],
    ]);
    // No auth given: the system's own key.
    const plain = compileConfig(
      withShopInbound(`      routes:\n        x: { type: com.manifold.order.cancelled.v1, data: '$' }\n`),
      'manifold.yaml',
      {},
    );
    expect(inboundOf(plain, 'shop')?.auth).toEqual({ kind: 'bearer' });
  });

  it('reports invalid JSONata at its line and column, with the position inside the expression', () => {
    const text = withShopInbound(`      routes:
        orders-create:
          type: com.manifold.order.accepted.v1
          id: $headers.'x-id'
          data: |
            {
              "orderId": id &,
              "channel": "web"
            }
`);
    const issues = configIssues(text);
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(issue?.path).toBe('systems.shop.inbound.routes.orders-create.data');
    expect(issue?.line).toBe(lineOf(text, 'data: |'));
    expect(issue?.column).toBeGreaterThan(1);
    expect(issue?.message).toMatch(
      /^invalid JSONata in 'routes\.orders-create\.data': S0\d{3} at position \d+ of the expression, line 2 column \d+/,
    );
  });

  it('refuses unknown keys of a route, of inbound and of an auth, and unknown event types', () => {
    const text = withShopInbound(`      auth: { hmac: { header: X-Sig, secret: s, encodng: base64 } }
      retries: 3
      routes:
        orders-create:
          type: com.manifold.order.acepted.v1
          data: '$'
          mapping: '$'
        Bad_Name: { type: com.manifold.order.cancelled.v1, data: '$' }
`);
    const messages = configIssues(text).map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^systems\.shop\.inbound\.auth\.hmac\.encodng: unknown key 'encodng'.*encoding/),
      expect.stringMatching(
        /^systems\.shop\.inbound\.retries: unknown key 'retries' in systems\.shop\.inbound; expected one of: auth, handshake, routes/,
      ),
      expect.stringMatching(
        /^systems\.shop\.inbound\.routes\.orders-create\.type: unknown event type 'com\.manifold\.order\.acepted\.v1'/,
      ),
      expect.stringMatching(/^systems\.shop\.inbound\.routes\.orders-create\.mapping: unknown key 'mapping'/),
      expect.stringMatching(/^systems\.shop\.inbound\.routes\.Bad_Name: invalid route name 'Bad_Name'/),
    ]);
  });

  it('reads a mapping-looking value as a mistake and says how to quote it', () => {
    const messages = configIssues(
      withShopInbound(
        `      routes:\n        x: { type: com.manifold.order.cancelled.v1, data: { "orderId": id } }\n`,
      ),
    ).map((i) => i.message);
    expect(messages).toEqual([
      expect.stringContaining("YAML read this value as a mapping because it begins with '{'"),
    ]);
  });

  it('wants exactly one auth kind and one of secret or secrets', () => {
    const messages = configIssues(
      withShopInbound(`      auth: { hmac: { header: X-Sig, secret: a, secrets: [b] }, token: { header: x, value: y } }
      routes: { x: { type: com.manifold.order.cancelled.v1, data: '$' } }
`),
    ).map((i) => i.message);
    expect(messages).toEqual([
      expect.stringContaining("give exactly one of 'hmac', 'token', 'bearer', 'basic'"),
    ]);
  });

  it('compiles a fetch (base normalized to end with /), and refuses a bad base, an hmac auth and unknown keys', () => {
    const config = compileConfig(
      withShopInbound(`      routes:
        n:
          each: value
          fetch: { base: 'https://erp.example/api/v2.0', url: resource, auth: { bearer: t0ken }, timeout: 5s }
          when: $fetched.shipped
          type: com.manifold.order.cancelled.v1
          data: '{ "orderId": $fetched.id }'
`),
      'manifold.yaml',
      {},
    );
    const fetch = inboundOf(config, 'shop')?.routes.get('n')?.emit[0]?.fetch;
    expect(fetch).toMatchObject({
      key: 'routes.n.fetch',
      base: 'https://erp.example/api/v2.0/',
      auth: { kind: 'bearer', token: 't0ken' },
      timeoutMs: 5000,
    });
    expect(fetch?.url.text).toBe('resource');
    const messages = configIssues(
      withShopInbound(`      routes:
        a: { type: com.manifold.order.cancelled.v1, data: '$', fetch: { base: 'ftp://x/', url: r } }
        b: { type: com.manifold.order.cancelled.v1, data: '$', fetch: { base: 'https://x/?q=1', url: r } }
        c: { type: com.manifold.order.cancelled.v1, data: '$', fetch: { base: 'https://x/', url: r, auth: { hmac: { secret: s } } } }
        d: { type: com.manifold.order.cancelled.v1, data: '$', fetch: { base: 'https://x/', url: r, method: POST } }
`),
    ).map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^systems\.shop\.inbound\.routes\.a\.fetch\.base: invalid base 'ftp:\/\/x\/'/),
      expect.stringMatching(/^systems\.shop\.inbound\.routes\.b\.fetch\.base: invalid base/),
      expect.stringMatching(
        /^systems\.shop\.inbound\.routes\.c\.fetch\.auth: use 'bearer', 'basic' or 'oauth2'/,
      ),
      expect.stringMatching(/^systems\.shop\.inbound\.routes\.d\.fetch\.method: unknown key 'method'/),
    ]);
  });
});
