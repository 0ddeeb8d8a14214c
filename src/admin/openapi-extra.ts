import { z } from 'zod';
import { auditQuery } from './audit/audit-routes.js';
import { exportQuery, logQuery, usageQuery } from './usage-routes.js';

/**
 * Admin routes mounted outside the route table (sessions, the request log, usage, routing
 * stats), described for the OpenAPI document from the same zod schemas that validate them.
 */
export interface ExtraRoute {
  readonly method: 'get' | 'post' | 'delete';
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly status: 200 | 204;
  readonly pathParams?: readonly string[];
}

export const EXTRA_ROUTES: readonly ExtraRoute[] = [
  {
    method: 'post',
    path: '/session',
    tag: 'session',
    status: 200,
    summary:
      "Panel sign-in: sets the HttpOnly session cookie, answers {csrf_token, expires_at, currency} (the deployment's); JSON only; " +
      'wrong tokens are delayed and, repeated, locked out (429 with Retry-After)',
    body: z.object({ secret: z.string().describe('the admin token') }),
  },
  {
    method: 'get',
    path: '/session',
    tag: 'session',
    status: 200,
    summary:
      "The panel session: {csrf_token, expires_at, currency} (the deployment's, which key budgets are in)",
  },
  {
    method: 'delete',
    path: '/session',
    tag: 'session',
    status: 204,
    summary: 'Sign out (the session is deleted; needs x-csrf-token)',
  },
  {
    method: 'get',
    path: '/logs',
    tag: 'usage',
    status: 200,
    summary: 'The request log, newest first, with filters and cursor pagination',
    query: logQuery,
  },
  {
    method: 'get',
    path: '/logs/export',
    tag: 'usage',
    status: 200,
    summary:
      'The whole filtered log as a download: CSV (default) or JSON lines, newest first, up to 100,000 rows',
    query: exportQuery,
  },
  {
    method: 'get',
    path: '/logs/{requestId}',
    tag: 'usage',
    status: 200,
    summary: 'One request in full: attempts, tokens, cost and prices, timing',
    pathParams: ['requestId'],
  },
  {
    method: 'get',
    path: '/usage',
    tag: 'usage',
    status: 200,
    summary:
      "Totals, groups and a time series (per minute, hour or day); costs in `currency`, the deployment's",
    query: usageQuery,
  },
  {
    method: 'get',
    path: '/audit',
    tag: 'audit',
    status: 200,
    summary:
      'The audit log of admin actions, newest first: who (admin-token, session, cli), what, which object, ' +
      'changed fields before → after (secrets masked), when, from where. Read-only: no route edits or deletes it',
    query: auditQuery,
  },
  {
    method: 'get',
    path: '/stats/routing',
    tag: 'stats',
    status: 200,
    summary: 'The load-balancing view (as GET /stats): channels, keys (masked), health, strategy',
  },
  {
    method: 'post',
    path: '/channels/{id}/keys/{index}/reenable',
    tag: 'channels',
    status: 200,
    summary:
      'Put an upstream key the upstream rejected (401/403) back into rotation now, instead of at its ' +
      'next re-check (retry_at in /stats/routing); answers {channel, key_index, key (masked), reenabled}',
    pathParams: ['id', 'index'],
  },
];
