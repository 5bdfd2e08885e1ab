/**
 * `{{ }}` templates in the header values of a shaped call (docs/connectors.md#templates-in-headers): an
 * `If-Match` filled from a captured ETag. Compiled at load (errors at their line), filled per event as
 * text (not URL-encoded), refused for a value holding a line break; a plain webhook refuses them.
 */
import { describe, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import { buildShapedRequest } from '../../src/connectors/http/shaped-request.js';
import type { CloudEvent } from '../../src/domain/cloud-event.js';
import { configIssues, lineOf } from '../support/config-issues.js';
import { testConfigYaml } from '../support/test-config.js';

function yamlWith(http: string): string {
  return testConfigYaml({
    subscriptions: `subscriptions:
  - name: erp-patch
    target: erp
    types: [com.manifold.order.changed.v1]
    http:
${http
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
`,
  });
}

const event = (data: Record<string, unknown>): CloudEvent =>
  ({
    specversion: '1.0',
    id: 'e-1',
    source: '/shop',
    type: 'com.manifold.order.changed.v1',
    data,
  }) as CloudEvent;

describe('header templates', () => {
  it('fills If-Match per event, as text, beside the static headers', async () => {
    const config = compileConfig(
      yamlWith(`url: https://erp.example/salesOrders({{ data.id }})
method: PATCH
headers: { If-Match: '{{ data.etag }}', X-Static: plain, X-Mixed: 'v={{ data.n }};end' }
body: '{ "a": 1 }'`),
      'manifold.yaml',
      {},
    );
    const http = config.subscriptions[0]?.http;
    expect(http?.shaped?.headerTemplates?.['if-match']).toBeDefined();
    if (!http?.shaped) throw new Error('not shaped');
    const built = await buildShapedRequest(
      http,
      http.shaped,
      [event({ id: 'abc', etag: 'W/"JzQ0O2Zy/+="', n: 7 })],
      { idempotencyKey: 'e-1' },
      new Date(),
    );
    expect(built.headers['if-match']).toBe('W/"JzQ0O2Zy/+="');
    expect(built.headers['x-mixed']).toBe('v=7;end');
    expect(built.headers['x-static']).toBe('plain');
    await expect(
      buildShapedRequest(
        http,
        http.shaped,
        [event({ id: 'a', etag: 'x\r\nX-Evil: 1' })],
        { idempotencyKey: 'e' },
        new Date(),
      ),
    ).rejects.toThrow(/control character/);
    await expect(
      buildShapedRequest(http, http.shaped, [event({ id: 'a' })], { idempotencyKey: 'e' }, new Date()),
    ).rejects.toThrow(/headers.If-Match.*no value/);
  });

  it('makes a section shaped on its own, and reports bad JSONata at its line', () => {
    const config = compileConfig(
      yamlWith(`url: https://erp.example/x
headers: { If-Match: '{{ data.etag }}' }`),
      'manifold.yaml',
      {},
    );
    expect(config.subscriptions[0]?.http?.shaped).toBeDefined();
    const text = yamlWith(`url: https://erp.example/x
headers: { If-Match: '{{ data.etag ) }}' }`);
    const [issue] = configIssues(text);
    expect(issue?.line).toBe(lineOf(text, 'If-Match'));
    expect(issue?.message).toMatch(/invalid JSONata in 'headers.If-Match/);
  });

  it("is refused outside a subscription's http section (orders.validate)", () => {
    const text = testConfigYaml().replace(
      'statusMaps:',
      `orders:
  validate:
    system: erp
    http: { url: 'https://erp.example/validate', headers: { X-Key: '{{ data.k }}' } }
statusMaps:`,
    );
    const issues = configIssues(text);
    expect(issues.map((i) => i.message).join('\n')).toMatch(/templates in headers are allowed only/);
  });

  it('is refused in a poller, which has no event to fill it from', () => {
    const text = testConfigYaml().replace(
      / {2}erp: \{ kind: erp, key: ([^ ]+) \}/,
      `  erp:
    kind: erp
    key: $1
    poll:
      - name: p
        every: 1m
        request: { url: 'https://erp.example/x', headers: { If-Match: '{{ $cursor }}' } }
        items: value
        type: "'com.manifold.inventory.adjusted.v1'"
        id: id
        data: '{}'`,
    );
    const issues = configIssues(text);
    expect(issues.map((i) => i.message).join('\n')).toMatch(
      /templates in a poller's headers are not supported/,
    );
  });
});
