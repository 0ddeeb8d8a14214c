import type { BudgetPeriod } from './limit-values.js';

export interface Window {
  readonly start: number;
  /** Exclusive; Infinity for a window that never ends. */
  readonly end: number;
}

/**
 * The window a counter counts in, by name, so that the store (not the caller) turns it into
 * boundaries with its own clock: `minute` and `hour` for rates, a budget period for spend.
 */
export type CounterWindow = 'minute' | 'hour' | BudgetPeriod;

/** The window of `window` holding `now`. */
export function windowAt(window: CounterWindow, now: number): Window {
  switch (window) {
    case 'minute':
      return fixedWindow(now, 60_000);
    case 'hour':
      return fixedWindow(now, 3_600_000);
    default:
      return budgetWindow(now, window);
  }
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
