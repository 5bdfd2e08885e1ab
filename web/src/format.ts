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

/** How long ago `thenMs` was at `nowMs`: `just now`, `42 s ago`, `3 min ago`, `2 h ago`, `5 d ago`, `in 3 min`. */
export function formatAge(thenMs: number, nowMs: number): string {
  const seconds = Math.round((nowMs - thenMs) / 1000);
  const size = Math.abs(seconds);
  if (size < 5) return 'just now';
  const amount =
    size < 60
      ? `${size} s`
      : size < 3600
        ? `${Math.floor(size / 60)} min`
        : size < 86_400
          ? `${Math.floor(size / 3600)} h`
          : `${Math.floor(size / 86_400)} d`;
  return seconds > 0 ? `${amount} ago` : `in ${amount}`;
}

/** The browser-local date and time of an ISO instant: `2026-11-27` and `09:30:12`. */
function localParts(iso: string): { date: string; time: string } | undefined {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    date: `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`,
    time: `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`,
  };
}

/**
 * How the console shows every timestamp: local date and time with its age, `2026-11-27 09:30:12 · 3 min
 * ago`, and the full ISO instant as the tooltip. Given the timestamp shown just before it (the row above),
 * a date that repeats it is left out: `09:31:40 · 2 min ago`.
 */
export function formatTimestamp(
  iso: string | undefined,
  options: { previous?: string | undefined; nowMs?: number } = {},
): { text: string; title: string } {
  if (!iso) return { text: '—', title: '' };
  const parts = localParts(iso);
  if (!parts) return { text: iso, title: iso };
  const previous = options.previous === undefined ? undefined : localParts(options.previous);
  const age = formatAge(Date.parse(iso), options.nowMs ?? Date.now());
  const shown = previous?.date === parts.date ? parts.time : `${parts.date} ${parts.time}`;
  return { text: `${shown} · ${age}`, title: new Date(iso).toISOString() };
}

/** A timestamp as text only (where no tooltip can be attached): the same words as `formatTimestamp`. */
export function formatTime(iso: string | undefined): string {
  return formatTimestamp(iso).text;
}

/** The last dotted parts of an event type: `com.manifold.order.shipped.v1` → `order.shipped`. */
export function shortType(type: string): string {
  return type.replace(/^com\.manifold\./, '').replace(/\.v\d+$/, '');
}
