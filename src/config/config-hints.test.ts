/**
 * Hints and warnings of the configuration loader: did-you-mean for keys, names and event types,
 * duplicate keys named with both lines, and conflicting owners in `ownership:`.
 */
import { describe, expect, it } from 'vitest';
import { configIssues, lineOf } from '../../test/support/config-issues.js';
import type { ConfigIssue } from './config-error.js';
import { didYouMean, editDistance, nearest } from './did-you-mean.js';
import { ConfigError, compileConfig, formatIssue } from './load-config.js';

const BASE = `server: { adminKey: admin-key-0000000001 }
systems:
  erp: { kind: erp, key: erp-key-000000000001 }
  wms-east: { kind: wms, key: wms-east-key-0000001, locations: [DC-EAST] }
  wms-west: { kind: wms, key: wms-west-key-0000001, locations: [DC-WEST] }
locations: { DC-EAST: { channels: [web] }, DC-WEST: { channels: [web] } }
channels: { web: { safetyStock: 2 } }
`;

function only(issues: ConfigIssue[], path: string): ConfigIssue {
  const found = issues.filter((issue) => issue.path === path);
  expect(found, JSON.stringify(issues, null, 2)).toHaveLength(1);
  return found[0] as ConfigIssue;
}

describe('did you mean', () => {
  it('counts a swapped pair of letters as one edit', () => {
    expect(editDistance('tpyes', 'types')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(nearest('tpyes', ['name', 'target', 'types', 'filter'])).toEqual(['types']);
    expect(didYouMean('colour', ['name', 'target'])).toBe('');
  });

  it('suggests the key of a subscription for a transposed typo', () => {
    const text = `${BASE}subscriptions:
  - name: orders
    target: erp
    tpyes: [com.manifold.order.*]
    http: { url: 'https://erp.example/hooks' }
`;
    const issue = only(configIssues(text), 'subscriptions[0].tpyes');
    expect(issue.message).toMatch(
      /^unknown key 'tpyes' in subscriptions\[0\]; .*\(did you mean 'types'\?\)$/,
    );
    expect(issue).toMatchObject({ line: lineOf(text, 'tpyes'), column: 5 });
  });

  it('names the nearest event type instead of listing all of them', () => {
    const text = `${BASE}subscriptions:
  - name: orders
    target: erp
    types: [com.manifold.order.shipped.v2, com.manifold.ordr.*]
    http: { url: 'https://erp.example/hooks' }
`;
    const issues = configIssues(text);
    expect(only(issues, 'subscriptions[0].types[0]').message).toBe(
      "pattern 'com.manifold.order.shipped.v2' matches no event type; did you mean 'com.manifold.order.shipped.v1'?",
    );
    expect(only(issues, 'subscriptions[0].types[1]').message).toBe(
      "pattern 'com.manifold.ordr.*' matches no event type; did you mean 'com.manifold.order.*'?",
    );
  });

  it('lists the known types when no type is near', () => {
    const text = `${BASE}subscriptions:
  - name: orders
    target: erp
    types: [org.example.thing.v1]
    http: { url: 'https://erp.example/hooks' }
`;
    expect(only(configIssues(text), 'subscriptions[0].types[0]').message).toMatch(
      /^pattern 'org\.example\.thing\.v1' matches no event type; known types: com\.manifold\./,
    );
  });

  it('suggests facts and system names', () => {
    const text = `${BASE}ownership:
  order.shiped: [wms-east]
  order.packed: [wms-eats]
`;
    const issues = configIssues(text);
    expect(only(issues, "ownership['order.shiped']").message).toContain("(did you mean 'order.shipped'?)");
    expect(only(issues, "ownership['order.packed'][0]").message).toContain("(did you mean 'wms-east'?)");
  });
});

describe('duplicate keys', () => {
  it('are an error at the second key naming the first line', () => {
    const text = `${BASE}orders:
  allocation: { policy: nearest }
  allocation: { policy: priority }
`;
    const issues = configIssues(text);
    const issue = only(issues, 'orders.allocation');
    expect(issue).toMatchObject({ line: lineOf(text, 'allocation: { policy: priority'), column: 3 });
    expect(issue.message).toBe(
      `duplicate key 'allocation' (first at line ${lineOf(text, 'allocation:')}, column 3); keep one of them`,
    );
  });

  it('are found in nested mappings and beside other issues', () => {
    const text = BASE.replace(
      'channels: { web: { safetyStock: 2 } }',
      'channels:\n  web: { safetyStock: 2, safetyStock: 3 }\nbogus: 1',
    );
    const issues = configIssues(text);
    expect(only(issues, 'channels.web.safetyStock').message).toContain("duplicate key 'safetyStock'");
    expect(only(issues, 'bogus').message).toContain("unknown key 'bogus'");
  });
});

describe('ownership conflicts', () => {
  it('warns about an owner listed twice, and the configuration loads', () => {
    const text = `${BASE}ownership:\n  order.shipped: [wms-east, wms-east]\n`;
    const config = compileConfig(text, 'manifold.yaml', {});
    expect(config.ownership.get('order.shipped')).toEqual(['wms-east']);
    expect(config.warnings).toHaveLength(1);
    const warning = config.warnings?.[0] as ConfigIssue;
    expect(warning).toMatchObject({
      severity: 'warning',
      path: "ownership['order.shipped'][1]",
      line: lineOf(text, 'order.shipped'),
      column: 29,
    });
    expect(warning.message).toContain("'wms-east' is listed twice for order.shipped (first at line");
    expect(formatIssue(warning)).toMatch(/^manifold\.yaml:\d+:29 warning: ownership/);
  });

  it('refuses two warehouses owning the on-hand count of one location', () => {
    const text = `${BASE.replace('locations: [DC-WEST]', 'locations: [DC-WEST, DC-EAST]')}ownership:
  inventory.on_hand: [wms-east, wms-west]
`;
    const issue = only(configIssues(text), "ownership['inventory.on_hand'][1]");
    expect(issue.message).toMatch(
      /^inventory\.on_hand for location DC-EAST has two owners: 'wms-east' \(at line \d+, column 23\) and 'wms-west'; each would overwrite/,
    );
    expect(issue).toMatchObject({ line: lineOf(text, 'inventory.on_hand'), column: 33 });
  });

  it('refuses an unbound system owning on-hand beside a warehouse', () => {
    const text = `${BASE}ownership:\n  inventory.on_hand: [wms-east, erp]\n`;
    expect(only(configIssues(text), "ownership['inventory.on_hand'][1]").message).toContain(
      "inventory.on_hand for location DC-EAST has two owners: 'wms-east'",
    );
  });

  it('accepts warehouses owning on-hand for their own locations', () => {
    const text = `${BASE}ownership:\n  inventory.on_hand: [wms-east, wms-west]\n  order.accepted: [erp, wms-east]\n`;
    expect(compileConfig(text, 'manifold.yaml', {}).warnings).toEqual([]);
  });

  it('warns when two warehouses share a location for a milestone', () => {
    const text = `${BASE.replace('locations: [DC-WEST]', 'locations: [DC-EAST]')}ownership:
  order.shipped: [wms-east, wms-west]
`;
    const config = compileConfig(text, 'manifold.yaml', {});
    expect(config.warnings?.map((w) => w.path)).toEqual(["ownership['order.shipped'][1]"]);
    expect(config.warnings?.[0]?.message).toContain('the hub accepts it from either');
  });

  it('carries warnings on the error when the configuration is refused', () => {
    const text = `${BASE}ownership:\n  order.shipped: [wms-east, wms-east]\nbogus: 1\n`;
    try {
      compileConfig(text, 'manifold.yaml', {});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).warnings).toHaveLength(1);
    }
  });
});
