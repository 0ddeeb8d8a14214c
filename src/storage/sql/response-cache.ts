import { type Kysely, sql } from 'kysely';
import type { CacheBounds, CacheStore } from '../accounting-ports.js';
import type { AccountingTables } from './accounting-schema.js';

/**
 * Response cache in the database: survives restarts and is shared by every process on it. Bounds
 * are enforced after each write by deleting expired rows, then the least recently used.
 */
export function sqlCacheStore(db: Kysely<AccountingTables>, bounds: CacheBounds): CacheStore {
  const totals = async () => {
    const row = await db
      .selectFrom('response_cache')
      .select([sql<number>`count(*)`.as('entries'), sql<number>`coalesce(sum(size), 0)`.as('bytes')])
      .executeTakeFirst();
    return { entries: Number(row?.entries ?? 0), bytes: Number(row?.bytes ?? 0) };
  };
  return {
    async get(key, now) {
      const row = await db.selectFrom('response_cache').selectAll().where('key', '=', key).executeTakeFirst();
      if (!row) return null;
      if (row.expires_at <= now) {
        await db.deleteFrom('response_cache').where('key', '=', key).execute();
        return null;
      }
      await db.updateTable('response_cache').set({ last_used_at: now }).where('key', '=', key).execute();
      return {
        status: row.status,
        contentType: row.content_type,
        body: new Uint8Array(row.body),
        stream: row.stream === 1,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      };
    },
    async set(key, entry) {
      const size = entry.body.byteLength;
      if (size > bounds.maxBytes) return;
      const row = {
        key,
        status: entry.status,
        content_type: entry.contentType,
        body: entry.body,
        stream: entry.stream ? 1 : 0,
        size,
        created_at: entry.createdAt,
        expires_at: entry.expiresAt,
        last_used_at: entry.createdAt,
      };
      await db
        .insertInto('response_cache')
        .values(row)
        .onConflict((oc) => oc.column('key').doUpdateSet(row))
        .execute();
      await db.deleteFrom('response_cache').where('expires_at', '<=', entry.createdAt).execute();
      let { entries, bytes } = await totals();
      while (entries > bounds.maxEntries || bytes > bounds.maxBytes) {
        const oldest = await db
          .selectFrom('response_cache')
          .select(['key', 'size'])
          .orderBy('last_used_at')
          .limit(Math.max(entries - bounds.maxEntries, 1))
          .execute();
        if (oldest.length === 0) break;
        await db
          .deleteFrom('response_cache')
          .where(
            'key',
            'in',
            oldest.map((o) => o.key),
          )
          .execute();
        entries -= oldest.length;
        bytes -= oldest.reduce((sum, o) => sum + o.size, 0);
      }
    },
    async delete(key) {
      await db.deleteFrom('response_cache').where('key', '=', key).execute();
    },
    size: totals,
  };
}
