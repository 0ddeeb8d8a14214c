import type { Kysely } from 'kysely';
import type { AdminSessionStore } from '../ports.js';
import type { Database } from './schema.js';

/** Admin sessions in the database: they survive a restart and are shared by every process on it. */
export function sqlSessionStore(db: Kysely<Database>): AdminSessionStore {
  return {
    async create(session) {
      await db
        .insertInto('admin_sessions')
        .values({
          id_hash: session.idHash,
          csrf_token: session.csrfToken,
          token_tag: session.tokenTag,
          created_at: session.createdAt,
          expires_at: session.expiresAt,
        })
        .execute();
    },
    async find(idHash, now) {
      const row = await db
        .selectFrom('admin_sessions')
        .selectAll()
        .where('id_hash', '=', idHash)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row
        ? {
            idHash: row.id_hash,
            csrfToken: row.csrf_token,
            tokenTag: row.token_tag,
            createdAt: row.created_at,
            expiresAt: row.expires_at,
          }
        : null;
    },
    async delete(idHash) {
      await db.deleteFrom('admin_sessions').where('id_hash', '=', idHash).execute();
    },
    async purgeExpired(now) {
      const result = await db.deleteFrom('admin_sessions').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
