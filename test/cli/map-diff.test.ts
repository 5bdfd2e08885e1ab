/**
 * `bin/manifold map diff` as users run it (the built CLI) against a real hub on a local port: three
 * webhooks kept (two applied, one parked), then previews of configurations that keep, change, break and fix
 * the mappings.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffJson } from '../../src/cli/map-diff.js';
import { KEYS } from '../support/test-config.js';
import { hubWithKeptRequests, PAYLOAD, type Variant, yaml } from '../support/webhook-routes-config.js';

const BIN = fileURLToPath(new URL('../../bin/manifold', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'manifold-map-diff-'));
let base = '';
let close: () => Promise<void> = async () => {};

function configFile(variant: Variant): string {
  const file = join(dir, `new-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, yaml(variant));
  return file;
}

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      BIN,
      args,
      { env: { ...process.env, MANIFOLD_ADMIN_KEY: KEYS.admin } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

interface Report {
  results: {
    route: string;
    outcome: string;
    exceptionId?: number;
    verdict: string;
    changes?: unknown[];
    error?: { key: string; pointer?: string; message: string };
  }[];
  totals: Record<string, number>;
}

async function diff(
  variant: Variant,
  ...flags: string[]
): Promise<{ code: number; report: Report; stderr: string }> {
  const result = await run('map', 'diff', '--config', configFile(variant), '--hub', base, '--json', ...flags);
  return {
    code: result.code,
    report: result.stdout ? JSON.parse(result.stdout) : undefined,
    stderr: result.stderr,
  };
}

const verdicts = (report: Report) => Object.fromEntries(report.results.map((r) => [r.route, r.verdict]));

beforeAll(async () => {
  ({ base, close } = await hubWithKeptRequests(dir));
});

afterAll(async () => {
  await close();
  rmSync(dir, { recursive: true, force: true });
});

/** The kept requests, oldest first: route and when received. */
async function kept(): Promise<{ route: string; receivedAt: string }[]> {
  const response = await fetch(`${base}/v1/inbound-requests?system=shop`, {
    headers: { authorization: `Bearer ${KEYS.admin}` },
  });
  return ((await response.json()) as { items: { route: string; receivedAt: string }[] }).items;
}

describe('bin/manifold map diff', { timeout: 60_000 }, () => {
  it('--since re-maps only the requests received at or after that time', async () => {
    const requests = await kept();
    expect(requests.map((r) => r.route)).toEqual(['orders-create', 'cancel', 'later']);
    const since = requests[2]?.receivedAt as string;
    const expected = requests.filter((r) => r.receivedAt >= since).map((r) => r.route);
    expect(expected).not.toContain('orders-create');
    const { code, report, stderr } = await diff({}, '--since', since);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(report.results.map((r) => r.route)).toEqual(expected);
    expect(report.totals.requests).toBe(expected.length);
    // A time after every request: nothing to re-map, nothing fails.
    const none = await diff({ laterData: '$error("still broken")' }, '--since', '2999-01-01T00:00:00Z');
    expect(none.code).toBe(0);
    expect(none.report.results).toEqual([]);
    expect(none.report.totals.requests).toBe(0);
  });

  it('the same configuration: the applied requests are the same, the parked one still fails (exit 0)', async () => {
    const { code, report, stderr } = await diff({});
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(verdicts(report)).toEqual({ 'orders-create': 'same', cancel: 'same', later: 'still fails' });
    expect(report.totals).toMatchObject({ requests: 3, same: 2, 'still fails': 1, 'now fails': 0 });
    const later = report.results.find((r) => r.route === 'later');
    expect(later).toMatchObject({ outcome: 'parked', exceptionId: expect.any(Number) });
  });

  it('a mapping that changes a field: differs, with the path and both values', async () => {
    const { code, report } = await diff({ quantity: 'quantity + 1' });
    expect(code).toBe(0);
    expect(verdicts(report)['orders-create']).toBe('differs');
    const create = report.results.find((r) => r.route === 'orders-create');
    const first = JSON.parse(PAYLOAD).line_items[0].quantity;
    expect(create?.changes).toContainEqual({
      op: 'changed',
      path: '/0/data/lines/0/quantity',
      before: first,
      after: first + 1,
    });
  });

  it('a mapping that throws for one route: now fails with its key, exit 1; --route narrows', async () => {
    const { code, report } = await diff({ cancelData: '$error("boom")' });
    expect(code).toBe(1);
    const cancel = report.results.find((r) => r.route === 'cancel');
    expect(cancel).toMatchObject({ verdict: 'now fails', error: { key: expect.stringContaining('cancel') } });
    expect(cancel?.error?.message).toContain('boom');
    const narrowed = await diff({ cancelData: '$error("boom")' }, '--route', 'orders-create');
    expect(narrowed.code).toBe(0);
    expect(verdicts(narrowed.report)).toEqual({ 'orders-create': 'same' });
  });

  it("reads $xref from the running hub's tables: a key it has maps, one it lacks now fails", async () => {
    const put = await fetch(`${base}/v1/xref/reasons/shop-cancel`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${KEYS.admin}`, 'content-type': 'application/json' },
      body: '"shop"',
    });
    expect(put.status).toBe(200);
    const same = await diff({
      cancelData: '{ "orderId": orderId, "reason": $xref("reasons", "shop-cancel") }',
    });
    expect(verdicts(same.report).cancel).toBe('same');
    const missing = await diff({ cancelData: '{ "orderId": orderId, "reason": $xref("reasons", "nope") }' });
    expect(missing.code).toBe(1);
    const cancel = missing.report.results.find((r) => r.route === 'cancel');
    expect(cancel?.verdict).toBe('now fails');
    expect(cancel?.error?.message).toContain(
      "xref_missing: cross-reference table 'reasons' has no key 'nope'",
    );
  });

  it('a fixed mapping for the parked request: now accepted; the text report lists it with the totals', async () => {
    const fixed = { laterData: '{ "orderId": orderId, "reason": "later" }' };
    const { code, report } = await diff(fixed);
    expect(code).toBe(0);
    expect(verdicts(report).later).toBe('now accepted');
    const text = await run('map', 'diff', '--config', configFile(fixed), '--hub', base);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/now accepted\s+shop\/later/);
    expect(text.stdout).toContain(
      '3 requests: 2 same, 0 differs, 0 now fails, 1 now accepted, 0 still fails',
    );
  });

  it('bad flags and an unknown system exit 2', async () => {
    expect((await run('map', 'diff', '--hub', base)).code).toBe(2);
    const unknown = await diff({}, '--system', 'erp');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("system 'erp' has no inbound");
  });
});

describe('diffJson', () => {
  it('names each added, removed and changed path as a JSON pointer (escaped), arrays by index', () => {
    expect(
      diffJson(
        { a: 1, 'b/c': [1, 2], d: { e: 'x' }, gone: true },
        { a: 1, 'b/c': [1, 3, 4], d: { e: 'y', f: null } },
      ),
    ).toEqual([
      { op: 'changed', path: '/b~1c/1', before: 2, after: 3 },
      { op: 'added', path: '/b~1c/2', after: 4 },
      { op: 'changed', path: '/d/e', before: 'x', after: 'y' },
      { op: 'added', path: '/d/f', after: null },
      { op: 'removed', path: '/gone', before: true },
    ]);
    expect(diffJson([{ a: 1 }], [{ a: 1 }])).toEqual([]);
    expect(diffJson({ a: [1] }, { a: { 0: 1 } })).toEqual([
      { op: 'changed', path: '/a', before: [1], after: { 0: 1 } },
    ]);
  });
});
