import type { LogQuery } from '../../api/types';

/** What the filter form holds; empty strings / null mean "any". */
export interface LogFilterState {
  model: string;
  channel: string | null;
  status: string;
  user: string | null;
  key: string | null;
  range: [number, number] | null;
  /** only failed requests (status 400 or more) */
  failed: boolean;
}

export function emptyFilters(): LogFilterState {
  return { model: '', channel: null, status: '', user: null, key: null, range: null, failed: false };
}

export function isFiltered(f: LogFilterState): boolean {
  return (
    f.model.trim() !== '' ||
    !!f.channel ||
    f.status.trim() !== '' ||
    !!f.user ||
    !!f.key ||
    f.range !== null ||
    f.failed
  );
}

/** The GET /logs query for these filters, or null when the status is not a number. */
export function toLogQuery(f: LogFilterState): LogQuery | null {
  const status = f.status.trim();
  if (status !== '' && !/^\d{1,3}$/.test(status)) return null;
  return {
    ...(f.model.trim() ? { model: f.model.trim() } : {}),
    ...(f.channel ? { channel: f.channel } : {}),
    ...(status ? { status: Number(status) } : {}),
    ...(f.user ? { user: f.user } : {}),
    ...(f.key ? { key: f.key } : {}),
    ...(f.range ? { from: f.range[0], to: f.range[1] } : {}),
    ...(f.failed ? { failed: true as const } : {}),
  };
}

type QueryValue = string | null | undefined | Array<string | null>;

function one(value: QueryValue): string | null {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The filters a /logs URL's query holds (a reload or a shared link keeps them). */
export function filtersFromQuery(query: Record<string, QueryValue>): LogFilterState {
  const from = Number(one(query.from));
  const to = Number(one(query.to));
  const hasRange =
    one(query.from) !== null && one(query.to) !== null && Number.isFinite(from) && Number.isFinite(to);
  return {
    model: one(query.model) ?? '',
    channel: one(query.channel),
    status: one(query.status) ?? '',
    user: one(query.user),
    key: one(query.key),
    range: hasRange ? [from, to] : null,
    failed: one(query.failed) === '1' || one(query.failed) === 'true',
  };
}

/** The URL query for these filters: only the ones set. */
export function filtersToQuery(f: LogFilterState): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.model.trim()) q.model = f.model.trim();
  if (f.channel) q.channel = f.channel;
  if (f.status.trim()) q.status = f.status.trim();
  if (f.user) q.user = f.user;
  if (f.key) q.key = f.key;
  if (f.range) {
    q.from = String(Math.round(f.range[0]));
    q.to = String(Math.round(f.range[1]));
  }
  if (f.failed) q.failed = '1';
  return q;
}
