/** How the console writes numbers, durations and times. */

export function formatRate(perSecond: number): string {
  if (perSecond === 0) return '0';
  return perSecond >= 10 ? perSecond.toFixed(0) : perSecond.toFixed(2);
}

export function formatPercent(ratio: number): string {
  return ratio === 0 ? '0 %' : `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)} %`;
}

export function formatSeconds(seconds: number): string {
  if (seconds <= 0) return '—';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** `2026-11-27 09:30:12` in the browser's time zone (ISO input). */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The last dotted parts of an event type: `com.manifold.order.shipped.v1` → `order.shipped`. */
export function shortType(type: string): string {
  return type.replace(/^com\.manifold\./, '').replace(/\.v\d+$/, '');
}
