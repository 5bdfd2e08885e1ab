import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configIssues as issuesOf, subscriptionKeys } from '../../test/support/config-issues.js';
import { FACTS } from '../domain/event-catalogue.js';
import { hashKey } from './compile-sections.js';
import type { CompiledConfig } from './compiled-config.js';
import { ConfigError, type ConfigIssue, compileConfig, loadConfigFile } from './load-config.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/manifold.yaml', import.meta.url));

/** A small valid configuration the cases below extend. */
const BASE = `server: { adminKey: admin-key-0000000001 }
systems:
  erp: { kind: erp, key: erp-key-000000000001 }
  wms-east: { kind: wms, key: wms-east-key-0000001, locations: [DC-EAST] }
locations: { DC-EAST: { channels: [web] } }
channels: { web: { safetyStock: 2 } }
`;

/** 1-based line and column of the `occurrence`-th `needle` in `text`. */
function at(text: string, needle: string, occurrence = 1): { line: number; column: number } {
  let index = -1;
  for (let seen = 0; seen < occurrence; seen++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`'${needle}' not in text`);
  }
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** The single issue at `path`. */
function issueAt(issues: ConfigIssue[], path: string): ConfigIssue {
  const found = issues.filter((issue) => issue.path === path);
  expect(found, `issues at ${path}: ${JSON.stringify(issues, null, 2)}`).toHaveLength(1);
  return found[0] as ConfigIssue;
}

function compile(text: string, env: NodeJS.ProcessEnv = {}): CompiledConfig {
  return compileConfig(text, 'manifold.yaml', env);
}

describe('the example configuration', () => {
  it('compiles with an empty environment, using the development defaults', () => {
    const config = loadConfigFile(EXAMPLE, {});
    expect(config.file).toBe(EXAMPLE);
    expect(config.store).toEqual({ kind: 'sqlite', path: './data/manifold.db' });
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8080, bodyLimit: 1024 * 1024 });
    expect(config.server.adminKeyHash.equals(hashKey('dev-admin-key-00000001'))).toBe(true);
    expect([...config.systems.keys()]).toEqual([
      'erp',
      'wms-east',
      'wms-west',
      'tms',
      'shop',
      'portal',
      'acme',
      'fastfreight',
      'oncall',
    ]);
    expect(config.alerts.map((a) => a.name)).toEqual([
      'erp-orders-backlog',
      'stale-deliveries',
      'target-down',
      'rejected-facts',
      'stock-drift',
      'stuck-releases',
      'late-backorders',
    ]);
    expect(config.systems.get('erp')?.keyHashes[0]?.equals(hashKey('dev-erp-key-0000000001'))).toBe(true);
    expect(config.systems.get('wms-west')?.locations).toEqual(['DC-WEST']);
    expect(config.systems.get('shop')?.channel).toBe('web');
    expect(config.systems.get('acme')).toMatchObject({
      kind: 'edi',
      channel: 'edi-acme',
      x12: { id: 'ACME', qualifier: 'ZZ', version: '00401' },
    });
    expect([...config.ownership.keys()].sort()).toEqual([...FACTS].sort());
    expect(config.ownership.get('order.shipped')).toEqual(['wms-east', 'wms-west']);
    expect(config.statusMaps.get('wms-west')?.get('40')).toBe('picked');
    expect(config.statusMaps.get('tms')?.get('D1')).toBe('delivered');
    expect(config.channels.get('web')?.safetyStock).toBe(5);
    expect(config.locations.get('DC-EAST')?.channels).toEqual(['web', 'b2b', 'edi-acme']);

    const erpOrders = config.subscriptions.find((subscription) => subscription.name === 'erp-orders');
    expect(erpOrders?.matchesType('com.manifold.order.shipped.v1')).toBe(true);
    expect(erpOrders?.matchesType('com.manifold.inventory.position.v1')).toBe(false);
    const names = config.subscriptions.map((subscription) => subscription.name);
    for (const name of [
      'erp-orders',
      'wms-east-releases',
      'wms-west-releases',
      'shop-availability',
      'portal-orders',
    ]) {
      expect(names).toContain(name);
    }
    for (const subscription of config.subscriptions) {
      expect(subscription.http?.url).toMatch(/^http:\/\/127\.0\.0\.1:90(0[1-9]|1[01])\//);
    }
  });

  it('takes keys from the environment when set', () => {
    const config = loadConfigFile(EXAMPLE, {
      ERP_KEY: 'production-erp-key-42',
      MANIFOLD_ADMIN_KEY: 'x'.repeat(32),
    });
    expect(config.systems.get('erp')?.keyHashes[0]?.equals(hashKey('production-erp-key-42'))).toBe(true);
    expect(config.server.adminKeyHash.equals(hashKey('x'.repeat(32)))).toBe(true);
  });

  it(`accepts the flow style of the README example with \${VAR} inside { … }`, () => {
    const text = `store: { sqlite: './data/flow.db' }
server: { host: 127.0.0.1, port: 8080, adminKey: \${MANIFOLD_ADMIN_KEY} }   # \${VAR} = environment
systems:
  erp:      { kind: erp,      key: \${ERP_KEY} }
  wms-east: { kind: wms,      key: \${WMS_EAST_KEY}, locations: [DC-EAST] }
locations: { DC-EAST: { channels: [web] } }
channels:  { web: { safetyStock: 2 } }
`;
    const config = compile(text, {
      MANIFOLD_ADMIN_KEY: 'admin-key-from-env-01',
      ERP_KEY: 'erp-key-from-env-0001',
      WMS_EAST_KEY: 'wms-key-from-env-0001',
    });
    expect(config.store).toEqual({ kind: 'sqlite', path: './data/flow.db' });
    expect(config.systems.get('wms-east')?.keyHashes[0]?.equals(hashKey('wms-key-from-env-0001'))).toBe(true);
  });
});

describe('defaults', () => {
  it('fills in store, server and subscription defaults', () => {
    const config = compile(`${BASE}subscriptions:
  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: 'https://erp.example.com/hooks' }
    rateLimit: { perSecond: 10 }
`);
    expect(config.store).toEqual({ kind: 'sqlite', path: './data/manifold.db' });
    expect(config.server).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      bodyLimit: 1048576,
      maxBatchEvents: 1000,
    });
    const [subscription] = config.subscriptions;
    expect(subscription?.retry).toEqual({
      maxAttempts: 12,
      initialDelayMs: 1000,
      maxDelayMs: 300000,
      maxAgeMs: 86400000,
    });
    expect(subscription?.http).toEqual({
      url: 'https://erp.example.com/hooks',
      headers: {},
      timeoutMs: 10000,
      batch: false,
    });
    expect(subscription?.rateLimit).toEqual({ perSecond: 10, burst: 10, concurrency: 4 });
    expect(subscription?.onFailure).toBeUndefined();
    expect(config.channels.get('web')).toEqual({ name: 'web', safetyStock: 2 });
  });

  it('reads postgres stores, body limits in units and filters', () => {
    const config = compile(`store: { postgres: 'postgres://postgres@127.0.0.1:5432/test', schema: hub }
${BASE.replace('{ adminKey: admin-key-0000000001 }', '{ adminKey: admin-key-0000000001, bodyLimit: 512kb }')}subscriptions:
  - name: shop
    target: erp
    types: com.manifold.inventory.availability.v1
    filter: { subject: 'SKU-*', data: { channel: web } }
    http: { url: 'https://shop.example.com/hooks' }
    onFailure: skip
`);
    expect(config.store).toEqual({
      kind: 'postgres',
      url: 'postgres://postgres@127.0.0.1:5432/test',
      schema: 'hub',
    });
    expect(config.server.bodyLimit).toBe(512 * 1024);
    expect(config.subscriptions[0]?.filter).toEqual({ subject: 'SKU-*', data: { channel: 'web' } });
    expect(config.subscriptions[0]?.onFailure).toBe('skip');
  });
});

describe('issues', () => {
  it('names the bad subscription target and the known systems', () => {
    const text = `${BASE}subscriptions:
  - name: releases
    target: wms-west
    types: [com.manifold.order.released.v1]
    http: { url: 'https://wms.example.com/hooks' }
`;
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    const { line, column } = at(text, 'wms-west');
    expect(issues[0]).toEqual({
      file: 'manifold.yaml',
      line,
      column,
      path: 'subscriptions[0].target',
      value: 'wms-west',
      message: "no system named 'wms-west'; known systems: erp, wms-east",
    });
    expect(line).toBe(9);
    expect(column).toBe(13);
    try {
      compile(text);
    } catch (error) {
      expect((error as ConfigError).code).toBe('config_invalid');
      expect((error as ConfigError).message).toBe(
        "manifold.yaml:9:13 subscriptions[0].target: no system named 'wms-west'; known systems: erp, wms-east",
      );
    }
  });

  it('names a missing environment variable and its key, once', () => {
    const text = BASE.replace('erp-key-000000000001', `\${ERP_KEY}`);
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      ...at(text, `\${ERP_KEY}`),
      path: 'systems.erp.key',
      value: `\${ERP_KEY}`,
    });
    expect(issues[0]?.message).toContain("environment variable 'ERP_KEY' is not set");
  });

  it(`uses \${VAR:-default} and re-types plain scalars but not quoted ones`, () => {
    const text = BASE.replace('{ adminKey:', `{ port: \${PORT:-8081}, host: "\${HOST:-0.0.0.0}", adminKey:`);
    expect(compile(text).server).toMatchObject({ port: 8081, host: '0.0.0.0' });
    expect(compile(text, { PORT: '9000' }).server.port).toBe(9000);
    const quoted = BASE.replace('{ adminKey:', `{ port: '\${PORT:-8081}', adminKey:`);
    const issue = issueAt(issuesOf(quoted), 'server.port');
    expect(issue.message).toBe("expected an integer from 0 to 65535, got '8081'");
  });

  it('reports a malformed environment reference', () => {
    const text = BASE.replace('erp-key-000000000001', `\${ERP KEY}`);
    expect(issueAt(issuesOf(text), 'systems.erp.key').message).toContain(
      `invalid environment reference '\${ERP KEY}'`,
    );
  });

  it('reports every issue, in file order', () => {
    const text = `server: { port: 70000, adminKey: admin-key-0000000001 }
subscribtions: []
systems:
  erp: { kind: warehouse, key: erp-key-000000000001 }
ownership:
  order.shiped: [erp]
  order.picked: [wms]
subscriptions:
  - name: a
    target: wms-west
    types: [com.manifold.order.*]
    http: { url: 'https://wms.example.com/hooks' }
`;
    const issues = issuesOf(text);
    expect(issues.map((issue) => issue.path)).toEqual([
      'server.port',
      'subscribtions',
      'systems.erp.kind',
      "ownership['order.shiped']",
      "ownership['order.picked'][0]",
      'subscriptions[0].target',
    ]);
    expect(issues.map((issue) => issue.line)).toEqual([1, 2, 4, 6, 7, 10]);
    const message = new ConfigError(issues).message.split('\n');
    expect(message).toHaveLength(6);
    expect(message[0]).toBe('manifold.yaml:1:17 server.port: expected an integer from 0 to 65535, got 70000');
    expect(message[1]).toMatch(
      /^manifold\.yaml:2:1 subscribtions: unknown key 'subscribtions' at top level; expected one of: store, server, systems, locations, channels, ownership, statusMaps, subscriptions/,
    );
    expect(message[2]).toBe(
      "manifold.yaml:4:16 systems.erp.kind: unknown kind 'warehouse'; expected one of: erp, wms, tms, commerce, edi, carrier, other",
    );
    expect(message[3]).toContain(
      "unknown fact 'order.shiped'; expected one of: order.accepted, order.picked",
    );
    expect(message[4]).toContain("no system named 'wms'; known systems: erp");
  });

  it('reports YAML syntax errors with their line', () => {
    const text = 'server:\n  adminKey: admin-key-0000000001\n  port: [8080\nsystems: {}\n';
    const issues = issuesOf(text);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]?.line).toBeGreaterThanOrEqual(3);
    expect(issues[0]?.message).toMatch(/^YAML syntax: /);
    const duplicate = issuesOf(`${BASE}channels: {}\n`);
    expect(duplicate.find((issue) => issue.path === 'channels')).toMatchObject({
      line: 7,
      message: "duplicate key 'channels' (first at line 6, column 1); keep one of them",
    });
  });

  it('reports an empty or non-mapping document', () => {
    expect(issuesOf('')[0]?.message).toContain('the configuration is empty');
    expect(issuesOf('- a\n- b\n')[0]?.message).toBe('expected a mapping (key: value), got a list');
  });

  it('reports a missing key at its mapping', () => {
    const text = `${BASE}subscriptions:\n  - name: orders\n    types: [com.manifold.order.*]\n    http: { url: 'https://erp.example.com/h' }\n`;
    expect(issueAt(issuesOf(text), 'subscriptions[0]')).toMatchObject({
      ...at(text, 'name: orders'),
      message: "missing required key 'target'",
    });
    const noServer = issuesOf('systems: {}\n');
    expect(noServer[0]).toMatchObject({
      line: 1,
      column: 1,
      path: '',
      message: "missing required key 'server'",
    });
  });

  it('validates the store', () => {
    const both = `store: { sqlite: a.db, postgres: 'postgres://h/db' }\n${BASE}`;
    expect(issueAt(issuesOf(both), 'store').message).toBe(
      "set exactly one of 'sqlite' or 'postgres', not both",
    );
    const badUrl = `store: { postgres: 'mysql://u:secret@h/db' }\n${BASE}`;
    const issue = issueAt(issuesOf(badUrl), 'store.postgres');
    expect(issue.message).toContain("invalid postgres URL 'mysql://u:***@h/db'");
    expect(issue.message).not.toContain('secret');
    expect(
      issueAt(issuesOf(`store: { sqlite: a.db, schema: x }\n${BASE}`), 'store.schema').message,
    ).toContain('postgres only');
    expect(issueAt(issuesOf(`store: {}\n${BASE}`), 'store').message).toContain("set 'sqlite: PATH'");
    // The writer thread has its own connection: an in-memory database would be a second, empty one.
    const memory = `store: { sqlite: ':memory:' }\n${BASE}`;
    expect(issueAt(issuesOf(memory), 'store.sqlite')).toMatchObject({
      file: 'manifold.yaml',
      ...at(memory, "':memory:'"),
      message: expect.stringContaining('use a file path'),
    });
  });

  it('validates the server', () => {
    const noKey = 'server: { port: 8080 }\n';
    expect(issueAt(issuesOf(noKey), 'server').message).toContain("missing required key 'adminKey'");
    const short = 'server: { adminKey: too-short }\n';
    const issue = issueAt(issuesOf(short), 'server.adminKey');
    expect(issue).toMatchObject({
      ...at(short, 'too-short'),
      message: expect.stringContaining('at least 16'),
    });
    expect(issue.value).toBeUndefined();
    expect(issue.message).not.toContain('too-short');
    // `Authorization: Bearer <key>` can never carry a key with whitespace or control characters.
    for (const [key, what] of [
      ["'admin key 0000000001'", 'whitespace'],
      ['"admin-key-000000001\\t"', 'whitespace'],
      ['"admin-key-\\u0001-00000001"', 'a control character'],
    ] as const) {
      const text = `server: { adminKey: ${key} }\n`;
      const spaced = issueAt(issuesOf(text), 'server.adminKey');
      expect(spaced, key).toMatchObject({
        line: 1,
        message: expect.stringContaining(`key contains ${what}`),
      });
      expect(spaced.value).toBeUndefined();
    }
    const systemKey = issuesOf(`${BASE.replace('erp-key-000000000001', "'erp key 000000000001'")}`).find(
      (i) => i.path.startsWith('systems.erp'),
    );
    expect(systemKey?.message).toContain('key contains whitespace');
    const hashed = compile(`server: { adminKeySha256: '${'ab'.repeat(32)}' }\n`);
    expect(hashed.server.adminKeyHash.toString('hex')).toBe('ab'.repeat(32));
    expect(issueAt(issuesOf('server: { adminKeySha256: abc }\n'), 'server.adminKeySha256').value).toBe('abc');
    const size = issuesOf(
      `server: { adminKey: admin-key-0000000001, bodyLimit: 2 megs, maxBatchEvents: 0 }\n`,
    );
    expect(issueAt(size, 'server.bodyLimit')).toMatchObject({ value: '2 megs', column: 54 });
    expect(issueAt(size, 'server.maxBatchEvents').message).toBe('expected an integer ≥ 1, got 0');
    expect(compile('server: { adminKey: admin-key-0000000001, bodyLimit: 1MB }\n').server.bodyLimit).toBe(
      1048576,
    );
    expect(compile('server: { adminKey: admin-key-0000000001, bodyLimit: 2048 }\n').server.bodyLimit).toBe(
      2048,
    );
  });

  it('validates system names, kinds, credentials and references', () => {
    const text = `server: { adminKey: admin-key-0000000001 }
systems:
  WMS_East: { kind: wms, key: wms-key-00000000001 }
  manifold: { kind: other, key: hub-key-00000000001 }
  erp: { kind: erp }
  tms: { kind: tms, key: tms-key-00000000001, keySha256: '${'cd'.repeat(32)}' }
  shop: { kind: commerce, keys: [shop-key-0000000001], channel: wbe, locations: [DC-WST] }
  acme: { kind: edi, key: acme-key-000000001, x12: { id: ACME } }
channels: { web: {} }
locations: { DC-EAST: { channels: [web] } }
`;
    const issues = issuesOf(text);
    expect(issueAt(issues, 'systems.WMS_East')).toMatchObject({
      ...at(text, 'WMS_East'),
      message:
        "invalid system name 'WMS_East'; use lowercase letters, digits and '-', starting with a letter",
    });
    expect(issueAt(issues, 'systems.manifold').message).toContain('reserved for the hub');
    expect(issueAt(issues, 'systems.erp')).toMatchObject({
      ...at(text, '{ kind: erp }'),
      message: expect.stringContaining("set one of 'key', 'keys'"),
    });
    expect(issueAt(issues, 'systems.tms').message).toContain("set only one of 'key', 'keys' or 'keySha256'");
    expect(issueAt(issues, 'systems.shop.channel')).toMatchObject({
      ...at(text, 'wbe'),
      message: "no channel named 'wbe'; known channels: web (did you mean 'web'?)",
    });
    expect(issueAt(issues, 'systems.shop.locations[0]').message).toBe(
      "no location named 'DC-WST'; known locations: DC-EAST",
    );
    expect(issueAt(issues, 'systems.acme.x12').message).toBe("missing required key 'qualifier'");
    expect(issues).toHaveLength(7);
  });

  it('validates locations and channels', () => {
    const text = `${BASE}`
      .replace('channels: [web]', 'channels: [web, b2b]')
      .replace('safetyStock: 2', 'safetyStock: -1');
    const issues = issuesOf(text);
    expect(issueAt(issues, 'locations.DC-EAST.channels[1]').message).toBe(
      "no channel named 'b2b'; known channels: web",
    );
    expect(issueAt(issues, 'channels.web.safetyStock').value).toBe(-1);
  });

  it('refuses one key shared by two systems, or by a system and the admin', () => {
    const text = `server: { adminKey: shared-admin-key-0001 }
systems:
  erp: { kind: erp, key: shared-key-000000001 }
  shop: { kind: commerce, key: shared-key-000000001 }
  tms: { kind: tms, keys: [tms-key-00000000001, shared-admin-key-0001] }
`;
    const issues = issuesOf(text);
    expect(issueAt(issues, 'systems.shop.key')).toMatchObject({
      line: 4,
      message: "same key as system 'erp'; every system and the admin need a key of their own",
    });
    expect(issueAt(issues, 'systems.tms.keys[1]').message).toContain('same key as server.adminKey');
    expect(issues.every((issue) => issue.value === undefined)).toBe(true);
  });

  it('validates ownership and status maps', () => {
    const text = `${BASE}ownership:
  order.picked: [wms-east, wms-west]
  order.packed: []
  order.delivered: wms-east
statusMaps:
  wms-east: { PCK: pickd, 10: picked }
  tms: { D1: delivered }
`;
    const issues = issuesOf(text);
    expect(issueAt(issues, "ownership['order.picked'][1]")).toMatchObject({
      ...at(text, 'wms-west'),
      message: "no system named 'wms-west'; known systems: erp, wms-east",
    });
    expect(issueAt(issues, "ownership['order.packed']").message).toContain('no systems listed');
    expect(issueAt(issues, 'statusMaps.wms-east.PCK')).toMatchObject({
      ...at(text, 'pickd'),
      value: 'pickd',
      message: expect.stringContaining("unknown milestone 'pickd'; expected one of: accepted, committed"),
    });
    expect(issueAt(issues, 'statusMaps.tms')).toMatchObject({
      ...at(text, 'tms:'),
      message: "no system named 'tms'; known systems: erp, wms-east",
    });
    expect(issues).toHaveLength(4);
  });

  it('keeps numeric status codes as written', () => {
    const config = compile(`${BASE}statusMaps: { wms-east: { 010: picked, 20: packed } }\n`);
    expect([...(config.statusMaps.get('wms-east')?.keys() ?? [])]).toEqual(['010', '20']);
  });

  it('validates subscriptions', () => {
    const text = `${BASE}subscriptions:
  - name: orders
    target: erp
    types: [com.manifold.order.shiped.v1, 'com manifold']
    http: { url: 'ftp://erp/hooks', timeoutMs: 0, batch: yes please }
    retry: { initialDelayMs: 5000, maxDelayMs: 1000 }
    rateLimit: { burst: 2 }
    onFailure: drop
    filter: [a]
  - name: orders
    target: erp
    types: []
    color: blue
`;
    const issues = issuesOf(text);
    expect(issueAt(issues, 'subscriptions[0].types[0]').message).toMatch(
      /^pattern 'com\.manifold\.order\.shiped\.v1' matches no event type; did you mean 'com\.manifold\.order\.shipped\.v1'\?$/,
    );
    expect(issueAt(issues, 'subscriptions[0].types[1]').message).toContain(
      "invalid type pattern 'com manifold'",
    );
    expect(issueAt(issues, 'subscriptions[0].http.url')).toMatchObject({
      ...at(text, "'ftp://"),
      message: "invalid URL 'ftp://erp/hooks'; expected an http:// or https:// URL",
    });
    expect(issueAt(issues, 'subscriptions[0].http.timeoutMs').value).toBe(0);
    expect(issueAt(issues, 'subscriptions[0].http.batch').message).toBe(
      "expected true or false, got 'yes please'",
    );
    expect(issueAt(issues, 'subscriptions[0].retry.maxDelayMs').message).toBe(
      'maxDelayMs (1000) is less than initialDelayMs (5000)',
    );
    expect(issueAt(issues, 'subscriptions[0].rateLimit').message).toBe("missing required key 'perSecond'");
    expect(issueAt(issues, 'subscriptions[0].onFailure').message).toBe(
      "unknown onFailure policy 'drop'; expected one of: hold, skip",
    );
    expect(issueAt(issues, 'subscriptions[0].filter').message).toBe(
      'expected a mapping (key: value), got a list',
    );
    expect(issueAt(issues, 'subscriptions[1].name')).toMatchObject({
      ...at(text, 'orders', 2),
      message: "duplicate subscription name 'orders' (first at line 8); names must be unique",
    });
    expect(issueAt(issues, 'subscriptions[1].types').message).toContain(
      'expected at least one event type pattern',
    );
    expect(issueAt(issues, 'subscriptions[1].color').message).toBe(
      `unknown key 'color' in subscriptions[1]; expected one of: ${subscriptionKeys()}`,
    );
    expect(issueAt(issues, 'subscriptions[1]').message).toBe("missing required key 'http'");
    expect(issues).toHaveLength(13);
  });

  it('suggests the near miss for an unknown key', () => {
    const issue = issueAt(issuesOf(`${BASE}subscribtions: []\n`), 'subscribtions');
    expect(issue.message).toContain("(did you mean 'subscriptions'?)");
    expect(issue).toMatchObject({ line: 7, column: 1, value: 'subscribtions' });
  });

  it('reports an unreadable file as an issue', () => {
    expect(() => loadConfigFile('/nonexistent/manifold.yaml', {})).toThrow(/cannot read file/);
  });
});

describe('key hashing', () => {
  it('keeps SHA-256 digests, never the plain keys', () => {
    const directory = mkdtempSync(join(tmpdir(), 'manifold-config-'));
    try {
      const file = join(directory, 'manifold.yaml');
      writeFileSync(
        file,
        BASE.replace(
          '{ kind: erp, key: erp-key-000000000001 }',
          '{ kind: erp, keys: [erp-key-000000000001, erp-key-rotated-00001] }',
        ),
      );
      const config = loadConfigFile(file, {});
      expect(config.systems.get('erp')?.keyHashes.map((digest) => digest.toString('hex'))).toEqual([
        hashKey('erp-key-000000000001').toString('hex'),
        hashKey('erp-key-rotated-00001').toString('hex'),
      ]);
      const seen = JSON.stringify(config, (_key, value: unknown) =>
        value instanceof Map ? Object.fromEntries(value) : value,
      );
      for (const plain of [
        'admin-key-0000000001',
        'erp-key-000000000001',
        'erp-key-rotated-00001',
        'wms-east-key-0000001',
      ]) {
        expect(seen).not.toContain(plain);
      }
      // SHA-256 test vector (FIPS 180-2): the digest is plain SHA-256 of the UTF-8 key.
      expect(hashKey('abc').toString('hex')).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
