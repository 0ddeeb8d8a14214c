/** A value of vue-router's `route.query`. */
export type QueryValue = string | null | undefined | Array<string | null>;

/** A query parameter's one value, or null when absent or empty. */
export function queryValue(value: QueryValue): string | null {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' && v !== '' ? v : null;
}

/** A time range kept in the URL as `from` and `to` (epoch ms), or null when either is missing. */
export function rangeFromQuery(query: Record<string, QueryValue>): [number, number] | null {
  const from = queryValue(query.from);
  const to = queryValue(query.to);
  if (from === null || to === null) return null;
  const range: [number, number] = [Number(from), Number(to)];
  return Number.isFinite(range[0]) && Number.isFinite(range[1]) ? range : null;
}

/** The `from` and `to` parameters for a time range (none for null). */
export function rangeToQuery(range: [number, number] | null): Record<string, string> {
  return range ? { from: String(Math.round(range[0])), to: String(Math.round(range[1])) } : {};
}
