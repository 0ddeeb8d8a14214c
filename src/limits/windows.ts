import type { BudgetPeriod } from './limit-values.js';

export interface Window {
  readonly start: number;
  /** Exclusive; Infinity for a window that never ends. */
  readonly end: number;
}

/** Fixed windows aligned to the epoch, so every process computes the same boundaries. */
export function fixedWindow(now: number, lengthMs: number): Window {
  const start = Math.floor(now / lengthMs) * lengthMs;
  return { start, end: start + lengthMs };
}

const DAY_MS = 86_400_000;

/** Budget periods in UTC: calendar day, ISO week (from Monday), calendar month, or forever. */
export function budgetWindow(now: number, period: BudgetPeriod): Window {
  switch (period) {
    case 'total':
      return { start: 0, end: Number.POSITIVE_INFINITY };
    case 'day':
      return fixedWindow(now, DAY_MS);
    case 'week': {
      const day = Math.floor(now / DAY_MS);
      // 1970-01-01 was a Thursday: day 4 is the first Monday.
      const start = (day - ((day - 4 + 7 * 1_000_000) % 7)) * DAY_MS;
      return { start, end: start + 7 * DAY_MS };
    }
    case 'month': {
      const date = new Date(now);
      const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
      const end = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
      return { start, end };
    }
  }
}
