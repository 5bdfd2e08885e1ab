/** `orders.allocation` and `locations.<name>.coordinates`: compiled rules, and errors by file and line. */
import { describe, expect, it } from 'vitest';
import { configIssues, lineOf } from '../../test/support/config-issues.js';
import { allocationRuleFor } from './compiled-config.js';
import { compileConfig } from './load-config.js';

const base = (
  orders: string,
  locations = '{ DC-EAST: { channels: [web, b2b] } }',
) => `server: { adminKey: admin-key-0000000001 }
systems:
  shop: { kind: commerce, key: shop-key-00000000001, channel: web }
locations: ${locations}
channels: { web: {}, b2b: {} }
${orders}`;

const compile = (text: string) => compileConfig(text, 'manifold.yaml', {});

describe('orders.allocation', () => {
  it('defaults to first-fit, split', () => {
    const { allocation } = compile(base('')).orders;
    expect(allocation.default).toEqual({ policy: 'first-fit', shipComplete: false });
    expect(allocationRuleFor(allocation, 'b2b', 'ACME')).toEqual({
      policy: 'first-fit',
      shipComplete: false,
    });
  });

  it('takes the customer rule, else the channel rule, else the default; missing keys from the default', () => {
    const config = compile(
      base(
        `orders:
  allocation:
    default: { policy: nearest }
    channels:
      b2b: { shipComplete: true }
    customers:
      ACME: first-fit
    regions:
      - { country: US, region: CA, lat: 36.8, lon: -119.4 }
      - { country: DE, postalPrefix: 10, lat: 52.5, lon: 13.4 }
`,
        '{ DC-EAST: { channels: [web, b2b], coordinates: { lat: 40.7, lon: -74 } }, DC-WEST: { channels: [web] } }',
      ),
    );
    const { allocation } = config.orders;
    expect(allocationRuleFor(allocation, 'web', 'C-1')).toEqual({ policy: 'nearest', shipComplete: false });
    expect(allocationRuleFor(allocation, 'b2b', 'C-1')).toEqual({ policy: 'nearest', shipComplete: true });
    expect(allocationRuleFor(allocation, 'b2b', 'ACME')).toEqual({
      policy: 'first-fit',
      shipComplete: false,
    });
    expect(allocation.regions).toEqual([
      { country: 'US', region: 'CA', lat: 36.8, lon: -119.4 },
      { country: 'DE', postalPrefix: '10', lat: 52.5, lon: 13.4 },
    ]);
    expect(config.locations.get('DC-EAST')?.coordinates).toEqual({ lat: 40.7, lon: -74 });
    expect(config.locations.get('DC-WEST')?.coordinates).toBeUndefined();
  });

  it('names the file and line of an unknown policy, channel or key, and of bad coordinates', () => {
    const text = base(
      `orders:
  allocation:
    default: closest
    channels:
      retail: nearest
      b2b: { policy: nearest, shipComplete: yes, split: true }
    regions:
      - { country: usa, lat: 95, lon: 0 }
`,
      '{ DC-EAST: { channels: [web, b2b], coordinates: { lat: 40.7, lon: 200 } } }',
    );
    const issues = configIssues(text);
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [
        lineOf(text, 'DC-EAST'),
        'locations.DC-EAST.coordinates.lon',
        expect.stringContaining('from -180 to 180'),
      ],
      [
        lineOf(text, 'closest'),
        'orders.allocation.default',
        expect.stringContaining("unknown allocation policy 'closest'; expected one of: first-fit, nearest"),
      ],
      [
        lineOf(text, 'retail'),
        'orders.allocation.channels.retail',
        expect.stringContaining("no channel named 'retail'"),
      ],
      [
        lineOf(text, 'shipComplete: yes'),
        'orders.allocation.channels.b2b.shipComplete',
        expect.stringContaining('expected true or false'),
      ],
      [
        lineOf(text, 'shipComplete: yes'),
        'orders.allocation.channels.b2b.split',
        expect.stringContaining("unknown key 'split'"),
      ],
      [
        lineOf(text, 'country: usa'),
        'orders.allocation.regions[0].country',
        expect.stringContaining("invalid country 'usa'"),
      ],
      [
        lineOf(text, 'country: usa'),
        'orders.allocation.regions[0].lat',
        expect.stringContaining('from -90 to 90'),
      ],
    ]);
    expect(issues.every((i) => i.file === 'manifold.yaml')).toBe(true);
  });
});
