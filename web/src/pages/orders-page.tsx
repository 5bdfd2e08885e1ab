/**
 * `/orders`: go to an order by id, or browse them filtered by channel and milestone, newest first (or oldest
 * first), a page at a time.
 */
import { type FormEvent, useState } from 'react';
import { MILESTONES } from '../../../src/domain/event-catalogue.js';
import { query } from '../api.js';
import { Badge, Empty, ErrorBox, listOrder, PageHeader, SortControl, When } from '../components.js';
import { Link, navigate, useLocation } from '../router.js';
import type { OrderPage, Overview } from '../types.js';
import { useApi } from '../use-api.js';

const PAGE_SIZE = 25;

export function customerName(customer: Record<string, unknown>): string {
  const id = customer.id ?? customer.number;
  const name = customer.name;
  if (typeof name === 'string' && (typeof id === 'string' || typeof id === 'number'))
    return `${name} (${id})`;
  if (typeof name === 'string') return name;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : '—';
}

export function OrdersPage() {
  const { search } = useLocation();
  const channel = search.get('channel') ?? '';
  const milestone = search.get('milestone') ?? '';
  const cursor = search.get('cursor') ?? '';
  const order = listOrder(search.get('order'));
  const [orderId, setOrderId] = useState('');
  // Cursors of the pages before this one, to go back.
  const [previous, setPrevious] = useState<string[]>([]);
  const overview = useApi<Overview>('/v1/overview');
  const channels = [
    ...new Set((overview.data?.systems ?? []).flatMap((s) => (s.channel ? [s.channel] : []))),
  ].sort();
  const list = useApi<OrderPage>(
    `/v1/orders${query({ channel, milestone, order, cursor, limit: PAGE_SIZE })}`,
  );

  const go = (event: FormEvent) => {
    event.preventDefault();
    const id = orderId.trim();
    if (id !== '') navigate(`/orders/${encodeURIComponent(id)}`);
  };
  const filter = (next: { channel?: string; milestone?: string; order?: string; cursor?: string }) => {
    navigate(`/orders${query({ channel, milestone, order: order === 'desc' ? '' : order, ...next })}`);
  };

  return (
    <section data-testid="orders-page">
      <PageHeader title="Orders" />
      <div className="card toolbar">
        <form onSubmit={go} className="inline-form" data-testid="order-search">
          <label>
            Order id
            <input
              value={orderId}
              onChange={(e) => setOrderId(e.target.value)}
              placeholder="SO-1001"
              data-testid="order-search-input"
            />
          </label>
          <button type="submit" className="primary" data-testid="order-search-submit">
            Open
          </button>
        </form>
        <div className="inline-form">
          <label>
            Channel
            <select
              value={channel}
              onChange={(e) => {
                setPrevious([]);
                filter({ channel: e.target.value, cursor: '' });
              }}
              data-testid="orders-channel"
            >
              <option value="">any</option>
              {channels.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </label>
          <label>
            Milestone
            <select
              value={milestone}
              onChange={(e) => {
                setPrevious([]);
                filter({ milestone: e.target.value, cursor: '' });
              }}
              data-testid="orders-milestone"
            >
              <option value="">any</option>
              {MILESTONES.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </label>
          <SortControl
            value={order}
            onChange={(next) => {
              setPrevious([]);
              filter({ order: next === 'desc' ? '' : next, cursor: '' });
            }}
            testId="orders-sort"
          />
        </div>
      </div>
      <ErrorBox error={list.error} />
      <div className="card">
        {list.data && list.data.items.length === 0 ? (
          <Empty>No orders match.</Empty>
        ) : (
          <table data-testid="orders-table">
            <thead>
              <tr>
                <th>Order</th>
                <th>Channel</th>
                <th>Customer</th>
                <th>Milestone</th>
                <th>Status</th>
                <th className="num">Lines</th>
                <th>Holds</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {(list.data?.items ?? []).map((order, i, items) => (
                <tr key={order.orderId} data-testid={`order-row-${order.orderId}`}>
                  <td>
                    <Link href={`/orders/${encodeURIComponent(order.orderId)}`}>{order.orderId}</Link>
                  </td>
                  <td>{order.channel}</td>
                  <td>{customerName(order.customer)}</td>
                  <td>{order.milestone}</td>
                  <td>{order.status}</td>
                  <td className="num">{order.lines.length}</td>
                  <td>
                    {order.holds.map((h) => (
                      <Badge key={h} tone="bad">
                        {h}
                      </Badge>
                    ))}
                  </td>
                  <td>
                    <When at={order.createdAt} previous={items[i - 1]?.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div className="pager">
          <button
            type="button"
            disabled={previous.length === 0}
            onClick={() => {
              const back = previous.slice(0, -1);
              setPrevious(back);
              filter({ cursor: previous[previous.length - 1] ?? '' });
            }}
            data-testid="orders-previous"
          >
            ← Previous
          </button>
          <button
            type="button"
            disabled={!list.data?.next}
            onClick={() => {
              setPrevious([...previous, cursor]);
              filter({ cursor: list.data?.next ?? '' });
            }}
            data-testid="orders-next"
          >
            Next →
          </button>
        </div>
      </div>
    </section>
  );
}
