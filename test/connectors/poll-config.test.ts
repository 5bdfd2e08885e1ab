/**
 * check-config for pollers (`systems.<n>.poll`): a full poller compiles, each expression once; every
 * mistake is reported at its file, line and column — invalid JSONata also with its own position, unknown
 * keys, `every` not a duration (or under 1 s), `{{ }}` outside the path and query, an HMAC `auth`, a bare
 * type name, a duplicate poller name, and `poll:` on a subscription.
 */
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/config/config-error.js';
import { compileConfig } from '../../src/config/load-config.js';
import type { CompiledPoll } from '../../src/connectors/poll/config-section.js';
import { configIssues, lineOf } from '../support/config-issues.js';
import { pollerConfigYaml } from '../support/paged-api.js';

/** A configuration whose `wms-east` has the pollers `entries` (YAML list items, indented under `poll:`). */
function yamlWith(entries: string): string {
  const base = pollerConfigYaml('https://wms.example');
  const start = base.indexOf('    poll:\n');
  const end = base.indexOf('locations:\n  DC-EAST');
  const indented = entries
    .trim()
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n');
  return `${base.slice(0, start)}    poll:\n${indented}\n${base.slice(end)}`;
}

const GOOD = `- name: customers
  every: 5m
  request:
    url: "https://erp.example/api/customers?updatedSince={{ $cursor }}&limit=100"
    method: GET
    headers: { X-Api-Version: '2' }
    auth: { oauth2: { tokenUrl: https://login.example/token, clientId: hub, clientSecret: s3cr3t-s3cr3t } }
  items: value
  type: "'com.manifold.inventory.adjusted.v1'"
  id: "'cust-' & id & '-' & updated_at"
  data: |
    { 'sku': sku, 'location': 'DC-EAST', 'delta': qty, 'reason': 'correction' }
  cursor: { value: "$max(value.updated_at)", initial: '2026-01-01T00:00:00Z' }
  next: "'@odata.nextLink'"
`;

describe('check-config: pollers', () => {
  it('compiles a full poller, each expression once', () => {
    const config = compileConfig(yamlWith(GOOD), 'manifold.yaml', {});
    const [poll] = (config.systems.get('wms-east')?.sections?.poll ?? []) as CompiledPoll[];
    expect(poll).toMatchObject({
      name: 'customers',
      system: 'wms-east',
      everyMs: 300_000,
      initialCursor: '2026-01-01T00:00:00Z',
      maxPages: 100,
      request: {
        method: 'GET',
        headers: { 'X-Api-Version': '2' },
        auth: { kind: 'oauth2', tokenUrl: 'https://login.example/token', clientId: 'hub' },
      },
    });
    expect(poll?.request.url.origin).toBe('https://erp.example');
    expect(poll?.id.text).toBe("'cust-' & id & '-' & updated_at");
    expect(poll?.cursor?.text).toBe('$max(value.updated_at)');
    expect(poll?.next?.text).toBe("'@odata.nextLink'");
  });

  it('reports each mistake at its line and column, JSONata errors with their own position', () => {
    const text = yamlWith(`- name: customers
  every: soon
  retries: 3
  request:
    url: "https://{{ $cursor }}.example/api"
    auth: { hmac: { secret: abcdefgh } }
    verb: GET
  items: "value[("
  type: com.manifold.inventory.adjusted.v1
  id: |
    'cust-' &
      (id
  data: "{ 'sku': sku }"
  cursor: { value: updated_at, start: x }
- name: customers
  every: 500ms
  request: { url: "https://erp.example/x" }
  items: value
  type: "'com.manifold.inventory.adjusted.v1'"
  id: id
  data: $`);
    const issues = configIssues(text);
    const messages = issues.map((i) => `${i.line}:${i.column} ${i.message}`);
    const at = (needle: string) => lineOf(text, needle);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${at('every: soon')}:\\d+ invalid duration 'soon'`)),
        expect.stringMatching(new RegExp(`^${at('retries: 3')}:\\d+ unknown key 'retries'`)),
        expect.stringMatching(
          new RegExp(`^${at('url: "https://{{')}:\\d+ '\\{\\{ \\}\\}' is allowed only in the path and query`),
        ),
        expect.stringMatching(new RegExp(`^${at('auth: { hmac')}:\\d+ a poll request has no body to sign`)),
        expect.stringMatching(new RegExp(`^${at('verb: GET')}:\\d+ unknown key 'verb'`)),
        expect.stringMatching(
          new RegExp(
            `^${at('items: "value[("')}:\\d+ invalid JSONata in 'items': S0203 at position 7 of the expression`,
          ),
        ),
        expect.stringMatching(new RegExp(`^${at('type: com.manifold')}:\\d+ 'type' is a JSONata expression`)),
        expect.stringMatching(
          new RegExp(
            `^${at('id: |')}:\\d+ invalid JSONata in 'id': S0203 at position \\d+ of the expression, line 3 column \\d+`,
          ),
        ),
        expect.stringMatching(new RegExp(`^${at('start: x')}:\\d+ unknown key 'start'`)),
        expect.stringMatching(new RegExp(`^${at('every: 500ms')}:\\d+ 'every' must be at least 1s`)),
      ]),
    );
    const items = issues.find((i) => i.message.includes("invalid JSONata in 'items'"));
    expect(formatIssue(items!)).toContain(`manifold.yaml:${items?.line}:${items?.column}`);
  });

  it('refuses two pollers of one system with the same name', () => {
    const one = GOOD.replace('every: 5m', 'every: 1m');
    const messages = configIssues(yamlWith(`${GOOD}${one}`)).map((i) => i.message);
    expect(messages).toContain("another poller of system 'wms-east' is named 'customers'");
  });

  it("refuses 'poll:' on a subscription", () => {
    const text = `${pollerConfigYaml('https://wms.example')}subscriptions:
  - name: odd
    target: wms-east
    types: [com.manifold.order.*]
    poll: { every: 1m }
`;
    const messages = configIssues(text).map((i) => i.message);
    expect(messages.filter((m) => m.includes('poll'))).toHaveLength(1);
    expect(messages).toContainEqual(
      expect.stringMatching(/^unknown key 'poll' in subscriptions\[0\]; expected one of: .*\bhttp\b/),
    );
  });
});
