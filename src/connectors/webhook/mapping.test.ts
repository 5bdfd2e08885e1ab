/** A route applied to a request: emit lists, when, each, ids, bindings, XML, the depth cap and the budget. */
import { describe, expect, it } from 'vitest';
import { compileText } from '../http/expressions.js';
import type { EmitRule, WebhookRoute } from './config-section.js';
import { MappingError, mapRequest } from './mapping.js';

function rule(
  key: string,
  parts: { type?: string; data: string; id?: string; when?: string; each?: string },
): EmitRule {
  return {
    key,
    type: parts.type ?? 'com.manifold.order.cancelled.v1',
    data: compileText(`${key}.data`, parts.data),
    ...(parts.id ? { id: compileText(`${key}.id`, parts.id) } : {}),
    ...(parts.when ? { when: compileText(`${key}.when`, parts.when) } : {}),
    ...(parts.each ? { each: compileText(`${key}.each`, parts.each) } : {}),
  };
}

function route(emit: EmitRule[], format: WebhookRoute['format'] = 'auto'): WebhookRoute {
  return { name: 'r', format, emit };
}

function input(body: string, extra: Partial<Parameters<typeof mapRequest>[1]> = {}) {
  return {
    system: 'shop',
    route: 'r',
    body: Buffer.from(body),
    contentType: 'application/json',
    headers: { 'X-Delivery': 'd-1' },
    query: { tenant: 't1' },
    ...extra,
  };
}

describe('mapRequest', () => {
  it('emits one event per element of each, with $ the element and the bindings beside it', async () => {
    const events = await mapRequest(
      route([
        rule('routes.r.emit[0]', {
          each: 'orders',
          id: "$headers.'x-delivery' & '-' & ref",
          data: '{ "orderId": ref, "reason": $body.why & "@" & $query.tenant & "/" & $system & "/" & $route }',
        }),
        rule('routes.r.emit[1]', { when: 'false', data: '{ "orderId": "never" }' }),
      ]),
      input('{"why":"fraud","orders":[{"ref":"A"},{"ref":"B"}]}'),
    );
    expect(events).toEqual([
      {
        type: 'com.manifold.order.cancelled.v1',
        id: 'd-1-A',
        data: { orderId: 'A', reason: 'fraud@t1/shop/r' },
      },
      {
        type: 'com.manifold.order.cancelled.v1',
        id: 'd-1-B',
        data: { orderId: 'B', reason: 'fraud@t1/shop/r' },
      },
    ]);
  });

  it('reads XML by its content type (attributes as `@name`)', async () => {
    const xml = route([rule('routes.r', { data: '{ "orderId": order.`@id`, "reason": order.reason }' })]);
    expect(
      await mapRequest(
        xml,
        input('<order id="X-1"><reason>late</reason></order>', { contentType: 'text/xml' }),
      ),
    ).toEqual([{ type: 'com.manifold.order.cancelled.v1', data: { orderId: 'X-1', reason: 'late' } }]);
  });

  it('fails with the key and a pointer: a body that does not parse, too deep, data not an object, repeated ids', async () => {
    const plain = route([rule('routes.r', { data: '$' })]);
    await expect(mapRequest(plain, input('{"a":'))).rejects.toMatchObject({
      key: 'body',
      message: /not valid JSON/,
    });
    await expect(mapRequest(plain, input(`${'['.repeat(65)}${']'.repeat(65)}`))).rejects.toMatchObject({
      key: 'body',
      message: /more than 64 levels/,
    });
    const array = route([rule('routes.r', { data: '[1]' })]);
    await expect(mapRequest(array, input('{}'))).rejects.toMatchObject({
      key: 'routes.r.data',
      pointer: '/data',
      message: /must give an object/,
    });
    const twice = route([rule('routes.r', { each: 'items', id: '"same"', data: '{}' })]);
    await expect(mapRequest(twice, input('{"items":[1,2]}'))).rejects.toThrow(/same id 'same'/);
  });

  it('stops an expression that runs past its budget, naming it', async () => {
    const loop = route([rule('routes.r', { data: '( $f := function($n) { $f($n + 1) }; $f(0) )' })]);
    const error = await mapRequest(loop, input('{}')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MappingError);
    expect((error as MappingError).key).toBe('routes.r.data');
  });
});
