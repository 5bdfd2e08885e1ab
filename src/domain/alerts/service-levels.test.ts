import { describe, expect, it } from 'vitest';
import { breachTime, describeServiceLevel, type OrderFacts, orderBreaches } from './service-levels.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-01T08:00:00Z');
const order: OrderFacts = {
  orderId: 'PO-1',
  customer: 'ACME',
  system: 'acme',
  sends855: true,
  sends856: true,
  locations: ['DC-EAST'],
  acceptedAtMs: T0,
  releasedNotShipped: 0,
  backordered: 0,
};

describe('service levels', () => {
  it('ackLate: an EDI order without an 855 past `within`; an 855 sent ends it', () => {
    const c = { kind: 'ackLate' as const, withinMs: 4 * HOUR, forMs: 0 };
    expect(breachTime(c, order, T0 + 4 * HOUR - 1)).toBeUndefined();
    expect(breachTime(c, order, T0 + 4 * HOUR)).toBe(T0 + 4 * HOUR);
    expect(breachTime(c, { ...order, sent855AtMs: T0 + 5 * HOUR }, T0 + 6 * HOUR)).toBeUndefined();
    expect(breachTime(c, { ...order, sends855: false }, T0 + 6 * HOUR)).toBeUndefined();
    expect(breachTime({ ...c, partner: 'other' }, order, T0 + 6 * HOUR)).toBeUndefined();
  });

  it('asnLate: shipped without an 856 by ship time (plus `within`)', () => {
    const c = { kind: 'asnLate' as const, withinMs: 0, forMs: 0 };
    expect(breachTime(c, order, T0 + HOUR)).toBeUndefined();
    const shipped = { ...order, shippedAtMs: T0 + HOUR };
    expect(breachTime(c, shipped, T0 + HOUR)).toBe(T0 + HOUR);
    expect(breachTime({ ...c, withinMs: HOUR }, shipped, T0 + HOUR)).toBeUndefined();
    expect(breachTime(c, { ...shipped, sent856AtMs: T0 + HOUR }, T0 + 2 * HOUR)).toBeUndefined();
  });

  it('notShipped: released units not shipped `after` the release, at the warehouse named', () => {
    const c = { kind: 'notShipped' as const, afterMs: 24 * HOUR, forMs: 0 };
    const released = { ...order, releasedAtMs: T0, releasedNotShipped: 2 };
    expect(breachTime(c, released, T0 + 24 * HOUR - 1)).toBeUndefined();
    expect(orderBreaches(c, released, T0 + 24 * HOUR)).toEqual([
      {
        subject: 'PO-1',
        customer: 'ACME',
        partner: 'acme',
        location: 'DC-EAST',
        since: '2026-12-02T08:00:00.000Z',
      },
    ]);
    expect(breachTime(c, { ...released, releasedNotShipped: 0 }, T0 + 48 * HOUR)).toBeUndefined();
    expect(breachTime({ ...c, location: 'DC-WEST' }, released, T0 + 48 * HOUR)).toBeUndefined();
  });

  it('backorderedPast: past the end of the requested ship day, else past acceptance', () => {
    const c = { kind: 'backorderedPast' as const, afterMs: 0, forMs: 0 };
    const backordered = { ...order, backordered: 3, requestedShipDate: '2026-12-01' };
    expect(breachTime(c, backordered, Date.parse('2026-12-01T23:59:59Z'))).toBeUndefined();
    expect(breachTime(c, backordered, Date.parse('2026-12-02T00:00:00Z'))).toBe(
      Date.parse('2026-12-02T00:00:00Z'),
    );
    const { requestedShipDate: _, ...undated } = backordered;
    expect(breachTime({ ...c, afterMs: 2 * HOUR }, undated, T0 + 2 * HOUR)).toBe(T0 + 2 * HOUR);
    expect(breachTime(c, { ...backordered, backordered: 0 }, T0 + 99 * HOUR)).toBeUndefined();
  });

  it('says each level in words', () => {
    expect(describeServiceLevel({ kind: 'asnLate', withinMs: 0, forMs: 0 })).toBe(
      '856 not sent by ship time',
    );
    expect(describeServiceLevel({ kind: 'unacknowledged', afterMs: 2 * HOUR, forMs: 0 })).toBe(
      'no 997/999 2h after sending',
    );
    expect(describeServiceLevel({ kind: 'backorderedPast', afterMs: 0, forMs: 0 })).toBe(
      'backordered past the requested ship date',
    );
  });
});
