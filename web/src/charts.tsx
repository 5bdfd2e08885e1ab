/**
 * Time-series charts of the console (docs/console.md#charts-over-time), drawn by uPlot on a canvas. A chart
 * takes columns: `t` (Unix seconds) and one column per series; a gap (null) is drawn as a break. uPlot's
 * own legend names each series with its value under the cursor.
 */
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './charts.css';

export interface ChartSeries {
  label: string;
  values: readonly (number | null)[];
  color: string;
}

export const CHART_WINDOWS = ['15m', '1h', '24h'] as const;
export type ChartWindow = (typeof CHART_WINDOWS)[number];
const WINDOW_LABELS: Record<ChartWindow, string> = { '15m': '15 min', '1h': '1 h', '24h': '24 h' };

/** A palette that stays apart on white. */
export const CHART_COLORS = ['#2457c5', '#1f9d55', '#c98a00', '#b4235a', '#6b3fb8', '#0f8a8a', '#7a5c2e'];

/** The window selector of a group of charts. */
export function WindowPicker({
  value,
  onChange,
  testId,
}: {
  value: ChartWindow;
  onChange: (window: ChartWindow) => void;
  testId: string;
}) {
  return (
    <span className="chart-windows" data-testid={testId}>
      {CHART_WINDOWS.map((w) => (
        <button
          key={w}
          type="button"
          className={w === value ? 'primary' : ''}
          aria-pressed={w === value}
          data-testid={`${testId}-${w}`}
          onClick={() => onChange(w)}
        >
          {WINDOW_LABELS[w]}
        </button>
      ))}
    </span>
  );
}

/** One chart: a title, the canvas, uPlot's legend. `format` writes a value of the y axis and legend. */
export function TimeChart({
  title,
  t,
  series,
  testId,
  format = (v) => String(v),
  height = 180,
  syncKey,
}: {
  title: string;
  t: readonly number[];
  series: readonly ChartSeries[];
  testId: string;
  format?: (value: number) => string;
  height?: number;
  /** Charts with the same key move their cursors together. */
  syncKey?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const [width, setWidth] = useState(0);
  const shape = series.map((s) => `${s.label}\u0000${s.color}`).join('\u0001');

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(240, Math.floor(element.clientWidth))));
    observer.observe(element);
    setWidth(Math.max(240, Math.floor(element.clientWidth)));
    return () => observer.disconnect();
  }, []);

  // A new chart when the series change (names, count); new data otherwise.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `shape` stands for the series' names and colors
  useEffect(() => {
    const element = box.current;
    if (!element || width === 0) return;
    const value = (_: uPlot, v: number | null) => (v === null || v === undefined ? '—' : format(v));
    const options: uPlot.Options = {
      width,
      height,
      series: [
        { label: 'time' },
        ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: false, value })),
      ],
      axes: [{}, { values: (_: uPlot, ticks: number[]) => ticks.map((v) => format(v)), size: 60 }],
      scales: { y: { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(1, max ?? 1)] } },
      cursor: { drag: { x: false, y: false }, ...(syncKey ? { sync: { key: syncKey } } : {}) },
    };
    const chart = new uPlot(options, columns(t, series), element);
    plot.current = chart;
    return () => {
      chart.destroy();
      plot.current = undefined;
    };
  }, [shape, width, height, syncKey]);

  useEffect(() => {
    plot.current?.setData(columns(t, series));
  }, [t, series]);

  return (
    <div className="chart" data-testid={testId}>
      <h3>{title}</h3>
      <div ref={box} className="chart-canvas" />
    </div>
  );
}

function columns(t: readonly number[], series: readonly ChartSeries[]): uPlot.AlignedData {
  return [t as number[], ...series.map((s) => s.values as (number | null)[])];
}
