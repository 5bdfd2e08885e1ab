/**
 * `POST /v1/inbound-requests/preview` on a real hub (local port, SQLite): three webhooks kept (two applied,
 * one parked), then previews of configurations that keep, change and break the mappings, a YAML with
 * errors (400 with line and column), the admin-only rule and the cap on the number of requests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MappingPreview } from '../../src/contracts/views/index.js';
import { KEYS } from '../support/test-config.js';
import { hubWithKeptRequests, PAYLOAD, type Variant, yaml } from '../support/webhook-routes-config.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-map-preview-'));
let base = '';
let close: () => Promise<void> = async () => {};

async function preview(
  body: Record<string, unknown>,
  key: string = KEYS.admin,
): Promise<{ status: number; type: string; json: Record<string, unknown> }> {
  const response = await fetch(`${base}/v1/inbound-requests/preview`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    json: (await response.json()) as Record<string, unknown>,
  };
}

async function previewOf(variant: Variant, extra: Record<string, unknown> = {}): Promise<MappingPreview> {
  const answer = await preview({ config: yaml(variant), ...extra });
  expect(answer.status).toBe(200);
  return answer.json as unknown as MappingPreview;
}

const verdicts = (report: MappingPreview) =>
  Object.fromEntries(report.results.map((r) => [r.route, r.verdict]));

beforeAll(async () => {
  ({ base, close } = await hubWithKeptRequests(dir));
});

afterAll(async () => {
  await close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /v1/inbound-requests/preview', { timeout: 60_000 }, () => {
  it('since: re-maps only the requests received at or after that time', async () => {
    const list = await fetch(`${base}/v1/inbound-requests?system=shop`, {
      headers: { authorization: `Bearer ${KEYS.admin}` },
    });
    const requests = ((await list.json()) as { items: { route: string; receivedAt: string }[] }).items;
    expect(requests.map((r) => r.route)).toEqual(['orders-create', 'cancel', 'later']);
    const since = requests[1]?.receivedAt as string;
    const expected = requests.filter((r) => r.receivedAt >= since).map((r) => r.route);
    expect(expected).not.toContain('orders-create');
    const report = await previewOf({}, { since });
    expect(report.results.map((r) => r.route)).toEqual(expected);
    expect(report.totals.requests).toBe(expected.length);
    const none = await previewOf({}, { since: '2999-01-01T00:00:00Z' });
    expect(none.results).toEqual([]);
    expect(none.totals.requests).toBe(0);
  });

  it('the same configuration: same for the applied requests, still fails for the parked one', async () => {
    const report = await previewOf({});
    expect(verdicts(report)).toEqual({ 'orders-create': 'same', cancel: 'same', later: 'still fails' });
    expect(report.totals).toEqual({
      requests: 3,
      same: 2,
      differs: 0,
      'now fails': 0,
      'now accepted': 0,
      'still fails': 1,
    });
    expect(report.truncated).toBeUndefined();
    const later = report.results.find((r) => r.route === 'later');
    expect(later).toMatchObject({ system: 'shop', outcome: 'parked', exceptionId: expect.any(Number) });
    expect(later?.error?.message).toContain('not mapped yet');
  });

  it('a changed mapping: differs, with the JSON pointer and both values', async () => {
    const report = await previewOf({ quantity: 'quantity + 1' });
    expect(verdicts(report)['orders-create']).toBe('differs');
    const first = JSON.parse(PAYLOAD).line_items[0].quantity;
    expect(report.results.find((r) => r.route === 'orders-create')?.changes).toContainEqual({
      op: 'changed',
      path: '/0/data/lines/0/quantity',
      before: first,
      after: first + 1,
    });
  });

  it('a broken and a fixed mapping, narrowed by route; now fails and now accepted', async () => {
    const broken = await previewOf({ cancelData: '$error("boom")' }, { system: 'shop', route: 'cancel' });
    expect(broken.results).toHaveLength(1);
    expect(broken.results[0]).toMatchObject({ route: 'cancel', verdict: 'now fails' });
    expect(broken.results[0]?.error?.message).toContain('boom');
    const fixed = await previewOf({ laterData: '{ "orderId": orderId, "reason": "later" }' });
    expect(verdicts(fixed).later).toBe('now accepted');
  });

  it('caps the number of requests: limit, and truncated when more matched', async () => {
    const report = await previewOf({}, { limit: 2 });
    expect(report.results.map((r) => r.route)).toEqual(['orders-create', 'cancel']);
    expect(report.truncated).toBe(true);
    expect((await preview({ config: yaml(), limit: 1001 })).status).toBe(400);
  });

  it('a configuration with errors: 400 problem+json listing each issue with line and column', async () => {
    const text = yaml().replace(
      '    channel: web\n    inbound:',
      '    channel: web\n    colour: blue\n    inbound:',
    );
    const line = text.split('\n').findIndex((l) => l.includes('colour: blue')) + 1;
    const answer = await preview({ config: text });
    expect(answer.status).toBe(400);
    expect(answer.type).toContain('application/problem+json');
    expect(answer.json.type).toBe('https://manifold.dev/problems/config-invalid');
    expect(answer.json.issues).toContainEqual(expect.objectContaining({ line, column: 5 }));
    expect(String(answer.json.detail)).toContain(`posted configuration:${line}:5`);
    const syntax = await preview({ config: 'systems: [\n' });
    expect(syntax.status).toBe(400);
    expect((syntax.json.issues as { line: number }[])[0]?.line).toBeGreaterThanOrEqual(1);
  });

  it('an unknown system is a 400; a system key is refused (admin only)', async () => {
    const unknown = await preview({ config: yaml(), system: 'erp' });
    expect(unknown.status).toBe(400);
    expect(String(unknown.json.detail)).toContain("system 'erp' has no inbound");
    expect((await preview({ config: yaml() }, KEYS.shop)).status).toBe(403);
  });
});
