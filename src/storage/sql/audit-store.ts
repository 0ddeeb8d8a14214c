import type { Kysely } from 'kysely';
import type { AuditActorType, AuditEntry, AuditStore } from '../audit-port.js';
import { decodeCursor, encodeCursor } from '../usage-log-cursor.js';
import type { AuditLogTable, Database } from './schema.js';

type Row = Omit<AuditLogTable, 'seq'> & { seq: number };

function entryOf(row: Row): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    actor: { type: row.actor_type as AuditActorType, id: row.actor_id },
    action: row.action,
    objectType: row.object_type,
    objectId: row.object_id,
    objectName: row.object_name,
    changes: row.changes === null ? null : JSON.parse(row.changes),
    address: row.address,
    userAgent: row.user_agent,
  };
}

/** The audit log in SQL (SQLite, Postgres): one row per entry, ordered by (at, seq). */
export function sqlAuditStore(db: Kysely<Database>): AuditStore {
  return {
    async append(entry) {
      const row = await db
        .insertInto('audit_log')
        .values({
          at: entry.at,
          actor_type: entry.actor.type,
          actor_id: entry.actor.id,
          action: entry.action,
          object_type: entry.objectType,
          object_id: entry.objectId,
          object_name: entry.objectName,
          changes: entry.changes === null ? null : JSON.stringify(entry.changes),
          address: entry.address,
          user_agent: entry.userAgent,
        })
        .returning('seq')
        .executeTakeFirstOrThrow();
      return { ...entry, seq: row.seq };
    },
    async list(query) {
      let q = db.selectFrom('audit_log').selectAll();
      if (query.actor !== undefined) {
        const actor = query.actor;
        q = q.where((eb) => eb.or([eb('actor_type', '=', actor), eb('actor_id', '=', actor)]));
      }
      if (query.action !== undefined) q = q.where('action', '=', query.action);
      if (query.objectType !== undefined) q = q.where('object_type', '=', query.objectType);
      if (query.objectId !== undefined) q = q.where('object_id', '=', query.objectId);
      if (query.since !== undefined) q = q.where('at', '>=', query.since);
      if (query.until !== undefined) q = q.where('at', '<', query.until);
      const after = decodeCursor(query.cursor);
      if (after) {
        q = q.where((eb) =>
          eb.or([
            eb('at', '<', after.startedAt),
            eb.and([eb('at', '=', after.startedAt), eb('seq', '<', after.seq)]),
          ]),
        );
      }
      const rows = await q
        .orderBy('at', 'desc')
        .orderBy('seq', 'desc')
        .limit(query.limit + 1)
        .execute();
      const shown = rows.slice(0, query.limit).map(entryOf);
      const last = shown[shown.length - 1];
      return {
        entries: shown,
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.at, last.seq) : null,
      };
    },
    async prune(before) {
      const result = await db.deleteFrom('audit_log').where('at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
