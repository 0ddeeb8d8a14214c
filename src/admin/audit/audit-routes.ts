import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { GatewayEnv } from '../../http/context.js';
import type { AuditEntry, AuditStore } from '../../storage/audit-port.js';
import { iso } from '../context.js';
import { cursorPageFields } from '../cursor-page-query.js';
import { epochMs } from '../epoch-ms.js';
import { parseOrThrow } from '../invalid-request.js';

const time = z.union([epochMs, z.iso.datetime({ offset: true }).transform((s) => Date.parse(s))]);

// Strict: an unknown filter answers 400 naming it rather than silently listing everything.
export const auditQuery = z
  .object({
    // Closed sets: a typo (`keys`, `admin`) would match nothing and read as "no such change".
    actor: z
      .union([z.enum(['admin-token', 'session', 'cli', 'anonymous']), z.string().regex(/^[0-9a-f]{12}$/)], {
        error: 'one of admin-token, session, cli, anonymous, or a session reference (12 hex digits)',
      })
      .optional()
      .describe('admin-token, session, cli, anonymous, or a session reference'),
    action: z
      .string()
      .min(1)
      .optional()
      .describe('create, update, delete, revoke, rotate, enable, disable, …'),
    object_type: z
      .enum(['key', 'user', 'channel', 'session', 'secrets'])
      .optional()
      .describe('key, user, channel, session, secrets'),
    object_id: z.string().min(1).optional(),
    since: time.optional().describe('epoch ms or ISO 8601, inclusive'),
    until: time.optional().describe('epoch ms or ISO 8601, exclusive'),
    ...cursorPageFields,
  })
  .strict();

export function auditView(entry: AuditEntry) {
  return {
    seq: entry.seq,
    at: iso(entry.at),
    actor: { type: entry.actor.type, id: entry.actor.id },
    action: entry.action,
    object: { type: entry.objectType, id: entry.objectId, name: entry.objectName },
    changes: entry.changes,
    address: entry.address,
    user_agent: entry.userAgent,
  };
}

/**
 * `GET /admin/api/audit`: the audit log, newest first. Read-only by design: no route updates or
 * deletes an entry (other methods fall to the admin 404).
 */
export function mountAuditRoutes(
  app: Hono<GatewayEnv>,
  deps: { readonly admin: MiddlewareHandler<GatewayEnv>; readonly store: AuditStore },
): void {
  app.get('/admin/api/audit', deps.admin, async (c) => {
    const q = parseOrThrow(auditQuery, c.req.query());
    const page = await deps.store.list({
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.object_type ? { objectType: q.object_type } : {}),
      ...(q.object_id ? { objectId: q.object_id } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      limit: q.limit,
      cursor: q.cursor ?? null,
    });
    c.header('cache-control', 'no-store');
    return c.json({ object: 'list', data: page.entries.map(auditView), next_cursor: page.nextCursor });
  });
}
