/**
 * The *Commercial* panel of an order (docs/orders.md#commercial-fields): PO, currency, dates, ship-via,
 * bill-to and mark-for, charges, taxes, discounts, payment and notes; and the item details of a line
 * (description, the buyer's item id, GTIN, discount, taxes). Shows only what the order carries.
 */
import type { ReactNode } from 'react';
import type { OrderView } from '../types.js';

type Party = NonNullable<OrderView['billTo']>;
type Line = OrderView['lines'][number];

function money(amount: number, currency: string | undefined): string {
  return `${amount.toFixed(2)}${currency ? ` ${currency}` : ''}`;
}

function partyText(party: Party): string {
  const place = [party.city, party.region, party.postalCode, party.country].filter(Boolean).join(' ');
  return [party.name + (party.id ? ` (${party.id})` : ''), party.line1, party.line2, place]
    .filter(Boolean)
    .join(', ');
}

/** The order's commercial fields as a list of facts; nothing when it carries none. */
export function CommercialPanel({ order }: { order: OrderView }) {
  const { currency } = order;
  const facts: [string, ReactNode][] = [];
  const add = (label: string, value: ReactNode | undefined) => {
    if (value !== undefined && value !== '') facts.push([label, value]);
  };
  add('Customer PO', order.customerPo);
  add('Department', order.department);
  add('Currency', currency);
  add('Ordered at', order.orderedAt);
  add('Requested ship', order.requestedShipDate);
  add(
    'Ship window',
    order.shipNotBefore || order.shipNoLater
      ? `${order.shipNotBefore ?? '…'} – ${order.shipNoLater ?? '…'}`
      : undefined,
  );
  add('Requested delivery', order.requestedDeliveryDate);
  add('Cancel after', order.cancelAfter);
  add(
    'Ship via',
    order.shipVia ? [order.shipVia.carrier, order.shipVia.service].filter(Boolean).join(' · ') : undefined,
  );
  add('Bill to', order.billTo ? partyText(order.billTo) : undefined);
  add('Mark for', order.markFor ? partyText(order.markFor) : undefined);
  add(
    'Charges',
    order.charges?.length
      ? order.charges
          .map((c) => `${c.type}${c.description ? ` (${c.description})` : ''} ${money(c.amount, currency)}`)
          .join('; ')
      : undefined,
  );
  add(
    'Taxes',
    order.taxes?.length
      ? order.taxes
          .map((t) => `${t.type}${t.rate === undefined ? '' : ` ${t.rate} %`} ${money(t.amount, currency)}`)
          .join('; ')
      : undefined,
  );
  add(
    'Discounts',
    order.discounts?.length
      ? order.discounts
          .map((d) => `${d.code ?? d.description ?? 'discount'} −${money(d.amount, currency)}`)
          .join('; ')
      : undefined,
  );
  add(
    'Payment',
    order.payment
      ? `${order.payment.status}${order.payment.method ? ` (${order.payment.method})` : ''}`
      : undefined,
  );
  add('Notes', order.notes ? <span className="pre">{order.notes}</span> : undefined);
  if (facts.length === 0) return null;
  return (
    <div className="card" data-testid="order-commercial">
      <h3>Commercial</h3>
      <dl className="facts">
        {facts.map(([label, value]) => (
          <Fact key={label} label={label} value={value} />
        ))}
      </dl>
    </div>
  );
}

function Fact({ label, value }: { label: string; value: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={`commercial-${label.toLowerCase().replace(/ /g, '-')}`}>{value}</dd>
    </>
  );
}

/**
 * A line's item details: description, the buyer's item id, GTIN, its discount and its taxes (in the
 * order's currency); `—` when it has none.
 */
export function LineItem({ line, currency }: { line: Line; currency?: string | undefined }) {
  const parts = [
    line.description,
    line.customerItemId ? `buyer ${line.customerItemId}` : undefined,
    line.gtin ? `GTIN ${line.gtin}` : undefined,
    line.discount === undefined ? undefined : `discount −${money(line.discount, currency)}`,
    ...(line.taxes ?? []).map(
      (t) => `tax ${t.type}${t.rate === undefined ? '' : ` ${t.rate} %`} ${money(t.amount, currency)}`,
    ),
  ].filter(Boolean);
  return <span data-testid={`line-item-${line.lineId}`}>{parts.length > 0 ? parts.join(' · ') : '—'}</span>;
}
