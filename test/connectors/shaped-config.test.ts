/**
 * check-config for shaped calls: every mistake is reported at its file, line and column — an invalid
 * JSONata expression also with its own position, a value YAML read as a mapping because it began with
 * `{{` or `{`, `{{ }}` outside the path and query, and combinations that cannot work.
 */
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/config/config-error.js';
import { compileConfig } from '../../src/config/load-config.js';
import { configIssues, lineOf } from '../support/config-issues.js';
import { testConfigYaml } from '../support/test-config.js';

/** A configuration whose one subscription has the `http:` section `http` (indented under it). */
function yamlWith(http: string): string {
  const section = http
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n');
  return testConfigYaml({
    subscriptions: `subscriptions:
  - name: erp-shaped
    target: erp
    types: [com.manifold.inventory.adjusted.v1]
    http:
${section}
`,
  });
}

/** The 1-based column of `needle` on its line. */
function columnOf(text: string, needle: string): number {
  const index = text.indexOf(needle);
  return index - text.lastIndexOf('\n', index - 1);
}

describe('check-config: shaped calls', () => {
  it('compiles a full shaped call, each expression once', () => {
    const config = compileConfig(
      yamlWith(`url: https://erp.example/api/salesOrders/{{ data.sku }}?at={{ data.location }}
method: PUT
headers: { X-Api-Version: '2' }
body: |
  { "externalId": data.sku, "key": $idempotencyKey }
auth: { oauth2: { tokenUrl: 'https://erp.example/oauth/token', clientId: hub, clientSecret: s3cret, scope: write } }
retryIf: $exists(body.errors[extensions.code = 'THROTTLED'])
retryAfter: '$number(headers."x-retry-ms")'
failIf: $count(body.data.*.userErrors) > 0
okIf: status = 409
lookup: { url: 'https://erp.example/api/items?sku={{ data.sku }}' }
capture: '{ "erpId": body.id }'`),
      'manifold.yaml',
      {},
    );
    const shaped = config.subscriptions[0]?.http?.shaped;
    expect(shaped?.method).toBe('PUT');
    expect(shaped?.url.origin).toBe('https://erp.example');
    expect(shaped?.url.parts.map((p) => (typeof p === 'string' ? p : `{${p.text}}`))).toEqual([
      '/api/salesOrders/',
      '{data.sku}',
      '?at=',
      '{data.location}',
    ]);
    expect(shaped?.auth).toMatchObject({ kind: 'oauth2', clientAuth: 'basic', scope: 'write' });
    expect(typeof shaped?.body?.expression.evaluate).toBe('function');
    expect(shaped?.lookup?.method).toBe('GET');
  });

  it('reports an invalid JSONata expression at its line and column, with its position in the expression', () => {
    const text = yamlWith(`url: https://erp.example/graphql
body: '{ "a": data.sku }'
retryIf: $exists(body.errors[extensions.code = 'THROTTLED')`);
    const issues = configIssues(text);
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(issue?.path).toBe('subscriptions[0].http.retryIf');
    expect(issue?.line).toBe(lineOf(text, 'retryIf:'));
    expect(issue?.column).toBe(columnOf(text, '$exists('));
    expect(issue?.message).toMatch(/^invalid JSONata in 'retryIf': S\d{4} at position \d+ of the expression/);
    expect(formatIssue(issue!)).toContain(`manifold.yaml:${issue?.line}:${issue?.column}`);
  });

  it('gives the line and column inside a multi-line body expression', () => {
    const text = yamlWith(`url: https://erp.example/api
body: |
  {
    "a": data.sku,
    "b": (data.delta +
  }`);
    const [issue] = configIssues(text);
    expect(issue?.path).toBe('subscriptions[0].http.body');
    expect(issue?.line).toBe(lineOf(text, 'body: |'));
    expect(issue?.message).toMatch(/at position \d+ of the expression, line 4 column \d+/);
  });

  it("flags a value YAML read as a mapping because it began with '{{', and says to quote it", () => {
    const text = yamlWith(`url: https://erp.example/api/items
method: PUT
body: {{ data }}`);
    const [issue] = configIssues(text);
    expect(issue?.path).toBe('subscriptions[0].http.body');
    expect(issue?.line).toBe(lineOf(text, 'body: {{'));
    expect(issue?.message).toContain("because it begins with '{{'; quote the whole value");
  });

  it("flags an unquoted object expression that YAML read as a mapping (it began with '{')", () => {
    const text = yamlWith(`url: https://erp.example/api/items
body: { "externalId": data.sku }`);
    const [issue] = configIssues(text);
    expect(issue?.path).toBe('subscriptions[0].http.body');
    expect(issue?.message).toContain("because it begins with '{'; quote it or write it as a block scalar");
  });

  it('refuses {{ }} in the scheme, host or port, so data never chooses where a request goes', () => {
    for (const url of [
      'https://{{ data.host }}/api',
      'https://erp.example{{ data.suffix }}/api',
      'https://erp.example:{{ data.port }}/api',
      '{{ data.url }}',
    ]) {
      const text = yamlWith(`url: '${url}'
body: '{ "a": 1 }'`);
      const issues = configIssues(text);
      expect(issues, url).toHaveLength(1);
      expect(issues[0]?.path).toBe('subscriptions[0].http.url');
      expect(issues[0]?.line).toBe(lineOf(text, 'url: '));
      expect(issues[0]?.message, url).toMatch(/never in its scheme, host or port|invalid URL/);
    }
    const lookup = yamlWith(`url: https://erp.example/api
lookup: { url: 'https://{{ data.host }}/items' }`);
    expect(configIssues(lookup)[0]?.message).toContain(
      "'{{ }}' is allowed only in the path and query of 'lookup.url'",
    );
  });

  it('reports an invalid expression inside a URL template', () => {
    const text = yamlWith(`url: https://erp.example/api/{{ data.( }}
body: '{}'`);
    const [issue] = configIssues(text);
    expect(issue?.path).toBe('subscriptions[0].http.url');
    expect(issue?.message).toMatch(/^invalid JSONata in 'url \{\{ data\.\( \}\}': S\d{4} at position/);
  });

  it('refuses batch: true with body (one event per request), and a GET with a body', () => {
    const batch = yamlWith(`url: https://erp.example/api
batch: true
body: '$'`);
    expect(configIssues(batch).map((i) => i.message)).toEqual([
      "'batch: true' cannot be combined with body: it reads one event, and a batch carries several; remove 'batch' or it",
    ]);
    const get = yamlWith(`url: https://erp.example/api
method: GET
body: '$'`);
    expect(configIssues(get)[0]?.message).toContain('a GET request has no body');
  });

  it('refuses batch: true with every key that reads the event, at the line of batch', () => {
    const text = yamlWith(`url: https://erp.example/api/{{ data.sku }}
batch: true
headers: { X-Sku: '{{ data.sku }}' }
body: '$'
lookup: { url: 'https://erp.example/items' }
capture: '{ "id": $answer.body.id }'
skipIf: 'data.available = 0'
repeatIf: 'status = 412'`);
    const issues = configIssues(text);
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['subscriptions[0].http.batch', lineOf(text, 'batch: true')],
    ]);
    expect(issues[0]?.message).toBe(
      "'batch: true' cannot be combined with body, lookup, capture, skipIf, repeatIf, {{ }} in url, {{ }} in headers: they read one event, and a batch carries several; remove 'batch' or them",
    );
    const header = yamlWith(`url: https://erp.example/api
batch: true
headers: { X-Sku: '{{ data.sku }}', X-Api-Version: '2' }`);
    expect(configIssues(header).map((i) => i.message)).toEqual([
      "'batch: true' cannot be combined with {{ }} in headers: it reads one event, and a batch carries several; remove 'batch' or it",
    ]);
    // Keys that read only the answer, or nothing of the event, may batch: the body is then the batch.
    const answers = yamlWith(`url: https://erp.example/api
batch: true
method: PUT
headers: { X-Api-Version: '2' }
auth: { bearer: abc }
okIf: 'status = 409'
failIf: 'status = 422'
retryIf: 'status = 423'`);
    expect(compileConfig(answers, 'manifold.yaml', {}).subscriptions[0]?.http?.batch).toBe(true);
  });

  it('takes exactly one auth scheme and checks its keys', () => {
    const two = yamlWith(`url: https://erp.example/api
auth: { bearer: abc, basic: { username: a, password: b } }`);
    expect(configIssues(two)[0]?.message).toContain(
      "'auth' takes exactly one of: bearer, basic, hmac, oauth2",
    );
    const oauth = yamlWith(`url: https://erp.example/api
auth: { oauth2: { tokenUrl: 'not a url', clientId: hub } }`);
    expect(configIssues(oauth).map((i) => i.message)).toEqual([
      "missing required key 'clientSecret'",
      "invalid URL 'not a url'; expected an http:// or https:// URL",
    ]);
  });

  it('keeps the shaped keys out of the other http sections (orders.validate, tracing.otlp)', () => {
    const text = testConfigYaml({}).replace(
      'statusMaps:',
      () => `orders:
  validate:
    http: { url: 'http://127.0.0.1:9/validate', body: '$' }
statusMaps:`,
    );
    const messages = configIssues(text).map((i) => i.message);
    expect(messages.some((m) => m.startsWith("unknown key 'body' in orders.validate.http"))).toBe(true);
  });
});
