/** A route's `fetch`: the URL kept under its base, `$fetched` per item, `when` after the fetch, failures. */
import { describe, expect, it } from 'vitest';
import { compileText } from '../http/expressions.js';
import type { EmitRule, FetchRule } from './config-section.js';
import { FETCH_FAILED, FetchError, type Fetcher, fetchUrl, MappingError, mapRequest } from './mapping.js';

const BASE = 'https://erp.example/v2.0/t/prod/api/v2.0/';

function fetchRule(url: string): FetchRule {
  return { key: 'routes.n.fetch', base: BASE, url: compileText('routes.n.fetch.url', url), timeoutMs: 1000 };
}

function rule(url: string, when?: string): EmitRule {
  return {
    key: 'routes.n',
    type: 'com.manifold.order.status-reported.v1',
    each: compileText('routes.n.each', 'value'),
    id: compileText('routes.n.id', "'bc-' & $fetched.id"),
    data: compileText(
      'routes.n.data',
      '{ "orderId": $fetched.externalDocumentNumber, "status": changeType }',
    ),
    ...(when !== undefined ? { when: compileText('routes.n.when', when) } : {}),
    fetch: fetchRule(url),
  };
}

function input(body: unknown, fetch?: Fetcher) {
  return {
    system: 'bc',
    route: 'n',
    body: Buffer.from(JSON.stringify(body)),
    contentType: 'application/json',
    headers: {},
    query: {},
    ...(fetch !== undefined ? { fetch } : {}),
  };
}

const notification = {
  value: [
    { resource: 'api/v2.0/companies(c1)/salesOrders(o1)', changeType: 'updated' },
    { resource: 'api/v2.0/companies(c1)/salesOrders(o2)', changeType: 'updated' },
  ],
};
const records: Record<string, unknown> = {
  '/v2.0/t/prod/api/v2.0/companies(c1)/salesOrders(o1)': {
    id: 'o1',
    externalDocumentNumber: 'W-1',
    fullyShipped: true,
  },
  '/v2.0/t/prod/api/v2.0/companies(c1)/salesOrders(o2)': {
    id: 'o2',
    externalDocumentNumber: 'W-2',
    fullyShipped: false,
  },
};

describe('fetchUrl', () => {
  it('resolves a path against the base and keeps an absolute URL under it', () => {
    expect((fetchUrl(BASE, 'companies(c1)/salesOrders(o1)') as URL).href).toBe(
      `${BASE}companies(c1)/salesOrders(o1)`,
    );
    expect((fetchUrl(BASE, `${BASE}items?$top=1`) as URL).search).toBe('?$top=1');
  });

  it('refuses another origin, a path outside the base, credentials and encoded separators', () => {
    expect(fetchUrl(BASE, 'https://evil.example/v2.0/t/prod/api/v2.0/x')).toMatch(
      /not on https:\/\/erp.example/,
    );
    expect(fetchUrl(BASE, '//evil.example/x')).toMatch(/not on/);
    expect(fetchUrl(BASE, '../../other/api/v2.0/x')).toMatch(/outside/);
    expect(fetchUrl(BASE, '/v2.0/t/other/api/v2.0/x')).toMatch(/outside/);
    expect(fetchUrl(BASE, 'https://u:p@erp.example/v2.0/t/prod/api/v2.0/x')).toMatch(/not on/);
    expect(fetchUrl(BASE, 'companies(c1)/..%2f..%2fadmin')).toMatch(/encodes/);
    expect(fetchUrl(BASE, 'http://erp.example/v2.0/t/prod/api/v2.0/x')).toMatch(/not on/);
  });
});

describe('mapRequest with fetch', () => {
  const fetcher: Fetcher = async (_rule, url) => {
    const found = records[url.pathname];
    if (found === undefined) throw new FetchError('HTTP 404');
    return found;
  };
  const url = "$substringAfter(resource, 'api/v2.0/')";

  it('fetches once per item and binds the record as $fetched for id, data and when', async () => {
    const seen: string[] = [];
    const counting: Fetcher = async (r, u) => {
      seen.push(u.pathname);
      return fetcher(r, u);
    };
    const events = await mapRequest(
      { name: 'n', format: 'auto', emit: [rule(url, '$fetched.fullyShipped')] },
      input(notification, counting),
    );
    expect(seen).toHaveLength(2);
    expect(events).toEqual([
      {
        type: 'com.manifold.order.status-reported.v1',
        id: 'bc-o1',
        data: { orderId: 'W-1', status: 'updated' },
      },
    ]);
  });

  it('parks a failed fetch as fetch_failed, and a URL off the base as a mapping failure', async () => {
    const missing = {
      value: [{ resource: 'api/v2.0/companies(c1)/salesOrders(o9)', changeType: 'updated' }],
    };
    const failed = await mapRequest(
      { name: 'n', format: 'auto', emit: [rule(url)] },
      input(missing, fetcher),
    ).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(MappingError);
    expect(failed).toMatchObject({ code: FETCH_FAILED, key: 'routes.n.fetch' });
    expect((failed as Error).message).toMatch(/salesOrders\(o9\): HTTP 404/);

    const forged = await mapRequest(
      { name: 'n', format: 'auto', emit: [rule("'https://evil.example/' & resource")] },
      input(notification, fetcher),
    ).catch((e: unknown) => e);
    expect(forged).toMatchObject({ key: 'routes.n.fetch.url', code: undefined });
    expect((forged as Error).message).toMatch(/not on https:\/\/erp.example/);
  });

  it('is not fetched without a fetcher (map test, previews)', async () => {
    await expect(
      mapRequest({ name: 'n', format: 'auto', emit: [rule(url)] }, input(notification)),
    ).rejects.toThrow(/not fetched here/);
  });
});
