import { describe, expect, it } from 'vitest';
import type { Fact } from './event-catalogue.js';
import { decideOwnership, defaultOwners, type OwnershipContext } from './ownership.js';

const systems = [
  { name: 'shop', kind: 'commerce', locations: [], channel: 'web' },
  { name: 'erp', kind: 'erp', locations: [] },
  { name: 'fraud-screen', kind: 'other', locations: [] },
];

describe('owners of changes and holds', () => {
  it('default to the owners of order.accepted (change, payment, fraud) and the ERPs (credit, manual)', () => {
    const owners = defaultOwners(new Map<Fact, string[]>([['order.accepted', ['shop', 'erp']]]), systems);
    expect(Object.fromEntries([...owners].filter(([f]) => f !== 'order.accepted'))).toEqual({
      'order.changed': ['shop', 'erp'],
      'order.hold.payment': ['shop', 'erp'],
      'order.hold.fraud': ['shop', 'erp'],
      'order.hold.credit': ['erp'],
      'order.hold.manual': ['erp'],
    });
  });

  it('keeps what the configuration lists', () => {
    const owners = defaultOwners(
      new Map<Fact, string[]>([
        ['order.accepted', ['shop']],
        ['order.hold.fraud', ['fraud-screen']],
      ]),
      systems,
    );
    expect(owners.get('order.hold.fraud')).toEqual(['fraud-screen']);
    expect(owners.get('order.hold.payment')).toEqual(['shop']);
  });

  it('decides a hold by its kind: the fact is order.hold.<kind>', () => {
    const context: OwnershipContext = {
      ownership: defaultOwners(new Map<Fact, string[]>([['order.accepted', ['shop', 'erp']]]), systems),
      systems: new Map(systems.map((s) => [s.name, s])),
      statusMaps: new Map(),
    };
    const hold = (kind: string) => ({ orderId: 'SO-1', hold: kind, reason: 'r' });
    expect(decideOwnership(context, 'shop', { kind: 'hold' }, hold('payment'))).toEqual({
      allowed: true,
      fact: 'order.hold.payment',
    });
    expect(decideOwnership(context, 'shop', { kind: 'hold' }, hold('credit'))).toMatchObject({
      allowed: false,
      fact: 'order.hold.credit',
      owners: ['erp'],
    });
    expect(decideOwnership(context, 'erp', { kind: 'hold' }, hold('manual'))).toMatchObject({
      allowed: true,
    });
  });
});
