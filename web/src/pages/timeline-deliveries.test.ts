/** The timeline's deliveries of one event: one summary line (with the X12 document and its 997), collapsed. */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { TimelineDelivery } from '../types.js';
import { Deliveries, deliveryCounts, x12Name } from './timeline-deliveries.js';

const edi: TimelineDelivery = {
  subscription: 'acme-edi',
  target: 'acme',
  status: 'delivered',
  attempts: [
    { attempt: 1, at: '2026-11-27T09:30:00.000Z', outcome: 'delivered', httpStatus: 200, latencyMs: 24_850 },
  ],
  latencyFromIngestMs: 24_850,
  x12: { set: '855', interchange: 123, group: 45, transactionSet: 1, acknowledgement: 'accepted' },
};
const http: TimelineDelivery = {
  subscription: 'erp-orders',
  target: 'erp',
  status: 'pending',
  attempts: [],
};

describe('Deliveries', () => {
  it('collapses to one line naming the X12 document and its 997; the table is inside the closed details', () => {
    const html = renderToStaticMarkup(createElement(Deliveries, { deliveries: [edi, http] }));
    expect(html).toMatch(/^<details class="deliveries-group"/);
    expect(html).not.toMatch(/<details[^>]* open/);
    const summary = html.slice(html.indexOf('<summary'), html.indexOf('</summary>'));
    expect(summary).toContain('2 deliveries');
    expect(summary).toContain('1 pending, 1 delivered');
    expect(summary).toContain('855 · ISA 123 · ST 0001');
    expect(summary).toContain('997 accepted');
    // Opened: each delivery with its document, control numbers and attempts.
    expect(html).toContain('data-testid="delivery-acme-edi"');
    expect(html).toContain('GS 45');
  });

  it('names a document by set and control numbers, and counts statuses worst first', () => {
    expect(x12Name({ set: '810', interchange: 9, acknowledgement: 'pending' })).toBe('810 · ISA 9');
    expect(deliveryCounts([http, edi, { ...http, subscription: 'x', status: 'parked' }])).toBe(
      '1 parked, 1 pending, 1 delivered',
    );
  });
});
