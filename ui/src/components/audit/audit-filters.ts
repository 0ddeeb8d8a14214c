import { type QueryValue, queryValue, rangeFromQuery, rangeToQuery } from '../../composables/url-query';

/** What the Audit page's filter form holds; null and '' mean "any". */
export interface AuditFilters {
  actor: string | null;
  action: string | null;
  objectType: string | null;
  objectId: string;
  range: [number, number] | null;
}

export const AUDIT_ACTORS = ['admin-token', 'session', 'cli', 'anonymous'] as const;
export const AUDIT_ACTIONS = [
  'create',
  'update',
  'delete',
  'enable',
  'disable',
  'revoke',
  'rotate',
  'test',
  'reenable-key',
  'sign-in',
  'sign-in-failure',
  'sign-out',
] as const;
export const AUDIT_OBJECT_TYPES = ['key', 'user', 'channel', 'session', 'secrets'] as const;

export function emptyAuditFilters(): AuditFilters {
  return { actor: null, action: null, objectType: null, objectId: '', range: null };
}

/** The GET /audit query for these filters. */
export function toAuditQuery(f: AuditFilters): Record<string, string | number | null> {
  return {
    actor: f.actor,
    action: f.action,
    object_type: f.objectType,
    object_id: f.objectId.trim() || null,
    since: f.range ? new Date(f.range[0]).toISOString() : null,
    until: f.range ? new Date(f.range[1]).toISOString() : null,
  };
}

/** A value from a list the form offers; anything else in a hand-edited URL is ignored. */
function listed(value: QueryValue, list: readonly string[]): string | null {
  const v = queryValue(value);
  return v !== null && list.includes(v) ? v : null;
}

/** The filters an /audit URL's query holds (a reload or a shared link keeps them). */
export function auditFiltersFromQuery(query: Record<string, QueryValue>): AuditFilters {
  return {
    actor: listed(query.actor, AUDIT_ACTORS),
    action: listed(query.action, AUDIT_ACTIONS),
    objectType: listed(query.object_type, AUDIT_OBJECT_TYPES),
    objectId: queryValue(query.object_id) ?? '',
    range: rangeFromQuery(query),
  };
}

/** The URL query for these filters: only the ones set. */
export function auditFiltersToQuery(f: AuditFilters): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.actor) q.actor = f.actor;
  if (f.action) q.action = f.action;
  if (f.objectType) q.object_type = f.objectType;
  if (f.objectId.trim()) q.object_id = f.objectId.trim();
  return { ...q, ...rangeToQuery(f.range) };
}
