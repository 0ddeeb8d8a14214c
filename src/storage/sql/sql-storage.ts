import { type Kysely, sql } from 'kysely';
import type { Storage } from '../ports.js';
import { accountingView } from './accounting-schema.js';
import { sqlChannelStore, sqlMetaStore, sqlUserStore } from './admin-stores.js';
import type { SqlDialect } from './dialect.js';
import { sqlKeyStore } from './key-store.js';
import { resealSqlSecrets } from './reseal-secrets.js';
import { sqlCacheStore } from './response-cache.js';
import type { Database } from './schema.js';
import { sqlSessionStore } from './session-store.js';
import { sqlUsageStore } from './usage-store.js';

/** Every storage port over one migrated SQL database; the backend opens `db` and closes it. */
export function sqlStorage(db: Kysely<Database>, dialect: SqlDialect, close: () => Promise<void>): Storage {
  return {
    keys: sqlKeyStore(db, dialect),
    users: sqlUserStore(db),
    channels: sqlChannelStore(db, dialect),
    meta: sqlMetaStore(db),
    sessions: sqlSessionStore(db),
    usage: sqlUsageStore(accountingView(db), dialect),
    openResponseCache: (bounds) => sqlCacheStore(accountingView(db), bounds),
    resealSecrets: (reseal) => resealSqlSecrets(db, dialect, reseal),
    async ping() {
      await sql`select 1`.execute(db);
    },
    close,
  };
}
