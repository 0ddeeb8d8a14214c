import { computed } from 'vue';
import { currentLang } from '../i18n';

/** Locale-aware formatting of numbers, money, durations and times; follows the panel's language. */
export function useFormat() {
  const locale = computed(() => currentLang.value);
  return {
    locale,
    number: (n: number | null | undefined) => formatNumber(n, locale.value),
    compact: (n: number | null | undefined) => formatCompact(n, locale.value),
    cost: (amount: number | null | undefined, currency?: string | null) =>
      formatCost(amount, locale.value, currency),
    percent: (fraction: number | null | undefined) => formatPercent(fraction, locale.value),
    ms: (ms: number | null | undefined) => formatMs(ms, locale.value),
    dateTime: (iso: string | number | null | undefined) => formatDateTime(iso, locale.value),
    time: (iso: string | number | null | undefined) => formatTime(iso, locale.value),
    relative: (iso: string | number | null | undefined) => formatRelative(iso, locale.value),
  };
}

const DASH = '—';

export function formatNumber(n: number | null | undefined, locale: string): string {
  if (n === null || n === undefined || Number.isNaN(n)) return DASH;
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(n);
}

export function formatCompact(n: number | null | undefined, locale: string): string {
  if (n === null || n === undefined || Number.isNaN(n)) return DASH;
  return new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(n);
}

/**
 * An amount of money with enough digits for tiny per-request costs ($0.000123; below that, two
 * significant digits: $0.000000072, never $0.00 for a cost that is not nothing), in `currency`
 * (a record's prices', or the deployment's a usage report or the session names; USD when not
 * given). A
 * currency Intl does not know (not a three-letter code) is written after the number.
 */
export function formatCost(
  amount: number | null | undefined,
  locale: string,
  currency: string | null = 'USD',
): string {
  if (amount === null || amount === undefined || Number.isNaN(amount)) return DASH;
  const options = moneyDigits(amount);
  const code = currency ?? 'USD';
  try {
    return new Intl.NumberFormat(locale, { ...options, style: 'currency', currency: code }).format(amount);
  } catch {
    return `${new Intl.NumberFormat(locale, options).format(amount)} ${code}`;
  }
}

function moneyDigits(amount: number): { minimumFractionDigits: number; maximumFractionDigits: number } {
  const abs = Math.abs(amount);
  const digits =
    abs === 0
      ? 2
      : abs < 0.000001
        ? Math.min(20, 1 - Math.floor(Math.log10(abs)))
        : abs < 0.01
          ? 6
          : abs < 1
            ? 4
            : 2;
  return { minimumFractionDigits: Math.min(digits, 2), maximumFractionDigits: digits };
}

export function formatPercent(fraction: number | null | undefined, locale: string): string {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return DASH;
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 2 }).format(fraction);
}

export function formatMs(ms: number | null | undefined, locale: string): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return DASH;
  if (ms >= 10_000) {
    return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(ms / 1000)} s`;
  }
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(ms)} ms`;
}

function toDate(value: string | number | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function formatDateTime(value: string | number | null | undefined, locale: string): string {
  const date = toDate(value);
  if (!date) return DASH;
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(date);
}

export function formatTime(value: string | number | null | undefined, locale: string): string {
  const date = toDate(value);
  if (!date) return DASH;
  return new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(date);
}

export function formatRelative(value: string | number | null | undefined, locale: string): string {
  const date = toDate(value);
  if (!date) return DASH;
  const seconds = Math.round((date.getTime() - Date.now()) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(seconds);
  if (abs < 60) return rtf.format(seconds, 'second');
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(seconds / 3600), 'hour');
  return rtf.format(Math.round(seconds / 86_400), 'day');
}
