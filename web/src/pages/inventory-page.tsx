/** `/inventory/{sku}`: positions per location and bucket, available, ATP per channel, and the recent ledger. */
import { type FormEvent, useState } from 'react';
import { INVENTORY_BUCKETS } from '../../../src/domain/inventory/buckets.js';
import { Empty, ErrorBox, PageHeader, When } from '../components.js';
import { navigate } from '../router.js';
import type { InventoryView, LedgerPage } from '../types.js';
import { useApi } from '../use-api.js';
import { InventoryChart } from './inventory-charts.js';

export function InventoryPage({ sku }: { sku?: string }) {
  const [typed, setTyped] = useState(sku ?? '');
  const path = sku ? `/v1/inventory/${encodeURIComponent(sku)}` : undefined;
  const inventory = useApi<InventoryView>(path, { refreshMs: 5000 });
  const ledger = useApi<LedgerPage>(path ? `${path}/ledger?limit=50` : undefined, { refreshMs: 5000 });

  const go = (event: FormEvent) => {
    event.preventDefault();
    const next = typed.trim();
    if (next !== '') navigate(`/inventory/${encodeURIComponent(next)}`);
  };

  return (
    <section data-testid="inventory-page">
      <PageHeader title={sku ? <>Inventory of {sku}</> : 'Inventory'} />
      <div className="card toolbar">
        <form onSubmit={go} className="inline-form" data-testid="sku-search">
          <label>
            SKU
            <input
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              placeholder="WIDGET-1"
              data-testid="sku-search-input"
            />
          </label>
          <button type="submit" className="primary" data-testid="sku-search-submit">
            Show
          </button>
        </form>
      </div>
      {!sku ? <Empty>Enter a SKU to see its positions, availability per channel and ledger.</Empty> : null}
      <ErrorBox error={inventory.error} />
      {inventory.data ? (
        <>
          <div className="card">
            <h2>Positions</h2>
            <table data-testid="positions-table">
              <thead>
                <tr>
                  <th>Location</th>
                  {INVENTORY_BUCKETS.map((b) => (
                    <th key={b} className="num">
                      {b.replace('_', ' ')}
                    </th>
                  ))}
                  <th className="num">available</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {inventory.data.positions.map((p) => (
                  <tr key={p.location} data-testid={`position-${p.location}`}>
                    <td>
                      <strong>{p.location}</strong>
                    </td>
                    {INVENTORY_BUCKETS.map((b) => (
                      <td key={b} className={`num ${p.buckets[b] ? '' : 'zero'}`} data-testid={`bucket-${b}`}>
                        {p.buckets[b] ?? 0}
                      </td>
                    ))}
                    <td className={`num strong ${p.available < 0 ? 'negative' : ''}`} data-testid="available">
                      {p.available}
                    </td>
                    <td>
                      <When at={p.updatedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="card">
            <h2>Available to promise per channel</h2>
            <table className="compact" data-testid="atp-table">
              <thead>
                <tr>
                  <th>Channel</th>
                  <th className="num">ATP</th>
                  <th className="num">Safety stock</th>
                  <th>From locations</th>
                </tr>
              </thead>
              <tbody>
                {inventory.data.channels.map((c) => (
                  <tr key={c.channel} data-testid={`atp-${c.channel}`}>
                    <td>{c.channel}</td>
                    <td className="num strong">{c.available}</td>
                    <td className="num">{c.safetyStock}</td>
                    <td>{c.locations.join(', ') || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
      {inventory.data && sku ? <InventoryChart key={sku} sku={sku} /> : null}
      {ledger.data ? (
        <div className="card">
          <h2>Recent ledger</h2>
          {ledger.data.items.length === 0 ? (
            <Empty>No entries.</Empty>
          ) : (
            <table className="compact" data-testid="ledger-table">
              <thead>
                <tr>
                  <th>At</th>
                  <th>Location</th>
                  <th>Changes</th>
                  <th>Reason</th>
                  <th>System</th>
                  <th>Reference</th>
                </tr>
              </thead>
              <tbody>
                {ledger.data.items.map((entry, i, items) => (
                  <tr key={entry.id}>
                    <td>
                      <When at={entry.at} previous={items[i - 1]?.at} />
                    </td>
                    <td>{entry.location}</td>
                    <td>
                      {Object.entries(entry.deltas)
                        .map(([bucket, delta]) => `${bucket} ${delta > 0 ? '+' : ''}${delta}`)
                        .join(', ')}
                    </td>
                    <td>{entry.reason}</td>
                    <td>{entry.system}</td>
                    <td className="small">
                      {[entry.documentRef, entry.correlationId].filter(Boolean).join(' · ') || '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ) : null}
    </section>
  );
}
