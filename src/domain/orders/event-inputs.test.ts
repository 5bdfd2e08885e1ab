import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../event-catalogue.js';
import { HANDLED_TYPES, inputOf, ORDER_TYPES } from './event-inputs.js';
import { apply, newOrder } from './lifecycle.js';

describe('order event types', () => {
  it('consumes every order type an outside system may assert, from the catalogue', () => {
    const asserted = CATALOGUE.filter(
      (e) => e.type.startsWith('com.manifold.order.') && e.ownership.kind !== 'hub',
    ).map((e) => e.type);
    expect([...ORDER_TYPES]).toEqual(asserted);
    expect(ORDER_TYPES).toContain('com.manifold.order.status-reported.v1');
  });

  it('knows what to do with every consumed type: a new one without a mapping fails here', () => {
    for (const type of ORDER_TYPES) expect(HANDLED_TYPES, type).toContain(type);
  });

  it('refuses a type it has no mapping for, rather than ignoring it', () => {
    const state = newOrder('SO-1', 'web', [{ lineId: '1', sku: 'A', quantity: 2 }]);
    expect(() =>
      inputOf('com.manifold.order.teleported.v1', { orderId: 'SO-1' }, state, () => undefined),
    ).toThrow(/no lifecycle input/);
  });
});

describe('event → lifecycle input', () => {
  const accepted = newOrder('SO-1', 'web', [
    { lineId: '1', sku: 'A', quantity: 3 },
    { lineId: '2', sku: 'B', quantity: 2 },
  ]);
  const shipped = apply(
    apply(accepted, {
      kind: 'committed',
      lines: [{ lineId: '1', location: 'east', quantity: 3 }],
      backordered: [],
    }).state,
    { kind: 'shipped', location: 'east', lines: [{ lineId: '1', quantity: 2 }] },
  ).state;
  const none = () => undefined;

  it('passes an owner stage report through with its location and lines', () => {
    expect(
      inputOf(
        'com.manifold.order.picked.v1',
        { orderId: 'SO-1', location: 'east', lines: [{ lineId: '1', quantity: 1 }] },
        accepted,
        none,
      ),
    ).toEqual({
      kind: 'input',
      input: { kind: 'picked', location: 'east', lines: [{ lineId: '1', quantity: 1 }] },
    });
    expect(inputOf('com.manifold.order.delivered.v1', { orderId: 'SO-1' }, accepted, none)).toEqual({
      kind: 'input',
      input: { kind: 'delivered' },
    });
  });

  it('maps invoiced, cancelled and returned', () => {
    expect(inputOf('com.manifold.order.invoiced.v1', { orderId: 'SO-1' }, accepted, none)).toEqual({
      kind: 'input',
      input: { kind: 'invoiced', lines: [] },
    });
    expect(inputOf('com.manifold.order.cancelled.v1', { orderId: 'SO-1' }, accepted, none)).toEqual({
      kind: 'input',
      input: { kind: 'cancelled' },
    });
    expect(
      inputOf(
        'com.manifold.order.returned.v1',
        { orderId: 'SO-1', lines: [{ lineId: '1', quantity: 1 }] },
        shipped,
        none,
      ),
    ).toEqual({
      kind: 'input',
      input: { kind: 'returned', location: '', lines: [{ lineId: '1', quantity: 1 }] },
    });
  });

  it('turns a mapped status into the units still open at that stage', () => {
    const status = (code: string) =>
      (({ SHP: 'shipped', DLV: 'delivered', INV: 'invoiced', RET: 'returned' }) as const)[code];
    const report = (code: string, state = shipped) =>
      inputOf('com.manifold.order.status-reported.v1', { orderId: 'SO-1', status: code }, state, status);
    expect(report('SHP')).toEqual({
      kind: 'input',
      input: {
        kind: 'shipped',
        lines: [
          { lineId: '1', quantity: 1 },
          { lineId: '2', quantity: 2 },
        ],
      },
    });
    // A carrier delivers only what left: the 2 shipped units.
    expect(report('DLV')).toEqual({
      kind: 'input',
      input: { kind: 'delivered', lines: [{ lineId: '1', quantity: 2 }] },
    });
    expect(report('INV')).toEqual({
      kind: 'input',
      input: {
        kind: 'invoiced',
        lines: [
          { lineId: '1', quantity: 3 },
          { lineId: '2', quantity: 2 },
        ],
      },
    });
    expect(report('RET')).toEqual({ kind: 'not-moving', code: 'RET', milestone: 'returned' });
    expect(report('???')).toEqual({ kind: 'unknown-status', code: '???' });
  });
});
