/** `systems.<name>.read` and `server.metricsPublic`: compiled once, least privilege by kind, errors by line. */
import { describe, expect, it } from 'vitest';
import { configIssues, lineOf } from '../../test/support/config-issues.js';
import { compileConfig } from './load-config.js';

const systems = (extra = '') => `server: { adminKey: admin-key-0000000001 }
systems:
  erp: { kind: erp, key: erp-key-000000000001 }
  wms-east: { kind: wms, key: wms-east-key-0000001, locations: [DC-EAST] }
  shop: { kind: commerce, key: shop-key-00000000001, channel: web }
  acme: { kind: edi, key: acme-key-00000000001, channel: edi-acme }
  tms: { kind: tms, key: tms-key-000000000001 }
${extra}locations: { DC-EAST: { channels: [web, edi-acme] }, DC-WEST: { channels: [web] } }
channels: { web: {}, edi-acme: {} }
`;

const compile = (text: string) => compileConfig(text, 'manifold.yaml', {});

describe('systems.<name>.read', () => {
  it('defaults to least privilege by kind', () => {
    const config = compile(systems());
    const read = (name: string) => config.systems.get(name)?.read;
    expect(read('erp')).toEqual({ orders: 'all', inventory: 'all', channels: [], locations: [] });
    expect(read('wms-east')).toEqual({
      orders: 'location',
      inventory: 'location',
      channels: [],
      locations: ['DC-EAST'],
    });
    expect(read('shop')).toEqual({
      orders: 'channel',
      inventory: 'channel',
      channels: ['web'],
      locations: [],
    });
    expect(read('acme')).toEqual({ orders: 'own', inventory: 'none', channels: ['edi-acme'], locations: [] });
    expect(read('tms')).toEqual({ orders: 'own', inventory: 'none', channels: [], locations: [] });
  });

  it('takes all, none, or levels and names over the kind’s default', () => {
    const config = compile(
      systems(`  bi: { kind: other, key: bi-key-0000000000001, read: all }
  portal: { kind: commerce, key: portal-key-000000001, channel: web, read: none }
  threepl: { kind: edi, key: threepl-key-00000001, read: { orders: location, inventory: location, locations: DC-WEST } }
  outlet: { kind: commerce, key: outlet-key-000000001, channel: web, read: { channels: [web, edi-acme], inventory: none } }
`),
    );
    const read = (name: string) => config.systems.get(name)?.read;
    expect(read('bi')).toMatchObject({ orders: 'all', inventory: 'all' });
    expect(read('portal')).toMatchObject({ orders: 'own', inventory: 'none' });
    expect(read('threepl')).toEqual({
      orders: 'location',
      inventory: 'location',
      channels: [],
      locations: ['DC-WEST'],
    });
    expect(read('outlet')).toEqual({
      orders: 'channel',
      inventory: 'none',
      channels: ['web', 'edi-acme'],
      locations: [],
    });
  });

  it('names the line and key of a bad scope', () => {
    const text = systems(`  a: { kind: other, key: a-key-00000000000001, read: everything }
  b: { kind: other, key: b-key-00000000000001, read: { orders: channel } }
  c: { kind: wms, key: c-key-00000000000001, read: { inventory: location, locations: [DC-NORTH] } }
  d: { kind: other, key: d-key-00000000000001, read: { orders: some, writes: all } }
  e: { kind: other, key: e-key-00000000000001, read: { inventory: location, locations: [] } }
`);
    const issues = configIssues(text);
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [lineOf(text, '  a:'), 'systems.a.read', expect.stringContaining("unknown read scope 'everything'")],
      [lineOf(text, '  b:'), 'systems.b.read.orders', expect.stringContaining('has no channel')],
      [
        lineOf(text, '  c:'),
        'systems.c.read.locations[0]',
        expect.stringContaining("no location named 'DC-NORTH'"),
      ],
      [
        lineOf(text, '  d:'),
        'systems.d.read.orders',
        expect.stringContaining("unknown orders read level 'some'"),
      ],
      [lineOf(text, '  d:'), 'systems.d.read.writes', expect.stringContaining("unknown key 'writes'")],
      [lineOf(text, '  e:'), 'systems.e.read.inventory', expect.stringContaining('has no locations')],
    ]);
    expect(issues.every((i) => i.file === 'manifold.yaml')).toBe(true);
  });
});

describe('server.metricsPublic', () => {
  it('is off by default, and cannot be combined with a metrics key', () => {
    expect(compile(systems()).server.metricsPublic).toBe(false);
    const open = systems().replace(
      'adminKey: admin-key-0000000001',
      'adminKey: admin-key-0000000001, metricsPublic: true',
    );
    expect(compile(open).server.metricsPublic).toBe(true);
    const both = systems().replace(
      'adminKey: admin-key-0000000001',
      'adminKey: admin-key-0000000001, metricsPublic: true, metricsKey: scraper-key-00000001',
    );
    expect(configIssues(both).map((i) => [i.path, i.message])).toEqual([
      ['server.metricsPublic', expect.stringContaining('leaves GET /metrics open')],
    ]);
  });
});
