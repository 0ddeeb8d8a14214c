import type { LogQuery } from '../../api/types';
import { type QueryValue, queryValue, rangeFromQuery, rangeToQuery } from '../../composables/url-query';

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

/** The filters a /logs URL's query holds (a reload or a shared link keeps them). */
export function filtersFromQuery(query: Record<string, QueryValue>): LogFilterState {
  return {
    model: queryValue(query.model) ?? '',
    channel: queryValue(query.channel),
    status: queryValue(query.status) ?? '',
    user: queryValue(query.user),
    key: queryValue(query.key),
    range: rangeFromQuery(query),
    failed: queryValue(query.failed) === '1' || queryValue(query.failed) === 'true',
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
  Object.assign(q, rangeToQuery(f.range));
  if (f.failed) q.failed = '1';
  return q;
}
