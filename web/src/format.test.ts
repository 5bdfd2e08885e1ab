/** The console's one way of writing a timestamp: local time with its age, a repeated date left out. */
import { describe, expect, it } from 'vitest';
import { formatAge, formatTimestamp } from './format.js';

const pad = (n: number) => String(n).padStart(2, '0');
/** The local wall-clock text of an instant, as the browser shows it. */
const local = (iso: string) => {
  const d = new Date(iso);
  return {
    date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    time: `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
  };
};

describe('formatTimestamp', () => {
  const now = Date.parse('2026-11-27T12:00:00.000Z');

  it('writes local date and time with the age, and the ISO instant as title', () => {
    const iso = '2026-11-27T11:57:00.000Z';
    const { date, time } = local(iso);
    expect(formatTimestamp(iso, { nowMs: now })).toEqual({
      text: `${date} ${time} · 3 min ago`,
      title: iso,
    });
  });

  it('leaves out a date that repeats the one shown just before it', () => {
    const previous = '2026-11-27T11:58:00.000Z';
    const iso = '2026-11-27T11:57:30.000Z';
    expect(formatTimestamp(iso, { previous, nowMs: now }).text).toBe(`${local(iso).time} · 2 min ago`);
    const otherDay = '2026-11-20T11:57:30.000Z';
    expect(formatTimestamp(otherDay, { previous, nowMs: now }).text).toBe(
      `${local(otherDay).date} ${local(otherDay).time} · 7 d ago`,
    );
  });

  it('shows a dash for nothing and the raw text for something that is not a time', () => {
    expect(formatTimestamp(undefined).text).toBe('—');
    expect(formatTimestamp('soon').text).toBe('soon');
  });

  it('writes ages in seconds, minutes, hours and days, past and future', () => {
    expect(formatAge(now - 2000, now)).toBe('just now');
    expect(formatAge(now - 42_000, now)).toBe('42 s ago');
    expect(formatAge(now - 2 * 3600_000, now)).toBe('2 h ago');
    expect(formatAge(now + 180_000, now)).toBe('in 3 min');
  });
});
