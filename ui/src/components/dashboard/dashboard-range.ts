import type { UsageInterval, UsagePoint, UsageTotals } from '../../api/types';

export type DashRange = 'hour' | 'day' | 'week';

const MINUTE = 60_000;
const HOUR = 3_600_000;

export interface RangeWindow {
  from: number;
  to: number;
  interval: UsageInterval;
  step: number;
}

/** hour → per minute over the last hour; day → per hour over 24 h; week → per hour over 7 days. */
export function rangeWindow(range: DashRange, now = Date.now()): RangeWindow {
  if (range === 'hour') return { from: now - HOUR, to: now, interval: 'minute', step: MINUTE };
  if (range === 'day') return { from: now - 24 * HOUR, to: now, interval: 'hour', step: HOUR };
  return { from: now - 7 * 24 * HOUR, to: now, interval: 'hour', step: HOUR };
}

export interface Bucket {
  at: number;
  point: UsageTotals | null;
}

/** One bucket per interval from `from` to `to`, with the server's point where it has one (gaps are null). */
export function fillBuckets(window: RangeWindow, series: readonly UsagePoint[]): Bucket[] {
  const byTime = new Map<number, UsagePoint>();
  for (const point of series) {
    const at = Date.parse(point.time);
    if (!Number.isNaN(at)) byTime.set(Math.floor(at / window.step) * window.step, point);
  }
  const buckets: Bucket[] = [];
  const first = Math.floor(window.from / window.step) * window.step;
  for (let at = first; at <= window.to; at += window.step) {
    buckets.push({ at, point: byTime.get(at) ?? null });
  }
  return buckets;
}

export function bucketLabel(at: number, range: DashRange, locale: string): string {
  const options: Intl.DateTimeFormatOptions =
    range === 'week'
      ? { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }
      : { hour: '2-digit', minute: '2-digit' };
  return new Intl.DateTimeFormat(locale, options).format(new Date(at));
}
