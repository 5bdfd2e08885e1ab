/**
 * One valid `data` sample per v1 catalogue type, matching the example config (location DC-EAST,
 * channel web). Tests of the contracts and of the API reuse them; they are also documentation.
 */
import type { CloudEvent } from '../domain/cloud-event.js';
import { catalogueEntry, partitionKeyOf } from '../domain/event-catalogue.js';

const shipTo = {
  name: 'Ada Lovelace',
  line1: '12 Analytical Row',
  city: 'London',
  postalCode: 'NW1 6XE',
  country: 'GB',
};

/** A valid `data` value for every v1 catalogue type, keyed by type. */
export const SAMPLE_DATA: Record<string, unknown> = {
  'com.manifold.inventory.counted.v1': { sku: 'SKU-1', location: 'DC-EAST', onHand: 40 },
  'com.manifold.inventory.adjusted.v1': { sku: 'SKU-1', location: 'DC-EAST', delta: -2, reason: 'shrinkage' },
  'com.manifold.inventory.received.v1': {
    sku: 'SKU-1',
    location: 'DC-EAST',
    quantity: 24,
    quarantine: false,
  },
  'com.manifold.inventory.moved.v1': {
    sku: 'SKU-1',
    location: 'DC-EAST',
    from: 'quarantined',
    to: 'available',
    quantity: 6,
    reason: 'quality_release',
  },
  'com.manifold.inventory.incoming.v1': {
    sku: 'SKU-1',
    location: 'DC-EAST',
    quantity: 100,
    expectedAt: '2025-03-10T08:00:00Z',
  },
  'com.manifold.order.accepted.v1': {
    orderId: 'SO-1001',
    channel: 'web',
    customer: { id: 'C-42', name: 'Ada Lovelace', email: 'ada@example.com' },
    lines: [
      { lineId: '1', sku: 'SKU-1', quantity: 2, unitPrice: 19.9 },
      { lineId: '2', sku: 'SKU-2', quantity: 1, unitPrice: 5 },
    ],
    shipTo: { ...shipTo, phone: '+44 20 7946 0000' },
  },
  'com.manifold.order.picked.v1': {
    orderId: 'SO-1001',
    location: 'DC-EAST',
    lines: [{ lineId: '1', quantity: 2 }],
  },
  'com.manifold.order.packed.v1': {
    orderId: 'SO-1001',
    location: 'DC-EAST',
    lines: [{ lineId: '1', quantity: 2 }],
  },
  'com.manifold.order.shipped.v1': {
    orderId: 'SO-1001',
    location: 'DC-EAST',
    lines: [{ lineId: '1', quantity: 2 }],
    carrier: 'UPSN',
    tracking: '1Z999AA10123456784',
  },
  'com.manifold.order.delivered.v1': {
    orderId: 'SO-1001',
    lines: [{ lineId: '1', quantity: 2 }],
    deliveredAt: '2025-03-03T15:12:00+01:00',
    signedBy: 'A. Lovelace',
  },
  'com.manifold.order.invoiced.v1': {
    orderId: 'SO-1001',
    invoiceNumber: 'INV-2025-0001',
    invoiceDate: '2025-03-03',
    lines: [{ lineId: '1', quantity: 2, unitPrice: 19.9 }],
    total: 39.8,
    currency: 'GBP',
  },
  'com.manifold.order.cancelled.v1': {
    orderId: 'SO-1001',
    reason: 'customer_request',
    lines: [{ lineId: '2', quantity: 1 }],
  },
  'com.manifold.order.returned.v1': {
    orderId: 'SO-1001',
    location: 'DC-EAST',
    lines: [{ lineId: '1', quantity: 1 }],
    rma: 'RMA-77',
  },
  'com.manifold.order.status-reported.v1': { orderId: 'SO-1001', status: 'PKD' },
  'com.manifold.order.changed.v1': {
    orderId: 'SO-1001',
    changeId: 'CHG-1',
    lines: [
      { lineId: '1', action: 'update', quantity: 3 },
      { lineId: '3', action: 'add', sku: 'SKU-3', quantity: 1, unitPrice: 4.5 },
    ],
    requestedDeliveryDate: '2026-02-01',
  },
  'com.manifold.order.held.v1': { orderId: 'SO-1001', hold: 'payment', reason: 'card declined' },
  'com.manifold.order.hold-released.v1': { orderId: 'SO-1001', hold: 'payment', reason: 'paid' },
  'com.manifold.order.milestone.v1': {
    orderId: 'SO-1001',
    milestone: 'shipped',
    previous: 'picked',
    inferred: ['packed'],
    lines: [{ lineId: '1', sku: 'SKU-1', ordered: 2, committed: 2, picked: 2, packed: 2, shipped: 2 }],
  },
  'com.manifold.order.released.v1': {
    orderId: 'SO-1001',
    location: 'DC-EAST',
    channel: 'web',
    lines: [{ lineId: '1', sku: 'SKU-1', quantity: 2 }],
    shipTo,
  },
  'com.manifold.order.exception.v1': {
    orderId: 'SO-1001',
    code: 'short_pick',
    detail: 'Line 1: picked 1 of 2 at DC-EAST; commit the shortfall elsewhere or backorder it.',
  },
  'com.manifold.order.release-cancelled.v1': {
    orderId: 'SO-1001',
    location: 'DC-EAST',
    lines: [{ lineId: '1', sku: 'SKU-1', quantity: 2 }],
    reason: 'customer request',
  },
  'com.manifold.order.change-acknowledged.v1': {
    orderId: 'SO-1001',
    changeId: 'CHG-1',
    status: 'applied',
    lines: [{ lineId: '1', action: 'update', status: 'accepted', sku: 'SKU-1', quantity: 3 }],
  },
  'com.manifold.order.expired.v1': {
    orderId: 'SO-1001',
    cancelAfter: '2026-03-31',
    lines: [{ lineId: '1', sku: 'SKU-1', quantity: 2 }],
  },
  'com.manifold.inventory.availability.v1': { sku: 'SKU-1', channel: 'web', available: 31 },
  'com.manifold.ops.alert.v1': {
    rule: 'erp-orders-backlog',
    scope: 'erp-orders',
    state: 'firing',
    severity: 'critical',
    kind: 'backlog',
    value: 812,
    threshold: 500,
    summary: 'erp-orders: 812 events waiting (above 500 for 5m)',
    since: '2026-11-27T09:00:00Z',
  },
  'com.manifold.inventory.position.v1': {
    sku: 'SKU-1',
    location: 'DC-EAST',
    buckets: {
      on_hand: 40,
      reserved: 3,
      committed: 4,
      allocated: 2,
      quarantined: 0,
      damaged: 0,
      returned: 0,
      incoming: 100,
      in_transit: 2,
    },
    available: 33,
  },
};

/**
 * A valid structured CloudEvent of a catalogue type carrying its sample data, with the subject set to
 * the partition key. Fields in `overrides` replace (or, when undefined, remove) envelope attributes.
 */
export function sampleEvent(type: string, overrides: Partial<CloudEvent> = {}): CloudEvent {
  const entry = catalogueEntry(type);
  if (entry === undefined || !(type in SAMPLE_DATA)) throw new Error(`no sample for type '${type}'`);
  const data = structuredClone(SAMPLE_DATA[type]);
  const event: CloudEvent = {
    specversion: '1.0',
    id: `sample-${type.split('.').slice(2, 4).join('-')}`,
    source: '/systems/sample',
    type,
    time: '2025-03-01T12:00:00Z',
    subject: partitionKeyOf(entry, data),
    datacontenttype: 'application/json',
    correlationid: 'corr-SO-1001',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    data,
    ...overrides,
  };
  for (const [key, value] of Object.entries(event)) if (value === undefined) delete event[key];
  return event;
}
