/**
 * The inventory page's chart (docs/console.md#charts-over-time): a SKU's available to promise per channel
 * over 15 minutes, an hour or a day, computed by the hub from the SKU's ledger
 * (`GET /v1/inventory/{sku}/series`).
 */
import { useMemo, useState } from 'react';
import type { AvailabilitySeriesView } from '../../../src/contracts/views/series-views.js';
import { CHART_COLORS, type ChartWindow, TimeChart, WindowPicker } from '../charts.js';
import { ErrorBox } from '../components.js';
import { useApi } from '../use-api.js';

export function InventoryChart({ sku }: { sku: string }) {
  const [window, setWindow] = useState<ChartWindow>('1h');
  const path = `/v1/inventory/${encodeURIComponent(sku)}/series?window=${window}`;
  const { data, error } = useApi<AvailabilitySeriesView>(path, { refreshMs: 30_000 });
  const series = useMemo(
    () =>
      (data?.channels ?? []).map((c, i) => ({
        label: c.channel,
        values: c.available,
        color: CHART_COLORS[i % CHART_COLORS.length] as string,
      })),
    [data],
  );
  return (
    <div className="card" data-testid="inventory-chart">
      <div className="chart-toolbar">
        <h2>Available per channel over time</h2>
        <WindowPicker value={window} onChange={setWindow} testId="inventory-chart-window" />
      </div>
      <ErrorBox error={error} />
      {data ? (
        <div data-testid="inventory-chart-loaded" data-path={path}>
          <TimeChart title="Available to promise" testId="chart-availability" t={data.t} series={series} />
          {data.truncated ? (
            <p className="legend">
              The oldest steps are approximate: the ledger had too many entries to read.
            </p>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
