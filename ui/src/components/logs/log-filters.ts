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
